"""Top-down publishing fixtures: tasks published through the app's own action."""

from __future__ import annotations

import datetime as dt

import pytest

COUNTY, HAIYOU, JIANTIAO, XINHU, JIANZHONG = "331022", "331022001", "331022105", "331022001001", "331022105001"
XINHU_GRID1 = "331022001001001"


@pytest.fixture
def publish(users):
    """``publish(by=None, **kw)``: a task from the county centre to 海游街道 and 健跳镇, due in
    three days; any argument of ``publish_task`` overrides."""
    from fengqiao.events.sla import now
    from fengqiao.tasks.actions import publish_task

    def make(*, by=None, **kw):
        values = {"kind": "task", "title": "开展冬季消防安全大排查", "body": "请各单位于周五前完成辖区排查并反馈。",
                  "recipients": [HAIYOU, JIANTIAO], "due_at": now() + dt.timedelta(days=3), **kw}
        return publish_task(by=by or users.county_op, **values)

    return make


@pytest.fixture
def receipt_of():
    def get(task, code):
        return task.receipts.select_related("task", "area").get(area__code=code)

    return get
