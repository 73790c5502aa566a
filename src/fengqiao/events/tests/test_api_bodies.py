"""Bodies and parameters the API could not take: each is a 4xx in the error shape, in Chinese
and English, and nothing is written (core.api.JSONParser, core.api.too_large, Open311's dates,
idempotency keys reused for another matter, stale versions, the inbox filter)."""

from __future__ import annotations

import json

import pytest

from fengqiao.accounts.actions import token_for
from fengqiao.areas.models import Area
from fengqiao.core.models import AuditRecord
from fengqiao.events.actions import create_event, perform
from fengqiao.events.models import Event, Notification, TimelineEntry

pytestmark = pytest.mark.django_db

SURROGATE = '{"action": "comment", "text": "x\\ud800"}'  # valid JSON, no storable text


def _accepted(by):
    e, _ = create_event(by=by, channel="hotline_12345", title="楼道堆物", content="楼道堆物请处理", address="海游街道心湖社区")
    perform(e, "accept", by=by)
    e.refresh_from_db()
    return e


def _bilingual(resp, code):
    body = resp.json()
    assert body["error"] == code, body
    assert body["detail_zh"] and body["detail_en"] and body["detail_zh"] != body["detail_en"]
    return body


@pytest.mark.parametrize("body", [
    SURROGATE,
    '{"action": "reject", "reason": "\\udfff"}',
    '{"action": "comm\\ud800ent"}',
    '{"action": "comment", "text": "ok", "\\ud800": 1}',  # in a key
    '{"action": "merge", "into": ["\\ud800"]}',  # inside a list
])
def test_a_lone_surrogate_is_a_400_and_writes_nothing(api, users, body):
    e = _accepted(users.county_op)
    entries = TimelineEntry.objects.filter(event=e).count()
    resp = api(users.county_op).post(f"/api/v1/events/{e.pk}/actions/", body, content_type="application/json")
    assert resp.status_code == 400, resp.content
    _bilingual(resp, "invalid_text")
    e2 = Event.objects.get(pk=e.pk)
    assert e2.version == e.version and TimelineEntry.objects.filter(event=e).count() == entries


def test_a_surrogate_pair_is_text(api, users):
    """An emoji written as a JSON surrogate pair is one character, not an error."""
    e = _accepted(users.county_op)
    resp = api(users.county_op).post(f"/api/v1/events/{e.pk}/actions/",
                                      '{"action": "comment", "text": "\\ud83d\\ude00 好"}', content_type="application/json")
    assert resp.status_code == 200, resp.content
    assert TimelineEntry.objects.filter(event=e, action="comment").latest("id").reason == "\U0001f600 好"


def test_a_body_over_the_limit_is_a_413_in_the_error_shape(api, users, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    before = Event.objects.count()
    body = json.dumps({"channel": "walk_in", "content": "路" * 20_000})
    resp = api(users.county_op).post("/api/v1/events/", body, content_type="application/json")
    assert resp.status_code == 413, resp.content
    assert resp["Content-Type"].startswith("application/json")
    assert "9.8 KB" in resp.json()["detail_en"] and "9.8 KB" in resp.json()["detail_zh"]  # the limit in force
    _bilingual(resp, "too_large")
    assert Event.objects.count() == before


def test_open311_post_over_the_limit_is_a_413_in_its_error_list(client, users, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    resp = client.post("/open311/v2/requests.json", {"api_key": token_for(users.county_op), "service_code": "noise.business",
                                                     "description": "吵" * 20_000, "address_string": "海游街道"})
    assert resp.status_code == 413
    assert resp.json()[0]["code"] == 413


@pytest.mark.parametrize("start", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00"])
def test_open311_dates_past_the_calendar_are_a_400(client, users, start):
    resp = client.get("/open311/v2/requests.json", {"api_key": token_for(users.county_op), "start_date": start,
                                                    "end_date": "9999-12-31T23:59:59-23:59"})
    assert resp.status_code == 400, resp.content
    description = resp.json()[0]["description"]
    assert "W3C" in description and "日期" in description  # English / Chinese


def test_open311_errors_are_bilingual(client):
    resp = client.get("/open311/v2/requests.json", {"api_key": "nope"})
    assert resp.status_code == 403
    assert resp.json()[0]["description"] == "a valid api_key is required / 须提供有效的 api_key"


def test_an_idempotency_key_reused_for_another_matter_is_a_422(api, users):
    client = api(users.town_haiyou)
    first = client.post("/api/v1/events/", {"channel": "walk_in", "content": "路灯不亮"}, format="json",
                        HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == 201, first.content
    again = client.post("/api/v1/events/", {"channel": "walk_in", "content": "路灯不亮"}, format="json",
                        HTTP_IDEMPOTENCY_KEY="k1")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]  # a retry
    other = client.post("/api/v1/events/", {"channel": "hotline_12345", "content": "完全不同", "urgency": "critical"},
                        format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert other.status_code == 422, other.content
    assert _bilingual(other, "idempotency_key_reused")["field"] == "Idempotency-Key"
    assert Event.objects.filter(content="完全不同").count() == 0
    # another caller's same key is another key (ADR 0105)
    mine = api(users.county_op).post("/api/v1/events/", {"channel": "walk_in", "content": "完全不同"}, format="json",
                                     HTTP_IDEMPOTENCY_KEY="k1")
    assert mine.status_code == 201


def test_an_action_on_a_version_the_caller_did_not_see_is_stale(api, users):
    e = _accepted(users.county_op)
    client = api(users.county_op)
    url = f"/api/v1/events/{e.pk}/actions/"
    stale = client.post(url, {"action": "comment", "text": "旧版本", "version": e.version - 1}, format="json")
    assert stale.status_code == 409, stale.content
    _bilingual(stale, "stale")
    assert not TimelineEntry.objects.filter(event=e, reason="旧版本").exists()
    ok = client.post(url, {"action": "comment", "text": "当前版本", "version": e.version}, format="json")
    assert ok.status_code == 200, ok.content
    bad = client.post(url, {"action": "comment", "text": "x", "version": "abc"}, format="json")
    assert bad.status_code == 400 and "version" in bad.json()["fields"]


def test_the_inbox_filter_is_strict(api, users):
    user = users.county_op
    Notification.objects.create(user=user, kind="event_new", title="未读")
    Notification.objects.create(user=user, kind="event_new", title="已读", read_at="2026-01-01T00:00:00+08:00")
    client = api(user)

    def titles(**params):
        resp = client.get("/api/v1/notifications/", params)
        assert resp.status_code == 200, resp.content
        return {n["title"] for n in resp.json()["results"]}

    assert {"未读"} <= titles(unread="true") and "已读" not in titles(unread="true")
    assert {"已读"} <= titles(unread="false") and "未读" not in titles(unread="false")
    assert {"未读", "已读"} <= titles()
    resp = client.get("/api/v1/notifications/", {"unread": "abc"})
    assert resp.status_code == 400 and "unread" in resp.json()["fields"]


def test_filter_errors_name_the_field_in_both_languages(api, users):
    client = api(users.county_op)
    for language, unknown, not_date in (("zh-hans", "未知的取值", "不是日期"), ("en", "unknown value", "not a date")):
        resp = client.get("/api/v1/events/", {"state": "bogus"}, HTTP_ACCEPT_LANGUAGE=language)
        assert resp.status_code == 400
        body = resp.json()
        assert "state" in body["detail_zh"] and "state" in body["detail_en"]  # both name the field
        (msg,) = body["fields"]["state"]  # the reason in the caller's language
        assert unknown in msg and "received" in msg  # lists the states
        resp = client.get("/api/v1/events/", {"received_from": "garbage", "unmask": "1"}, HTTP_ACCEPT_LANGUAGE=language)
        assert resp.status_code == 400
        fields = resp.json()["fields"]
        assert "received_from" in fields and not_date in fields["received_from"][0]
    assert not AuditRecord.objects.filter(action="view_personal").exists()


@pytest.mark.parametrize("depth", [900, 100_000])
def test_deeply_nested_json_is_a_400(api, users, depth):
    e = _accepted(users.county_op)
    body = '{"action": "comment", "text": "x", "evidence": ' + "[" * depth + "]" * depth + "}"
    resp = api(users.county_op).post(f"/api/v1/events/{e.pk}/actions/", body, content_type="application/json")
    assert resp.status_code == 400, resp.content
    assert resp.json()["detail_zh"] and resp.json()["detail_en"]


def test_attachments_are_served_to_whoever_sees_the_matter_and_nobody_else(api, users, client):
    from .conftest import PNG, photo

    e = _accepted(users.county_op)
    att = photo(e, users.county_op, name="现场.png")
    listed = api(users.county_op).get(f"/api/v1/events/{e.pk}/attachments/").json()
    url = listed[0]["url"]
    assert url == f"/api/v1/events/{e.pk}/attachments/{att.pk}/"
    resp = api(users.town_haiyou).get(url)  # the town of the matter
    assert resp.status_code == 200 and resp["Content-Type"] == "image/png"
    assert b"".join(resp.streaming_content) == PNG
    assert resp["Content-Security-Policy"] == "sandbox" and "inline" in resp["Content-Disposition"]
    for outsider in (users.town_jiantiao, users.dept_police):
        assert api(outsider).get(url).status_code == 404
    assert api(users.county_op).get(f"/api/v1/events/{e.pk}/attachments/{att.pk + 1000}/").status_code == 404
    assert api().get(url).status_code == 401
    # the console's session works too, and the matter page links the file, not /media/
    client.force_login(users.county_op)
    page = client.get(f"/matters/{e.pk}/").content.decode()
    assert url in page and "/media/" not in page
    assert client.get(url).status_code == 200


def test_a_long_file_name_keeps_its_extension(users):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from fengqiao.core.errors import UserError
    from fengqiao.events.actions.attachments import add_attachment

    from .conftest import PNG

    e = _accepted(users.county_op)
    att = add_attachment(e, by=users.county_op, upload=SimpleUploadedFile("照" * 300 + ".png", PNG))
    assert len(att.original_name) == 200 and att.original_name.endswith(".png")
    with pytest.raises(UserError) as exc:
        add_attachment(e, by=users.county_op, upload=SimpleUploadedFile("README", b"text"))
    assert "no extension" in exc.value.en and "png" in exc.value.en and "无扩展名" in exc.value.zh


def test_open311_tells_a_key_that_may_not_read_requests_so(client, users):
    e = _accepted(users.county_op)
    resp = client.get(f"/open311/v2/requests/{e.pk}.json", {"api_key": token_for(users.auditor)})
    assert resp.status_code == 403 and "may not read requests" in resp.json()[0]["description"]


def test_matters_filter_by_the_day_they_were_resolved(api, users):
    import datetime as dt

    from django.utils import timezone

    e = _accepted(users.county_op)
    perform(e, "dispatch", by=users.county_op, to_unit=Area.objects.get(code="331022001"))
    perform(e, "sign", by=users.town_haiyou)
    perform(e, "resolve", by=users.town_haiyou, result="已处理")
    today = timezone.localdate()
    client = api(users.county_op)

    def ids(**params):
        resp = client.get("/api/v1/events/", params)
        assert resp.status_code == 200, resp.content
        return {r["id"] for r in resp.json()["results"]}

    assert e.pk in ids(resolved_from=today.isoformat(), resolved_to=today.isoformat())
    assert e.pk not in ids(resolved_from=(today + dt.timedelta(days=1)).isoformat())
    bad = client.get("/api/v1/events/", {"resolved_to": "soon"})
    assert bad.status_code == 400 and "resolved_to" in bad.json()["fields"]
