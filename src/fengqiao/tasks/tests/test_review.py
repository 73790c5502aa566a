"""Defects a review of top-down publishing found, each kept as a test that failed before its fix:
two timeline lines that told a town another unit had not answered, the worker reporting a task
closed meanwhile, and an ISO basic date read as the start of the day. Tasks are published
through the app's own action."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from fengqiao.events.models import Notification
from fengqiao.events.sla import frozen_now, now
from fengqiao.tasks import actions
from fengqiao.tasks.models import Task, TaskEntry

from .conftest import HAIYOU

pytestmark = pytest.mark.django_db

URL = "/api/v1/tasks/"


def _entries_seen_by(api, user, task) -> list[str]:
    r = api(user).get(f"{URL}{task.pk}/")
    assert r.status_code == 200, r.content
    return [e["action"] for e in r.json()["entries"]]


# ---------------------------------------------------------------- 1. leaks across jurisdictions


def test_the_workers_overdue_entry_does_not_tell_a_town_that_answered_that_another_town_is_late(
        api, users, publish, receipt_of):
    """海游街道 reported before the deadline; only 健跳镇 still owes when it passes. The worker
    writes its ``overdue`` entry only when some unit still owes, as a task entry every receiving
    unit reads: 海游 learns from its own timeline (API and page) that another unit is late,
    though its progress says ``overdue 0`` and ``?overdue=true`` leaves the task out (ADR 0502:
    the timeline's task entries must not tell a town that another town is late)."""
    start = now()
    task = publish(due_at=start + dt.timedelta(hours=2))
    actions.act_on_receipt(receipt_of(task, HAIYOU), "report", by=users.town_haiyou, text="已完成")
    with frozen_now(start + dt.timedelta(hours=3)):
        assert actions.remind_due()["overdue"] == 1
        # the publishing side is told, and keeps the line in its timeline
        assert "overdue" in _entries_seen_by(api, users.county_op, task)
        body = api(users.town_haiyou).get(f"{URL}{task.pk}/").json()
        assert body["progress"]["overdue"] == 0
        assert "overdue" not in [e["action"] for e in body["entries"]]
        client = Client()
        client.force_login(users.town_haiyou)
        page = client.get(f"/tasks/{task.pk}/")
        assert "overdue" not in [t["action"] for t in page.context["timeline"]]


def test_a_reminder_does_not_tell_a_town_that_answered_that_another_town_still_owes(
        api, users, publish, receipt_of):
    """A reminder (催办) is refused when nobody owes (``nothing_owing``) and is sent only to the
    units that owe; its timeline entry, though, is a task entry every receiving unit reads. 海游
    reported, the county reminds: 海游's timeline now shows a 催办 it never received, which can
    only mean some other unit had not answered."""
    task = publish()
    actions.act_on_receipt(receipt_of(task, HAIYOU), "report", by=users.town_haiyou, text="已完成")
    actions.act_on_task(task, "remind", by=users.county_op)
    assert not Notification.objects.filter(kind="task_reminded", user__username="town_haiyou").exists()
    assert "remind" in _entries_seen_by(api, users.county_op, task)
    assert "remind" not in _entries_seen_by(api, users.town_haiyou, task)


# ---------------------------------------------------------------- 2. the worker against a close


def test_the_worker_does_not_report_a_task_closed_while_it_runs_as_overdue(users, publish, monkeypatch):
    """``remind_due`` reads the late published tasks first, then marks each in its own
    transaction with ``filter(pk=…, overdue_notified=False).update(...)``, without checking the
    state again: a task the publisher closes in between (another request, committed) still gets
    the worker's ``overdue`` entry after ``close`` and a "已到期" notice to its publisher."""
    start = now()
    task = publish(due_at=start + dt.timedelta(hours=2))
    real_atomic = transaction.atomic
    closed = []

    def close_first(*args, **kwargs):
        if not closed:  # the publisher's close commits between the worker's read and its write
            closed.append(True)
            monkeypatch.setattr(actions.transaction, "atomic", real_atomic)
            actions.act_on_task(Task.objects.get(pk=task.pk), "close", by=users.county_op)
        return real_atomic(*args, **kwargs)

    with frozen_now(start + dt.timedelta(hours=3)):
        monkeypatch.setattr(actions.transaction, "atomic", close_first)
        told = actions.remind_due()
    assert closed and Task.objects.get(pk=task.pk).state == "closed"
    assert told["overdue"] == 0
    assert not TaskEntry.objects.filter(task=task, action="overdue").exists()
    assert not Notification.objects.filter(kind="task_overdue").exists()


# ---------------------------------------------------------------- 3. input


def test_an_iso_basic_date_is_the_end_of_that_day_like_any_date(users):
    """docs/api.md: ``due_at`` "a date (``2026-12-31``: the end of that day, local time) or an
    ISO date-time". ``parse_due`` treats only a 10-character text as a date; the ISO 8601 basic
    date ``20261231`` goes to ``parse_datetime`` (Python 3.11's ``fromisoformat``) and becomes
    midnight at the *start* of the day: a deadline a day earlier than the one sent."""
    day = timezone.localdate(now()) + dt.timedelta(days=10)
    due = actions.parse_due(day.strftime("%Y%m%d"), now())
    assert timezone.localtime(due).date() == day
    assert timezone.localtime(due).time() == dt.time(23, 59, 59)
