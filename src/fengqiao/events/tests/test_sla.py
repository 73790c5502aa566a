"""Time limits over the working calendar, pausing, extensions, and the sweep."""

from __future__ import annotations

import datetime as dt

import pytest

from fengqiao.events import actions, sla
from fengqiao.events.models import Event, Notification, SlaPolicy, TimelineEntry
from fengqiao.events.sweep import sweep
from fengqiao.workcal.calendar import SHANGHAI

from .conftest import HAIYOU, XINHU, area, new_event

pytestmark = pytest.mark.django_db


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def dispatched(users, when, **kw):
    with sla.frozen_now(when):
        ev = new_event(users.county_op, **kw)
        actions.accept_event(ev, by=users.county_op)
        actions.dispatch_event(ev, to_unit=area(HAIYOU), by=users.county_op)
    return ev


def test_due_times_across_the_2025_national_day(users):
    ev = dispatched(users, at(2025, 9, 30, 16, 30))
    # 5 working days: 9, 10, 11 (Saturday make-up day), 13, 14 October.
    assert ev.handle_due_at == at(2025, 10, 14, 17, 30)
    # 2 working hours: one hour on 30 September, one on 9 October.
    assert ev.sign_due_at == at(2025, 10, 9, 9, 30)
    assert ev.sla_due_at == ev.sign_due_at and ev.sla_color == "green"
    # 75 % of the 2 working hours is 1.5 hours → 9 October 09:00.
    assert ev.sign_warn_at == at(2025, 10, 9, 9, 0)


def test_three_working_days_policy(users):
    SlaPolicy.objects.create(name="三日", channel="hotline_12345", sign_amount=2, sign_unit="working_hours",
                             handle_amount=3, handle_unit="working_days")
    ev = dispatched(users, at(2025, 9, 30, 10, 0))
    assert ev.handle_due_at == at(2025, 10, 11, 17, 30)


def test_urgent_matters_run_on_natural_hours(users):
    ev = dispatched(users, at(2025, 10, 1, 8, 0), urgency="critical")
    assert ev.handle_due_at == at(2025, 10, 2, 8, 0)


def test_petitions_use_the_regulation_limits(users):
    ev = dispatched(users, at(2025, 3, 1, 9, 0), channel="petition")
    assert ev.handle_due_at == at(2025, 3, 1, 9, 0) + dt.timedelta(days=60)


def test_specific_policy_wins():
    from fengqiao.events.models import Category

    urban = Category.objects.get(code="urban.housing")
    limits = sla.limits_for("hotline_12345", urban, "normal")
    assert (limits.handle.amount, limits.handle.unit) == (15, "working_days")
    assert sla.limits_for("hotline_12345", urban, "critical").handle.unit == "natural_hours"
    assert sla.limits_for("petition", urban, "normal").handle.amount == 1440


def test_unknown_future_year_does_not_crash(users):
    ev = dispatched(users, at(2035, 6, 4, 9, 0))  # a Monday, calendar not entered
    assert ev.handle_due_at == at(2035, 6, 11, 17, 30)


def test_pause_while_waiting_for_the_citizen_adds_the_paused_time(users):
    ev = dispatched(users, at(2025, 11, 3, 9, 0))
    assert ev.handle_due_at == at(2025, 11, 10, 17, 30)
    with sla.frozen_now(at(2025, 11, 3, 10, 0)):
        actions.sign_event(ev, by=users.town_haiyou)
    with sla.frozen_now(at(2025, 11, 4, 9, 0)):
        actions.pause_event(ev, by=users.town_haiyou, reason="等待群众补充材料")
    ev.refresh_from_db()
    assert ev.is_paused and ev.sla_due_at is None
    with sla.frozen_now(at(2025, 11, 6, 9, 0)):
        actions.resume_event(ev, by=users.town_haiyou)
    ev.refresh_from_db()
    assert not ev.is_paused
    assert ev.handle_due_at == at(2025, 11, 12, 17, 30)  # two working days later
    assert ev.sla_due_at == ev.handle_due_at
    assert ev.paused_seconds == pytest.approx(2 * 7.5 * 3600)


def test_extension_pauses_then_extends(users):
    ev = dispatched(users, at(2025, 11, 3, 9, 0))
    with sla.frozen_now(at(2025, 11, 3, 10, 0)):
        actions.sign_event(ev, by=users.town_haiyou)
        actions.request_extension(ev, by=users.town_haiyou, days=3, reason="需协调住建部门")
    ev.refresh_from_db()
    assert ev.extension_pending and ev.is_paused
    with sla.frozen_now(at(2025, 11, 3, 11, 0)):
        actions.approve_extension(ev, by=users.county_op, approve=True)
    ev.refresh_from_db()
    assert not ev.extension_pending and not ev.is_paused
    # one working hour paused (10:00→11:00 on 3 Nov) moves the due time to 11 Nov 09:30;
    # three working days more end on 14 November at the close of office hours.
    assert ev.handle_due_at == at(2025, 11, 14, 17, 30)


def test_handler_cannot_approve_its_own_extension(users):
    from fengqiao.core.errors import Conflict

    ev = dispatched(users, at(2025, 11, 3, 9, 0))
    actions.sign_event(ev, by=users.town_haiyou)
    actions.request_extension(ev, by=users.town_haiyou, days=2, reason="x")
    with pytest.raises(Conflict):
        actions.approve_extension(ev, by=users.town_haiyou, approve=True)


def test_sweep_colours_escalates_and_is_idempotent(users, django_capture_on_commit_callbacks):
    a = dispatched(users, at(2025, 11, 3, 9, 0))  # sign due 3 Nov 11:00, warn 10:30
    b = dispatched(users, at(2025, 11, 3, 9, 0))
    with sla.frozen_now(at(2025, 11, 3, 9, 5)):
        actions.sign_event(b, by=users.town_haiyou)  # handling clock: due 10 Nov 17:30
    c = dispatched(users, at(2025, 11, 3, 9, 0))
    with sla.frozen_now(at(2025, 11, 3, 9, 5)):
        actions.sign_event(c, by=users.town_haiyou)
        actions.dispatch_event(c, to_unit=area(XINHU), by=users.town_haiyou)  # village: escalates to the town
    assert sweep(at(2025, 11, 3, 9, 10)) == {"yellow": 0, "red": 0, "escalated": 0}
    r = sweep(at(2025, 11, 3, 10, 40))
    assert r == {"yellow": 2, "red": 0, "escalated": 0}
    assert Event.objects.get(pk=a.pk).sla_color == "yellow"
    with django_capture_on_commit_callbacks(execute=True):
        r = sweep(at(2025, 11, 3, 11, 30))
    assert r == {"yellow": 0, "red": 2, "escalated": 2}
    assert sweep(at(2025, 11, 3, 11, 30)) == {"yellow": 0, "red": 0, "escalated": 0}
    a.refresh_from_db()
    c.refresh_from_db()
    assert a.sla_color == "red" and a.escalated and a.escalated_to.code == "331022"
    assert c.escalated_to.code == HAIYOU
    entry = TimelineEntry.objects.get(event=a, action="escalate", actor__isnull=True)
    assert (entry.at, entry.actor_name, entry.from_state, entry.to_state, entry.data) == (
        at(2025, 11, 3, 11, 30), "system", a.state, a.state, {"to": "331022", "auto": True})
    assert "超时自动上报" in entry.reason
    assert Notification.objects.filter(user=users.county_op, kind="event_overdue").exists()
    assert Notification.objects.filter(user=users.town_haiyou, kind="event_overdue").exists()
    # b: 75 % of 5 working days (plus 8.5 h) later it turns yellow, then red after the due time.
    assert sweep(at(2025, 11, 7, 15, 0)) == {"yellow": 1, "red": 0, "escalated": 0}
    assert sweep(at(2025, 11, 11, 9, 0)) == {"yellow": 0, "red": 1, "escalated": 1}
    assert sweep(at(2025, 11, 11, 9, 0)) == {"yellow": 0, "red": 0, "escalated": 0}


def test_paused_and_resolved_matters_are_not_swept(users):
    ev = dispatched(users, at(2025, 11, 3, 9, 0))
    with sla.frozen_now(at(2025, 11, 3, 9, 5)):
        actions.sign_event(ev, by=users.town_haiyou)
        actions.pause_event(ev, by=users.town_haiyou, reason="联系不上群众")
    assert sweep(at(2025, 12, 31, 9, 0))["red"] == 0
    with sla.frozen_now(at(2025, 11, 3, 9, 10)):
        actions.resolve_event(ev, by=users.town_haiyou, result="已办结")
    ev.refresh_from_db()
    assert ev.sla_due_at is None and not ev.handle_overdue
    assert sweep(at(2025, 12, 31, 9, 0))["red"] == 0


def test_a_pending_escalation_waits_while_the_clock_does_not_run(users):
    """Marked overdue but stopped before its escalation ran (a crash between the steps, or a
    second worker): the matter is escalated only if its clock still runs overdue."""
    from fengqiao.events.sweep import colour, escalate_pending

    ev = dispatched(users, at(2025, 11, 3, 9, 0))
    late = at(2025, 11, 3, 11, 30)
    assert colour(late) == (0, 1)
    Event.objects.filter(pk=ev.pk).update(sla_warn_at=None, sla_due_at=None)  # as a pause leaves it
    assert escalate_pending(late) == 0
    Event.objects.filter(pk=ev.pk).update(sla_due_at=at(2025, 11, 3, 11, 0))  # running again, overdue
    assert escalate_pending(late) == 1
    ev.refresh_from_db()
    assert ev.escalated and not ev.escalation_pending


def test_the_sweep_changes_no_indexed_column(users):
    """The sweep's updates must stay HOT on PostgreSQL: no index of the matter table, in the
    database or in the model (fields, expressions, partial conditions), names a column the
    sweep writes."""
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # the columns the sweep writes, read from the UPDATEs of a sweep that colours a matter
    # yellow and red and escalates it (not from a list kept by hand)
    ev = dispatched(users, at(2025, 11, 3, 9, 0))
    Event.objects.filter(pk=ev.pk).update(
        sla_warn_at=at(2025, 11, 3, 10, 0), sla_due_at=at(2025, 11, 3, 11, 0)
    )
    with CaptureQueriesContext(connection) as ctx:
        first = sweep(at(2025, 11, 3, 10, 30))
        second = sweep(at(2025, 11, 3, 11, 30))
    assert first["yellow"] == 1 and second["red"] == 1 and second["escalated"] == 1
    table = re.escape(connection.ops.quote_name(Event._meta.db_table))
    written = set()
    for q in ctx.captured_queries:
        m = re.match(rf"\s*UPDATE {table} SET (.*?) WHERE ", q["sql"], re.S)
        if m:
            written |= set(re.findall(r'"(\w+)" = ', m.group(1)))
    assert {"sla_color", "overdue_at", "escalated"} <= written, written
    with connection.cursor() as cur:
        found = connection.introspection.get_constraints(cur, Event._meta.db_table)
    indexes = {name: info for name, info in found.items() if info["index"] or info["unique"] or info["primary_key"]}
    assert len(indexes) > 5, "no indexes were read"
    for name, info in indexes.items():
        assert not written & set(info["columns"] or ()), name
    meta = Event._meta
    for index in [*meta.indexes, *meta.constraints]:
        named = set(getattr(index, "fields", ()) or ())
        condition = getattr(index, "condition", None)
        named |= {child[0].split("__")[0] for child in (condition.flatten() if condition else ())
                  if isinstance(child, tuple)}
        assert not {meta.get_field(f).column for f in named} & written, index.name


def test_sla_command(users, capsys):
    from django.core.management import call_command

    dispatched(users, at(2025, 11, 3, 9, 0))
    call_command("sla", "sweep")
    out = capsys.readouterr().out
    assert "yellow" in out and "red" in out and "escalated" in out
