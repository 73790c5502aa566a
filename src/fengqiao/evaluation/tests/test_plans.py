"""The evaluation reads a period's rows through indexes, not the whole county (SQLite's plans;
PostgreSQL chooses by its statistics, which a test database does not have)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from fengqiao.evaluation import query
from fengqiao.evaluation.periods import parse_period
from fengqiao.events.models import DECISION_ACTIONS, Event, TimelineEntry

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query plans"),
]

LO = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
HI = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def _plan(qs) -> str:
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(row[-1]) for row in cur.fetchall())


def test_the_matter_window_is_one_index_search_per_instant():
    """The window evaluate() builds (not one written here): an index search per instant it reads."""
    period = parse_period("2026-11", dt.date(2026, 12, 2))
    window = query._event_measures(query._Spans(period, HI + dt.timedelta(days=1)), None)[1]
    plan = _plan(Event.objects.filter(window).values("id"))
    for index in ("events_event_received_at", "event_resolved_at_idx", "event_sla_due_at_idx",
                  "events_event_sign_due_at", "events_event_handle_due_at"):
        assert index in plan, plan
    assert "SCAN events_event" not in plan.replace("SCAN events_event USING", ""), plan


def test_the_decisions_of_a_period_are_read_by_their_index():
    window = query._window([("at", LO, HI)], TimelineEntry.objects.filter(action__in=DECISION_ACTIONS))
    plan = _plan(TimelineEntry.objects.filter(window).values("id"))
    assert "timeline_action_at_idx" in plan, plan
