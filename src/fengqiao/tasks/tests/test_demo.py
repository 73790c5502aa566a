"""The demo's tasks and notices: every stage is shown, and a second load adds nothing."""

from __future__ import annotations

import pytest

from fengqiao.tasks.demo import load_demo_tasks
from fengqiao.tasks.filters import owing_count, progress
from fengqiao.tasks.models import Task

pytestmark = pytest.mark.django_db


def test_the_demo_shows_every_stage_once(users):
    assert load_demo_tasks() == 6
    assert load_demo_tasks() == 0
    states = set(Task.objects.values_list("kind", "state"))
    assert {("task", "published"), ("notice", "published"), ("task", "closed")} <= states
    tasks = {t.title: t for t in Task.objects.all()}
    counts = {title: c for title, c in zip(tasks, progress(users.county_op, [t.pk for t in tasks.values()]).values(),
                                           strict=True)}
    fire = counts["开展冬季消防安全隐患大排查"]
    assert (fire["done"], fire["reported"]) == (1, 1) and fire["total"] == tasks["开展冬季消防安全隐患大排查"].recipient_count
    assert fire["pending"] + fire["acknowledged"] == fire["total"] - 2
    assert tasks["开展冬季消防安全隐患大排查"].receipts.get(area__code="331022002").returned_count == 1
    files = tasks["开展冬季消防安全隐患大排查"].files.order_by("id")
    assert [(f.receipt.area.code if f.receipt_id else "", f.kind) for f in files] == [("", "document"),
                                                                                      ("331022001", "document")]
    assert counts["核查重点人员走访落实情况"]["overdue"] > 0
    assert counts["汛后地质灾害隐患点复查"]["done"] == 2
    # something waits for the demo's phone users and command rooms
    for who in ("grid_xinhu1", "cadre_jianzhong", "town_jiantiao", "town_hairun"):
        assert owing_count(getattr(users, who)) > 0, who
