"""The matters API as the demo users: the full loop, 409, 404 across towns, permissions,
idempotency, filters, masking, attachments, bad input."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fengqiao.core.models import AuditRecord
from fengqiao.events.models import Event, Notification

from .conftest import PNG

pytestmark = pytest.mark.django_db

URL = "/api/v1/events/"
BODY = {"channel": "hotline_12345", "title": "小区门口夜间烧烤噪音扰民", "content": "心湖社区门口烧烤摊每晚营业到凌晨。",
        "address": "海游街道心湖社区", "reporter_name": "张三", "reporter_phone": "13812345678",
        "category": "noise.business", "channel_ref": "12345-20251001-0001"}


def act(client, ev_id, action, **data):
    return client.post(f"{URL}{ev_id}/actions/", {"action": action, **data}, format="json")


def test_full_loop_through_the_api(api, users, django_capture_on_commit_callbacks):
    county, town, other = api(users.county_op), api(users.town_haiyou), api(users.town_jiantiao)
    r = county.post(URL, BODY, format="json")
    assert r.status_code == 201, r.content
    ev = r.json()
    assert ev["state"] == "received" and ev["area"] == "331022001001"
    eid = ev["id"]
    full = county.get(ev["url"]).json()
    assert full["reporter_phone"] == "138****5678" and full["reporter_name"] == "张*"

    assert act(county, eid, "accept").json()["state"] == "accepted"
    with django_capture_on_commit_callbacks(execute=True):
        r = act(county, eid, "dispatch", to_unit="area:331022001", note="请海游街道处置")
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "dispatched" and r.json()["sign_due_at"] and r.json()["handle_due_at"]
    assert Notification.objects.filter(user=users.town_haiyou, event_id=eid).exists()

    # The other town does not see it at all.
    assert other.get(f"{URL}{eid}/").status_code == 404
    assert act(other, eid, "sign").status_code == 404
    assert eid not in [e["id"] for e in other.get(URL).json()["results"]]

    assert act(town, eid, "sign").json()["state"] == "signed"
    # A forbidden action answers 409 with a reason.
    r = act(town, eid, "close")
    assert r.status_code == 409
    body = r.json()
    assert body["error"] == "transition_not_allowed" and body["detail"]

    assert act(town, eid, "resolve", result="已劝导摊主迁至夜市").json()["state"] == "resolved"
    assert act(county, eid, "verify", feedback="unsatisfied", note="群众称仍有噪音").json()["state"] == "verified"
    assert act(county, eid, "reopen", reason="群众不满意,重新办理").json()["state"] == "in_progress"
    assert act(town, eid, "resolve", result="摊位已取缔,夜间巡查").json()["state"] == "resolved"
    assert act(county, eid, "verify", feedback="satisfied").json()["state"] == "verified"
    r = act(county, eid, "close")
    assert r.json()["state"] == "closed"

    timeline = county.get(f"{URL}{eid}/timeline/").json()
    assert [t["action"] for t in timeline] == ["create", "accept", "dispatch", "sign", "resolve", "verify", "reopen",
                                               "resolve", "verify", "close"]
    assert all(t["at"] and t["actor_name"] for t in timeline)
    assert timeline[6]["from_state"] == "verified" and timeline[6]["to_state"] == "in_progress"
    assert AuditRecord.objects.filter(object_type="events.event", object_id=str(eid), action="event_close").exists()


def test_same_idempotency_key_gives_one_matter(api, users):
    client = api(users.county_op)
    body = {**BODY, "channel_ref": ""}
    r1 = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="abc-123")
    r2 = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="abc-123")
    assert (r1.status_code, r2.status_code) == (201, 200)
    assert r1.json()["id"] == r2.json()["id"]
    assert Event.objects.filter(title=BODY["title"]).count() == 1


def test_same_channel_reference_gives_one_matter(api, users):
    client = api(users.county_op)
    r1 = client.post(URL, BODY, format="json")
    r2 = client.post(URL, {**BODY, "title": "重复推送"}, format="json")
    assert (r1.status_code, r2.status_code) == (201, 200)
    assert r1.json()["id"] == r2.json()["id"]
    assert Event.objects.filter(channel_ref=BODY["channel_ref"]).count() == 1


@pytest.mark.parametrize("username,expected", [
    (None, 401), ("auditor", 403), ("admin", 403), ("town_jiantiao", 404), ("dept_police", 404),
    ("town_haiyou", 200), ("county_op", 200), ("leader", 200), ("cadre_xinhu", 200),
])
def test_retrieve_four_ways(username, expected, api, users):
    ev = api(users.county_op).post(URL, BODY, format="json").json()
    client = api(getattr(users, username) if username else None)
    assert client.get(f"{URL}{ev['id']}/").status_code == expected
    assert client.get(f"{URL}{ev['id']}/timeline/").status_code == expected


@pytest.mark.parametrize("username,expected", [(None, 401), ("auditor", 403), ("leader", 403), ("mediator", 403),
                                               ("grid_xinhu1", 201), ("county_op", 201)])
def test_create_four_ways(username, expected, api, users):
    client = api(getattr(users, username) if username else None)
    assert client.post(URL, {**BODY, "channel_ref": ""}, format="json").status_code == expected


@pytest.mark.parametrize("username,expected", [(None, 401), ("auditor", 403), ("town_jiantiao", 404),
                                               ("county_op", 200)])
def test_actions_four_ways(username, expected, api, users):
    ev = api(users.county_op).post(URL, BODY, format="json").json()
    client = api(getattr(users, username) if username else None)
    assert act(client, ev["id"], "accept").status_code == expected


def test_list_filters(api, users):
    client = api(users.county_op)
    a = client.post(URL, BODY, format="json").json()
    b = client.post(URL, {**BODY, "channel": "police_110", "channel_ref": "110-1", "title": "健跳镇打架", "content": "健中居委会有人打架",
                          "address": "健跳镇健中居委会", "category": "public_order.fight"}, format="json").json()
    assert b["area"].startswith("331022105")

    def ids(**params):
        r = client.get(URL, params)
        assert r.status_code == 200, r.content
        return {e["id"] for e in r.json()["results"]}

    assert ids(channel="police_110") >= {b["id"]} and a["id"] not in ids(channel="police_110")
    assert a["id"] in ids(area="331022001") and b["id"] not in ids(area="331022001")
    assert a["id"] in ids(category="noise") and b["id"] not in ids(category="noise")
    assert a["id"] in ids(state="received,accepted")
    assert a["id"] in ids(q="烧烤") and b["id"] not in ids(q="烧烤")
    assert a["id"] in ids(sla_color="green")
    assert a["id"] in ids(received_from="2000-01-01", received_to="2999-12-31")
    assert not ids(received_to="2000-01-01")
    for bad in ({"state": "nonsense"}, {"sla_color": "purple"}, {"received_from": "yesterday"}):
        assert client.get(URL, bad).status_code == 400


def test_personal_data_masked_unless_unmasked_and_audited(api, users):
    ev = api(users.county_op).post(URL, BODY, format="json").json()
    leader = api(users.leader).get(f"{URL}{ev['id']}/?unmask=1").json()
    assert leader["reporter_phone"] == "138****5678"  # the leader may not unmask
    before = AuditRecord.objects.filter(action="view_personal").count()
    op = api(users.county_op).get(f"{URL}{ev['id']}/?unmask=1").json()
    assert op["reporter_phone"] == "13812345678"
    assert AuditRecord.objects.filter(action="view_personal").count() == before + 1


def test_the_answer_to_an_action_stays_masked_even_when_unmask_is_asked(api, users):
    """An action's answer is the matter as it now stands; ``?unmask=1`` on the POST would show the
    reporter in full with no ``view_personal`` record. It is masked (unmask with a GET, audited)."""
    ev = api(users.county_op).post(URL, BODY, format="json").json()
    before = AuditRecord.objects.filter(action="view_personal").count()
    r = api(users.county_op).post(f"{URL}{ev['id']}/actions/?unmask=1",
                                  {"action": "comment", "text": "已联系", "version": ev["version"]}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["reporter_phone"] == "138****5678"
    assert AuditRecord.objects.filter(action="view_personal").count() == before

@pytest.mark.parametrize("body", [
    {},
    {"channel": "fax", "title": "x", "content": "y"},
    {"channel": "hotline_12345", "title": "x"},
    {"channel": "hotline_12345", "title": "x", "content": "y", "reporter_phone": "12345"},
    {"channel": "hotline_12345", "title": "x", "content": "y", "reporter_id_number": "110105194912310021"},
    {"channel": "hotline_12345", "title": "x", "content": "y", "latitude": 123},
    {"channel": "hotline_12345", "title": "x", "content": "y", "category": "no.such"},
    {"channel": "hotline_12345", "title": "x", "content": "y", "area": "331022105"},
    {"channel": "hotline_12345", "title": "x" * 300, "content": "y"},
    {"channel": ["hotline_12345"], "title": {"a": 1}, "content": "y"},
])
def test_bad_input_is_400_never_500(body, api, users):
    r = api(users.town_haiyou).post(URL, body, format="json")
    assert r.status_code == 400, r.content
    data = r.json()
    assert data["error"] and data["detail_zh"] and data["detail_en"]


@pytest.mark.parametrize(("occurred_at", "message"), [
    ("0124-09-29T13:47:08", "before 1949-10-01: 0124-09-29 13:47"),
    ("1949-09-30 23:59", "before 1949-10-01: 1949-09-30 23:59"),
    ("2999-01-01 08:00", "in the future: 2999-01-01 08:00"),
])
def test_times_outside_any_matter_are_refused(occurred_at, message, api, users):
    """The year 124 used to be stored and echoed with Shanghai's local mean time (+08:05:43),
    which is no RFC 3339 time; a time far in the future would be just as wrong."""
    before = Event.objects.count()
    r = api(users.county_op).post(URL, {**BODY, "occurred_at": occurred_at}, format="json")
    assert r.status_code == 400, r.content
    assert r.json()["field"] == "occurred_at" and r.json()["detail_en"] == message
    assert Event.objects.count() == before
    ok = api(users.county_op).post(URL, {**BODY, "occurred_at": "1949-10-01 00:00"}, format="json")
    assert ok.status_code == 201, ok.content


@pytest.mark.parametrize("payload", [
    {}, {"action": "fly"}, {"action": "dispatch"}, {"action": "dispatch", "to_unit": "nowhere"},
    {"action": "dispatch", "to_unit": 12}, {"action": "reject"}, {"action": "reject", "reason": 5},
    {"action": "merge", "into": "999999999"}, {"action": "comment", "text": "", "attachments": "x"},
    {"action": "verify", "feedback": "meh"},
])
def test_bad_action_input_is_4xx(payload, api, users):
    client = api(users.county_op)
    ev = client.post(URL, BODY, format="json").json()
    if payload.get("action") in {"dispatch", "verify"}:
        act(client, ev["id"], "accept")
    r = client.post(f"{URL}{ev['id']}/actions/", payload, format="json")
    assert 400 <= r.status_code < 500, r.content
    assert r.json()["error"]


def test_attachment_upload_checks_type_and_size(api, users, settings):
    client = api(users.county_op)
    ev = client.post(URL, BODY, format="json").json()
    url = f"{URL}{ev['id']}/attachments/"
    ok = client.post(url, {"file": SimpleUploadedFile("a.png", PNG, content_type="image/png")}, format="multipart")
    assert ok.status_code == 201, ok.content
    assert ok.json()["kind"] == "photo"
    fake = client.post(url, {"file": SimpleUploadedFile("a.png", b"MZ\x90\x00 not a png",
                                                        content_type="image/png")}, format="multipart")
    assert fake.status_code == 400 and fake.json()["error"] == "file_content"
    exe = client.post(url, {"file": SimpleUploadedFile("a.exe", b"MZ", content_type="application/octet-stream")},
                      format="multipart")
    assert exe.status_code == 400 and exe.json()["error"] == "file_type"
    settings.FENGQIAO_ATTACHMENT_MAX_BYTES = 10
    big = client.post(url, {"file": SimpleUploadedFile("b.png", PNG, content_type="image/png")}, format="multipart")
    assert big.status_code == 400 and big.json()["error"] == "file_too_large"
    assert api(users.town_jiantiao).post(url, {"file": SimpleUploadedFile("a.png", PNG)},
                                         format="multipart").status_code == 404
    att_id = ok.json()["id"]
    r = act(client, ev["id"], "comment", text="现场照片", attachments=[att_id])
    assert r.status_code == 200
    timeline = client.get(f"{URL}{ev['id']}/timeline/").json()
    assert timeline[-1]["attachments"][0]["id"] == att_id


def test_categories_and_inbox(api, users, django_capture_on_commit_callbacks):
    client = api(users.town_haiyou)
    cats = client.get("/api/v1/categories/?depth=0").json()
    names = {c["name"] for c in cats}
    assert {"城乡建设", "物业管理", "噪声扰民", "矛盾纠纷", "安全隐患", "其他"} <= names
    assert api(None).get("/api/v1/categories/").status_code == 401
    county = api(users.county_op)
    ev = county.post(URL, BODY, format="json").json()
    act(county, ev["id"], "accept")
    with django_capture_on_commit_callbacks(execute=True):
        act(county, ev["id"], "dispatch", to_unit="331022001")
    inbox = client.get("/api/v1/notifications/?unread=1").json()["results"]
    assert any(n["event"] == ev["id"] for n in inbox)
    note = inbox[0]["id"]
    assert api(users.town_jiantiao).post(f"/api/v1/notifications/{note}/read/").status_code == 404
    assert client.post(f"/api/v1/notifications/{note}/read/").json()["read_at"]
    assert client.post("/api/v1/notifications/read_all/").status_code == 200
    assert client.get("/api/v1/notifications/?unread=1").json()["count"] == 0


def test_detail_lists_allowed_actions(api, users):
    client = api(users.county_op)
    ev = client.post(URL, BODY, format="json").json()
    ev = client.get(f"{URL}{ev['id']}/").json()
    assert "accept" in ev["allowed_actions"] and "sign" not in ev["allowed_actions"]


def test_intake_answers_a_receipt_and_notifies_the_centre_only_when_urgent(api, users):
    county = api(users.county_op)
    r = county.post(URL, {**BODY, "channel_ref": "R-normal"}, format="json")
    assert r.status_code == 201
    receipt = r.json()
    assert set(receipt) == {"id", "number", "state", "state_label", "channel", "channel_ref", "title", "category",
                            "area", "area_name", "received_at", "sign_due_at", "handle_due_at", "version", "url"}
    assert receipt["number"].startswith("FQ") and receipt["number"].endswith(f"{receipt['id']:07d}")
    assert receipt["area"].startswith("331022001") and receipt["url"] == f"{URL}{receipt['id']}/"
    assert county.get(receipt["url"]).json()["number"] == receipt["number"]
    assert not Notification.objects.filter(event_id=receipt["id"]).exists()  # the 待受理 queue shows it
    urgent = county.post(URL, {**BODY, "channel_ref": "R-urgent", "urgency": "urgent"}, format="json").json()
    town_centre = Notification.objects.filter(event_id=urgent["id"], kind="event_new", user=users.town_haiyou)
    assert town_centre.count() == 1 and town_centre.get().title.startswith("紧急事件待受理")


def test_receipt_is_what_its_declared_fields_give(users):
    """The receipt is built directly for speed; it must equal DRF's generic rendering of the
    fields it declares (which is what the OpenAPI schema shows)."""
    from rest_framework import serializers

    from fengqiao.events.actions import create_event
    from fengqiao.events.api import EventReceiptSerializer

    ev, _ = create_event(by=users.county_op, channel="walk_in", title="路灯不亮", content="心湖社区路灯不亮",
                         address="海游街道心湖社区", category="noise.business")
    ev.sign_due_at = ev.received_at  # a non-empty date-time too
    fast = EventReceiptSerializer(ev).data
    generic = serializers.Serializer.to_representation(EventReceiptSerializer(ev), ev)
    assert dict(fast) == dict(generic)
