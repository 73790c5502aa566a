from __future__ import annotations

import functools
import zipfile

import numpy as np
import pytest

from fengqiao.triage import classifier
from fengqiao.triage.classifier import analyse

from .conftest import synthetic_corpus


def test_predicts_synthetic_topics(small_model):
    assert small_model.labels == ["交通运输", "教育文体", "环境保护"]
    top = small_model.predict_top("南湖街道的地铁站经常堵车，公交车晚点严重", k=3)
    assert [lab for lab, _ in top][0] == "交通运输"
    assert len(top) == 3
    assert abs(sum(p for _, p in top) - 1.0) < 1e-6
    assert top[0][1] > top[1][1] >= top[2][1]
    assert small_model.predict_many(["幼儿园乱收补课费", "化工厂排放污水，臭气熏天"]) == [
        "教育文体",
        "环境保护",
    ]
    assert small_model.predict_many([]) == []


def test_fast_path_matches_sklearn_vectorizers(small_model):
    texts, _ = synthetic_corpus(5, seed=3)
    items = [analyse(t) for t in texts] + [analyse(""), analyse("完全未见过的词汇")]
    slow = small_model.decision(items)
    fast = np.vstack([small_model._fast_scores(it) for it in items])
    assert np.allclose(slow, fast, atol=1e-4)


def test_integer_coded_lookup_matches_string_lookup(small_model):
    """The n-gram codes give the same features as looking every n-gram string up, including
    n-grams with characters/words the vocabulary never saw and texts shorter than n."""
    import copy

    texts, _ = synthetic_corpus(3, seed=7)
    items = [analyse(t) for t in texts] + [
        analyse(""),
        analyse("垃"),
        analyse("垃圾"),
        analyse("龘垃圾站龘龘噪音"),
        (["垃圾站", "没见过的词", "噪音"], "垃圾站x噪音"),
    ]
    by_strings = copy.copy(small_model)
    by_strings._wcodes = by_strings._ccodes = None  # the fallback: one dict probe per n-gram
    assert small_model._ccodes is not None and small_model._wcodes is not None
    for it in items:
        np.testing.assert_allclose(
            small_model._fast_scores(it), by_strings._fast_scores(it), rtol=0, atol=1e-6
        )
    assert np.allclose(
        small_model.decision(items),
        np.vstack([small_model._fast_scores(it) for it in items]),
        atol=1e-4,
    )


def test_gram_codes_lookup():
    from fengqiao.triage.classifier import _GramCodes

    terms = ["a", "b", "ab", "ba", "abc", "c"]
    codes = _GramCodes.build(terms, (1, 3), "")
    idx, tf = codes.lookup("abzab")  # z is unknown: no n-gram across it counts
    got = {terms[i]: int(n) for i, n in zip(idx, tf, strict=True)}
    assert got == {"a": 2, "b": 2, "ab": 2}
    idx, tf = codes.lookup("")
    assert len(idx) == 0 and len(tf) == 0
    words = _GramCodes.build(["x", "y", "x y"], (1, 2), " ")
    idx, tf = words.lookup(["x", "y", "x", "y"])
    assert sorted(zip(idx.tolist(), tf.tolist(), strict=True)) == [(0, 2), (1, 2), (2, 2)]


def test_pretokenized_rows_share_the_feature_space():
    texts, labels = synthetic_corpus(20)
    tokens = ["北苑社区 养殖场 排放 污水 臭气熏天"] * 10 + ["地铁站 信号灯 坏了 经常 堵车"] * 10
    model = classifier.train(
        texts,
        labels,
        pretokenized=tokens,
        pretokenized_labels=["环境保护"] * 10 + ["交通运输"] * 10,
        calibration_folds=0,
    )
    assert model.metadata["training"]["pretokenized_rows"] == 20
    assert model.predict_tokens(["养殖场 排放 污水"]) == ["环境保护"]


def test_train_rejects_bad_input():
    with pytest.raises(ValueError):
        classifier.train(["一", "二"], ["a"])
    with pytest.raises(ValueError):
        classifier.train(["公交车晚点", "地铁太挤"], ["交通", "交通"])


def test_save_load_round_trip(small_model, tmp_path):
    path = tmp_path / "m.skops"
    small_model.save(path)
    loaded = classifier.load(path)
    assert loaded.labels == small_model.labels
    assert loaded.temperature == pytest.approx(small_model.temperature)
    assert loaded.metadata["training"]["per_label"] == small_model.metadata["training"]["per_label"]
    texts = ["北苑社区的垃圾站噪音扰民", "小学周末强制补课", "出租车司机绕路"]
    for text in texts:
        a = small_model.predict_top(text)
        b = loaded.predict_top(text)
        assert [x for x, _ in a] == [x for x, _ in b]
    np.testing.assert_array_equal(small_model.predict_proba(texts), loaded.predict_proba(texts))
    many = texts * 20  # the batch (sklearn) path too
    np.testing.assert_allclose(
        small_model.predict_proba(many), loaded.predict_proba(many), rtol=0, atol=1e-7
    )


def test_both_models_are_folded_into_one_linear_model(small_model):
    """The stored coefficients are the scale-weighted average of the LinearSVC and the NB-SVM
    fitted on the training features: refitting both here must give the same matrix."""
    params = small_model.metadata["params"]
    assert params["nb_c"] > 0 and len(params["model_scales"]) == 2
    assert all(t > 0 for t in params["model_scales"])
    texts, labels = synthetic_corpus()
    x = small_model._features([analyse(t) for t in texts])
    y = np.array([small_model.labels.index(v) for v in labels])
    k = len(small_model.labels)
    w = classifier.balanced_weights(np.ones(len(y)), y, k)
    s_svc, s_nb = params["model_scales"]
    svc = classifier._fit_svc(x, y, w, k, params["c"])
    nb = classifier._fit_nbsvm(x, y, w, k, params["nb_c"])
    np.testing.assert_allclose(
        small_model.coef, (s_svc * svc[0] + s_nb * nb[0]) / 2, rtol=1e-4, atol=1e-6
    )
    np.testing.assert_allclose(
        small_model.intercept, (s_svc * svc[1] + s_nb * nb[1]) / 2, rtol=1e-4, atol=1e-6
    )
    # and each part matters: neither alone is the stored model
    assert not np.allclose(small_model.coef, s_svc * svc[0], atol=1e-3)
    assert not np.allclose(small_model.coef, s_nb * nb[0], atol=1e-3)
    # the SVM alone (no NB-SVM) is still a working classifier with the same interface
    texts, labels = synthetic_corpus(20, seed=5)
    svm_only = classifier.train(texts, labels, nb_c=0, calibration_folds=0)
    assert svm_only.metadata["params"]["model_scales"] == [1.0]
    assert svm_only.predict_many(["化工厂排放污水", "地铁站经常堵车"]) == ["环境保护", "交通运输"]


def test_ngrams_match_sklearn_analyzers(small_model):
    from fengqiao.triage.classifier import _ngrams

    words, chars = analyse("北苑社区的垃圾站噪音扰民，希望处理")
    word_an = small_model.word.build_analyzer()
    char_an = small_model.char.build_analyzer()
    assert sorted(_ngrams(words, (1, 2), " ")) == sorted(word_an(" ".join(words)))
    assert sorted(_ngrams(chars, (1, 3), "")) == sorted(char_an(chars))
    assert _ngrams([], (1, 2), " ") == []
    assert _ngrams("ab", (1, 3), "") == ["a", "b", "ab"]


def test_refuses_old_format_with_retrain_message(tmp_path, small_model):
    import skops.io as sio

    d = small_model.to_dict()
    d["format"] = "fengqiao.triage.category/1"
    old = tmp_path / "old.skops"
    sio.dump(d, old, compression=zipfile.ZIP_DEFLATED)
    with pytest.raises(classifier.ModelFileError, match="重新训练.*retrain"):
        classifier.load(old)


def test_refuses_untrusted_types(tmp_path):
    import skops.io as sio

    path = tmp_path / "evil.skops"
    # a callable smuggled into the file: skops would need it trusted to load it
    sio.dump({"format": classifier.FORMAT, "payload": functools.partial(print, "pwned")}, path)
    assert "functools.partial" in sio.get_untrusted_types(file=path)
    with pytest.raises(classifier.UnsafeModelError, match="functools.partial"):
        classifier.load(path)


def test_rejects_damaged_or_foreign_files(tmp_path, small_model):
    import skops.io as sio

    missing = tmp_path / "missing.skops"
    with pytest.raises(classifier.ModelFileError):
        classifier.load(missing)
    junk = tmp_path / "junk.skops"
    junk.write_bytes(b"not a zip file")
    with pytest.raises(classifier.ModelFileError):
        classifier.load(junk)
    other = tmp_path / "other.skops"
    sio.dump({"format": "something-else"}, other)
    with pytest.raises(classifier.ModelFileError, match="format"):
        classifier.load(other)
    d = small_model.to_dict()
    d["coef"] = d["coef"][:, :10]
    bad = tmp_path / "bad.skops"
    sio.dump(d, bad, compression=zipfile.ZIP_DEFLATED)
    with pytest.raises(classifier.ModelFileError, match="shape"):
        classifier.load(bad)


def test_real_data_heldout_macro_f1(shared_data):
    """Train on the fixed split of the TipDM data; the held-out macro-F1 must stay ≥ 0.90."""
    from sklearn.metrics import f1_score

    from fengqiao.triage.datasets import decontaminate, heldout_split, load_tipdm

    raw, extra = load_tipdm(shared_data)
    tr, te = heldout_split(raw.labels)
    te_texts = [raw.texts[i] for i in te]
    keep = decontaminate(extra.texts, te_texts)
    assert len(keep) > 5000
    model = classifier.train(
        [raw.texts[i] for i in tr],
        [raw.labels[i] for i in tr],
        pretokenized=[extra.texts[i] for i in keep],
        pretokenized_labels=[extra.labels[i] for i in keep],
        calibration_folds=0,
    )
    pred = model.predict_many(te_texts)
    f1 = f1_score([raw.labels[i] for i in te], pred, average="macro")
    assert f1 >= 0.90, f1
    # the single-message fast path and the batch path agree on real messages
    items = [analyse(t) for t in te_texts[:50]]
    fast = np.vstack([model._fast_scores(it) for it in items])
    assert np.allclose(model.decision(items), fast, atol=1e-4)


def test_a_model_cuts_texts_where_it_was_trained_to(small_model):
    """The cuts are read from the model file, not the module: a file trained at 400 characters
    keeps being applied at 400 after the default changed; a file that does not say is refused."""
    import copy

    assert small_model.metadata["params"]["word_chars"] == classifier.WORD_CHARS
    long_text = "幼儿园乱收补课费。" * 3 + "南湖街道的地铁站经常堵车，公交车晚点严重。" * 20
    short = copy.deepcopy(small_model)
    short.metadata["params"]["word_chars"] = 9
    short._prepare()
    expected = short._fast_scores(analyse(long_text, 9, classifier.MAX_CHARS))
    assert not np.allclose(expected, short._fast_scores(analyse(long_text)))
    p = short.predict_proba([long_text])[0]
    assert np.allclose(p, short._proba_one(analyse(long_text, 9, classifier.MAX_CHARS)), atol=1e-6)
    old = copy.deepcopy(small_model)
    del old.metadata["params"]["word_chars"]
    with pytest.raises(classifier.ModelFileError):
        old._prepare()


def test_balanced_weights_give_each_class_the_same_total(monkeypatch):
    """Macro-F1 counts every class alike, so by default each class carries the same total row
    weight in training; ``class_weight=None`` keeps the rows' own weights."""
    seen = []
    real = classifier._fit_svc

    def spy(x, y, w, k, c):
        seen.append(np.bincount(y, weights=w, minlength=k))
        return real(x, y, w, k, c)

    monkeypatch.setattr(classifier, "_fit_svc", spy)
    texts, labels = synthetic_corpus(30, seed=4)
    keep = [i for i, y in enumerate(labels) if y != "教育文体" or i % 5 == 0]  # 30 / 6 / 30
    texts, labels = [texts[i] for i in keep], [labels[i] for i in keep]
    model = classifier.train(texts, labels, nb_c=0, calibration_folds=0)
    assert model.metadata["params"]["class_weight"] == "balanced"
    np.testing.assert_allclose(seen[-1], [len(keep) / 3] * 3)
    classifier.train(texts, labels, nb_c=0, calibration_folds=0, class_weight=None)
    np.testing.assert_allclose(seen[-1], [30, 6, 30])
    # with extra rows weighted down, the classes are balanced on the total weight
    tokens = [" ".join(analyse(t)[0]) for t in texts[2:]]
    classifier.train(
        texts[:2],
        labels[:2],
        pretokenized=tokens,
        pretokenized_labels=labels[2:],
        extra_weight=0.5,
        nb_c=0,
        calibration_folds=0,
    )
    total = 2 + 0.5 * (len(keep) - 2)
    np.testing.assert_allclose(seen[-1], [total / 3] * 3)
    # a class with a handful of rows is weighted up at most MAX_CLASS_WEIGHT times
    few = [i for i, y in enumerate(labels) if y != "教育文体"] + [labels.index("教育文体")]
    classifier.train([texts[i] for i in few], [labels[i] for i in few], nb_c=0, calibration_folds=0)
    assert seen[-1][1] == pytest.approx(classifier.MAX_CLASS_WEIGHT)  # 1 row, not 61 / 3
    assert seen[-1][0] == pytest.approx(seen[-1][2])
    with pytest.raises(ValueError, match="class_weight"):
        classifier.train(texts, labels, class_weight="heavy")


def test_loading_a_model_warms_up_the_segmenter(small_model, tmp_path, monkeypatch):
    """The segmenter reads its dictionary on first use; a loaded model has already segmented
    a text, so that cost is part of the load, not of the first (timed) classification."""
    from fengqiao.triage import text

    path = tmp_path / "m.skops"
    small_model.save(path)
    real_cut = text._rjieba_cut()
    seen = []

    def spy(s, hmm):
        seen.append(s)
        return real_cut(s, hmm) if real_cut else text.tokenizer().lcut(s, HMM=hmm)

    monkeypatch.setattr(text, "_fast_cut", spy)
    classifier.load(path)
    assert seen == [text.normalize(classifier.WARM_UP_TEXT)]


def _brute_force_shares(model, texts, train_texts):
    """Label shares of the ``k`` most similar training rows, by a dense cosine over all rows."""
    votes = model.votes
    mem = model.word.transform([" ".join(analyse(t)[0]) for t in train_texts]).toarray()
    q = model.word.transform([" ".join(analyse(t)[0]) for t in texts]).toarray()
    out = []
    for sims in q @ mem.T:
        top = np.argsort(-sims, kind="stable")[: votes.k]
        v = np.bincount(votes.labels[top], weights=sims[top], minlength=len(model.labels))
        out.append(v / v.sum() if v.sum() > 0 else np.full(len(model.labels), 1 / len(model.labels)))
    return np.array(out)


def test_neighbour_votes_are_the_nearest_training_rows_labels(small_model):
    """The inverted index finds what a dense cosine over every training row finds, on both the
    single-message and the batch path, and the probabilities combine the linear model's
    log-probabilities with the weighted log-shares (ADR 0112)."""
    train_texts, train_labels = synthetic_corpus()
    votes = small_model.votes
    assert votes is not None and votes.k == classifier.NEIGHBOURS
    assert len(votes.labels) == len(train_texts)
    assert [small_model.labels[i] for i in votes.labels] == train_labels
    texts = ["北苑社区的垃圾站噪音扰民", "小学周末强制补课，公交车晚点", "龘靐", ""]
    expected = _brute_force_shares(small_model, texts, train_texts)
    k = len(small_model.labels)
    one = []
    for t in texts:
        _, idx, val = small_model._fast(analyse(t))
        one.append(votes.shares_one(idx, val, k))
    np.testing.assert_allclose(np.array(one), expected, atol=1e-5)
    batch = votes.shares(small_model.word.transform([" ".join(analyse(t)[0]) for t in texts]), k)
    np.testing.assert_allclose(batch, expected, atol=1e-5)
    assert np.allclose(expected[2], 1 / k)  # nothing similar: equal shares, no pull

    scores = small_model.decision([analyse(t) for t in texts])
    log_p = classifier._log_softmax(scores, small_model.temperature)
    combined = log_p + classifier.VOTE_WEIGHT * np.log(expected + classifier.VOTE_FLOOR)
    want = classifier._softmax(combined, small_model.vote_temperature)
    np.testing.assert_allclose(small_model.predict_proba(texts), want, atol=1e-5)
    many = texts * 10  # over 32 texts: the sparse batch path
    np.testing.assert_allclose(small_model.predict_proba(many), np.vstack([want] * 10), atol=1e-5)
    # the votes do move the answer: without them the probabilities are the linear model's
    assert not np.allclose(want, classifier._softmax(scores, small_model.temperature), atol=1e-3)


def test_models_without_votes(small_model, tmp_path):
    """``neighbours=0`` trains the linear model alone; a format-2 file written before the votes
    existed (no vote arrays) still loads and predicts as it did."""
    import skops.io as sio

    texts, labels = synthetic_corpus(20, seed=5)
    plain = classifier.train(texts, labels, neighbours=0, calibration_folds=2)
    assert plain.votes is None and plain.metadata["params"]["neighbours"] is None
    assert plain.predict_many(["化工厂排放污水", "地铁站经常堵车"]) == ["环境保护", "交通运输"]

    d = small_model.to_dict()
    for key in [k for k in d if k.startswith("vote_")]:
        del d[key]
    older = tmp_path / "older.skops"
    sio.dump(d, older, compression=zipfile.ZIP_DEFLATED)
    loaded = classifier.load(older)
    assert loaded.votes is None
    sample = ["北苑社区的垃圾站噪音扰民", "小学周末强制补课"]
    scores = small_model.decision([analyse(t) for t in sample])
    np.testing.assert_allclose(
        loaded.predict_proba(sample), classifier._softmax(scores, loaded.temperature), atol=1e-6
    )


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d.update(vote_indptr=d["vote_indptr"][:-5]),
        lambda d: d.update(vote_rows=d["vote_rows"] + 10_000),
        lambda d: d.update(vote_labels=d["vote_labels"] + 7),
        lambda d: d.update(vote_values=d["vote_values"][:3]),
        lambda d: d.update(vote_values=np.full_like(d["vote_values"], np.nan)),
        lambda d: d.update(vote_params={"k": 0, "weight": 0.3, "floor": 0.01}),
        lambda d: d.pop("vote_temperature"),
    ],
)
def test_rejects_damaged_neighbour_postings(small_model, tmp_path, damage):
    import skops.io as sio

    d = small_model.to_dict()
    damage(d)
    bad = tmp_path / "bad-votes.skops"
    sio.dump(d, bad, compression=zipfile.ZIP_DEFLATED)
    with pytest.raises(classifier.ModelFileError):
        classifier.load(bad)


def test_votes_keep_a_bounded_sample_of_a_large_history(monkeypatch):
    """Past ``MAX_NEIGHBOUR_ROWS`` training rows, the votes read a fixed random sample (the
    linear model still learns from every row), so a large county history cannot make every
    message read millions of postings."""
    monkeypatch.setattr(classifier, "MAX_NEIGHBOUR_ROWS", 50)
    texts, labels = synthetic_corpus(40)
    model = classifier.train(texts, labels, calibration_folds=2)
    assert len(model.votes.labels) == 50 and model.votes.rows.max() < 50
    assert model.metadata["params"]["neighbours"]["rows"] == 50
    assert model.metadata["training"]["rows_used"] == 120
    assert set(model.votes.labels.tolist()) == {0, 1, 2}
    assert model.predict_many(["化工厂排放污水", "地铁站经常堵车"]) == ["环境保护", "交通运输"]
    again = classifier.train(texts, labels, calibration_folds=2)  # the sample is reproducible
    np.testing.assert_array_equal(again.votes.rows, model.votes.rows)


# ---------------------------------------------------------------- calibration with rare classes

RARE_TEXT = "区里的菜市场没有消防通道，电线乱拉，存在严重火灾隐患"


def _with_rare_class(n_per_label: int = 25, seed: int = 2):
    texts, labels = synthetic_corpus(n_per_label, seed=seed)
    return texts + [RARE_TEXT], labels + ["消防安全"]


def test_a_class_with_one_row_does_not_switch_calibration_off():
    """A county history can hold a category with a single labelled matter. Calibration still
    runs (it used to fall back to temperature 1 and no CV figure, which left every clear
    message at a low confidence); the rare row, which its own fold could not learn, is left
    out of the temperature fits, and no StratifiedKFold warning escapes."""
    import warnings

    texts, labels = _with_rare_class()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = classifier.train(texts, labels, calibration_folds=3)
    params = model.metadata["params"]
    assert params["calibration_folds"] == 3
    assert params["calibration"] == {"folds": 3, "rare_labels": ["消防安全"], "rows_left_out": 1}
    assert model.temperature != 1.0 and model.vote_temperature != 1.0
    assert params["model_scales"] != [1.0, 1.0]
    assert model.metadata["evaluation"]["cv_macro_f1"] is not None
    assert model.metadata["evaluation"]["cv_macro_f1"] > 0.9
    for text, label in [
        ("南湖街道的地铁站经常堵车，公交车晚点严重", "交通运输"),
        ("幼儿园乱收补课费，老师体罚学生", "教育文体"),
        ("化工厂排放污水，臭气熏天", "环境保护"),
    ]:
        top, p = model.predict_top(text, k=1)[0]
        assert top == label and p > 0.6, (text, top, p)
    assert model.predict_top(RARE_TEXT, k=1)[0][0] == "消防安全"
    assert model.predict_many(["东城区的化工厂排放污水"]) == ["环境保护"]


def test_rare_class_calibration_on_real_messages(shared_data):
    """The case the reviewer found: seven TipDM classes of 25 messages and one category with
    a single message. Temperature 1 (the old fallback) gave clear messages 0.2–0.35; with the
    folds run, most messages of the big classes are answered with confidence."""
    from fengqiao.triage.datasets import load_tipdm

    raw, _ = load_tipdm(shared_data)
    by_label: dict[str, list[str]] = {}
    for text, label in zip(raw.texts, raw.labels, strict=True):
        by_label.setdefault(label, []).append(text)
    texts, labels, test, gold = [], [], [], []
    for label, rows in sorted(by_label.items()):
        texts += rows[:25]
        labels += [label] * 25
        test += rows[25:45]
        gold += [label] * 20
    model = classifier.train(texts + [RARE_TEXT], labels + ["消防安全"], calibration_folds=3)
    assert model.metadata["params"]["calibration"]["rare_labels"] == ["消防安全"]
    assert model.metadata["evaluation"]["cv_macro_f1"] is not None
    p = model.predict_proba(test)
    assert np.median(p.max(axis=1)) > 0.6
    assert np.mean(np.array(model.labels)[p.argmax(axis=1)] == np.array(gold)) > 0.7
    assert model.predict_top(RARE_TEXT, k=1)[0][0] == "消防安全"


def test_calibration_rule():
    """Folds run when at least two classes have as many rows as there are folds; a class with
    fewer rows than folds but two or more still has a row in every fold's training part."""
    texts, labels = synthetic_corpus(20, seed=6)
    two = [i for i, y in enumerate(labels) if y == "教育文体"][:2]
    keep = [i for i, y in enumerate(labels) if y != "教育文体"] + two  # 20 / 2 / 20
    model = classifier.train([texts[i] for i in keep], [labels[i] for i in keep], calibration_folds=3)
    assert model.metadata["params"]["calibration"] == {
        "folds": 3, "rare_labels": ["教育文体"], "rows_left_out": 0,
    }
    assert model.metadata["evaluation"]["cv_macro_f1"] is not None
    # only one class with enough rows: no folds, temperature 1
    few = [i for i, y in enumerate(labels) if y == "交通运输"] + [
        labels.index("教育文体"), labels.index("环境保护"), labels.index("环境保护") + 1,
    ]
    model = classifier.train([texts[i] for i in few], [labels[i] for i in few], calibration_folds=3)
    assert model.metadata["params"]["calibration_folds"] == 0
    assert model.metadata["params"]["calibration"]["skipped"] == "too_few_rows"
    assert model.temperature == 1.0 and "cv_macro_f1" not in model.metadata["evaluation"]
    model = classifier.train(texts, labels, calibration_folds=0, neighbours=0)
    assert model.metadata["params"]["calibration"] == {
        "folds": 0, "rare_labels": [], "skipped": "not_requested",
    }


def test_every_class_with_enough_rows_calibrates_as_before(small_model):
    """With every class at ≥ ``calibration_folds`` rows no row is left out: the temperatures
    are fitted on every out-of-fold score, as before rare classes were handled."""
    assert small_model.metadata["params"]["calibration"] == {
        "folds": 3, "rare_labels": [], "rows_left_out": 0,
    }


@pytest.mark.parametrize("fit", ["svc", "nbsvm"])
def test_linear_members_give_a_missing_class_a_low_constant_score(fit):
    """In a calibration fold a rare class can be missing from the training part: both linear
    members still return one row per class, the missing class with zero weights and the
    intercept ABSENT_CLASS_SCORE, and the present classes as if trained on them alone."""
    texts, labels = synthetic_corpus(15, seed=8)
    model = classifier.train(texts, labels, calibration_folds=0, neighbours=0)
    x = model._features([analyse(t) for t in texts])
    y = np.array([model.labels.index(v) for v in labels])  # classes 0, 1, 2
    w = np.ones(len(y))
    fn = {"svc": classifier._fit_svc, "nbsvm": classifier._fit_nbsvm}[fit]
    for k, present in ((4, [0, 1, 2]), (3, [0, 2])):  # class 3 (and class 1) missing
        rows = np.isin(y, present)
        coef, intercept = fn(x[rows], y[rows], w[rows], k, 1.0)
        assert coef.shape == (k, x.shape[1]) and intercept.shape == (k,)
        missing = [i for i in range(k) if i not in present]
        assert not coef[missing].any()
        assert (intercept[missing] == classifier.ABSENT_CLASS_SCORE).all()
        remap = np.searchsorted(present, y[rows])
        ref_coef, ref_intercept = fn(x[rows], remap, w[rows], len(present), 1.0)
        np.testing.assert_array_equal(coef[present], ref_coef)
        np.testing.assert_array_equal(intercept[present], ref_intercept)
        scores = np.asarray(x[rows] @ coef.T) + intercept
        assert not np.isin(scores.argmax(axis=1), missing).any()
