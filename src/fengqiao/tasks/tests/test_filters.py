"""The reads both the console and the API share: a unit's inbox, progress counts, overdue."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import RequestFactory

from fengqiao.events.sla import frozen_now, now
from fengqiao.tasks import actions
from fengqiao.tasks.filters import TaskFilter, inbox, owing_count, progress
from fengqiao.tasks.models import Task

from .conftest import HAIYOU, JIANTIAO, XINHU

pytestmark = pytest.mark.django_db


def _filtered(user, **params):
    request = RequestFactory().get("/", params)
    request.user = user
    return sorted(TaskFilter(params, Task.objects.restrict(user), request=request).qs.values_list("pk", flat=True))


def test_the_inbox_holds_what_the_user_answers_for(publish, users, receipt_of):
    task = publish(recipients=[HAIYOU, XINHU])
    assert list(inbox(users.town_haiyou).values_list("area__code", flat=True)) == [HAIYOU]
    assert list(inbox(users.cadre_xinhu).values_list("area__code", flat=True)) == [XINHU]
    assert not inbox(users.leader_haiyou).exists() and not inbox(users.county_op).exists()
    assert owing_count(users.town_haiyou) == 1
    actions.act_on_receipt(receipt_of(task, HAIYOU), "acknowledge", by=users.town_haiyou)
    assert owing_count(users.town_haiyou) == 1  # a task still owes its report
    actions.act_on_receipt(receipt_of(task, HAIYOU), "report", by=users.town_haiyou, text="已完成")
    assert owing_count(users.town_haiyou) == 0
    actions.act_on_task(task, "withdraw", by=users.county_op, text="撤回")
    assert owing_count(users.cadre_xinhu) == 0  # a withdrawn task owes nothing


def test_progress_and_overdue(publish, users, receipt_of):
    start = now()
    task = publish(recipients=[HAIYOU, JIANTIAO, XINHU], due_at=start + dt.timedelta(hours=1))
    actions.act_on_receipt(receipt_of(task, HAIYOU), "report", by=users.town_haiyou, text="已完成")
    actions.act_on_receipt(receipt_of(task, JIANTIAO), "acknowledge", by=users.town_jiantiao)
    later = start + dt.timedelta(hours=2)
    assert progress(users.county_op, [task.pk], later)[task.pk] == {
        "total": 3, "pending": 1, "acknowledged": 1, "reported": 1, "done": 0, "overdue": 2}
    assert progress(users.county_op, [task.pk], start)[task.pk]["overdue"] == 0
    # a receiving town counts only what it may read: itself, and 心湖社区 below it
    assert progress(users.town_haiyou, [task.pk], later)[task.pk] == {
        "total": 2, "pending": 1, "acknowledged": 0, "reported": 1, "done": 0, "overdue": 1}
    other = publish(recipients=[JIANTIAO], due_at=start + dt.timedelta(days=5))
    with frozen_now(start + dt.timedelta(hours=2)):
        assert _filtered(users.county_op, overdue="true") == [task.pk]
        assert _filtered(users.county_op, overdue="false") == [other.pk]
    assert _filtered(users.town_haiyou, box="received") == [task.pk]
    assert _filtered(users.town_haiyou, box="published") == []
    assert _filtered(users.county_op, box="published") == [task.pk, other.pk]
    assert _filtered(users.county_op, q=task.number) == [task.pk]
