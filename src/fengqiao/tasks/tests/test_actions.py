"""Top-down publishing's writes: who may publish to whom, each unit's acknowledge and report,
the publisher's answer, reminders, and what each user may read."""

from __future__ import annotations

import datetime as dt

import pytest

from fengqiao.areas.models import Area
from fengqiao.core.errors import Conflict, Forbidden, NotFound, UserError
from fengqiao.core.models import AuditRecord
from fengqiao.events.models import Notification
from fengqiao.events.sla import frozen_now, now
from fengqiao.tasks import actions
from fengqiao.tasks.models import Receipt, Task, TaskEntry

from .conftest import COUNTY, HAIYOU, JIANTIAO, JIANZHONG, XINHU, XINHU_GRID1

pytestmark = pytest.mark.django_db


def test_publish_reaches_each_unit_and_tells_its_people(publish, users):
    task = publish()
    assert task.number.startswith("FB") and task.number.endswith(f"{task.pk:05d}")
    assert sorted(task.receipts.values_list("area__code", flat=True)) == [HAIYOU, JIANTIAO]
    assert task.recipient_count == 2 and set(task.receipts.values_list("state", flat=True)) == {"pending"}
    told = set(Notification.objects.filter(kind="task_published").values_list("user__username", flat=True))
    assert told == {"town_haiyou", "town_jiantiao"}  # the towns' command rooms, not their leaders or cadres
    rec = AuditRecord.objects.get(action="task_publish", object_id=str(task.pk))
    assert rec.after["recipients"] == 2
    assert TaskEntry.objects.get(task=task).action == "published"


def test_a_level_sends_to_every_unit_of_that_level_below(publish, users):
    towns = Area.objects.filter(parent__code=COUNTY, level="town", is_active=True).count()
    assert publish(recipients=[], to_level="town").recipient_count == towns
    grids = Area.objects.filter(parent__code=XINHU, level="grid", is_active=True).count()
    task = publish(by=users.town_haiyou, recipients=[XINHU], to_level="grid")
    assert task.recipient_count == grids > 0
    assert all(code.startswith(XINHU) for code in task.receipts.values_list("area__code", flat=True))
    assert Notification.objects.filter(kind="task_published", user__username="grid_xinhu1").exists()


@pytest.mark.parametrize("bad", [
    {"recipients": [JIANZHONG]},  # another town's village, for 海游's command room
    {"recipients": [HAIYOU]},  # its own area, without a level below
    {"recipients": ["999"]},
    {"recipients": []},
    {"recipients": "331022001\x00"},
    {"recipients": [XINHU], "to_level": "county"},
    {"due_at": None},  # a task needs a deadline
    {"due_at": "2020-01-01"},
    {"due_at": "明天"},
    {"kind": "order"},
    {"title": "  "},
    {"title": "长" * 201},
])
def test_bad_input_is_refused_before_anything_is_written(publish, users, bad):
    values = {"recipients": [XINHU], **bad}
    before = (Task.objects.count(), Receipt.objects.count(), Notification.objects.count())
    with pytest.raises(UserError) as exc:
        publish(by=users.town_haiyou, **values)
    assert exc.value.status == 400 and exc.value.zh and exc.value.en
    assert (Task.objects.count(), Receipt.objects.count(), Notification.objects.count()) == before


def test_only_the_centres_publish(publish, users):
    for who in ("grid_xinhu1", "cadre_xinhu", "leader", "dept_zhifa"):
        with pytest.raises(Forbidden):
            publish(by=getattr(users, who))


def test_a_notice_may_go_without_a_deadline_and_is_only_acknowledged(publish, users, receipt_of):
    notice = publish(kind="notice", due_at="")
    r = receipt_of(notice, HAIYOU)
    with pytest.raises(Conflict) as exc:
        actions.act_on_receipt(r, "report", by=users.town_haiyou, text="已传达")
    assert exc.value.code == "notice_not_reported"
    r = actions.act_on_receipt(r, "acknowledge", by=users.town_haiyou)
    assert r.state == "acknowledged" and not r.owing
    with pytest.raises(Conflict) as exc:
        actions.act_on_receipt(r, "acknowledge", by=users.town_haiyou)
    assert exc.value.code == "transition_not_allowed"
    actions.act_on_receipt(receipt_of(notice, JIANTIAO), "acknowledge", by=users.town_jiantiao)
    with pytest.raises(Conflict) as exc:
        actions.act_on_task(notice, "remind", by=users.county_op)
    assert exc.value.code == "nothing_owing"  # a notice is settled once every unit acknowledged it


def test_acknowledge_report_accept_and_send_back(publish, users, receipt_of):
    task = publish()
    r = actions.act_on_receipt(receipt_of(task, HAIYOU), "acknowledge", by=users.town_haiyou)
    assert r.state == "acknowledged" and r.acknowledged_by_name == "张敏"
    with pytest.raises(UserError) as exc:
        actions.act_on_receipt(r, "report", by=users.town_haiyou, text=" ")
    assert exc.value.code == "text_required"
    r = actions.act_on_receipt(r, "report", by=users.town_haiyou, text="已排查 35 处,整改 12 处")
    assert r.state == "reported" and r.report.startswith("已排查")
    assert Notification.objects.filter(kind="task_reported", user__username="county_op").exists()
    r = actions.act_on_receipt(r, "return", by=users.county_op2, text="请附整改清单")
    assert (r.state, r.returned_count, r.return_reason) == ("acknowledged", 1, "请附整改清单")
    assert Notification.objects.filter(kind="task_returned", user__username="town_haiyou").exists()
    r = actions.act_on_receipt(r, "report", by=users.town_haiyou, text="清单见附件")
    r = actions.act_on_receipt(r, "accept", by=users.county_op)
    assert r.state == "done" and r.accepted_at is not None
    # a unit that never acknowledged may report straight away (it is acknowledged then too)
    other = actions.act_on_receipt(receipt_of(task, JIANTIAO), "report", by=users.town_jiantiao, text="已完成")
    assert other.acknowledged_at == other.reported_at
    kinds = list(TaskEntry.objects.filter(task=task).values_list("action", flat=True))
    assert kinds == ["published", "acknowledge", "report", "return", "report", "accept", "report"]


def test_only_the_unit_itself_answers_and_only_the_publisher_accepts(publish, users, receipt_of):
    task = publish(by=users.town_haiyou, recipients=[XINHU, XINHU_GRID1])
    village, grid = receipt_of(task, XINHU), receipt_of(task, XINHU_GRID1)
    with pytest.raises(Conflict) as exc:
        actions.act_on_receipt(village, "acknowledge", by=users.town_haiyou)  # the publisher is not the village
    assert exc.value.code == "not_in_charge"
    with pytest.raises(NotFound):
        actions.act_on_receipt(village, "acknowledge", by=users.grid_xinhu1)  # above the grid: not theirs to see
    with pytest.raises(NotFound):
        actions.act_on_receipt(village, "acknowledge", by=users.cadre_jianzhong)  # another town: does not exist
    actions.act_on_receipt(grid, "report", by=users.grid_xinhu1, text="已入户宣传")
    with pytest.raises(Conflict) as exc:
        actions.act_on_receipt(grid, "accept", by=users.cadre_xinhu)
    assert exc.value.code == "role_not_allowed"
    with pytest.raises(NotFound):
        actions.act_on_receipt(grid, "accept", by=users.town_jiantiao)
    assert actions.act_on_receipt(grid, "accept", by=users.county_op).state == "done"  # the county stands above


def test_withdraw_freezes_the_receipts(publish, users, receipt_of):
    task = publish()
    with pytest.raises(UserError):
        actions.act_on_task(task, "withdraw", by=users.county_op, text="")
    task = actions.act_on_task(task, "withdraw", by=users.county_op, text="内容有误,重新发布")
    assert task.state == "withdrawn" and task.close_note == "内容有误,重新发布"
    assert Notification.objects.filter(kind="task_withdrawn", user__username="town_jiantiao").exists()
    with pytest.raises(Conflict) as exc:
        actions.act_on_receipt(receipt_of(task, HAIYOU), "acknowledge", by=users.town_haiyou)
    assert exc.value.code == "task_not_published"
    with pytest.raises(Conflict):
        actions.act_on_task(task, "close", by=users.county_op)
    with pytest.raises(NotFound):  # another town's task does not exist for 海游
        actions.act_on_task(publish(by=users.town_jiantiao, recipients=[JIANZHONG]), "close", by=users.town_haiyou)


def test_the_publishing_side_alone_closes_and_reminds(publish, users):
    task = publish()
    with pytest.raises(Conflict) as exc:
        actions.act_on_task(task, "close", by=users.town_haiyou)  # a receiving town sees it, may not close it
    assert exc.value.code == "not_in_charge"
    with pytest.raises(Conflict):
        actions.act_on_task(task, "remind", by=users.leader)
    assert actions.act_on_task(task, "close", by=users.county_op, text="").state == "closed"


def test_remind_tells_the_units_that_still_owe_and_not_twice_in_a_row(publish, users, receipt_of):
    task = publish()
    actions.act_on_receipt(receipt_of(task, JIANTIAO), "report", by=users.town_jiantiao, text="已完成")
    at = now()
    with frozen_now(at):
        actions.act_on_task(task, "remind", by=users.county_op)
    told = set(Notification.objects.filter(kind="task_reminded").values_list("user__username", flat=True))
    assert told == {"town_haiyou"}
    assert receipt_of(task, HAIYOU).reminded_at == at and receipt_of(task, JIANTIAO).reminded_at is None
    with frozen_now(at + dt.timedelta(minutes=10)), pytest.raises(Conflict) as exc:
        actions.act_on_task(task, "remind", by=users.county_op2)
    assert exc.value.code == "reminded_recently"
    actions.act_on_receipt(receipt_of(task, HAIYOU), "report", by=users.town_haiyou, text="已完成")
    with frozen_now(at + dt.timedelta(hours=1)), pytest.raises(Conflict) as exc:
        actions.act_on_task(task, "remind", by=users.county_op)
    assert exc.value.code == "nothing_owing"


def test_each_unit_reads_its_own_receipt_and_the_publisher_all(publish, users, receipt_of):
    task = publish(recipients=[HAIYOU, JIANTIAO, XINHU])
    actions.act_on_receipt(receipt_of(task, JIANTIAO), "report", by=users.town_jiantiao, text="健跳镇的反馈")

    def seen(who):
        user = getattr(users, who)
        return (Task.objects.restrict(user).filter(pk=task.pk).exists(),
                sorted(Receipt.objects.restrict(user).filter(task=task).values_list("area__code", flat=True)),
                [e.text for e in TaskEntry.objects.restrict(user).filter(task=task) if e.text])

    assert seen("county_op") == (True, [HAIYOU, XINHU, JIANTIAO], ["健跳镇的反馈"])
    assert seen("leader") == seen("county_op")
    assert seen("town_haiyou") == (True, [HAIYOU, XINHU], [])  # not 健跳镇's receipt, nor its report
    assert seen("cadre_xinhu") == (True, [XINHU], [])
    assert seen("grid_xinhu1") == (False, [], [])
    assert seen("cadre_jianzhong") == (False, [], [])
    assert seen("town_jiantiao") == (True, [JIANTIAO], ["健跳镇的反馈"])
    for who in ("dept_zhifa", "mediator", "auditor", "admin"):
        assert seen(who) == (False, [], [])


def test_overdue_and_late(publish, users, receipt_of):
    start = now()
    task = publish(due_at=start + dt.timedelta(hours=2))
    r = receipt_of(task, HAIYOU)
    assert r.owing and not r.overdue(start)
    assert r.overdue(start + dt.timedelta(hours=3))
    with frozen_now(start + dt.timedelta(hours=3)):
        r = actions.act_on_receipt(r, "report", by=users.town_haiyou, text="迟报")
    r.task = task
    assert not r.overdue(start + dt.timedelta(hours=4)) and r.late()


def test_the_worker_reminds_before_the_deadline_and_tells_the_publisher_after_it(publish, users, receipt_of):
    start = now()
    task = publish(due_at=start + dt.timedelta(hours=30))
    actions.act_on_receipt(receipt_of(task, JIANTIAO), "report", by=users.town_jiantiao, text="已完成")
    assert actions.remind_due(start) == {"due_soon": 0, "overdue": 0}  # 30 hours ahead: not yet
    assert actions.remind_due(start + dt.timedelta(hours=8)) == {"due_soon": 1, "overdue": 0}
    assert actions.remind_due(start + dt.timedelta(hours=9)) == {"due_soon": 0, "overdue": 0}  # once
    soon = set(Notification.objects.filter(kind="task_due_soon").values_list("user__username", flat=True))
    assert soon == {"town_haiyou"}
    assert actions.remind_due(start + dt.timedelta(hours=31)) == {"due_soon": 0, "overdue": 1}
    assert actions.remind_due(start + dt.timedelta(hours=32)) == {"due_soon": 0, "overdue": 0}
    late = Notification.objects.filter(kind="task_overdue")
    assert {n.user.username for n in late} == {"county_op", "county_op2"}  # the publishing centre
    assert all("1 个单位" in n.body for n in late)
    assert TaskEntry.objects.filter(task=task, action="overdue").count() == 1


def test_a_level_that_is_not_text_is_refused_as_an_unknown_level(publish, users):
    with pytest.raises(UserError) as exc:
        publish(recipients=[], to_level=["town"])
    assert (exc.value.code, exc.value.field) == ("bad_level", "to_level")
