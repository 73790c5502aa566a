"""The evaluation's formulas and periods, without a database."""

from __future__ import annotations

import datetime as dt

import pytest

from fengqiao.core.errors import UserError
from fengqiao.evaluation import formulas as f
from fengqiao.evaluation.periods import DAY, MONTH, Period, parse_period

COUNTS = {
    "intake": 20, "valid": 16, "valid_resolved": 12, "merged": 2, "hazard": 4, "hazard_resolved": 3,
    "signed": 10, "signed_on_time": 9, "resolved": 8, "resolved_on_time": 6, "visited": 5, "satisfied": 4,
    "overdue": 3, "decisions": 10, "returns": 1, "mediation_concluded": 4, "mediation_succeeded": 3,
}


def test_indicator_values_from_counts():
    v = f.indicator_values(COUNTS, f.AREA)
    assert v["intake"] == 20
    assert v["sign_on_time_rate"] == 0.9
    assert v["resolve_on_time_rate"] == 0.75
    assert v["resolution_rate"] == 0.75
    assert v["satisfaction_rate"] == 0.8  # (满意 + 基本满意) / visited
    assert v["repeat_rate"] == 0.1
    assert v["return_rate"] == 0.1
    assert v["overdue"] == 3
    assert v["mediation_success_rate"] == 0.75
    assert v["hazard_rectification_rate"] == 0.75


def test_rates_without_denominator_and_not_applicable_are_none():
    empty = {k: 0 for k in COUNTS}
    v = f.indicator_values(empty, f.AREA)
    assert v["intake"] == 0 and v["overdue"] == 0  # counts are real zeros
    assert all(v[c] is None for c in v if f.BY_CODE[c].kind == "rate")  # never 0 %
    d = f.indicator_values(COUNTS, f.DEPARTMENT)
    assert d["repeat_rate"] is None and d["mediation_success_rate"] is None
    assert d["resolution_rate"] == 0.75
    unknown = f.indicator_values({**COUNTS, "hazard": None, "hazard_resolved": None}, f.AREA)
    assert unknown["hazard_rectification_rate"] is None


def test_normalisation():
    rate_up, rate_down, count = f.BY_CODE["satisfaction_rate"], f.BY_CODE["repeat_rate"], f.BY_CODE["overdue"]
    assert f.normalised(rate_up, 0.85) == pytest.approx(85)
    assert f.normalised(rate_down, 0.05) == pytest.approx(95)
    assert f.normalised(count, 0, worst=4) == 100
    assert f.normalised(count, 4, worst=4) == 0
    assert f.normalised(count, 1, worst=4) == 75
    assert f.normalised(count, 0, worst=0) == 100  # nobody overdue: everybody full marks
    assert f.normalised(rate_up, None) is None
    assert f.normalised(f.BY_CODE["intake"], 12) is None  # shown, not scored


def test_score_is_the_weighted_mean_of_what_has_figures():
    weights = {"satisfaction_rate": 20, "repeat_rate": 10, "overdue": 10}
    values = {"satisfaction_rate": 0.8, "repeat_rate": 0.1, "overdue": 2, "resolution_rate": 0.1}
    # (20*80 + 10*90 + 10*50) / 40 = 75; resolution_rate has no weight here
    assert f.score(values, weights, f.AREA, {"overdue": 4}) == 75.0
    # without a satisfaction figure its weight drops out: (10*90 + 10*50) / 20 = 70
    assert f.score({**values, "satisfaction_rate": None}, weights, f.AREA, {"overdue": 4}) == 70.0
    assert f.score({}, weights, f.AREA, {}) is None
    # an overdue count alone (no rate with figures) is no score: nothing was evaluated
    assert f.score({"overdue": 0}, weights, f.AREA, {"overdue": 4}) is None
    # for a department the repeat rate does not apply: (20*80 + 10*50) / 30 = 70
    assert f.score(values, weights, f.DEPARTMENT, {"overdue": 4}) == 70.0


def test_ranks_share_ties_and_skip_none():
    assert f.ranks([80.0, 90.0, 80.0, None, 70.0]) == [2, 1, 2, None, 4]
    assert f.ranks([]) == []


def test_year_on_year_change():
    rate, count = f.BY_CODE["satisfaction_rate"], f.BY_CODE["overdue"]
    assert f.change(rate, 0.85, 0.80) == 5.0  # percentage points
    assert f.change(count, 3, 5) == -2
    assert f.change(rate, 0.85, None) is None
    assert f.score_change(80.0, 72.55) == 7.5
    assert f.with_sign(5.0, " pt") == "+5.0 pt"
    assert f.with_sign(-2) == "−2"
    assert f.with_sign(0) == "0"
    assert f.with_sign(None) == "—"


def test_rank_rows_scores_both_years_and_sorts():
    def row(code, cur, prev):
        return {"unit": {"code": code}, "values": f.indicator_values(cur, f.AREA),
                "previous_values": f.indicator_values(prev, f.AREA)}

    good = {**COUNTS, "overdue": 0}
    bad = {**COUNTS, "satisfied": 1, "overdue": 6}
    rows = [row("b", bad, good), row("a", good, bad), row("c", {k: 0 for k in COUNTS}, {k: 0 for k in COUNTS})]
    f.rank_rows(rows, f.DEFAULT_WEIGHTS, f.AREA)
    # c had nothing to evaluate: listed last, without a score or rank
    assert [(r["unit"]["code"], r["rank"]) for r in rows] == [("a", 1), ("b", 2), ("c", None)]
    assert rows[2]["score"] is None
    a = rows[0]
    assert a["rank"] == 1 and a["score"] > a["previous_score"] and a["score_change"] > 0
    assert a["change"]["overdue"] == -6
    b = next(r for r in rows if r["unit"]["code"] == "b")
    assert b["values"]["overdue"] == 6
    # the worst overdue unit gets 0 on that indicator: its score is lower
    assert b["score"] < a["score"]


def test_default_weights_cover_the_scored_indicators():
    assert set(f.DEFAULT_WEIGHTS) == set(f.SCORED)
    assert "intake" not in f.SCORED
    assert all(0 <= w <= f.MAX_WEIGHT for w in f.DEFAULT_WEIGHTS.values())


# ---------------------------------------------------------------- periods

TODAY = dt.date(2026, 3, 15)


@pytest.mark.parametrize(("text", "kind", "start", "last"), [
    ("2026-03-05", DAY, dt.date(2026, 3, 5), dt.date(2026, 3, 5)),
    ("2026-02", MONTH, dt.date(2026, 2, 1), dt.date(2026, 2, 28)),
    ("2024-02", MONTH, dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
    (" 2026-03 ", MONTH, dt.date(2026, 3, 1), dt.date(2026, 3, 31)),  # the running month
    ("", MONTH, dt.date(2026, 3, 1), dt.date(2026, 3, 31)),
])
def test_periods(text, kind, start, last):
    p = parse_period(text, TODAY)
    assert (p.kind, p.start, p.last, p.end) == (kind, start, last, last + dt.timedelta(days=1))


@pytest.mark.parametrize("text", ["2026-13", "2026-02-30", "2026/03/01", "yesterday", "20260301", "2026-3",
                                  "0001-01", "1900-12-31", "2026-03-16", "2026-04", "9999-12-31", "２０２６-03",
                                  "x" * 500])
def test_bad_periods_are_bilingual_user_errors(text):
    with pytest.raises(UserError) as exc:
        parse_period(text, TODAY)
    assert exc.value.status == 400 and exc.value.zh and exc.value.en and exc.value.field == "period"


def test_previous_year():
    assert Period(DAY, dt.date(2024, 2, 29)).previous_year() == Period(DAY, dt.date(2023, 2, 28))
    assert Period(MONTH, dt.date(2026, 3, 1)).previous_year().key == "2025-03"
    assert Period(DAY, dt.date(2026, 3, 5)).previous_year().key == "2025-03-05"
    assert parse_period("1901-01", TODAY).previous_year().key == "1900-01"


def test_overdue_only_is_ranked_last():
    """A unit whose only figure is a bad one (overdue, nothing signed or resolved in the period)
    is scored and ranked last, not dropped; a unit with nothing at all stays unranked."""
    def row(code, counts):
        values = f.indicator_values({**{k: 0 for k in COUNTS}, **counts}, f.AREA)
        return {"unit": {"code": code}, "values": values, "previous_values": values}

    late_once = {"resolved": 1, "resolved_on_time": 0, "overdue": 1}  # resolved one matter late
    idle = {"overdue": 1}  # a limit ran out, nothing else done
    busy = {**COUNTS, "overdue": 5}  # works, but with the most overdue matters
    rows = [row("idle", idle), row("late", late_once), row("busy", busy), row("none", {})]
    f.rank_rows(rows, f.DEFAULT_WEIGHTS, f.AREA)
    ranked = {r["unit"]["code"]: (r["rank"], r["score"]) for r in rows}
    assert ranked["idle"] == (3, 0.0)
    assert ranked["busy"][0] == 1 and ranked["late"][0] == 2
    assert ranked["none"] == (None, None)
    assert [r["unit"]["code"] for r in rows] == ["busy", "late", "idle", "none"]
    # with the overdue weight at 0 an overdue count is not evaluated: no score
    assert f.score(rows[2]["values"], {**f.DEFAULT_WEIGHTS, "overdue": 0}, f.AREA, {"overdue": 5}) is None
