"""What an outside probe of the HTTP API found (session 28): every intake path keeps the same
limits (Open311 too), free text of an action is refused, not cut or stored with a NUL, nothing
sent is silently dropped (unknown fields, a second file), and refusals say what is wrong in both
languages with the right status (405 for a method, 400 for a page or an ordering, a CSRF
failure named as such) without echoing the input in bulk."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from fengqiao.accounts.actions import token_for
from fengqiao.events.models import Attachment, Event, TimelineEntry

from .conftest import PNG, new_event

pytestmark = pytest.mark.django_db

STONE = "海游街道心湖社区石料厂夜里开机，噪声很大。"


def _open311(client, key, headers=None, **fields):
    data = {"api_key": key, "service_code": "noise.business", "description": STONE,
            "address_string": "海游街道心湖社区", **fields}
    return client.post("/open311/v2/requests.json", data, headers=headers or {})


def _bilingual(resp, code, status=400):
    assert resp.status_code == status, resp.content
    body = resp.json()
    assert body["error"] == code, body
    assert body["detail_zh"] and body["detail_en"] and body["detail_zh"] != body["detail_en"]
    return body


@pytest.mark.parametrize("fields", [
    {"description": "石料厂\x00夜里开机"},
    {"external_id": "A\x00B"},
    {"description": "噪" * 20001},
    {"first_name": "林" * 101},
    {"first_name": "\x00"},
    {"first_name": "林\x07美"},
    {"lat": "29.1"},  # half a point
    {"service_code": "noise\x00business"},
])
def test_open311_refuses_what_the_api_refuses_and_writes_nothing(client, users, fields):
    before = Event.objects.count()
    resp = _open311(client, token_for(users.county_op), **fields)
    assert resp.status_code in (400, 404), resp.content
    (err,) = resp.json()
    assert err["code"] == resp.status_code and " / " in err["description"]
    assert Event.objects.count() == before


def test_open311_takes_the_longest_allowed_and_a_title_from_the_first_sentence(client, users):
    resp = _open311(client, token_for(users.county_op), description="噪" * 20000, first_name="林" * 50)
    assert resp.status_code == 201, resp.content
    ev = Event.objects.get(pk=resp.json()[0]["service_request_id"])
    assert len(ev.content) == 20000 and ev.title.endswith("…")


def test_open311_idempotency_keys_are_never_cut_and_reuse_is_a_422(client, users):
    key = token_for(users.county_op)
    long_a, long_b = "A" * 100 + "1", "A" * 100 + "2"
    for k in (long_a, long_b):
        resp = _open311(client, key, headers={"Idempotency-Key": k})
        assert resp.status_code == 400 and "Idempotency-Key" in resp.json()[0]["description"]
    first = _open311(client, key, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 201
    assert _open311(client, key, headers={"Idempotency-Key": "k-1"}).status_code == 200  # a retry
    other = _open311(client, key, headers={"Idempotency-Key": "k-1"}, description="另一件事:路灯坏了。")
    assert other.status_code == 422 and other.json()[0]["code"] == 422


@pytest.mark.parametrize("method, path", [
    ("put", "/open311/v2/requests.json"),
    ("delete", "/open311/v2/requests/1.json"),
    ("patch", "/open311/v2/services.json"),
])
def test_open311_answers_a_method_it_does_not_take_with_its_own_405(client, users, method, path):
    resp = getattr(client, method)(f"{path}?api_key={token_for(users.county_op)}")
    assert resp.status_code == 405 and "GET" in resp["Allow"]
    (err,) = resp.json()
    assert err["code"] == 405 and " / " in err["description"]


@pytest.mark.parametrize("body, code", [
    ({"action": "comment", "text": "abc\x00def"}, "bad_text"),
    ({"action": "comment", "text": "r" * 5001}, "text_too_long"),
    ({"action": "cancel", "reason": "\x00"}, "bad_text"),
])
def test_action_text_with_a_nul_or_too_long_is_refused(api, users, body, code):
    e = new_event(users.county_op)
    entries = TimelineEntry.objects.filter(event=e).count()
    resp = api(users.county_op).post(f"/api/v1/events/{e.pk}/actions/", body, format="json")
    assert _bilingual(resp, code)["field"] in ("text", "reason")
    assert TimelineEntry.objects.filter(event=e).count() == entries
    assert Event.objects.get(pk=e.pk).version == e.version


def test_a_long_resolution_report_is_kept_whole(api, users, make):
    e = make("in_progress")
    text = "已处理。" + "现场核查" * 1200  # 4,804 characters
    resp = api(users.town_haiyou).post(f"/api/v1/events/{e.pk}/actions/", {"action": "resolve", "result": text},
                                       format="json")
    assert resp.status_code == 200, resp.content
    assert Event.objects.get(pk=e.pk).result == text


def test_unknown_fields_are_refused_not_dropped(api, users):
    before = Event.objects.count()
    resp = api(users.county_op).post("/api/v1/events/", {"channel": "hotline_12345", "content": STONE,
                                                         "adress": "海游街道心湖社区"}, format="json")
    assert _bilingual(resp, "unknown_field")["field"] == "adress"
    assert Event.objects.count() == before
    e = new_event(users.county_op)
    resp = api(users.county_op).post(f"/api/v1/events/{e.pk}/actions/", {"action": "accept", "bogus": 1}, format="json")
    assert _bilingual(resp, "unknown_field")["field"] == "bogus"
    assert Event.objects.get(pk=e.pk).state == "received"
    resp = api(users.county_op).post(f"/api/v1/events/{e.pk}/actions/", {"action": "accept", "version": e.version},
                                     format="json")
    assert resp.status_code == 200, resp.content


@pytest.mark.parametrize("coords, field", [
    ({"longitude": 121.38, "latitude": True}, "latitude"),
    ({"longitude": 121.38}, "latitude"),
    ({"latitude": 29.1}, "longitude"),
])
def test_a_point_is_two_numbers_or_none(api, users, coords, field):
    before = Event.objects.count()
    resp = api(users.county_op).post("/api/v1/events/", {"channel": "hotline_12345", "content": STONE, **coords},
                                     format="json")
    assert resp.status_code == 400, resp.content
    body = resp.json()
    assert field in json.dumps(body)
    assert Event.objects.count() == before


def test_two_files_in_one_upload_are_refused_not_one_dropped(api, users):
    e = new_event(users.county_op)
    files = [SimpleUploadedFile(n, PNG, content_type="image/png") for n in ("a.png", "b.png")]
    resp = api(users.county_op).post(f"/api/v1/events/{e.pk}/attachments/", {"file": files}, format="multipart")
    _bilingual(resp, "one_file")
    assert not Attachment.objects.filter(event=e).exists()


def test_a_session_write_without_csrf_is_named_as_such(users):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(users.county_op)
    resp = browser.post("/api/v1/events/", {"channel": "hotline_12345", "content": STONE},
                        content_type="application/json")
    body = _bilingual(resp, "csrf_failed", 403)
    assert "CSRF" in body["detail_en"] and "CSRF" in body["detail_zh"]


@pytest.mark.parametrize("path", ["/api/v1/alerts/", "/api/v1/tasks/", "/api/v1/categories/environment/"])
def test_a_method_a_view_does_not_take_is_405_for_any_role(api, users, path):
    for user in (users.county_op, users.town_haiyou):
        resp = api(user).put(path, {}, format="json")
        _bilingual(resp, "method_not_allowed", 405)


def test_validation_errors_name_the_fields_in_both_languages(api, users):
    body = _bilingual(api(users.county_op).post("/api/v1/events/", {"title": "x"}, format="json"), "invalid")
    for detail in (body["detail_zh"], body["detail_en"]):
        assert "channel" in detail and "content" in detail
    assert set(body["fields"]) == {"channel", "content"}


@pytest.mark.parametrize("language, word", [("en", "Null characters"), ("zh-hans", "空字符(NUL)")])
def test_a_nul_in_a_query_is_called_a_nul(api, users, language, word):
    resp = api(users.county_op).get("/api/v1/events/?q=%00", HTTP_ACCEPT_LANGUAGE=language)
    assert resp.status_code == 400
    assert word in json.dumps(resp.json()["fields"], ensure_ascii=False)


@pytest.mark.parametrize("page, status, code", [("abc", 400, "bad_page"), ("0", 400, "bad_page"),
                                                ("-1", 400, "bad_page"), ("1.5", 400, "bad_page"),
                                                ("9999", 404, "no_such_page")])
def test_a_bad_page_says_so(api, users, page, status, code):
    _bilingual(api(users.county_op).get(f"/api/v1/events/?page={page}"), code, status)


def test_an_unknown_ordering_is_refused_with_the_allowed_ones(api, users):
    body = _bilingual(api(users.county_op).get("/api/v1/events/?ordering=nonexistent"), "bad_ordering")
    assert "received_at" in body["detail_en"]
    assert api(users.county_op).get("/api/v1/events/?ordering=-received_at,id").status_code == 200


def test_a_refusal_does_not_echo_the_input_in_bulk(api, users):
    e = new_event(users.county_op)
    resp = api(users.county_op).post(f"/api/v1/events/{e.pk}/actions/",
                                     {"action": "dispatch", "to_unit": "x" * 100000}, format="json")
    assert resp.status_code == 400 and len(resp.content) < 2000
    resp = _open311(Client(), token_for(users.county_op), address_id="9" * 1000)
    assert resp.status_code == 400 and len(resp.content) < 2000
