"""The console pages of top-down publishing (/tasks/) through Django's test client: each page four
ways (anonymous, wrong role, outside the jurisdiction, inside), the publish form and its refusals,
the loop through the pages (acknowledge, report, send back, accept, remind, close), what a
receiving town may not see, the list's boxes and filters, marks, navigation and query counts."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from fengqiao.areas.models import Area
from fengqiao.events.models import Notification
from fengqiao.events.sla import frozen_now, now
from fengqiao.tasks import actions
from fengqiao.tasks.models import Receipt, Task, TaskEntry

from .conftest import HAIYOU, JIANTIAO, JIANZHONG, XINHU, XINHU_GRID1

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
LIST = "/tasks/"
NEW = "/tasks/new/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
REPORT = "已排查 35 处,整改 12 处。"


def _html(resp) -> str:
    return resp.content.decode()


def _detail(task) -> str:
    return f"/tasks/{task.pk}/"


def _act(task, name) -> str:
    return f"/tasks/{task.pk}/act/{name}/"


def _receipt_act(receipt, name) -> str:
    return f"/tasks/{receipt.task_id}/receipts/{receipt.pk}/act/{name}/"


def _posts(task, receipt) -> dict[str, dict]:
    """Each write of a task's page with a valid body."""
    return {
        _act(task, "remind"): {}, _act(task, "close"): {"text": "结束"}, _act(task, "withdraw"): {"text": "撤回"},
        _receipt_act(receipt, "acknowledge"): {}, _receipt_act(receipt, "report"): {"text": REPORT},
    }


def _unchanged(task) -> bool:
    fresh = Task.objects.get(pk=task.pk)
    return (fresh.state == "published" and set(fresh.receipts.values_list("state", flat=True)) == {"pending"}
            and list(TaskEntry.objects.filter(task=task).values_list("action", flat=True)) == ["published"])


def _row(html: str, attr: str, pk) -> str:
    found = re.search(rf'<tr[^>]*data-{attr}="{pk}"[^>]*>(.*?)</tr>', html, re.S)
    assert found, html
    return found.group(0)


def _day(days: int = 3) -> str:
    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


def _form(**kw) -> dict:
    data = {"kind": "task", "title": "开展冬季消防安全大排查", "body": "请于周五前完成辖区排查并反馈。",
            "due_date": _day(), "due_time": "17:30", "recipients": [HAIYOU, JIANTIAO], "to_level": ""}
    data.update(kw)
    return data


# ---------------------------------------------------------------- four ways


def test_anonymous_is_sent_to_login(client, publish, receipt_of):
    task = publish()
    for url in (LIST, NEW, _detail(task)):
        resp = client.get(url)
        assert resp.status_code == 302 and resp["Location"].startswith(LOGIN), url
    resp = client.post(NEW, _form())
    assert resp.status_code == 302 and resp["Location"].startswith(LOGIN)
    for url, body in _posts(task, receipt_of(task, HAIYOU)).items():
        resp = client.post(url, body)
        assert resp.status_code == 302 and resp["Location"].startswith(LOGIN), url
    assert _unchanged(task) and Task.objects.count() == 1


@pytest.mark.parametrize("username", ["dept_zhifa", "mediator", "auditor", "admin"])
def test_roles_that_never_read_tasks_get_403(client, users, publish, receipt_of, username):
    task = publish()
    client.force_login(getattr(users, username))
    for url in (LIST, NEW, _detail(task), f"{LIST}?box=received"):
        assert client.get(url).status_code == 403, url
    assert client.post(NEW, _form()).status_code == 403
    for url, body in _posts(task, receipt_of(task, HAIYOU)).items():
        assert client.post(url, body).status_code == 403, url
    assert _unchanged(task) and Task.objects.count() == 1


@pytest.mark.parametrize("username", ["leader", "leader_haiyou", "cadre_xinhu", "grid_xinhu1"])
def test_roles_that_read_but_do_not_publish_get_403_on_the_form(client, users, username):
    client.force_login(getattr(users, username))
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, _form(recipients=[XINHU_GRID1])).status_code == 403
    assert not Task.objects.exists()
    resp = client.get(LIST)
    assert resp.status_code == 200 and 'id="publish-link"' not in _html(resp)


@pytest.mark.parametrize("username", ["town_jiantiao", "cadre_jianzhong", "grid_jianzhong1", "grid_xinhu1"])
def test_right_role_outside_the_jurisdiction_is_404(client, users, publish, receipt_of, username):
    # 海游街道 alone receives it: 健跳镇 and its units, and a grid below 海游, do not see it
    task = publish(recipients=[HAIYOU])
    client.force_login(getattr(users, username))
    resp = client.get(LIST, {"box": "all", "state": "all"})
    assert resp.status_code == 200 and f'data-task="{task.pk}"' not in _html(resp)
    assert client.get(_detail(task)).status_code == 404
    for url, body in _posts(task, receipt_of(task, HAIYOU)).items():
        assert client.post(url, body).status_code == 404, url
    assert _unchanged(task)


def test_ids_that_are_no_task_or_receipt_are_404(client, users, publish, receipt_of):
    task = publish()
    client.force_login(users.county_op)
    for url in ("/tasks/999999999/", "/tasks/99999999999999999999999/", "/tasks/abc/", "/tasks/1.5/"):
        assert client.get(url).status_code == 404, url
    assert client.post("/tasks/999999999/act/close/").status_code == 404
    assert client.post(f"/tasks/{task.pk}/receipts/999999999/act/accept/").status_code == 404
    assert client.post(f"/tasks/{task.pk}/receipts/99999999999999999999999/act/accept/").status_code == 404
    # a receipt of another task, through this task's address
    other = publish(recipients=[JIANTIAO])
    assert client.post(f"/tasks/{task.pk}/receipts/{receipt_of(other, JIANTIAO).pk}/act/accept/").status_code == 404
    assert client.post(_act(task, "launch")).status_code == 404
    assert client.post(_receipt_act(receipt_of(task, HAIYOU), "launch")).status_code == 404
    assert client.get(_act(task, "close")).status_code == 405
    assert client.put(NEW).status_code == 405 and client.delete(_detail(task)).status_code == 405
    assert _unchanged(task)


@pytest.mark.parametrize("username", ["county_op", "leader", "town_haiyou", "leader_haiyou"])
def test_right_role_inside_the_jurisdiction_is_200(client, users, publish, username):
    task = publish()
    client.force_login(getattr(users, username))
    resp = client.get(LIST, {"box": "all" if username.endswith("haiyou") else ""})
    assert resp.status_code == 200 and f'data-task="{task.pk}"' in _html(resp)
    resp = client.get(_detail(task))
    assert resp.status_code == 200 and task.title in _html(resp) and task.number in _html(resp)


@pytest.mark.parametrize("username", ["cadre_xinhu", "grid_xinhu1"])
def test_a_village_and_a_grid_read_what_reached_them(client, users, publish, username):
    task = publish(by=users.town_haiyou, recipients=[XINHU, XINHU_GRID1])
    client.force_login(getattr(users, username))
    resp = client.get(LIST)
    assert resp.status_code == 200 and resp.context["box"] == "received"
    assert f'data-task="{task.pk}"' in _html(resp)
    assert client.get(_detail(task)).status_code == 200


# ---------------------------------------------------------------- publishing


def test_the_county_centre_publishes_to_two_towns(client, users):
    client.force_login(users.county_op)
    resp = client.get(NEW)
    assert resp.status_code == 200
    towns = [a.code for a in resp.context["units"]]
    assert HAIYOU in towns and JIANTIAO in towns and all(len(c) == 9 for c in towns)
    assert [v for v, _label in resp.context["levels"]] == ["town", "village", "grid"]
    resp = client.post(NEW, _form())
    task = Task.objects.get()
    assert resp.status_code == 302 and resp["Location"] == _detail(task)
    assert sorted(task.receipts.values_list("area__code", flat=True)) == [HAIYOU, JIANTIAO]
    assert (task.kind, task.title, task.body, task.published_by) == (
        "task", "开展冬季消防安全大排查", "请于周五前完成辖区排查并反馈。", users.county_op)
    assert timezone.localtime(task.due_at).strftime("%Y-%m-%d %H:%M") == f"{_day()} 17:30"
    html = _html(client.get(resp["Location"]))
    assert "已发布到 2 个单位" in html or "Published to 2 units" in html


def test_a_date_alone_is_the_end_of_that_day_and_a_level_reaches_every_unit(client, users):
    client.force_login(users.town_haiyou)
    resp = client.get(NEW)
    villages = [a.code for a in resp.context["units"]]
    assert XINHU in villages and all(c.startswith(HAIYOU) and len(c) == 12 for c in villages)
    assert [v for v, _label in resp.context["levels"]] == ["village", "grid"]
    resp = client.post(NEW, _form(due_time="", recipients=[XINHU], to_level="grid"))
    assert resp.status_code == 302
    task = Task.objects.get()
    assert timezone.localtime(task.due_at).strftime("%Y-%m-%d %H:%M:%S") == f"{_day()} 23:59:59"
    grids = Area.objects.filter(parent__code=XINHU, level="grid", is_active=True).count()
    assert task.recipient_count == grids > 1
    # a notice to every village of the town, without a deadline
    resp = client.post(NEW, _form(kind="notice", title="转发防汛通知", due_date="", due_time="", recipients=[],
                                  to_level="village"))
    assert resp.status_code == 302
    notice = Task.objects.get(kind="notice")
    assert notice.due_at is None and notice.recipient_count == len(villages)


@pytest.mark.parametrize(("changes", "status", "zh"), [
    ({"title": "  "}, 400, "请填写标题"),
    ({"due_date": "", "due_time": ""}, 400, "任务须设截止时间"),
    ({"due_date": "2020-01-01"}, 400, "截止时间应晚于现在"),
    ({"due_date": "2026-13-45"}, 400, "截止时间格式不正确"),
    ({"due_time": "25:00"}, 400, "截止时间格式不正确"),
    ({"due_date": "", "due_time": "17:00"}, 400, "截止时间格式不正确"),
    ({"recipients": []}, 400, "请选择接收单位"),
    ({"recipients": [JIANZHONG]}, 400, "不在您的管辖范围内"),
    ({"to_level": "county"}, 400, "接收层级应为"),
    ({"kind": "order"}, 400, "类型无效"),
    ({"title": "长" * 201}, 400, "标题不能超过"),
])
def test_a_refused_publication_keeps_what_was_typed_and_writes_nothing(client, users, changes, status, zh):
    client.force_login(users.town_haiyou)
    data = _form(recipients=[XINHU], **{k: v for k, v in changes.items() if k != "recipients"})
    if "recipients" in changes:
        data["recipients"] = changes["recipients"]
    before = (Task.objects.count(), Receipt.objects.count(), Notification.objects.count())
    resp = client.post(NEW, data)
    assert resp.status_code == status
    html = _html(resp)
    assert zh in re.search(r'<div class="error" role="alert" id="form-error"[^>]*>([^<]*)<', html).group(1)
    assert (Task.objects.count(), Receipt.objects.count(), Notification.objects.count()) == before
    if "title" not in changes:
        assert 'value="开展冬季消防安全大排查"' in html
    assert "请于周五前完成辖区排查并反馈。</textarea>" in html
    if data["recipients"] == [XINHU]:
        assert re.search(rf'name="recipients" value="{XINHU}" checked', html)


def test_a_nul_in_the_form_is_refused_before_the_page_reads_it(client, users):
    """A NUL in any box (a crafted request; no keyboard types it) is refused by the console's one
    check (``core.middleware.RefuseNulMiddleware``); the action refuses it too, for the API."""
    client.force_login(users.town_haiyou)
    resp = client.post(NEW, _form(recipients=["331022001\x00"]))
    assert resp.status_code == 400 and "NUL" in _html(resp)
    assert not Task.objects.exists()


def test_english_pages_show_the_english_message(client, users):
    client.force_login(users.county_op)
    resp = client.post(NEW, _form(recipients=[]), **EN)
    assert resp.status_code == 400 and "choose at least one receiving unit" in _html(resp)
    assert not Task.objects.exists()


def test_the_form_is_protected_by_csrf(users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users.county_op)
    assert client.post(NEW, _form()).status_code == 403
    assert not Task.objects.exists()


# ---------------------------------------------------------------- the loop through the pages


def _post(client, url, text=None, **extra):
    data = {} if text is None else {"text": text}
    data.update(extra)
    return client.post(url, data)


def test_acknowledge_report_send_back_accept_through_the_pages(client, users, publish, receipt_of):
    task = publish()
    haiyou = receipt_of(task, HAIYOU)
    # the town sees its own receipt at the top with its forms
    client.force_login(users.town_haiyou)
    resp = client.get(_detail(task))
    assert resp.context["own"]["receipt"].pk == haiyou.pk
    assert [f["name"] for f in resp.context["own"]["forms"]] == ["acknowledge", "report"]
    assert resp.context["task_forms"] == []  # a receiving town neither reminds, closes nor withdraws
    html = _html(resp)
    assert f'action="{_receipt_act(haiyou, "acknowledge")}"' in html and 'id="my-receipt"' in html
    assert "/act/accept/" not in html

    resp = _post(client, _receipt_act(haiyou, "acknowledge"))
    assert resp.status_code == 302 and resp["Location"] == _detail(task)
    haiyou.refresh_from_db()
    assert haiyou.state == "acknowledged" and haiyou.acknowledged_by_name == "张敏"
    # a report without text: 400, the form unfolded with the message
    resp = _post(client, _receipt_act(haiyou, "report"), "  ")
    assert resp.status_code == 400 and "请填写完成情况" in _html(resp)
    assert receipt_of(task, HAIYOU).state == "acknowledged"
    resp = _post(client, _receipt_act(haiyou, "report"), REPORT)
    assert resp.status_code == 302
    resp = client.get(_detail(task))
    assert resp.context["own"]["receipt"].state == "reported" and resp.context["own"]["forms"] == []
    assert f'<dd class="content" id="my-report">{REPORT}</dd>' in _html(resp)

    # the county centre sends it back with a reason
    client.force_login(users.county_op)
    resp = client.get(_detail(task))
    row = next(r for r in resp.context["rows"] if r["receipt"].pk == haiyou.pk)
    assert [f["name"] for f in row["forms"]] == ["accept", "return"]
    assert [f["name"] for f in resp.context["task_forms"]] == ["remind", "close", "withdraw"]
    resp = _post(client, _receipt_act(haiyou, "return"), "")
    assert resp.status_code == 400 and "请填写退回理由" in _html(resp)
    resp = _post(client, _receipt_act(haiyou, "return"), "请附整改清单")
    assert resp.status_code == 302
    haiyou.refresh_from_db()
    assert (haiyou.state, haiyou.returned_count, haiyou.return_reason) == ("acknowledged", 1, "请附整改清单")

    # the town sees why, and reports again
    client.force_login(users.town_haiyou)
    html = _html(client.get(_detail(task)))
    assert 'id="my-returned"' in html and "请附整改清单" in html
    assert _post(client, _receipt_act(haiyou, "report"), "清单已补充").status_code == 302

    client.force_login(users.county_op)
    assert _post(client, _receipt_act(haiyou, "accept")).status_code == 302
    haiyou.refresh_from_db()
    assert haiyou.state == "done" and haiyou.accepted_at is not None
    resp = client.get(_detail(task))
    assert resp.context["counts"]["done"] == 1 and resp.context["counts"]["total"] == 2
    assert resp.context["progress"][0] in ("已完成 1/2", "Completed 1/2")
    actions_seen = [t["action"] for t in resp.context["timeline"]]
    assert actions_seen == ["published", "acknowledge", "report", "return", "report", "accept"]

    # remind the unit that still owes, not twice in a row; then close
    resp = _post(client, _act(task, "remind"))
    assert resp.status_code == 302
    assert set(Notification.objects.filter(kind="task_reminded").values_list("user__username", flat=True)) == {
        "town_jiantiao"}
    resp = _post(client, _act(task, "remind"))
    assert resp.status_code == 409 and "已催办过" in _html(resp)
    resp = _post(client, _act(task, "close"), "排查基本完成")
    assert resp.status_code == 302
    task.refresh_from_db()
    assert task.state == "closed" and task.close_note == "排查基本完成"
    resp = client.get(_detail(task))
    assert resp.context["task_forms"] == [] and all(not r["forms"] for r in resp.context["rows"])
    assert 'data-state="closed"' in _html(resp)

    # the other town is too late: its form is gone, and a post is refused with the reason
    client.force_login(users.town_jiantiao)
    resp = client.get(_detail(task))
    assert resp.context["own"]["forms"] == []
    resp = _post(client, _receipt_act(receipt_of(task, JIANTIAO), "acknowledge"))
    assert resp.status_code == 409 and "该任务已结束,不能再办理" in _html(resp)
    assert receipt_of(task, JIANTIAO).state == "pending"


def test_withdraw_needs_a_reason_and_freezes_the_receipts(client, users, publish, receipt_of):
    task = publish()
    client.force_login(users.county_op)
    resp = _post(client, _act(task, "withdraw"), " ")
    assert resp.status_code == 400
    html = _html(resp)
    assert "请填写撤回理由" in html and re.search(r'<details class="action" open data-action="withdraw">', html)
    assert Task.objects.get(pk=task.pk).state == "published"
    assert _post(client, _act(task, "withdraw"), "内容有误,重新发布").status_code == 302
    task.refresh_from_db()
    assert task.state == "withdrawn"
    html = _html(client.get(_detail(task)))
    assert "内容有误,重新发布" in html and 'data-state="withdrawn"' in html


def test_actions_the_role_or_state_do_not_allow_are_409_not_500(client, users, publish, receipt_of):
    task = publish()
    haiyou = receipt_of(task, HAIYOU)
    client.force_login(users.leader)  # reads everything, acts on nothing
    resp = client.get(_detail(task))
    assert resp.context["task_forms"] == [] and all(not r["forms"] for r in resp.context["rows"])
    resp = _post(client, _act(task, "close"), "")
    assert resp.status_code == 409 and "您的角色不能执行" in _html(resp)
    client.force_login(users.town_haiyou)
    resp = _post(client, _act(task, "close"), "")
    assert resp.status_code == 409 and "只有发布单位" in _html(resp)
    resp = _post(client, _receipt_act(haiyou, "accept"))
    assert resp.status_code == 409
    assert _post(client, _receipt_act(haiyou, "acknowledge")).status_code == 302
    resp = _post(client, _receipt_act(haiyou, "acknowledge"))  # a second click after the page moved on
    assert resp.status_code == 409 and "不能签收" in _html(resp)
    assert 'id="action-error"' in _html(resp)  # its form went away: said above the page
    client.force_login(users.county_op)
    resp = _post(client, _receipt_act(receipt_of(task, JIANTIAO), "acknowledge"))
    assert resp.status_code == 409 and "您的角色不能执行「签收」" in _html(resp)
    client.force_login(users.town_haiyou)
    resp = _post(client, _receipt_act(haiyou, "report"), "字" * 2001)
    assert resp.status_code == 400 and "完成情况不能超过 2000 字" in _html(resp)
    assert receipt_of(task, JIANTIAO).state == "pending" and receipt_of(task, HAIYOU).state == "acknowledged"


def test_the_receipts_filters_come_back_after_an_action(client, users, publish, receipt_of):
    task = publish(recipients=[HAIYOU, JIANTIAO])
    actions.act_on_receipt(receipt_of(task, HAIYOU), "report", by=users.town_haiyou, text=REPORT)
    client.force_login(users.county_op)
    resp = client.get(_detail(task), {"state": "reported"})
    assert [r["receipt"].area.code for r in resp.context["rows"]] == [HAIYOU]
    assert 'name="back" value="state=reported"' in _html(resp)
    resp = client.post(_receipt_act(receipt_of(task, HAIYOU), "accept"), {"back": "state=reported"})
    assert resp.status_code == 302 and resp["Location"] == f"{_detail(task)}?state=reported"
    resp = client.get(_detail(task), {"state": "sleeping"})
    assert resp.status_code == 200 and resp.context["receipt_errors"] and not resp.context["rows"]
    resp = client.get(_detail(task), {"overdue": "maybe"})
    assert resp.status_code == 200 and resp.context["receipt_errors"]


# ---------------------------------------------------------------- what a receiving town may not see


def test_a_receiving_town_sees_neither_another_towns_receipt_nor_its_report(client, users, publish, receipt_of):
    task = publish(recipients=[HAIYOU, JIANTIAO, XINHU])
    jiantiao = receipt_of(task, JIANTIAO)
    actions.act_on_receipt(jiantiao, "report", by=users.town_jiantiao, text="健跳镇的反馈:已排查 20 处")
    actions.act_on_receipt(receipt_of(task, HAIYOU), "acknowledge", by=users.town_haiyou)
    client.force_login(users.town_haiyou)
    resp = client.get(_detail(task))
    html = _html(resp)
    assert sorted(r["receipt"].area.code for r in resp.context["rows"]) == [HAIYOU, XINHU]
    assert "健跳镇的反馈" not in html and "健跳镇" not in html and f'data-receipt="{jiantiao.pk}"' not in html
    assert [t["action"] for t in resp.context["timeline"]] == ["published", "acknowledge"]
    # progress counted over its own units: nothing reported among them
    assert resp.context["counts"]["total"] == 2 and resp.context["counts"]["reported"] == 0
    resp = client.get(LIST, {"box": "received"})
    row = _row(_html(resp), "task", task.pk)
    assert "1/3" not in row and ("0/2" in row)
    assert client.get(_detail(task), {"state": "reported"}).context["rows"] == []
    for name in ("accept", "return", "acknowledge", "report"):
        assert _post(client, _receipt_act(jiantiao, name), "看看").status_code == 404, name
    assert receipt_of(task, JIANTIAO).state == "reported"
    # the publisher sees all three, and the report
    client.force_login(users.county_op)
    resp = client.get(_detail(task))
    assert len(resp.context["rows"]) == 3 and "健跳镇的反馈" in _html(resp)
    assert resp.context["counts"]["total"] == 3


# ---------------------------------------------------------------- the list


def test_each_role_starts_in_its_box_and_sees_its_tabs(client, users):
    expected = {
        "county_op": ("published", ["published"]),
        "leader": ("published", ["published"]),
        "town_haiyou": ("received", ["received", "published", "all"]),
        "leader_haiyou": ("published", ["published", "all"]),
        "cadre_xinhu": ("received", ["received", "all"]),
        "grid_xinhu1": ("received", ["received"]),
    }
    for username, (default, tabs) in expected.items():
        client.force_login(getattr(users, username))
        resp = client.get(LIST)
        assert resp.status_code == 200
        assert (resp.context["box"], [b for b, _label in resp.context["boxes"]]) == (default, tabs), username


def test_boxes_and_filters(client, users, publish, receipt_of):
    to_haiyou = publish(recipients=[HAIYOU])
    to_xinhu = publish(recipients=[XINHU], title="心湖社区入户宣传")
    from_haiyou = publish(by=users.town_haiyou, recipients=[XINHU], title="海游街道防汛检查")
    notice = publish(kind="notice", due_at="", recipients=[HAIYOU, JIANTIAO], title="关于做好节前安全工作的通知")
    closed = publish(recipients=[HAIYOU], title="已结束的任务")
    actions.act_on_task(closed, "close", by=users.county_op)
    elsewhere = publish(by=users.town_jiantiao, recipients=[JIANZHONG], title="健跳镇内部任务")

    def shown(user, **params):
        client.force_login(user)
        resp = client.get(LIST, params)
        assert resp.status_code == 200
        return {r["task"].pk for r in resp.context["rows"]}

    town = users.town_haiyou
    assert shown(town) == {to_haiyou.pk, notice.pk}  # received, in progress
    assert shown(town, box="published") == {from_haiyou.pk}
    assert shown(town, box="all") == {to_haiyou.pk, to_xinhu.pk, from_haiyou.pk, notice.pk}
    assert shown(town, box="all", state="all") == {to_haiyou.pk, to_xinhu.pk, from_haiyou.pk, notice.pk, closed.pk}
    assert shown(town, box="received", state="closed") == {closed.pk}
    assert shown(town, box="all", kind="notice") == {notice.pk}
    assert shown(town, box="all", q="防汛") == {from_haiyou.pk}
    assert shown(town, box="all", q=to_xinhu.number) == {to_xinhu.pk}
    county = users.county_op
    assert shown(county) == {to_haiyou.pk, to_xinhu.pk, from_haiyou.pk, notice.pk, elsewhere.pk}
    assert shown(users.cadre_xinhu) == {to_xinhu.pk, from_haiyou.pk}
    # values the filters do not know: said, and nothing listed
    for bad in ({"box": "outbox"}, {"state": "sleeping"}, {"kind": "order"}, {"overdue": "maybe"},
                {"q": "长" * 101}, {"q": "消防\x00"}):
        client.force_login(town)
        resp = client.get(LIST, bad)
        assert resp.status_code == 200 and resp.context["errors"] and not resp.context["rows"], bad


def test_overdue_red_and_due_soon_yellow(client, users, publish, receipt_of):
    start = now()
    soon = publish(recipients=[HAIYOU, JIANTIAO], due_at=start + dt.timedelta(hours=5), title="五小时后截止")
    later = publish(recipients=[HAIYOU], due_at=start + dt.timedelta(days=5), title="五天后截止")
    actions.act_on_receipt(receipt_of(soon, JIANTIAO), "report", by=users.town_jiantiao, text="已完成")
    client.force_login(users.county_op)
    marks = {r["task"].pk: r["mark"] for r in client.get(LIST).context["rows"]}
    assert marks == {soon.pk: "yellow", later.pk: ""}
    with frozen_now(start + dt.timedelta(hours=6)):
        resp = client.get(LIST)
        marks = {r["task"].pk: r["mark"] for r in resp.context["rows"]}
        assert marks == {soon.pk: "red", later.pk: ""}
        assert 'class="due-red"' in _row(_html(resp), "task", soon.pk)
        assert "逾期 1" in _row(_html(resp), "task", soon.pk) or "1 overdue" in _row(_html(resp), "task", soon.pk)
        assert {r["task"].pk for r in client.get(LIST, {"overdue": "true"}).context["rows"]} == {soon.pk}
        resp = client.get(_detail(soon))
        assert resp.context["mark"] == "red" and resp.context["counts"]["overdue"] == 1
        marks = {r["receipt"].area.code: (r["mark"], r["overdue"]) for r in resp.context["rows"]}
        assert marks == {HAIYOU: ("red", True), JIANTIAO: ("", False)}
        # 健跳镇 reported before the deadline; 海游街道 reports late
        actions.act_on_receipt(receipt_of(soon, HAIYOU), "report", by=users.town_haiyou, text="迟报")
        client.force_login(users.town_haiyou)
        resp = client.get(LIST)
        assert {r["task"].pk: r["mark"] for r in resp.context["rows"]} == {soon.pk: "", later.pk: ""}
        resp = client.get(_detail(soon))
        assert resp.context["own"]["late"] and resp.context["mark"] == ""


def test_a_withdrawn_task_marks_nothing_overdue(client, users, publish):
    start = now()
    task = publish(recipients=[HAIYOU, JIANTIAO], due_at=start + dt.timedelta(hours=2))
    actions.act_on_task(task, "withdraw", by=users.county_op, text="内容有误")
    client.force_login(users.county_op)
    with frozen_now(start + dt.timedelta(hours=3)):
        resp = client.get(_detail(task))
        assert resp.context["mark"] == "" and resp.context["counts"]["overdue"] == 0
        assert all(r["mark"] == "" and not r["overdue"] for r in resp.context["rows"])
        assert "tag red" not in re.search(r'<section class="card" id="receipts">.*?</section>', _html(resp), re.S)[0]
        assert [r["mark"] for r in client.get(LIST, {"state": "all"}).context["rows"]] == [""]


def test_the_list_is_paginated_with_its_filters(client, users, publish):
    for i in range(33):
        publish(title=f"第{i}号任务", recipients=[HAIYOU])
    publish(kind="notice", due_at="", recipients=[HAIYOU])
    client.force_login(users.town_haiyou)
    resp = client.get(LIST, {"kind": "task"})
    assert len(resp.context["rows"]) == 30 and resp.context["page"].paginator.count == 33
    assert "box=received&amp;kind=task&amp;page=2" in _html(resp)
    resp = client.get(LIST, {"kind": "task", "page": "2"})
    assert len(resp.context["rows"]) == 3


@pytest.mark.parametrize(("username", "box"), [("county_op", "published"), ("town_haiyou", "received"),
                                               ("town_haiyou", "all"), ("leader_haiyou", "all")])
def test_the_list_runs_a_bounded_number_of_queries(client, users, publish, receipt_of, username, box,
                                                   django_assert_max_num_queries):
    def add(n):
        for _ in range(n):
            task = publish(recipients=[HAIYOU, JIANTIAO, XINHU])
            actions.act_on_receipt(receipt_of(task, XINHU), "acknowledge", by=users.cadre_xinhu)

    add(2)
    client.force_login(getattr(users, username))
    client.get(LIST, {"box": box})
    with django_assert_max_num_queries(14) as few:
        resp = client.get(LIST, {"box": box})
    assert len(resp.context["rows"]) == 2
    add(30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        resp = client.get(LIST, {"box": box})
    assert len(resp.context["rows"]) == 30


def test_the_task_page_runs_a_bounded_number_of_queries(client, users, publish, receipt_of,
                                                        django_assert_max_num_queries):
    task = publish(recipients=[], to_level="town")
    for r in task.receipts.select_related("task", "area")[:5]:
        actions.act_on_receipt(r, "report", by=_responder(r), text="已完成")
    client.force_login(users.county_op)
    client.get(_detail(task))
    with django_assert_max_num_queries(20):
        resp = client.get(_detail(task))
    assert len(resp.context["rows"]) == task.recipient_count > 5


def _responder(receipt):
    from fengqiao.accounts.models import User

    return User.objects.filter(area=receipt.area, role="town_operator").first()


# ---------------------------------------------------------------- navigation and the phone page


def test_the_menu_shows_what_the_users_unit_still_owes(client, users, publish, receipt_of):
    task = publish()
    publish(kind="notice", due_at="", recipients=[HAIYOU])
    client.force_login(users.town_haiyou)
    html = _html(client.get("/"))
    assert 'id="nav-tasks"' in html and 'href="/tasks/"' in html
    assert re.search(r'id="nav-tasks-owing"[^>]*>2<', html)
    actions.act_on_receipt(receipt_of(task, HAIYOU), "report", by=users.town_haiyou, text="已完成")
    assert re.search(r'id="nav-tasks-owing"[^>]*>1<', _html(client.get(LIST)))
    client.force_login(users.county_op)
    html = _html(client.get("/"))
    assert 'id="nav-tasks"' in html and 'id="nav-tasks-owing"' not in html
    for username in ("dept_police", "mediator", "auditor"):
        client.force_login(getattr(users, username))
        assert 'id="nav-tasks"' not in _html(client.get("/")), username


@pytest.mark.parametrize("username", ["grid_xinhu1", "cadre_xinhu"])
def test_the_phone_page_links_to_what_the_unit_still_owes(client, users, publish, username):
    publish(by=users.town_haiyou, recipients=[XINHU, XINHU_GRID1])
    publish(by=users.town_haiyou, recipients=[XINHU_GRID1], kind="notice", due_at="")
    client.force_login(getattr(users, username))
    html = _html(client.get("/m/"))
    link = re.search(r'<a href="/tasks/\?box=received" id="tasks-owing-link" data-count="(\d+)">', html)
    assert link and link.group(1) == ("2" if username == "grid_xinhu1" else "1")


def test_a_notice_is_acknowledged_only(client, users, publish, receipt_of):
    notice = publish(kind="notice", due_at="", recipients=[HAIYOU, JIANTIAO], title="关于做好节前安全工作的通知")
    client.force_login(users.town_haiyou)
    resp = client.get(_detail(notice))
    assert [f["name"] for f in resp.context["own"]["forms"]] == ["acknowledge"]
    assert "<th>反馈时间</th>" not in _html(resp) and "<th>Reported at</th>" not in _html(resp)
    resp = _post(client, _receipt_act(receipt_of(notice, HAIYOU), "report"), "已传达")
    assert resp.status_code == 409 and "通知只需签收" in _html(resp)
    assert _post(client, _receipt_act(receipt_of(notice, HAIYOU), "acknowledge")).status_code == 302
    client.force_login(users.county_op)
    resp = client.get(_detail(notice))
    assert resp.context["progress"][0] in ("已签收 1/2", "Acknowledged 1/2")
    assert [f["name"] for f in resp.context["task_forms"]] == ["remind", "close", "withdraw"]
