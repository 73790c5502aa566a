"""The pure parts of the risk scan: phrase matching, the spike test, common areas, levels."""

from __future__ import annotations

import math

import pytest

from fengqiao.alerts import detect


def matcher():
    return detect.TermMatcher({"同归于尽": "red", "跳楼": "red", "报复": "orange", "讨说法": "yellow"},
                              ["跳楼价", "报复性消费"])


def test_phrases_are_found_with_their_place_and_context():
    hits = matcher().scan("邻居扬言要和他同归于尽,还说要报复。")
    assert [(h.phrase, h.level) for h in hits] == [("同归于尽", "red"), ("报复", "orange")]
    first = hits[0]
    assert "邻居扬言要和他同归于尽,还说要报复。"[first.start:first.end] == "同归于尽"
    assert "同归于尽" in first.snippet


def test_a_harmless_phrase_covering_a_trigger_hides_it():
    assert matcher().scan("商场跳楼价清仓,报复性消费") == []
    # the same trigger outside the harmless phrase still counts
    assert [h.phrase for h in matcher().scan("跳楼价清仓,老板说不给钱就跳楼")] == ["跳楼"]


def test_long_context_is_cut_and_marked():
    text = "甲" * 100 + "讨说法" + "乙" * 100
    (hit,) = matcher().scan(text)
    assert hit.snippet.startswith("…") and hit.snippet.endswith("…")
    assert len(hit.snippet) == detect.SNIPPET * 2 + len("讨说法") + 2


def test_an_empty_list_matches_nothing():
    empty = detect.TermMatcher({}, [])
    assert not empty and empty.scan("同归于尽") == []


def test_whitespace_runs_are_one_space():
    (hit,) = matcher().scan("说要\n\n   报复")
    assert hit.snippet == "说要 报复"


def test_poisson_tail():
    assert detect.poisson_tail(0, 3) == 1.0
    assert detect.poisson_tail(1, 1.0) == pytest.approx(1 - math.exp(-1))
    assert detect.poisson_tail(3, 2.0) == pytest.approx(1 - math.exp(-2) * (1 + 2 + 2))
    assert detect.poisson_tail(5, 0) == 0.0
    assert 0 <= detect.poisson_tail(400, 300) < 1e-6  # large means do not underflow into nonsense


def test_spike_against_a_quiet_baseline():
    level, mean, p = detect.spike_level(8, [0, 1, 0, 0, 1, 0, 0], minimum=5)
    assert level == "red" and mean == pytest.approx(detect.MIN_BASELINE) and p < 1e-6


def test_no_spike_when_the_count_is_usual_or_below_the_minimum():
    assert detect.spike_level(8, [7, 9, 8, 6, 8, 10, 7], minimum=5)[0] is None
    assert detect.spike_level(4, [0] * 28, minimum=5)[0] is None


def test_spike_levels_follow_the_tail_probability():
    # usual: 2 a day; P(X ≥ 9) ≈ 2e-4, P(X ≥ 10) ≈ 5e-5, P(X ≥ 13) ≈ 2e-7
    levels = [detect.spike_level(k, [2] * 28, minimum=1)[0] for k in (5, 9, 10, 13)]
    assert levels == [None, "yellow", "orange", "red"]


def test_common_path():
    assert detect.common_path(["/1/2/3/", "/1/2/4/", "/1/2/3/9/"]) == "/1/2/"
    assert detect.common_path(["/1/2/3/"]) == "/1/2/3/"
    assert detect.common_path(["/1/2/", "/5/"]) == ""
    assert detect.common_path(["", "/1/2/"]) == "/1/2/"
    assert detect.common_path([]) == ""
    # codes, not characters: 12 is not inside 1
    assert detect.common_path(["/1/12/", "/1/13/"]) == "/1/"


def test_level_for_count_rises_with_the_count():
    assert [detect.level_for_count(n, 3, "yellow") for n in (3, 5, 6, 9, 30)] == \
        ["yellow", "yellow", "orange", "red", "red"]
    assert detect.level_for_count(2, 2, "orange") == "orange"
    assert detect.level_for_count(4, 2, "orange") == "red"


def test_higher():
    assert detect.higher("yellow", "red") == "red"
    assert detect.higher(None, "orange") == "orange"
    assert detect.higher("orange", None) == "orange"
