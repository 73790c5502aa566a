"""The top-down publishing API (/api/v1/tasks/) as the demo users: every endpoint four ways
(anonymous 401, wrong role 403, right role outside the jurisdiction 404, inside), the whole loop
through the API (publish → acknowledge → report → send back → report → accept; remind, close,
withdraw), bad bodies a bilingual 400 with nothing written, a receiving town never seeing
another town's receipt or report (detail, receipts list, progress counts), the filters, the
routes, and the endpoints in the OpenAPI schema.

Tasks are published through the app's own action (``publish`` of conftest.py) or the API."""

from __future__ import annotations

import datetime as dt

import pytest

from fengqiao.core.models import AuditRecord
from fengqiao.core.tests.api_checks import assert_error, row_ids
from fengqiao.events.models import Notification
from fengqiao.events.sla import frozen_now, now
from fengqiao.tasks import actions
from fengqiao.tasks.models import Receipt, Task, TaskEntry

from .conftest import HAIYOU, JIANTIAO, JIANZHONG, XINHU, XINHU_GRID1

pytestmark = pytest.mark.django_db

URL = "/api/v1/tasks/"
RECEIPTS = f"{URL}receipts/"
WRONG_ROLES = ["dept_zhifa", "auditor", "admin", "mediator"]


def detail(task) -> str:
    return f"{URL}{task.pk}/"


def receipt_url(receipt) -> str:
    return f"{RECEIPTS}{receipt.pk}/"


def due(days: float = 3) -> str:
    return (now() + dt.timedelta(days=days)).isoformat()


def act(client, task, action, text=None, **headers):
    body = {"action": action} if text is None else {"action": action, "text": text}
    return client.post(f"{detail(task)}act/", body, format="json", **headers)


def answer(client, receipt, action, text=None, **headers):
    body = {"action": action} if text is None else {"action": action, "text": text}
    return client.post(f"{receipt_url(receipt)}act/", body, format="json", **headers)


def ids(response) -> set[int]:
    return set(row_ids(response))


def codes(rows) -> list[str]:
    return sorted(row["area"] for row in rows)


def written() -> tuple[int, ...]:
    """What a write leaves behind: tasks, receipts and their states, timeline, notifications, audit."""
    return (Task.objects.count(), Receipt.objects.count(), TaskEntry.objects.count(), Notification.objects.count(),
            AuditRecord.objects.count(), *Task.objects.values_list("state", flat=True).order_by("pk"),
            *Receipt.objects.values_list("state", flat=True).order_by("pk"))


def publish_body(**kw) -> dict:
    return {"kind": "task", "title": "开展冬季消防安全大排查", "body": "请于周五前完成辖区排查并反馈。",
            "recipients": [HAIYOU, JIANTIAO], "due_at": due(), **kw}


def every_endpoint(task, receipt) -> list[tuple[str, str, object]]:
    """(method, url, body) of each endpoint with a valid body for the county centre or the unit."""
    return [
        ("get", URL, None),
        ("get", detail(task), None),
        ("post", URL, publish_body()),
        ("post", f"{detail(task)}act/", {"action": "close"}),
        ("get", RECEIPTS, None),
        ("get", receipt_url(receipt), None),
        ("post", f"{receipt_url(receipt)}act/", {"action": "acknowledge"}),
    ]


def send(client, method: str, url: str, body):
    return client.get(url) if method == "get" else client.post(url, body, format="json")


# ---------------------------------------------------------------- four ways


def test_anonymous_is_401(api, publish, receipt_of):
    task = publish()
    client = api()
    before = written()
    for method, url, body in every_endpoint(task, receipt_of(task, HAIYOU)):
        assert_error(send(client, method, url, body), 401, "not_authenticated")
    assert written() == before


@pytest.mark.parametrize("username", WRONG_ROLES)
def test_wrong_role_is_403(api, users, publish, receipt_of, username):
    task = publish()
    client = api(getattr(users, username))
    before = written()
    for method, url, body in every_endpoint(task, receipt_of(task, HAIYOU)):
        assert_error(send(client, method, url, body), 403, "permission_denied")
    assert written() == before


@pytest.mark.parametrize("username", ["leader", "leader_haiyou", "cadre_xinhu", "grid_xinhu1"])
def test_readers_who_do_not_publish_get_403_on_the_publishers_writes(api, users, publish, username):
    task = publish(recipients=[HAIYOU, XINHU_GRID1])
    client = api(getattr(users, username))
    assert task.pk in ids(client.get(URL))
    before = written()
    assert_error(client.post(URL, publish_body(recipients=[XINHU_GRID1]), format="json"), 403, "permission_denied")
    for name in ("remind", "close", "withdraw"):
        assert_error(act(client, task, name, "理由"), 403, "permission_denied")
    assert written() == before


@pytest.mark.parametrize("username", ["leader", "leader_haiyou"])
def test_a_leader_reads_receipts_and_takes_no_step_on_them(api, users, publish, receipt_of, username):
    task = publish()
    actions.act_on_receipt(receipt_of(task, HAIYOU), "report", by=users.town_haiyou, text="已完成")
    client = api(getattr(users, username))
    r = client.get(receipt_url(receipt_of(task, HAIYOU)))
    assert r.status_code == 200 and r.json()["actions"] == []
    before = written()
    for name in ("acknowledge", "report", "accept", "return"):
        assert_error(answer(client, receipt_of(task, HAIYOU), name, "x"), 403, "permission_denied")
    assert written() == before


@pytest.mark.parametrize("username", ["town_jiantiao", "cadre_jianzhong", "grid_jianzhong1", "grid_xinhu1"])
def test_right_role_outside_the_jurisdiction_is_404(api, users, publish, receipt_of, username):
    """A task the county sent to 海游街道 alone: another town's people, and a grid worker below
    the receiving town (the town's receipt is above them), find nothing."""
    task = publish(recipients=[HAIYOU])
    receipt = receipt_of(task, HAIYOU)
    client = api(getattr(users, username))
    before = written()
    assert task.pk not in ids(client.get(URL))
    assert receipt.pk not in ids(client.get(RECEIPTS))
    assert_error(client.get(detail(task)), 404, "not_found")
    assert_error(client.get(receipt_url(receipt)), 404, "not_found")
    assert_error(answer(client, receipt, "acknowledge"), 404, "not_found")
    assert_error(answer(client, receipt, "report", "已完成"), 404, "not_found")
    if username == "town_jiantiao":  # a publisher's role: the task does not exist for it
        assert_error(act(client, task, "close"), 404, "not_found")
        # publishing to a unit outside its own area: the unit does not exist for it either
        r = client.post(URL, publish_body(recipients=[HAIYOU]), format="json")
        assert assert_error(r, 400, "unknown_recipient")["field"] == "recipients"
    assert written() == before


def test_unknown_ids_are_404_in_the_error_shape(api, users):
    client = api(users.county_op)
    for url in (f"{URL}999999999/", f"{RECEIPTS}999999999/", f"{URL}abc/", f"{RECEIPTS}abc/",
                f"{URL}{'9' * 30}/"):
        assert_error(client.get(url), 404, "not_found")
    assert_error(client.post(f"{URL}999999999/act/", {"action": "close"}, format="json"), 404, "not_found")
    assert_error(client.post(f"{RECEIPTS}999999999/act/", {"action": "accept"}, format="json"), 404, "not_found")


def test_the_receipts_route_is_not_taken_for_a_task_id(api, users, publish):
    task = publish()
    body = api(users.county_op).get(RECEIPTS).json()
    rows = [row for row in body["results"] if row["task"]["id"] == task.pk]
    assert codes(rows) == [HAIYOU, JIANTIAO]
    assert {"area", "state", "task", "actions", "overdue", "url"} <= set(rows[0])
    assert rows[0]["url"] == f"{RECEIPTS}{rows[0]['id']}/"


def test_get_on_an_act_route_is_not_allowed(api, users, publish, receipt_of):
    task = publish()
    client = api(users.county_op)
    assert_error(client.get(f"{detail(task)}act/"), 405, "method_not_allowed")
    assert_error(client.get(f"{receipt_url(receipt_of(task, HAIYOU))}act/"), 405, "method_not_allowed")


# ---------------------------------------------------------------- the loop


def test_publish_and_the_whole_loop_through_the_api(api, users):
    county, haiyou, jiantiao = api(users.county_op), api(users.town_haiyou), api(users.town_jiantiao)
    r = county.post(URL, publish_body(), format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    task = Task.objects.get(pk=body["id"])
    assert body["number"] == task.number and body["number"].startswith("FB")
    assert (body["kind"], body["state"], body["title"]) == ("task", "published", "开展冬季消防安全大排查")
    assert body["kind_label"] and body["state_label"] and body["body"].startswith("请于周五前")
    assert body["area"] == "331022" and body["area_name"] and body["published_by_name"] == "王芳"
    assert body["published_at"] and body["due_at"] and body["recipient_count"] == 2
    assert body["progress"] == {"total": 2, "pending": 2, "acknowledged": 0, "reported": 0, "done": 0, "overdue": 0}
    assert codes(body["receipts"]) == [HAIYOU, JIANTIAO]
    assert all(row["state"] == "pending" and row["actions"] == [] for row in body["receipts"])
    assert body["actions"] == ["remind", "close", "withdraw"]
    assert [e["action"] for e in body["entries"]] == ["published"]
    assert Notification.objects.filter(kind="task_published", user__username="town_haiyou").exists()

    mine = haiyou.get(f"{URL}{task.pk}/").json()
    assert codes(mine["receipts"]) == [HAIYOU] and mine["actions"] == []
    row = mine["receipts"][0]
    assert row["actions"] == ["acknowledge", "report"] and row["overdue"] is False and row["late"] is False
    receipt = Receipt.objects.get(pk=row["id"])

    r = answer(haiyou, receipt, "acknowledge")
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["state"], body["acknowledged_by_name"], body["actions"]) == ("acknowledged", "张敏", ["report"])
    assert body["task"]["id"] == task.pk and body["task"]["number"] == task.number
    body = answer(haiyou, receipt, "report", "已排查 35 处,整改 12 处").json()
    assert (body["state"], body["report"], body["reported_by_name"]) == ("reported", "已排查 35 处,整改 12 处", "张敏")
    assert body["actions"] == []  # the publisher's turn

    seen = county.get(receipt_url(receipt)).json()
    assert seen["actions"] == ["accept", "return"] and seen["report"].startswith("已排查")
    body = answer(county, receipt, "return", "请附整改清单").json()
    assert (body["state"], body["returned_count"], body["return_reason"]) == ("acknowledged", 1, "请附整改清单")
    assert Notification.objects.filter(kind="task_returned", user__username="town_haiyou").exists()
    assert answer(haiyou, receipt, "report", "清单见附件").json()["state"] == "reported"
    body = answer(api(users.county_op2), receipt, "accept").json()
    assert body["state"] == "done" and body["accepted_at"] and body["actions"] == []
    assert [(e["action"], e["from_state"], e["to_state"], e["area"]) for e in body["entries"]] == [
        ("acknowledge", "pending", "acknowledged", HAIYOU), ("report", "acknowledged", "reported", HAIYOU),
        ("return", "reported", "acknowledged", HAIYOU), ("report", "acknowledged", "reported", HAIYOU),
        ("accept", "reported", "done", HAIYOU)]
    assert [e["actor"] for e in body["entries"]] == ["town_haiyou", "town_haiyou", "county_op", "town_haiyou",
                                                     "county_op2"]

    other = Receipt.objects.get(task=task, area__code=JIANTIAO)
    body = answer(jiantiao, other, "report", "已完成").json()  # straight to the report
    assert body["state"] == "reported" and body["acknowledged_at"] == body["reported_at"]

    full = county.get(f"{URL}{task.pk}/").json()
    assert full["progress"] == {"total": 2, "pending": 0, "acknowledged": 0, "reported": 1, "done": 1, "overdue": 0}
    assert [e["action"] for e in full["entries"]] == ["published", "acknowledge", "report", "return", "report",
                                                      "accept", "report"]
    r = act(county, task, "close", "排查工作结束")
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["state"], body["close_note"], body["closed_by_name"]) == ("closed", "排查工作结束", "王芳")
    assert body["closed_at"] and body["actions"] == []
    assert [row["actions"] for row in body["receipts"]] == [[], []]
    assert_error(answer(county, other, "accept"), 409, "task_not_published")


def test_a_form_publishes_too_with_repeated_recipients(api, users):
    r = api(users.town_haiyou).post(URL, {"kind": "notice", "title": "防汛通知", "recipients": [XINHU, XINHU_GRID1],
                                          "to_level": "", "due_at": ""})
    assert r.status_code == 201, r.content
    assert codes(r.json()["receipts"]) == [XINHU, XINHU_GRID1] and r.json()["due_at"] is None


def test_publish_to_a_level(api, users):
    r = api(users.town_haiyou).post(URL, publish_body(recipients=[XINHU], to_level="grid"), format="json")
    assert r.status_code == 201, r.content
    rows = r.json()["receipts"]
    assert rows and all(row["area"].startswith(XINHU) and row["area_level"] == "grid" for row in rows)
    assert r.json()["recipient_count"] == len(rows)


def test_a_notice_is_acknowledged_not_reported(api, users, publish, receipt_of):
    notice = publish(kind="notice", due_at="")
    client = api(users.town_haiyou)
    receipt = receipt_of(notice, HAIYOU)
    assert client.get(receipt_url(receipt)).json()["actions"] == ["acknowledge"]
    assert_error(answer(client, receipt, "report", "已传达"), 409, "notice_not_reported")
    body = answer(client, receipt, "acknowledge").json()
    assert body["state"] == "acknowledged" and body["actions"] == [] and body["overdue"] is False


def test_steps_the_tables_refuse_are_409(api, users, publish, receipt_of):
    task = publish()
    receipt = receipt_of(task, HAIYOU)
    county, haiyou = api(users.county_op), api(users.town_haiyou)
    before = written()
    assert_error(answer(county, receipt, "acknowledge"), 409, "role_not_allowed")  # only the unit itself
    assert_error(answer(haiyou, receipt, "accept"), 409, "transition_not_allowed")
    assert_error(act(haiyou, task, "close"), 409, "not_in_charge")  # it received the task, did not publish it
    assert written() == before
    assert answer(haiyou, receipt, "report", "已完成").status_code == 200
    assert_error(answer(haiyou, receipt, "accept"), 409, "not_in_charge")  # not its own report to accept
    assert_error(answer(haiyou, receipt, "acknowledge"), 409, "transition_not_allowed")


def test_remind_tells_the_units_that_owe_and_not_twice_in_a_row(api, users, publish, receipt_of):
    task = publish()
    actions.act_on_receipt(receipt_of(task, JIANTIAO), "report", by=users.town_jiantiao, text="已完成")
    county = api(users.county_op)
    r = act(county, task, "remind")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["state"] == "published" and body["entries"][-1]["action"] == "remind"
    assert body["entries"][-1]["data"] == {}  # the count is the audit trail's: receiving units read the timeline
    assert AuditRecord.objects.filter(action="task_remind", object_id=str(task.pk)).get().after["units"] == 1
    mine = [row for row in body["receipts"] if row["area"] == HAIYOU][0]
    assert mine["reminded_at"]
    told = set(Notification.objects.filter(kind="task_reminded").values_list("user__username", flat=True))
    assert told == {"town_haiyou"}
    before = written()
    assert_error(act(county, task, "remind", "请尽快反馈"), 409, "reminded_recently")
    assert written() == before


def test_withdraw_needs_a_reason_and_freezes_the_receipts(api, users, publish, receipt_of):
    task = publish()
    county = api(users.county_op)
    before = written()
    for text in (None, "", "   "):
        err = assert_error(act(county, task, "withdraw", text), 400, "text_required")
        assert (err["field"], err["detail_zh"], err["detail_en"]) == ("text", "请填写撤回理由",
                                                                     "Why it is withdrawn is required")
    assert written() == before
    body = act(county, task, "withdraw", "内容有误,重新发布").json()
    assert (body["state"], body["close_note"], body["actions"]) == ("withdrawn", "内容有误,重新发布", [])
    assert Notification.objects.filter(kind="task_withdrawn", user__username="town_jiantiao").exists()
    assert_error(answer(api(users.town_haiyou), receipt_of(task, HAIYOU), "acknowledge"), 409, "task_not_published")
    assert_error(act(county, task, "close"), 409, "transition_not_allowed")


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("change,code", [
    ({"extra": 1}, "unknown_field"),
    ({"title": ["标题"]}, "invalid"),
    ({"title": 5}, "invalid"),
    ({"body": {"a": 1}}, "invalid"),
    ({"kind": 1}, "invalid"),
    ({"kind": None}, "invalid"),
    ({"recipients": XINHU}, "invalid"),  # a list of codes, not one
    ({"recipients": [331022001001]}, "invalid"),
    ({"recipients": [[XINHU]]}, "invalid"),
    ({"recipients": None}, "invalid"),
    ({"to_level": ["grid"]}, "invalid"),
    ({"to_level": {"grid": 1}}, "invalid"),
    ({"due_at": 20261231}, "invalid"),
    ({"due_at": ["2026-12-31"]}, "invalid"),
    ({"kind": "order"}, "bad_kind"),
    ({"title": "  "}, "text_required"),
    ({"title": "长" * 201}, "text_too_long"),
    ({"body": "长" * 5001}, "text_too_long"),
    ({"title": "a\x00b"}, "bad_text"),
    ({"recipients": [JIANZHONG]}, "unknown_recipient"),  # another town's village, for 海游
    ({"recipients": [HAIYOU]}, "unknown_recipient"),  # its own area, without a level
    ({"recipients": ["999"]}, "unknown_recipient"),
    ({"recipients": []}, "no_recipients"),
    ({"recipients": ["x" * 65]}, "bad_recipients"),
    ({"to_level": "county"}, "bad_level"),
    ({"due_at": None}, "due_required"),
    ({"due_at": ""}, "due_required"),
    ({"due_at": "明天"}, "bad_due"),
    ({"due_at": "2020-01-01"}, "due_in_past"),
    ({"due_at": "2099-01-01T08:00:00+08:00"}, "due_too_far"),
])
def test_bad_publish_bodies_are_a_bilingual_400_and_write_nothing(api, users, change, code):
    client = api(users.town_haiyou)
    before = written()
    body = assert_error(client.post(URL, publish_body(**{"recipients": [XINHU], **change}), format="json"), 400, code)
    if code != "unknown_field":
        assert body["field"] == next(iter(change))
    assert written() == before


def test_a_body_that_is_not_an_object_is_a_400(api, users, publish, receipt_of):
    task = publish()
    client = api(users.county_op)
    before = written()
    for url in (URL, f"{detail(task)}act/", f"{receipt_url(receipt_of(task, HAIYOU))}act/"):
        assert_error(client.post(url, ["close"], format="json"), 400, "invalid")
        assert_error(client.post(url, "close", format="json"), 400, "invalid")
    assert written() == before


@pytest.mark.parametrize("body,code", [
    ({}, "action_required"),
    ({"action": ""}, "action_required"),
    ({"action": None}, "invalid"),
    ({"action": 5}, "invalid"),
    ({"action": True}, "invalid"),
    ({"action": ["close"]}, "invalid"),
    ({"action": "close", "text": ["结束"]}, "invalid"),
    ({"action": "close", "text": 5}, "invalid"),
    ({"action": "close", "note": "结束"}, "unknown_field"),
    ({"action": "approve"}, "unknown_action"),
    ({"action": "CLOSE"}, "unknown_action"),
    ({"action": "accept"}, "unknown_action"),  # a receipt's step, not the task's
    ({"action": "close", "text": "x" * 2001}, "text_too_long"),
    ({"action": "withdraw", "text": "撤\x00回"}, "bad_text"),
])
def test_bad_task_steps_are_a_400_and_write_nothing(api, users, publish, body, code):
    task = publish()
    client = api(users.county_op)
    before = written()
    assert_error(client.post(f"{detail(task)}act/", body, format="json"), 400, code)
    assert written() == before


@pytest.mark.parametrize("body,code", [
    ({}, "action_required"),
    ({"action": 1}, "invalid"),
    ({"action": {"name": "report"}}, "invalid"),
    ({"action": "report", "text": ["已完成"]}, "invalid"),
    ({"action": "report", "text": 3.5}, "invalid"),
    ({"action": "report"}, "text_required"),
    ({"action": "report", "text": None}, "text_required"),
    ({"action": "report", "text": "  "}, "text_required"),
    ({"action": "report", "text": "x" * 2001}, "text_too_long"),
    ({"action": "ACKNOWLEDGE"}, "unknown_action"),
    ({"action": "close"}, "unknown_action"),  # the task's step, not a receipt's
    ({"action": "acknowledge", "version": 1}, "unknown_field"),
])
def test_bad_receipt_steps_are_a_400_and_write_nothing(api, users, publish, receipt_of, body, code):
    task = publish()
    client = api(users.town_haiyou)
    before = written()
    assert_error(client.post(f"{receipt_url(receipt_of(task, HAIYOU))}act/", body, format="json"), 400, code)
    assert written() == before


def test_errors_answer_in_the_callers_language(api, users, publish, receipt_of):
    task = publish()
    client = api(users.town_haiyou)
    english = answer(client, receipt_of(task, HAIYOU), "report", "", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["error"] == "text_required" and english["detail"] == english["detail_en"]
    chinese = answer(client, receipt_of(task, HAIYOU), "report", "").json()
    assert chinese["detail"] == chinese["detail_zh"] and chinese["detail_zh"].startswith("请填写")
    r = client.post(URL, publish_body(recipients=[XINHU], due_at="明天"), format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert r.json()["detail"] == r.json()["detail_en"] and "deadline" in r.json()["detail_en"]


# ---------------------------------------------------------------- what each unit reads


def test_a_receiving_town_sees_neither_another_towns_receipt_nor_its_report(api, users, publish, receipt_of):
    task = publish(recipients=[HAIYOU, JIANTIAO, XINHU])
    secret = "健跳镇的反馈:已排查 35 处"
    actions.act_on_receipt(receipt_of(task, JIANTIAO), "report", by=users.town_jiantiao, text=secret)
    actions.act_on_receipt(receipt_of(task, HAIYOU), "acknowledge", by=users.town_haiyou)
    elsewhere = receipt_of(task, JIANTIAO)

    for who in ("town_haiyou", "leader_haiyou"):
        client = api(getattr(users, who))
        r = client.get(detail(task))
        assert r.status_code == 200, r.content
        body = r.json()
        assert codes(body["receipts"]) == [HAIYOU, XINHU]
        assert {e["area"] for e in body["entries"]} == {None, HAIYOU}
        assert body["progress"] == {"total": 2, "pending": 1, "acknowledged": 1, "reported": 0, "done": 0,
                                    "overdue": 0}
        assert secret not in r.content.decode() and JIANTIAO not in r.content.decode()
        listed = client.get(f"{RECEIPTS}?task={task.pk}").json()["results"]
        assert codes(listed) == [HAIYOU, XINHU]
        assert elsewhere.pk not in ids(client.get(RECEIPTS))
        row = [t for t in client.get(URL).json()["results"] if t["id"] == task.pk][0]
        assert row["progress"]["total"] == 2 and row["progress"]["reported"] == 0
        assert_error(client.get(receipt_url(elsewhere)), 404, "not_found")
    assert_error(answer(api(users.town_haiyou), elsewhere, "accept"), 404, "not_found")

    village = api(users.cadre_xinhu).get(detail(task)).json()
    assert codes(village["receipts"]) == [XINHU] and village["progress"]["total"] == 1

    county = api(users.county_op).get(detail(task)).json()
    assert codes(county["receipts"]) == [HAIYOU, XINHU, JIANTIAO]
    assert [row["report"] for row in county["receipts"] if row["area"] == JIANTIAO] == [secret]
    assert secret in [e["text"] for e in county["entries"]]
    assert county["progress"] == {"total": 3, "pending": 1, "acknowledged": 1, "reported": 1, "done": 0, "overdue": 0}
    assert api(users.leader).get(detail(task)).json()["progress"] == county["progress"]


def test_a_grid_reads_the_tasks_sent_to_it_and_answers_them(api, users, publish, receipt_of):
    task = publish(by=users.town_haiyou, recipients=[XINHU, XINHU_GRID1])
    client = api(users.grid_xinhu1)
    assert ids(client.get(URL)) == {task.pk}
    body = client.get(detail(task)).json()
    assert codes(body["receipts"]) == [XINHU_GRID1] and body["receipts"][0]["actions"] == ["acknowledge", "report"]
    r = answer(client, receipt_of(task, XINHU_GRID1), "report", "已入户宣传")
    assert r.status_code == 200 and r.json()["state"] == "reported"
    # the village's cadre reads its own receipt and the grid's below it, and answers only its own
    cadre = api(users.cadre_xinhu)
    rows = cadre.get(detail(task)).json()["receipts"]
    assert [(row["area"], row["actions"]) for row in rows] == [(XINHU, ["acknowledge", "report"]),
                                                               (XINHU_GRID1, [])]
    assert_error(answer(cadre, receipt_of(task, XINHU_GRID1), "accept"), 409, "role_not_allowed")


# ---------------------------------------------------------------- filters


@pytest.fixture
def four(publish, users):
    """A county task and notice, a task of 海游街道 to 心湖社区, and a withdrawn county task."""
    task = publish()
    notice = publish(kind="notice", title="关于春节值班安排的通知", due_at="")
    town = publish(by=users.town_haiyou, title="心湖社区垃圾分类检查", recipients=[XINHU])
    gone = publish(title="已撤回的任务")
    actions.act_on_task(gone, "withdraw", by=users.county_op, text="重复发布")
    return task, notice, town, gone


def test_task_filters(api, users, four):
    task, notice, town, gone = four
    everything = {t.pk for t in four}

    def found(who: str, query: str) -> set[int]:
        return ids(api(getattr(users, who)).get(f"{URL}?{query}&page_size=500")) & everything

    assert found("county_op", "") == everything
    assert found("county_op", "box=published") == everything  # 海游's task was published in the county too
    assert found("county_op", "box=received") == set()
    assert found("town_haiyou", "box=received") == {task.pk, notice.pk, gone.pk}
    assert found("town_haiyou", "box=published") == {town.pk}
    assert found("cadre_xinhu", "box=received") == {town.pk}
    assert found("county_op", "state=withdrawn") == {gone.pk}
    assert found("county_op", "state=published&state=withdrawn") == everything
    assert found("county_op", "kind=notice") == {notice.pk}
    assert found("county_op", "kind=task&state=published") == {task.pk, town.pk}
    assert found("county_op", "q=春节") == {notice.pk}
    assert found("county_op", f"q={town.number}") == {town.pk}
    assert found("county_op", "q=垃圾 检查") == {town.pk}
    with frozen_now(now() + dt.timedelta(days=4)):
        assert found("county_op", "overdue=true") == {task.pk, town.pk}
        assert found("county_op", "overdue=false") == {notice.pk, gone.pk}
    assert found("county_op", "overdue=true") == set()
    rows = [t["id"] for t in api(users.county_op).get(f"{URL}?page_size=500").json()["results"] if t["id"] in everything]
    assert rows == [gone.pk, town.pk, notice.pk, task.pk]  # newest first
    rows = [t["id"] for t in api(users.county_op).get(f"{URL}?ordering=id&page_size=500").json()["results"]
            if t["id"] in everything]
    assert rows == sorted(everything)


def test_the_list_is_paginated_and_each_row_has_its_progress(api, users, four):
    body = api(users.county_op).get(f"{URL}?page_size=2").json()
    assert body["count"] >= 4 and len(body["results"]) == 2 and body["next"]
    row = body["results"][0]
    assert {"id", "number", "kind", "state", "title", "area", "area_name", "published_by_name", "published_at",
            "due_at", "recipient_count", "progress", "url"} <= set(row)
    assert "receipts" not in row and "body" not in row and "entries" not in row
    assert set(row["progress"]) == {"total", "pending", "acknowledged", "reported", "done", "overdue"}


def test_receipt_filters(api, users, four, receipt_of):
    task, notice, town, gone = four
    actions.act_on_receipt(receipt_of(task, HAIYOU), "acknowledge", by=users.town_haiyou)
    everything = set(Receipt.objects.filter(task__in=four).values_list("pk", flat=True))

    def found(who: str, query: str) -> set[int]:
        return ids(api(getattr(users, who)).get(f"{RECEIPTS}?{query}&page_size=500")) & everything

    def of(*pairs) -> set[int]:
        return {receipt_of(t, code).pk for t, code in pairs}

    assert found("county_op", f"task={task.pk}") == of((task, HAIYOU), (task, JIANTIAO))
    assert found("county_op", "task=999999999") == set()
    assert found("cadre_jianzhong", f"task={task.pk}") == set()  # outside: the same empty list
    assert found("county_op", "state=acknowledged") == of((task, HAIYOU))
    assert found("town_haiyou", "mine=true") == of((task, HAIYOU), (notice, HAIYOU), (gone, HAIYOU))
    assert found("town_haiyou", "mine=false") == of((town, XINHU))  # below it, answered by the village
    assert found("town_haiyou", "mine=true&state=pending") == of((notice, HAIYOU), (gone, HAIYOU))
    with frozen_now(now() + dt.timedelta(days=4)):
        late = found("county_op", "overdue=true")
        assert late == of((task, HAIYOU), (task, JIANTIAO), (town, XINHU))
        assert found("county_op", "overdue=false") == everything - late
        body = api(users.town_haiyou).get(receipt_url(receipt_of(task, HAIYOU))).json()
        assert body["overdue"] is True and body["late"] is False
    assert found("county_op", "overdue=true") == set()


@pytest.mark.parametrize("url", [
    f"{URL}?box=all", f"{URL}?state=open", f"{URL}?kind=order", f"{URL}?overdue=maybe", f"{URL}?q={'x' * 101}",
    f"{URL}?page_size=0", f"{RECEIPTS}?state=closed", f"{RECEIPTS}?mine=maybe", f"{RECEIPTS}?overdue=2",
    f"{RECEIPTS}?task=abc", f"{RECEIPTS}?task=0.5", f"{RECEIPTS}?task=0", f"{RECEIPTS}?task={'9' * 30}",
])
def test_bad_filters_are_a_400(api, users, url):
    r = api(users.county_op).get(url)
    assert r.status_code == 400, r.content
    assert r.json()["error"] in {"invalid", "bad_page_size"} and r.json()["detail_en"]


def test_filters_do_not_narrow_one_task(api, users, publish, receipt_of):
    task = publish()
    client = api(users.county_op)
    assert client.get(f"{detail(task)}?state=withdrawn").status_code == 200
    assert client.get(f"{receipt_url(receipt_of(task, HAIYOU))}?state=done").status_code == 200


# ---------------------------------------------------------------- bugs found in the app's other modules


def test_the_overdue_filter_does_not_tell_a_town_that_another_town_is_late(api, users, publish, receipt_of):
    """海游街道 reported on time; only 健跳镇 still owes after the deadline. ``?overdue=true``
    answers 海游 the task all the same: that another town it may not see is late (its own
    progress says overdue 0)."""
    start = now()
    task = publish(due_at=start + dt.timedelta(hours=2))
    actions.act_on_receipt(receipt_of(task, HAIYOU), "report", by=users.town_haiyou, text="已完成")
    client = api(users.town_haiyou)
    with frozen_now(start + dt.timedelta(hours=3)):
        row = [t for t in client.get(URL).json()["results"] if t["id"] == task.pk][0]
        assert row["progress"]["overdue"] == 0
        assert task.pk not in ids(client.get(f"{URL}?overdue=true"))


def test_a_receipt_is_overdue_by_one_rule(api, users, publish, receipt_of):
    """A task withdrawn after its deadline with a unit still owing is overdue nowhere: not on the
    receipt (``Receipt.overdue(now)``), not in ``?overdue=true``, not in the progress count; while
    it was published, it was overdue in all three."""
    start = now()
    task = publish(due_at=start + dt.timedelta(hours=2))
    client = api(users.county_op)
    receipt = receipt_of(task, HAIYOU)
    with frozen_now(start + dt.timedelta(hours=3)):
        assert client.get(receipt_url(receipt)).json()["overdue"] is True
        assert receipt.pk in ids(client.get(f"{RECEIPTS}?overdue=true"))
        assert client.get(f"{URL}{task.pk}/").json()["progress"]["overdue"] == 2
        actions.act_on_task(task, "withdraw", by=users.county_op, text="撤回")
        assert client.get(receipt_url(receipt)).json()["overdue"] is False
        assert receipt.pk not in ids(client.get(f"{RECEIPTS}?overdue=true"))
        assert client.get(f"{URL}{task.pk}/").json()["progress"]["overdue"] == 0


# ---------------------------------------------------------------- schema


@pytest.fixture(scope="module")
def schema():
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def test_schema_documents_the_endpoints(schema):
    paths, components = schema["paths"], schema["components"]["schemas"]

    def ref(operation, status="200") -> str:
        return operation["responses"][status]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]

    def request(operation) -> dict:
        name = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        return components[name]["properties"]

    listing = paths["/api/v1/tasks/"]["get"]
    params = {p["name"] for p in listing["parameters"]}
    assert {"box", "state", "kind", "overdue", "q", "ordering", "page", "page_size"} <= params
    assert ref(listing) == "PaginatedTaskListList"
    assert set(request(paths["/api/v1/tasks/"]["post"])) == {"kind", "title", "body", "recipients", "to_level",
                                                             "due_at", "files"}
    assert ref(paths["/api/v1/tasks/"]["post"], "201") == "Task"
    assert ref(paths["/api/v1/tasks/{id}/"]["get"]) == "Task"
    act_op = paths["/api/v1/tasks/{id}/act/"]["post"]
    assert set(request(act_op)) == {"action", "text"} and ref(act_op) == "Task"
    receipts = paths["/api/v1/tasks/receipts/"]["get"]
    assert {"state", "mine", "overdue", "task"} <= {p["name"] for p in receipts["parameters"]}
    assert ref(receipts) == "PaginatedReceiptListList"
    assert ref(paths["/api/v1/tasks/receipts/{id}/"]["get"]) == "Receipt"
    answer_op = paths["/api/v1/tasks/receipts/{id}/act/"]["post"]
    assert set(request(answer_op)) == {"action", "text", "files"} and ref(answer_op) == "Receipt"
    assert {"409", "400", "403", "404"} <= set(answer_op["responses"])
    task = components["Task"]["properties"]
    assert {"receipts", "entries", "actions", "progress", "body", "recipient_count"} <= set(task)
    assert task["due_at"]["nullable"] and task["closed_at"]["nullable"]
    assert set(components["TaskActionEnum"]["enum"]) == {"remind", "close", "withdraw"}
    assert set(components["ReceiptActionEnum"]["enum"]) == {"acknowledge", "report", "accept", "return"}
    assert set(components["ReceiptStateEnum"]["enum"]) == {"pending", "acknowledged", "reported", "done"}
    assert set(components["TaskStateEnum"]["enum"]) == {"published", "closed", "withdrawn"}
    assert set(components["TaskKindEnum"]["enum"]) == {"task", "notice"}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_task_answers_match_the_schema(live_server, demo_county, users):
    """schemathesis on the tasks' endpoints with tasks and receipts present in every state (the
    suite-wide run has none, so it only ever saw empty lists and 404s): no 5xx, and every
    answer as the schema says."""
    from fengqiao.core.tests.test_schemathesis import _schemathesis

    start = now()
    task = actions.publish_task(by=users.county_op, kind="task", title="排查", recipients=[HAIYOU, JIANTIAO],
                                due_at=start + dt.timedelta(days=2))
    haiyou = Receipt.objects.get(task=task, area__code=HAIYOU)
    actions.act_on_receipt(haiyou, "report", by=users.town_haiyou, text="已完成")
    actions.act_on_receipt(haiyou, "accept", by=users.county_op)
    actions.act_on_receipt(Receipt.objects.get(task=task, area__code=JIANTIAO), "acknowledge",
                           by=users.town_jiantiao)
    actions.publish_task(by=users.county_op, kind="notice", title="通知", recipients=[XINHU, JIANZHONG])
    gone = actions.publish_task(by=users.town_haiyou, kind="task", title="撤回", recipients=[XINHU_GRID1],
                                due_at=start + dt.timedelta(hours=1))
    actions.act_on_task(gone, "withdraw", by=users.town_haiyou, text="撤回")
    proc = _schemathesis(live_server, users, "--phases", "examples,fuzzing", "--include-path-regex", "^/api/v1/tasks/",
                         checks="not_a_server_error,status_code_conformance,response_schema_conformance,"
                                "content_type_conformance")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "8 selected" in proc.stdout, proc.stdout[-2000:]


def test_the_api_index_lists_the_tasks(api, users):
    index = api(users.county_op).get("/api/v1/").json()
    assert index["tasks"].endswith("/api/v1/tasks/")
