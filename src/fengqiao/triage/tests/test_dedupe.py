from __future__ import annotations

import csv
import re
import signal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fengqiao.triage import dedupe

PAIRS = Path(__file__).resolve().parents[4] / "tests" / "data" / "triage_dup_pairs.csv"


def test_entity_keys_ignore_place_codes():
    keys = dedupe.entity_keys("反映a3区中海国际社区三期噪音")
    assert "国际社区" in keys and "海国际社区" in keys
    assert not any(k.startswith("a3") for k in keys)
    assert dedupe.entity_keys("a市a1区a2区") == set()


# The rule entity_keys implements, written out plainly: from left to right, at each position
# the longest suffix that can end a name there (not 临街, 政府, 居民 …) is taken and the scan
# goes on after it; the name is the run of name characters before it, generic words at its
# end join the suffix, and it is cut at its last stop character.
_NAME = re.compile(r"[\u4e00-\u9fff0-9a-z]")


def _can_end_name(text: str, i: int, suffix: str) -> bool:
    if len(suffix) > 1:
        return True
    before = text[i - 1] if i else ""
    after = text[i + 1] if i + 1 < len(text) else ""
    return not ((before and before in dedupe._NOT_A_NAME_AFTER.get(suffix, ""))
                or (after and after in dedupe._NOT_A_NAME_BEFORE.get(suffix, "")))


def _plain_keys(text: str) -> set[str]:
    text = dedupe.PLACE_CODE.sub(" ", text)
    keys, i = set(), 0
    suffixes = sorted(dedupe._SUFFIXES, key=len, reverse=True)
    while i < len(text):
        suffix = next((x for x in suffixes if text.startswith(x, i) and _can_end_name(text, i, x)), None)
        if suffix is None:
            i += 1
            continue
        j = i
        while j > 0 and _NAME.match(text[j - 1]):
            j -= 1
        head, tail = text[j:i], suffix
        for _ in range(dedupe._MAX_GENERIC_PARTS):  # generic words before the suffix join it
            part = max((g for g in dedupe._GENERIC_PARTS if head.endswith(g)), key=len, default=None)
            if part is None:
                break
            head, tail = head[: -len(part)], part + tail
        head = head[max((head.rfind(c) for c in dedupe._NAME_STOP), default=-1) + 1 :]
        keys.update(head[-k:] + tail for k in (2, 3, 4) if len(head) >= k)
        i += len(suffix)
    return keys


_PIECES = ["小区", "花园", "幼儿园", "儿园", "城", "苑", "路", "站", "村", "公司", "学院",
           "丽发新", "金鳌", "中海国际", "搅拌", "的", "在", "反映", "关于", "a", "1", "b2",
           "a市", "a3区", "b县", " ", "，", "。", "-", "有限", "职业技术", "科技", "置业",
           "临", "街", "马", "政", "府", "店里", "居", "民", "市", "所", "有"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=14))
def test_entity_keys_follow_the_plain_rule(pieces):
    text = "".join(pieces)
    assert dedupe.entity_keys(text) == _plain_keys(text)


def test_entity_keys_of_real_phrases():
    text = dedupe.normalize("投诉A2区丽发新城小区旁边建搅拌站，金鳌花园的车库里很吵。A3区中海国际社区三期")
    assert dedupe.entity_keys(text) == _plain_keys(text)
    # every suffix that can end a name (里 cannot: "金鳌花园的车库里" gives 金鳌花园 only), the
    # head cut at a stop character (建 of 建议: "建搅拌站" gives 搅拌站 only)
    assert dedupe.entity_keys(text) == {"丽发新城", "发新城", "新城小区", "发新城小区", "丽发新城小区", "搅拌站",
                                        "金鳌花园", "国际社区", "海国际社区", "中海国际社区"}


def test_a_suffix_ending_a_common_word_ends_no_name():
    # 临街 (by the street), 马路 (a road), 政府 (the government) are words, not names
    assert dedupe.entity_keys("润芳园小区临街") == {"润芳园", "芳园小区", "润芳园小区"}
    assert dedupe.entity_keys("中海国际社区门口马路") == {"国际社区", "海国际社区", "中海国际社区"}
    assert dedupe.entity_keys("市人民政府") == set()
    assert dedupe.entity_keys("芙蓉中路") == {"蓉中路", "芙蓉中路"}


def test_generic_words_before_a_suffix_are_not_the_name():
    # two colleges of one kind: their keys hold what tells them apart, not 职业技术
    a = dedupe.entity_keys(dedupe.normalize("西地省环境生物职业技术学院收取空调维修费"))
    b = dedupe.entity_keys(dedupe.normalize("A市航空职业技术学院拿快递二次收费"))
    assert "环境生物职业技术学院" in a and "航空职业技术学院" in b
    assert not a & b
    assert dedupe.entity_keys("泰地置业有限公司") == {"泰地置业有限公司"}
    # "the estate's kindergarten" of two estates
    assert not (dedupe.entity_keys("山水湾小区幼儿园性质") & dedupe.entity_keys("恒基凯旋门小区配套幼儿园"))
    # the name alone, nothing before the generic words: no key
    assert dedupe.entity_keys(dedupe.normalize("A市职业技术学院")) == set()
    # a run of generic words costs a bounded number of steps (at most four join the suffix)
    suffix = "科技" * 4 + "公司"
    assert dedupe.entity_keys("科技" * 50_000 + "公司") == {
        "科技" + suffix, "技科技" + suffix, "科技科技" + suffix}


def test_one_rare_shared_name_is_evidence_however_many_other_names():
    idx = dedupe.Index()
    for i in range(300):
        idx.add(i, f"第{i}号楼前的路灯不亮")
    # both name the problem with the same word (偷钓): a name shared with nothing else in
    # common is one place with two problems (test_one_place_with_two_problems_scores_lower)
    a = dedupe.extract("西湖文化园偷钓现象十分猖獗，保安不管，湖边钓鱼的人天天都有")
    b = dedupe.extract("反映西湖文化园湖边偷钓现象仍然存在，另外南门停车场收费乱、北门公厕没人打扫、东门广场跳舞噪音")
    assert "西湖文化园" in a.entities & b.entities
    assert idx._name_evidence({"西湖文化园"}) == pytest.approx(idx.name_weight)
    assert idx.score(a, b) >= dedupe.GROUP_THRESHOLD
    # a name held by one stored message in twenty (of at least 1,000) says nothing alone
    for i in range(300, 349):
        idx.add(i, "西湖文化园停车收费贵")
    assert idx._name_evidence({"西湖文化园"}) > 0.0  # 49 of 1,000
    idx.add(349, "西湖文化园停车收费贵")
    assert idx._name_evidence({"西湖文化园"}) == 0.0  # 50 of 1,000: common_share


def test_one_place_with_two_problems_scores_lower():
    """Two messages that share an estate's name but nothing else are one place with two
    problems: the score is lowered by ``off_topic_factor``. The words spelling the name (魅力 of
    魅力之城) do not count as common ground; a word that is itself a name key (搅拌站) does."""

    def index(**kw):
        idx = dedupe.Index(**kw)
        for i in range(300):
            idx.add(i, f"第{i}号楼前的路灯不亮")
        return idx

    cracks = dedupe.extract("魅力之城小区近百户楼板开裂、墙面开裂，开发商只愿掩饰裂缝")
    smoke = dedupe.extract("魅力之城小区底层商铺烧烤油烟扰民，营业到凌晨")
    cracks_again = dedupe.extract("魅力之城楼板开裂严重，交房一年半裂缝十多条，开发商不管")
    plant = dedupe.extract("丽发新城小区附近搅拌站噪音扰民")
    plant_again = dedupe.extract("投诉丽发新城旁边的搅拌站")
    assert "魅力" in cracks.keywords.keys() & smoke.keywords.keys()
    assert "搅拌站" in plant.entities & plant_again.entities
    idx, plain = index(), index(off_topic_factor=1.0)
    assert idx.off_topic_factor < 1.0
    assert idx.score(cracks, smoke) == pytest.approx(idx.off_topic_factor * plain.score(cracks, smoke))
    assert idx.score(cracks, cracks_again) == pytest.approx(plain.score(cracks, cracks_again))
    assert idx.score(plant, plant_again) == pytest.approx(plain.score(plant, plant_again))
    assert idx.score(plant, plant_again) >= dedupe.GROUP_THRESHOLD


def test_known_loss_one_problem_in_other_words():
    """The topic check reads words: 偷钓者 and 偷钓 are two words, so two reports of the same
    poaching at 西湖文化园, one listing other problems too, share little beyond the name and
    lose a fifth of their score (docs/triage.md, *Known weakness*)."""
    idx = dedupe.Index()
    for i in range(300):
        idx.add(i, f"第{i}号楼前的路灯不亮")
    a = dedupe.extract("西湖文化园偷钓者十分猖獗，保安不管，湖边钓鱼的人天天都有")
    b = dedupe.extract("反映西湖文化园湖边偷钓现象仍然存在，另外南门停车场收费乱、北门公厕没人打扫、东门广场跳舞噪音")
    plain = dedupe.Index(off_topic_factor=1.0)
    for i in range(300):
        plain.add(i, f"第{i}号楼前的路灯不亮")
    assert plain.score(a, b) >= dedupe.GROUP_THRESHOLD > idx.score(a, b)
    assert idx.score(a, b) == pytest.approx(idx.off_topic_factor * plain.score(a, b))


def test_messages_naming_nothing_are_scored_by_their_words():
    idx = dedupe.Index()
    text = "很多省份都已经试水独生子女护理假了，本省什么时候能实行独生子女护理假"
    a, b = dedupe.extract(text), dedupe.extract(text + "？")
    assert not a.entities and not b.entities
    idx.add_features(1, a)
    idx.add_features(2, b)
    assert idx.score(a, b) == pytest.approx(1.0)
    assert dedupe.group([], index=idx) == [[1, 2]]


def test_a_long_run_without_a_suffix_costs_its_length():
    """A pasted number or address of 200,000 characters: the greedy expression would
    backtrack for many minutes; the scan takes one pass (the alarm only guards a hang)."""

    def hang(*_):
        raise TimeoutError("entity_keys took quadratic time")

    old = signal.signal(signal.SIGALRM, hang)
    signal.alarm(20)
    try:
        assert dedupe.entity_keys("0" * 200_000) == set()
        assert dedupe.entity_keys("ab1" * 70_000 + "，") == set()
        assert dedupe.entity_keys("7" * 200_000 + "号小区") == {"7号小区", "77号小区", "777号小区"}
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def test_index_finds_reworded_complaint():
    idx = dedupe.Index()
    idx.add(1, "丽发新城小区旁边建了搅拌站，噪音和粉尘很大", time="2019-11-20 10:00:00")
    idx.add(2, "南湖公寓旁边的工地凌晨施工扰民", time="2019-11-21 10:00:00")
    idx.add(3, "伊景园滨河苑强制捆绑销售车位", time="2019-08-01")
    for i in range(4, 40):
        idx.add(i, f"第{i}号路灯不亮，晚上出行不安全", time="2019-05-01")
    hits = idx.query("投诉丽发新城附近的搅拌站，扬尘严重影响居民", time="2019-12-01")
    assert hits and hits[0][0] == 1
    assert all(i != 3 for i, _ in hits[:1])
    with pytest.raises(ValueError):
        idx.add(1, "重复的编号")


def test_common_features_are_not_used_for_candidates():
    idx = dedupe.Index(max_postings=5)
    for i in range(20):
        idx.add(i, f"噪音扰民 第{i}栋")
    f = dedupe.extract("噪音扰民")
    assert idx.candidates(f) == []


def test_group_does_not_chain_unrelated_messages():
    records = [
        {"id": "a1", "text": "丽发新城小区附近搅拌站噪音扰民，粉尘严重"},
        {"id": "a2", "text": "投诉丽发新城旁边的搅拌站，灰尘噪音污染"},
        {"id": "a3", "text": "丽发新城搅拌站扬尘影响孩子健康"},
        {"id": "b1", "text": "伊景园滨河苑捆绑销售车位，不买车位不签合同"},
        {"id": "b2", "text": "伊景园滨河苑开发商强制捆绑车位销售"},
        {"id": "c1", "text": "A3区的公交车晚点严重"},
        {"id": "c2", "text": "A5区图书馆开放时间太短"},
    ]
    groups = dedupe.group(records)
    as_sets = [set(g) for g in groups]
    assert {"a1", "a2", "a3"} in as_sets
    assert {"b1", "b2"} in as_sets
    assert all(len(g) < 5 for g in groups)


def test_labelled_pairs_file_is_well_formed():
    with PAIRS.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert set(rows[0]) == {"id_a", "id_b", "same", "drawn"}
    assert {r["drawn"] for r in rows} == {"initial", "candidates", "disagreement"}
    assert {r["same"] for r in rows} == {"0", "1"}
    pairs = [frozenset((r["id_a"], r["id_b"])) for r in rows]
    assert len(set(pairs)) == len(pairs) and all(len(x) == 2 for x in pairs)
    pos = sum(r["same"] == "1" for r in rows)
    assert pos >= 150 and len(rows) - pos >= 150


def test_audit_sample_is_well_formed():
    """The audit sample: pairs drawn at random after the scoring was fixed, half from the pairs
    the grouping put together, half from those it scored ≥ 0.3 but kept apart."""
    with PAIRS.with_name("triage_dup_audit.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert set(rows[0]) == {"id_a", "id_b", "same", "kind"}
    assert {r["kind"] for r in rows} == {"grouped", "apart"}
    assert {r["same"] for r in rows} == {"0", "1"}
    pairs = [frozenset((r["id_a"], r["id_b"])) for r in rows]
    assert len(set(pairs)) == len(pairs) and all(len(x) == 2 for x in pairs)
    # where a pair is in both files, the two readings agree
    with PAIRS.open(encoding="utf-8") as fh:
        labelled = {frozenset((r["id_a"], r["id_b"])): r["same"] for r in csv.DictReader(fh)}
    both = [(labelled[frozenset((r["id_a"], r["id_b"]))], r["same"]) for r in rows
            if frozenset((r["id_a"], r["id_b"])) in labelled]
    assert both and all(a == b for a, b in both)


def _pair_metrics(groups, labels):
    g = {i: k for k, m in enumerate(groups) for i in m}
    same = [(y, a in g and g.get(a) == g.get(b)) for a, b, y in labels]
    tp = sum(1 for y, s in same if y and s)
    fp = sum(1 for y, s in same if not y and s)
    return tp / (tp + fp), tp / sum(1 for y, _ in same if y)


def test_real_pairs_precision_recall(shared_data):
    """Groups of the command the acceptance check runs (`triage duplicates --text title,body`)
    on the hot messages, against hand-labelled pairs (measured on all 2,552: P 0.929 / R 0.935;
    on the 330 drawn at random from an earlier index's candidates: P 0.961 / R 0.939)."""
    import io
    import json
    from argparse import Namespace

    from fengqiao.triage import cli

    with PAIRS.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out = io.StringIO()
    args = Namespace(data=str(shared_data / "tipdm2020_hot_messages.csv"), text="title,body",
                     id="id", time="time", json=True)
    cli.run_duplicates(args, out=out)
    groups = json.loads(out.getvalue())["groups"]  # what the command prints
    precision, recall = _pair_metrics(groups, [(r["id_a"], r["id_b"], r["same"] == "1") for r in rows])
    assert precision >= 0.90, precision
    assert recall >= 0.90, recall
    precision, recall = _pair_metrics(
        groups, [(r["id_a"], r["id_b"], r["same"] == "1") for r in rows if r["drawn"] == "candidates"])
    assert precision >= 0.93, precision
    assert recall >= 0.90, recall
    assert max(len(x) for x in groups) <= 100


@pytest.mark.parametrize(
    "a,b,differ",
    [
        ({"a市"}, {"a2区"}, False),  # a city does not contradict a district of it
        ({"a市", "a2区"}, {"a市"}, False),
        ({"a2区"}, {"a5区"}, True),
        ({"a市", "a2区"}, {"a市", "a5区"}, True),
        ({"a7县"}, {"a2区"}, True),  # counties and districts are one level
        ({"a市"}, {"b市"}, True),
        ({"a2区"}, set(), False),
    ],
)
def test_places_differ_only_at_the_same_level(a, b, differ):
    assert dedupe._places_differ(a, b) is differ
    assert dedupe._places_differ(b, a) is differ


def test_a_city_alone_does_not_lower_the_score_of_a_district():
    idx = dedupe.Index()
    city = dedupe.extract("A市丽发新城附近搅拌站噪音污染严重")
    district = dedupe.extract("A2区丽发新城附近搅拌站噪音污染严重")
    other = dedupe.extract("A5区丽发新城附近搅拌站噪音污染严重")
    unplaced = dedupe.extract("丽发新城附近搅拌站噪音污染严重")
    for f in (city, district, other, unplaced):
        idx.add_features(id(f), f)
    assert idx.score(city, district) == pytest.approx(idx.score(unplaced, district))
    assert idx.score(other, district) == pytest.approx(0.7 * idx.score(unplaced, district))
