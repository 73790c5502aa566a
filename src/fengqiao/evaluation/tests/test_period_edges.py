"""A period's edges: it runs from local midnight (Asia/Shanghai) to the next local midnight, that
instant excluded, whatever the server's time zone (docs/evaluation.md, *Periods*)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings

from fengqiao.evaluation import query
from fengqiao.evaluation.periods import MONTH, Period
from fengqiao.events import sla
from fengqiao.workcal.calendar import SHANGHAI

from .scenario import HAIYOU, XINHU, at

pytestmark = pytest.mark.django_db
NOV = Period(MONTH, dt.date(2025, 11, 1))
NOW = dt.datetime(2025, 12, 20, 9, 0, tzinfo=SHANGHAI)
#: midnight between November and December in the county: the first instant of December
DEC_1 = dt.datetime(2025, 12, 1, 0, 0, tzinfo=SHANGHAI)


def _counts(users, period=NOV, now=NOW) -> dict:
    data = query.evaluate(users.county_op, period, now=now)
    group = next(g for g in data["groups"] if g["kind"] == "area")
    return next(r for r in group["rows"] if r["unit"]["code"] == HAIYOU)["counts"]


def test_current_month_under_utc_server(client, users):
    client.force_login(users.county_op)
    # 1 December 00:30 in the county is still 30 November (16:30) in UTC
    with override_settings(TIME_ZONE="UTC"), sla.frozen_now(dt.datetime(2025, 12, 1, 0, 30, tzinfo=SHANGHAI)):
        month = client.get("/evaluation/", {"period": "2025-12"})
        day = client.get("/evaluation/", {"period": "2025-12-01"})
        default = client.get("/evaluation/")
    assert month.status_code == 200 and day.status_code == 200
    assert default.status_code == 200 and str(default.context["period"]) == "2025-12"
    assert default.context["today"] == dt.date(2025, 12, 1)


def test_key_person_visit_at_period_end_instant(users):
    from fengqiao.core.personal import id_check_digit
    from fengqiao.grid import actions as g

    first17 = "33102219800101009"
    with sla.frozen_now(at("10-01")):
        person = g.register_key_person(by=users.cadre_xinhu, name="重点9", category="community_correction",
                                       area=XINHU, id_number=first17 + id_check_digit(first17))
    with sla.frozen_now(DEC_1):
        g.record_visit(person, by=users.cadre_xinhu, visited_at=DEC_1)  # a December visit
    c = _counts(users)
    assert (c["key_persons_due"], c["key_persons_visited"]) == (1, 0)


def test_check_point_inspection_at_period_end_instant(users):
    from fengqiao.grid import points

    with sla.frozen_now(at("10-01")):
        point = points.register_point(by=users.cadre_xinhu, name="点位9", kind="market", area=XINHU,
                                      inspect_every_days=7)
    with sla.frozen_now(DEC_1):
        points.record_inspection(point, by=users.cadre_xinhu, inspected_at=DEC_1.isoformat())  # in December
    c = _counts(users)
    assert (c["points_due"], c["points_inspected"]) == (1, 0)
