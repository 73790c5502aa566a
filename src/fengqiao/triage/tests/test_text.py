from fengqiao.triage.text import compact, join_fields, normalize, read_tokens, tokenize


def test_normalize_full_width_and_spaces():
    assert normalize("ＡＢＣ１２３　\t 你好，世界！ ") == "abc123 你好,世界!"
    assert normalize(None) == ""
    assert normalize("第一行_x000D_ 第二行") == "第一行 第二行"


def test_join_and_compact():
    assert join_fields("标题", None, "正文") == "标题 正文"
    assert compact("Ａ市 A3区，中海国际社区！") == "a市a3区中海国际社区"


def test_tokenize_drops_punctuation():
    words = tokenize("小区门口的垃圾站臭气熏天，请尽快处理！")
    assert "垃圾站" in words
    assert all(w not in {"，", "！", " "} for w in words)
    assert tokenize("") == []


def test_tokenize_without_hmm_keeps_dictionary_words():
    text = "小区门口的垃圾站臭气熏天，请尽快处理！"
    words = tokenize(text, hmm=False)
    assert "垃圾站" in words and "，" not in words
    assert "".join(words) == "".join(tokenize(text))  # same characters, maybe cut finer


def test_read_tokens():
    assert read_tokens("A1 区  蔡锷 南路 ， 水箱") == ["a1", "区", "蔡锷", "南路", "水箱"]
    assert read_tokens("") == []


def test_dictionary_segmentation_is_jiebas(monkeypatch):
    """Without the HMM, tokenize() runs on rjieba; it must cut exactly as jieba does (the
    classifier's vocabulary was built either way), and jieba stands in without rjieba."""
    import jieba

    from fengqiao.triage import text

    samples = [
        "A3区中海国际社区三期的电梯经常停运，物业不管，请相关部门督促整改！",
        "咨询A6区道路命名规划初步成果公示和城乡门牌问题 2019年4月以来, 水费4.23元/吨",
        "ＡＢＣ小区 ２４小时施工噪音扰民　x000D 他来到了网易杭研大厦",
    ]
    tk = text.tokenizer()
    for s in samples:
        expected = [w for w in tk.lcut(normalize(s), HMM=False) if text._TOKEN_KEEP.search(w)]
        assert tokenize(s, hmm=False) == expected
    assert text.segmenter().startswith("rjieba")
    monkeypatch.setattr(text, "_fast_cut", None)  # as on a platform without an rjieba wheel
    assert text.segmenter().startswith("jieba")
    assert tokenize(samples[0], hmm=False) == [
        w for w in jieba.lcut(normalize(samples[0]), HMM=False) if text._TOKEN_KEEP.search(w)
    ]


def test_hmm_segmentation_keeps_jiebas_chinese_words(monkeypatch):
    """With the HMM (same-matter keywords) rjieba finds the words jieba's HMM finds; the two
    differ only in runs of ASCII letters, digits and punctuation, which rjieba keeps whole."""
    import re

    from fengqiao.triage import text

    samples = [
        "A2区丽发新城小区旁边建搅拌站，彻夜施工扰民，噪音和粉尘严重影响居民生活",
        "伊景园滨河苑捆绑销售车位，开发商要求业主必须购买车位才能收房",
        "网址 www.baidu.com 电话0731-88889999，2019.1 起80-90户受影响",
    ]
    tk = text.tokenizer()

    def chinese(words):
        return [w for w in words if re.search(r"[\u4e00-\u9fff]", w)]

    for s in samples:
        expected = [w for w in tk.lcut(normalize(s), HMM=True) if text._TOKEN_KEEP.search(w)]
        got = tokenize(s)
        assert chinese(got) == chinese(expected), s
    assert "www.baidu.com" in tokenize(samples[2]) and "0731-88889999" in tokenize(samples[2])
    monkeypatch.setattr(text, "_fast_cut", None)
    assert text.segmenter().startswith("jieba")
    assert tokenize(samples[2]) == [w for w in tk.lcut(normalize(samples[2]), HMM=True)
                                    if text._TOKEN_KEEP.search(w)]
