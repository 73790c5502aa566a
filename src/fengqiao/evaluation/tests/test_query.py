"""The query layer against hand-built matters with known answers (scenario.py), what each role
evaluates (restrict), and a bounded number of queries."""

from __future__ import annotations

import datetime as dt

import pytest

from fengqiao.evaluation import query
from fengqiao.evaluation.periods import DAY, MONTH, Period
from fengqiao.events.models import Category

from .scenario import EXPECTED, EXPECTED_PREVIOUS, HAIYOU, JIANTIAO, JIANZHONG, NOW, XINHU

pytestmark = pytest.mark.django_db

NOVEMBER = Period(MONTH, dt.date(2025, 11, 1))


def _rows(data, kind):
    group = next((g for g in data["groups"] if g["kind"] == kind), None)
    return {r["unit"]["code"]: r for r in group["rows"]} if group else {}


def _subset(counts, expected):
    return {k: counts.get(k) for k in expected}


def test_county_counts_match_the_hand_built_matters(users, built):
    data = query.evaluate(users.county_op, NOVEMBER, now=NOW)
    towns, depts = _rows(data, "area"), _rows(data, "department")
    assert data["scope"]["code"] == "331022" and data["complete"] is True
    assert len(towns) == 10 and all(len(code) == 9 for code in towns)  # the county's towns
    assert {"ZJ", "ZF", "GA"} <= set(depts)
    for code in (HAIYOU, JIANTIAO):
        assert _subset(towns[code]["counts"], EXPECTED[code]) == EXPECTED[code], code
    for code in ("ZJ", "ZF"):
        assert _subset(depts[code]["counts"], EXPECTED[code]) == EXPECTED[code], code
    assert _subset(towns[HAIYOU]["previous_counts"], EXPECTED_PREVIOUS[HAIYOU]) == EXPECTED_PREVIOUS[HAIYOU]
    # mediation: in 海游 one succeeded and one failed in November; 健跳's success was in October
    assert (towns[HAIYOU]["counts"]["mediation_concluded"], towns[HAIYOU]["counts"]["mediation_succeeded"]) == (2, 1)
    assert towns[JIANTIAO]["counts"]["mediation_concluded"] == 0
    # every other town: nothing
    quiet = [r for c, r in towns.items() if c not in (HAIYOU, JIANTIAO)]
    assert all(r["counts"]["intake"] == 0 and r["score"] is None and r["rank"] is None for r in quiet)


def test_indicators_scores_and_year_on_year(users, built):
    data = query.evaluate(users.county_op, NOVEMBER, now=NOW)
    h = _rows(data, "area")[HAIYOU]
    v = h["values"]
    assert v["intake"] == 9
    assert v["sign_on_time_rate"] == pytest.approx(3 / 4)  # the town's own sign-fors (M10: 住建局's)
    assert v["resolve_on_time_rate"] == pytest.approx(3 / 5)
    assert v["resolution_rate"] == pytest.approx(4 / 7)
    assert v["satisfaction_rate"] == pytest.approx(2 / 3)
    assert v["repeat_rate"] == pytest.approx(1 / 9)
    assert v["return_rate"] == pytest.approx(1 / 5)
    assert v["overdue"] == 4  # M2 signed late and resolved late, M3 ran out, M8 resolved late
    assert v["mediation_success_rate"] == pytest.approx(1 / 2)
    assert v["hazard_rectification_rate"] == 1.0
    assert v["key_person_visit_rate"] == v["inspection_rate"] == pytest.approx(1 / 2)
    # a year earlier: one matter, on time, satisfied
    assert h["previous_values"]["satisfaction_rate"] == 1.0
    assert h["change"]["satisfaction_rate"] == pytest.approx(-33.3)
    assert h["change"]["intake"] == 8
    # 健跳: everything on time and satisfied, nothing overdue → ranked first
    j = _rows(data, "area")[JIANTIAO]
    assert j["rank"] == 1 and h["rank"] == 2 and j["score"] > h["score"]
    # the weighted mean by hand (default weights; 健跳 has no repeat… figures: repeat 0/1 = 0 %)
    w = data["weights"]
    expected = (w["sign_on_time_rate"] * 75 + w["resolve_on_time_rate"] * 60 + w["resolution_rate"] * 400 / 7
                + w["satisfaction_rate"] * 200 / 3 + w["repeat_rate"] * (100 - 100 / 9) + w["return_rate"] * 80
                + w["overdue"] * 0 + w["mediation_success_rate"] * 50 + w["hazard_rectification_rate"] * 100
                + w["key_person_visit_rate"] * 50 + w["inspection_rate"] * 50) / sum(w.values())
    assert h["score"] == round(expected, 1)
    zj, zf = _rows(data, "department")["ZJ"], _rows(data, "department")["ZF"]
    assert zj["values"]["repeat_rate"] is None and zj["values"]["satisfaction_rate"] is None
    assert zf["values"]["return_rate"] == 1.0 and zf["values"]["intake"] == 0
    assert zj["rank"] == 1 and zf["rank"] == 2


def test_a_day(users, built):
    data = query.evaluate(users.county_op, Period(DAY, dt.date(2025, 11, 3)), now=NOW)
    h = _rows(data, "area")[HAIYOU]["counts"]
    # received on 3 November: M1, M2; signed: M1 on time, M2 late; resolved: M8 (late)
    assert (h["intake"], h["signed"], h["signed_on_time"], h["resolved"], h["resolved_on_time"]) == (2, 2, 1, 1, 0)
    assert h["overdue"] == 2  # M2's late sign-for, M8 resolved late
    assert data["previous"]["key"] == "2024-11-03"


def test_running_period_counts_only_what_has_happened(users, built):
    # read on 5 November: M3's limit (6 November) has not run out yet
    now = dt.datetime(2025, 11, 5, 12, 0, tzinfo=NOW.tzinfo)
    data = query.evaluate(users.county_op, NOVEMBER, now=now)
    assert data["complete"] is False
    late = query.evaluate(users.county_op, NOVEMBER, now=NOW)
    assert _rows(late, "area")[HAIYOU]["counts"]["overdue"] - _rows(data, "area")[HAIYOU]["counts"]["overdue"] >= 1


def test_leader_sees_what_the_county_sees(users, built):
    a = query.evaluate(users.county_op, NOVEMBER, now=NOW)
    b = query.evaluate(users.leader, NOVEMBER, now=NOW)
    assert _rows(a, "area") == _rows(b, "area")
    assert _rows(a, "department") == _rows(b, "department")


@pytest.mark.parametrize("who", ["town_haiyou", "leader_haiyou"])
def test_a_town_evaluates_only_its_villages(users, built, who):
    data = query.evaluate(getattr(users, who), NOVEMBER, now=NOW)
    assert data["scope"]["code"] == HAIYOU
    assert [g["kind"] for g in data["groups"]] == ["area"]  # no departments at town level
    villages = _rows(data, "area")
    assert villages and all(code.startswith(HAIYOU) and len(code) == 12 for code in villages)
    x = villages[XINHU]["counts"]
    assert (x["intake"], x["valid"], x["resolved"], x["overdue"]) == (9, 7, 5, 3)
    assert x["decisions"] == 0 and x["signed"] == 0  # the town's staff are no village's staff
    assert (x["mediation_concluded"], x["mediation_succeeded"]) == (2, 1)
    assert sum(r["counts"]["intake"] for r in villages.values()) == 9  # nothing of 健跳


def test_another_town_sees_nothing_of_haiyou(users, built):
    data = query.evaluate(users.town_jiantiao, NOVEMBER, now=NOW)
    villages = _rows(data, "area")
    assert all(code.startswith(JIANTIAO) for code in villages)
    assert villages[JIANZHONG]["counts"]["intake"] == 1
    assert sum(r["counts"]["intake"] for r in villages.values()) == 1


def test_only_visible_matters_are_counted(users, built):
    """The counts come through Event.objects.restrict(): a role that sees no matters counts none,
    whatever its area."""
    from fengqiao.accounts.models import User

    cadre = User.objects.get(username="cadre_xinhu")  # sees 心湖社区's matters
    data = query.evaluate(cadre, NOVEMBER, now=NOW)
    grids = _rows(data, "area")
    assert sum(r["counts"]["intake"] for r in grids.values()) == 0  # the matters have no grid
    auditor = User.objects.get(username="auditor")
    assert query.evaluate(auditor, NOVEMBER, now=NOW)["groups"] == []


def test_bounded_number_of_queries(users, built, django_assert_max_num_queries):
    user = users.county_op
    user.area  # noqa: B018  (loaded, as on a request)
    with django_assert_max_num_queries(14):  # the key persons and the check-points: one query per span each
        data = query.evaluate(user, NOVEMBER, now=NOW)
    assert len(_rows(data, "area")) == 10 and len(_rows(data, "department")) >= 10


def test_hazard_not_measurable_without_the_category(users, built):
    Category.objects.filter(code="hazard").update(code="hazard_renamed")
    data = query.evaluate(users.county_op, NOVEMBER, now=NOW)
    h = _rows(data, "area")[HAIYOU]
    assert data["hazard_measured"] is False
    assert h["counts"]["hazard"] is None and h["values"]["hazard_rectification_rate"] is None
    assert h["score"] is not None  # the other indicators still score


def test_weights_from_the_table(users, built):
    from fengqiao.evaluation import actions

    for code in query.weights(users.admin):
        actions.set_weight(code, 0, by=users.admin)
    actions.set_weight("satisfaction_rate", 1, by=users.admin)
    data = query.evaluate(users.county_op, NOVEMBER, now=NOW)
    h = _rows(data, "area")[HAIYOU]
    assert h["score"] == round(200 / 3, 1)  # satisfaction only
    assert _rows(data, "department")["ZJ"]["score"] is None  # ZJ: nobody visited yet


def _rounds_by_hand(rounds, units, until) -> dict[str, tuple[int, int]]:
    """The rule of ``query._round_counts`` read off every entry and its rounds in Python: the
    registry just before ``until`` (the end instant belongs to the next period)."""
    from django.apps import apps

    model, record = apps.get_model("grid", rounds.model), apps.get_model("grid", rounds.record)
    out = {u.path: [0, 0] for u in units}
    for entry in model.objects.all():
        if entry.registered_at >= until or (entry.removed_at is not None and entry.removed_at < until):
            continue
        unit = next((p for p in out if entry.area_path.startswith(p)), None)
        interval = dt.timedelta(days=getattr(entry, rounds.every))
        ats = [getattr(r, rounds.at) for r in record.objects.filter(**{rounds.link: entry})
               if getattr(r, rounds.at) < until]
        last = max(ats, default=None)
        if unit is None or not (entry.registered_at + interval < until or (last and last + interval < until)):
            continue
        out[unit][0] += 1
        out[unit][1] += bool(last and last >= until - interval)
    return {k: tuple(v) for k, v in out.items()}


@pytest.mark.parametrize("rounds", query.ROUNDS, ids=lambda r: r.model)
def test_round_counts_match_the_rule_on_random_registries(users, rounds):
    """Registries of random intervals, registrations, removals and rounds (some recorded late,
    some after the period): the database's counts, at the end of a past period and of a running
    one, are those of the rule applied entry by entry."""
    import random

    from fengqiao.core.personal import id_check_digit
    from fengqiao.events import sla
    from fengqiao.grid import actions, points

    rng = random.Random(7)
    start = dt.datetime(2025, 9, 1, 9, 0, tzinfo=NOW.tzinfo)
    for n in range(24):
        registered = start + dt.timedelta(days=rng.randrange(0, 80), hours=rng.randrange(0, 9))
        every = rng.choice([7, 14, 30])
        with sla.frozen_now(registered):
            if rounds is query.CHECK_POINT_ROUNDS:
                entry = points.register_point(by=users.cadre_xinhu, name=f"点{n}", kind="market", area=XINHU,
                                              inspect_every_days=every)
            else:
                first17 = f"33102219800101{n:03d}0"[:17]
                entry = actions.register_key_person(by=users.cadre_xinhu, name=f"人{n}", category="drug_user",
                                                    area=XINHU, id_number=first17 + id_check_digit(first17))
                entry.visit_every_days = every
                entry.save(update_fields=["visit_every_days"])
        for _ in range(rng.randrange(0, 4)):
            when = registered + dt.timedelta(days=rng.randrange(0, 25), hours=rng.randrange(0, 9))
            if when >= NOW:
                continue
            with sla.frozen_now(when + dt.timedelta(hours=rng.choice([0, 0, 30]))):  # some entered a day late
                if rounds is query.CHECK_POINT_ROUNDS:
                    points.record_inspection(entry, by=users.cadre_xinhu, inspected_at=when.isoformat())
                else:
                    actions.record_visit(entry, by=users.cadre_xinhu, visited_at=when)
            entry.refresh_from_db()
        if rng.random() < 0.2:
            with sla.frozen_now(registered + dt.timedelta(days=rng.randrange(1, 40))):
                remove = points.remove_point if rounds is query.CHECK_POINT_ROUNDS else actions.remove_key_person
                remove(entry, by=users.town_haiyou, reason="移出")
    units = query.units_for(users.county_op, users.county_op.area)
    due = done = 0
    for period in (NOVEMBER, Period(MONTH, dt.date(2025, 12, 1)), Period(DAY, dt.date(2025, 10, 20))):
        spans = query._Spans(period, NOW)  # December is running: it ends now
        counted = query._round_counts(users.county_op, users.county_op.area, units, spans, rounds)
        expected = _rounds_by_hand(rounds, units, spans.until)
        assert {p: (c[rounds.due], c[rounds.done]) for p, (c, _prev) in counted.items()} == expected, period
        due += sum(d for d, _ in expected.values())
        done += sum(d for _, d in expected.values())
    assert due > done > 0  # the registries hold entries of every kind: due and done, due and missed
