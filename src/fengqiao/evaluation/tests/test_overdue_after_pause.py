"""A matter resolved while its clock was paused after the limit had run out counts as overdue
(resolved late), not on time (ADR 0122)."""

from __future__ import annotations

import datetime as dt

import pytest

from fengqiao.areas.models import Area
from fengqiao.evaluation import query
from fengqiao.evaluation.periods import MONTH, Period

from .scenario import HAIYOU, Scenario, at

pytestmark = pytest.mark.django_db
NOV = Period(MONTH, dt.date(2025, 11, 1))


def _counts(users, now) -> dict:
    data = query.evaluate(users.county_op, NOV, now=now)
    group = next(g for g in data["groups"] if g["kind"] == "area")
    return next(r for r in group["rows"] if r["unit"]["code"] == HAIYOU)["counts"]


def test_resolve_while_paused_after_limit_counts_overdue(users):
    s = Scenario(users)
    e = s.dispatched("B", at("11-03"), Area.objects.get(code=HAIYOU))  # urgent: 48 hours
    s.step("B", "sign", users.town_haiyou, e.dispatched_at + dt.timedelta(minutes=5))
    assert _counts(users, at("11-25"))["overdue_matters"] == 1
    s.step("B", "pause", users.town_haiyou, at("11-20"), reason="等待群众")
    assert _counts(users, at("11-25"))["overdue_matters"] == 1
    s.step("B", "resolve", users.town_haiyou, at("11-26"), result="已处理")
    c = _counts(users, at("12-20"))
    assert (c["resolved"], c["resolved_on_time"], c["overdue_matters"]) == (1, 0, 1)
