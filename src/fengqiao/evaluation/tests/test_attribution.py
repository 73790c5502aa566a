"""Who a figure counts for (sign-fors and returns by the unit that took them, internal dispatches
left out), the overdue count, local days, inactive units and restrict(): each test here fails on
the evaluation as it was before the review (docs/evaluation.md §Units and attribution)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fengqiao.areas.models import Area, Department
from fengqiao.evaluation import query
from fengqiao.evaluation.periods import DAY, MONTH, Period
from fengqiao.events.models import Event

from .scenario import HAIYOU, JIANTIAO, NOW, XINHU, Scenario, at

pytestmark = pytest.mark.django_db

NOVEMBER = Period(MONTH, dt.date(2025, 11, 1))


def _rows(data, kind):
    group = next((g for g in data["groups"] if g["kind"] == kind), None)
    return {r["unit"]["code"]: r for r in group["rows"]} if group else {}


def test_a_department_that_signs_late_and_returns_keeps_both(users):
    """The reviewer's probe: dispatched to 住建局, signed 2 h late, returned by 住建局."""
    s = Scenario(users)
    zj, zf = Department.objects.get(code="ZJ"), Department.objects.get(code="ZF")
    e = s.dispatched("Z1", at("11-10"), zj)
    s.step("Z1", "sign", users.dept_zhujian, e.sign_due_at + dt.timedelta(hours=2))
    s.step("Z1", "return", users.dept_zhujian, e.sign_due_at + dt.timedelta(hours=3), reason="不属于本局职责")
    # 综合执法局: signed on time and resolved on time
    e = s.dispatched("Z2", at("11-11"), zf)
    s.step("Z2", "sign", users.dept_zhifa, e.dispatched_at + dt.timedelta(minutes=5))
    s.step("Z2", "resolve", users.dept_zhifa, e.dispatched_at + dt.timedelta(hours=2), result="已处理。")
    depts = _rows(query.evaluate(users.county_op, NOVEMBER, now=NOW), "department")
    c = depts["ZJ"]["counts"]
    assert (c["signed"], c["signed_on_time"], c["signed_late"]) == (1, 0, 1)
    assert (c["decisions"], c["returns"]) == (1, 1)  # one matter, returned: 100 %, not 50 %
    assert depts["ZJ"]["values"]["return_rate"] == 1.0
    assert depts["ZJ"]["values"]["sign_on_time_rate"] == 0.0
    assert c["overdue"] == 1  # the late sign-for
    assert depts["ZF"]["rank"] == 1 and depts["ZJ"]["rank"] == 2


def test_a_village_returning_its_towns_matter_is_not_the_town_returning(users):
    s = Scenario(users)
    haiyou, xinhu = Area.objects.get(code=HAIYOU), Area.objects.get(code=XINHU)
    town, cadre = users.town_haiyou, users.cadre_xinhu
    # R1: the county dispatches to 海游; the town signs and dispatches on to 心湖, which returns it
    e = s.dispatched("R1", at("11-10"), haiyou)
    s.step("R1", "sign", town, e.dispatched_at + dt.timedelta(minutes=10))
    s.step("R1", "dispatch", town, e.dispatched_at + dt.timedelta(minutes=20), to_unit=xinhu)
    s.step("R1", "return", cadre, e.dispatched_at + dt.timedelta(minutes=30), reason="不属于本社区")
    # R2: the same, but 心湖 signs the town's dispatch
    e = s.dispatched("R2", at("11-11"), haiyou)
    s.step("R2", "sign", town, e.dispatched_at + dt.timedelta(minutes=10))
    s.step("R2", "dispatch", town, e.dispatched_at + dt.timedelta(minutes=20), to_unit=xinhu)
    s.step("R2", "sign", cadre, e.dispatched_at + dt.timedelta(minutes=30))
    # R3: the county dispatches straight to 心湖, which returns it: the county's matter came into
    # 海游's territory and was handed back from there
    s.dispatched("R3", at("11-12"), xinhu)
    s.step("R3", "return", cadre, at("11-12", "11:00"), reason="请县里另派")

    towns = _rows(query.evaluate(users.county_op, NOVEMBER, now=NOW), "area")
    h = towns[HAIYOU]["counts"]
    # the town's sign-fors of R1 and R2; 心湖's return of R3; 心湖's answers to the town are internal
    assert (h["signed"], h["decisions"], h["returns"]) == (2, 3, 1)
    villages = _rows(query.evaluate(users.town_haiyou, NOVEMBER, now=NOW), "area")
    x = villages[XINHU]["counts"]
    # for the town, 心湖 answered three dispatches: returned R1 and R3, signed R2
    assert (x["signed"], x["decisions"], x["returns"]) == (1, 3, 2)


def test_a_limit_that_ran_out_before_an_extension_request_stays_overdue(users):
    s = Scenario(users)
    jiantiao = Area.objects.get(code=JIANTIAO)
    e = s.dispatched("X1", at("11-10"), jiantiao, address="健跳镇健中居委会")
    e = s.step("X1", "sign", users.town_jiantiao, e.dispatched_at + dt.timedelta(minutes=10))
    # the handling limit runs out; a day later the town asks for an extension (the clock pauses)
    e = s.step("X1", "request_extension", users.town_jiantiao, e.handle_due_at + dt.timedelta(days=1), days=3,
               reason="需协调多个部门")
    assert e.sla_due_at is None and e.paused_at is not None
    # X2: paused before its limit ran out: not overdue
    e2 = s.dispatched("X2", at("11-10", "10:00"), jiantiao, address="健跳镇健中居委会")
    e2 = s.step("X2", "sign", users.town_jiantiao, e2.dispatched_at + dt.timedelta(minutes=10))
    s.step("X2", "request_extension", users.town_jiantiao, e2.dispatched_at + dt.timedelta(hours=1), days=3,
           reason="需协调多个部门")
    j = _rows(query.evaluate(users.county_op, NOVEMBER, now=NOW), "area")[JIANTIAO]
    assert j["counts"]["overdue_matters"] == 1 and j["counts"]["overdue"] == 1


def test_a_unit_whose_only_figure_is_overdue_is_ranked_not_dropped(users):
    """On a day, 健跳 only let a limit run out; 海游 resolved one matter late and signed for one
    on time. Before, 健跳 had no score and 海游 ranked first alone."""
    s = Scenario(users)
    haiyou, jiantiao = Area.objects.get(code=HAIYOU), Area.objects.get(code=JIANTIAO)
    e = s.dispatched("O1", at("11-03"), jiantiao, address="健跳镇健中居委会")
    s.step("O1", "sign", users.town_jiantiao, e.dispatched_at + dt.timedelta(minutes=10))
    e = Event.objects.get(pk=e.pk)
    day = timezone.localdate(e.handle_due_at, query.TZ)
    e = s.dispatched("O2", at("11-03", "10:00"), haiyou)
    s.step("O2", "sign", users.town_haiyou, e.dispatched_at + dt.timedelta(minutes=10))
    e = Event.objects.get(pk=e.pk)
    s.step("O2", "resolve", users.town_haiyou, max(e.handle_due_at, dt.datetime.combine(
        day, dt.time(20), tzinfo=query.TZ)) + dt.timedelta(minutes=1), result="已修复。")
    e = Event.objects.get(pk=e.pk)
    assert timezone.localdate(e.resolved_at, query.TZ) == day  # both on the same day
    e = s.dispatched("O3", dt.datetime.combine(day, dt.time(8), tzinfo=query.TZ), haiyou)
    s.step("O3", "sign", users.town_haiyou, e.dispatched_at + dt.timedelta(minutes=10))
    towns = _rows(query.evaluate(users.county_op, Period(DAY, day), now=NOW), "area")
    assert towns[JIANTIAO]["counts"]["overdue"] == 1 and towns[JIANTIAO]["counts"]["resolved"] == 0
    assert towns[JIANTIAO]["score"] == 0.0
    assert towns[HAIYOU]["rank"] == 1 and towns[JIANTIAO]["rank"] == 2


# ---------------------------------------------------------------- local days

EDGES = [("10-31", "23:30", False), ("11-01", "00:30", True), ("11-01", "23:30", True),
         ("11-15", "00:30", True), ("11-30", "23:30", True), ("12-01", "00:30", False)]


@pytest.mark.parametrize("zone", [None, "UTC"])
def test_periods_are_local_days_of_shanghai(users, zone):
    """Matters received at 00:30 and 23:30 local time on the first and last day of the month
    and next to it: a period bounded at UTC midnight, or in the server's current zone, fails."""
    s = Scenario(users)
    for i, (md, hm, _inside) in enumerate(EDGES):
        s.new(f"T{i}", at(md, hm), address="健跳镇健中居委会")
    expected = sum(1 for *_, inside in EDGES if inside)

    def intake(period):
        data = query.evaluate(users.county_op, period, now=NOW)
        return _rows(data, "area")[JIANTIAO]["counts"]["intake"]

    with timezone.override(zone) if zone else _nothing():
        assert intake(NOVEMBER) == expected
        assert intake(Period(DAY, dt.date(2025, 11, 1))) == 2  # 00:30 and 23:30
        assert intake(Period(DAY, dt.date(2025, 10, 31))) == 1
        assert intake(Period(DAY, dt.date(2025, 11, 30))) == 1
        assert intake(Period(DAY, dt.date(2025, 12, 1))) == 1


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_computed_at_is_local_time(users):
    night = dt.datetime(2025, 12, 2, 1, 30, tzinfo=query.TZ)  # 1 December 17:30 UTC
    data = query.evaluate(users.county_op, NOVEMBER, now=night)
    assert data["computed_at"] == "2025-12-02 01:30"


# ---------------------------------------------------------------- units and restrict()

def test_inactive_units_are_listed_only_with_figures(users):
    s = Scenario(users)
    zj = Department.objects.get(code="ZJ")
    e = s.dispatched("I1", at("11-10"), zj)
    s.step("I1", "sign", users.dept_zhujian, e.dispatched_at + dt.timedelta(minutes=10))
    Department.objects.filter(code__in=["ZJ", "ZF"]).update(is_active=False)
    quiet_town = Area.objects.filter(parent__code="331022", level="town").exclude(code__in=[HAIYOU, JIANTIAO]) \
        .order_by("code").first()
    Area.objects.filter(pk=quiet_town.pk).update(is_active=False)
    data = query.evaluate(users.county_op, NOVEMBER, now=NOW)
    depts, towns = _rows(data, "department"), _rows(data, "area")
    assert "ZJ" in depts and depts["ZJ"]["counts"]["signed"] == 1  # history stays
    assert "ZF" not in depts  # inactive and nothing in the period
    assert quiet_town.code not in towns and HAIYOU in towns  # an active town with nothing stays


def test_restrict_removes_matters_the_grouping_would_count(users):
    """A mediator of 海游 sees only the matters assigned to it, although its units are 海游's
    villages and several matters lie in 心湖: without restrict() 心湖 would count them all."""
    s = Scenario(users)
    xinhu = Area.objects.get(code=XINHU)
    s.dispatched("V1", at("11-10"), xinhu)
    s.dispatched("V2", at("11-10", "10:00"), xinhu)
    s.new("V3", at("11-10", "11:00"))
    s.step("V3", "accept", users.county_op, at("11-10", "11:30"))
    s.step("V3", "dispatch", users.county_op, at("11-10", "12:00"), to_unit=users.mediator)
    villages = _rows(query.evaluate(users.mediator, NOVEMBER, now=NOW), "area")
    assert villages[XINHU]["counts"]["intake"] == 1  # V3 only; V1 and V2 lie in 心湖 too
    all_visible = _rows(query.evaluate(users.town_haiyou, NOVEMBER, now=NOW), "area")
    assert all_visible[XINHU]["counts"]["intake"] == 3
