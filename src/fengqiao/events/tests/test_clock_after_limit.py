"""A clock paused after its limit ran out (ADR 0122): the missed limit stays where it was.

A pause, an extension request or a decision on it re-adds only the time that was left when the
clock stopped. Nothing was left once the limit had run out, so resuming, resolving or signing
later does not move the deadline, and an approved extension counts its days from the limit.
"""

from __future__ import annotations

import datetime as dt

import pytest

from fengqiao.events import actions, sla
from fengqiao.events.models import TimelineEntry
from fengqiao.workcal.calendar import SHANGHAI

from .conftest import HAIYOU, area, new_event

pytestmark = pytest.mark.django_db

#: 5 working days from Monday 3 November 2025 09:00 end on Monday 10 November at 17:30
DISPATCHED = dt.datetime(2025, 11, 3, 9, 0, tzinfo=SHANGHAI)
HANDLE_DUE = dt.datetime(2025, 11, 10, 17, 30, tzinfo=SHANGHAI)


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def dispatched(users, when=DISPATCHED):
    with sla.frozen_now(when):
        ev = new_event(users.county_op)
        actions.accept_event(ev, by=users.county_op)
        actions.dispatch_event(ev, to_unit=area(HAIYOU), by=users.county_op)
    ev.refresh_from_db()
    return ev


def signed(users):
    ev = dispatched(users)
    assert ev.handle_due_at == HANDLE_DUE
    with sla.frozen_now(at(2025, 11, 3, 10, 0)):
        actions.sign_event(ev, by=users.town_haiyou)
    ev.refresh_from_db()
    return ev


def run(ev, when, action, **kw):
    with sla.frozen_now(when):
        action(ev, **kw)
    ev.refresh_from_db()
    return ev


def test_resolve_while_paused_after_limit_ran_out_is_late(users):
    ev = signed(users)
    # the limit runs out; two days later the unit pauses "waiting for the citizen"
    run(ev, at(2025, 11, 12, 9, 0), actions.pause_event, by=users.town_haiyou, reason="等待群众补充材料")
    run(ev, at(2025, 11, 20, 9, 0), actions.resolve_event, by=users.town_haiyou, result="已处理")
    assert ev.handle_overdue
    assert ev.handle_due_at == HANDLE_DUE
    assert TimelineEntry.objects.get(event=ev, action="resolve").data["late"] is True


def test_resolve_with_late_extension_pending_is_late(users):
    ev = signed(users)
    run(ev, at(2025, 11, 14, 9, 0), actions.request_extension, by=users.town_haiyou, days=2, reason="需协调")
    assert ev.extension_pending and ev.is_paused
    run(ev, at(2025, 11, 14, 10, 0), actions.resolve_event, by=users.town_haiyou, result="已处理")
    assert ev.handle_overdue
    assert ev.handle_due_at == HANDLE_DUE


def test_late_extension_adds_days_to_the_limit(users):
    ev = signed(users)
    run(ev, at(2025, 11, 12, 9, 0), actions.request_extension, by=users.town_haiyou, days=2, reason="需协调")
    run(ev, at(2025, 11, 17, 9, 0), actions.approve_extension, by=users.county_op, approve=True)
    # the limit (10 Nov 17:30) + 2 working days, not the approval date + 2
    assert ev.handle_due_at == at(2025, 11, 12, 17, 30)
    assert ev.sla_due_at == ev.handle_due_at and ev.sla_color == "red"


def test_resume_after_limit_ran_out_is_red(users):
    ev = signed(users)
    run(ev, at(2025, 11, 12, 9, 0), actions.pause_event, by=users.town_haiyou, reason="等待群众补充材料")
    run(ev, at(2025, 11, 14, 9, 0), actions.resume_event, by=users.town_haiyou)
    assert ev.sla_color == "red"
    assert ev.handle_due_at == HANDLE_DUE, "resume moved a deadline that had already passed"
    assert ev.sla_due_at == HANDLE_DUE
    # the matter was paused for two working days all the same
    assert ev.paused_seconds == pytest.approx(2 * 7.5 * 3600)


def test_resume_after_sign_limit_ran_out_keeps_the_sign_due(users):
    ev = dispatched(users)
    sign_due = ev.sign_due_at
    assert sign_due == at(2025, 11, 3, 11, 0)
    run(ev, at(2025, 11, 3, 14, 0), actions.pause_event, by=users.town_haiyou, reason="联系不上群众")
    run(ev, at(2025, 11, 4, 9, 0), actions.resume_event, by=users.town_haiyou)
    assert ev.sign_due_at == sign_due and ev.sla_due_at == sign_due and ev.sla_color == "red"
    # the handling clock had time left at the pause: it moves on by the 4 paused working hours
    assert ev.handle_due_at == at(2025, 11, 11, 14, 0)


def test_sign_while_paused_before_sign_due_is_not_late(users):
    # sign-for clock: 2 working hours from 09:00 → 11:00; paused at 09:30 with 1.5 h left
    ev = dispatched(users)
    assert ev.sign_due_at == at(2025, 11, 3, 11, 0)
    run(ev, at(2025, 11, 3, 9, 30), actions.pause_event, by=users.town_haiyou, reason="联系不上群众")
    run(ev, at(2025, 11, 3, 15, 0), actions.sign_event, by=users.town_haiyou)
    assert not ev.sign_overdue
    assert TimelineEntry.objects.get(event=ev, action="sign").data["late"] is False
    # the sign-for deadline stands as the pause moved it: 1.5 working hours after signing
    assert ev.sign_due_at == at(2025, 11, 3, 16, 30) and ev.signed_at <= ev.sign_due_at
    assert ev.is_paused  # signing does not resume the handling clock

    # the same pause begun after the sign-for limit: late, and the limit is not moved
    late = dispatched(users)
    run(late, at(2025, 11, 3, 11, 30), actions.pause_event, by=users.town_haiyou, reason="联系不上群众")
    run(late, at(2025, 11, 3, 15, 0), actions.sign_event, by=users.town_haiyou)
    assert late.sign_overdue and late.sign_due_at == at(2025, 11, 3, 11, 0)
