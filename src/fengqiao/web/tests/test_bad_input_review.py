"""Bad input a black-box probe of the console found answered with a 500 on PostgreSQL, or kept
as typed on SQLite: a NUL in any form (one check before every view, ``RefuseNulMiddleware``),
a NUL in the query string of an export (recorded in the audit trail), and the mediation pages'
filters, dates beyond any calendar and ids beyond any database key."""

from __future__ import annotations

import pytest

from fengqiao.core.audit import NUL_SIGN
from fengqiao.core.models import AuditRecord
from fengqiao.events.models import Event, TimelineEntry

from .test_console import _dispatched_to_town, _matter

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def test_a_nul_in_a_matter_form_is_a_400_and_writes_nothing(client, users):
    e = _dispatched_to_town(users)
    client.force_login(users.town_haiyou)
    before = TimelineEntry.objects.filter(event=e).count()
    for fields in ({"text": "已联系\x00反映人"}, {"text": "\x00"}, {"te\x00xt": "已联系"}):
        resp = client.post(f"/matters/{e.pk}/act/comment/", {**fields, "version": e.version})
        assert resp.status_code == 400, fields
        assert "NUL" in resp.content.decode()
    resp = client.post(f"/matters/{e.pk}/act/comment/", {"text": "已联系\x00反映人", "version": e.version}, **EN)
    assert "the form holds a NUL character; nothing was saved" in resp.content.decode()
    # the refusal is a page like any other: the security headers are on it
    assert "script-src 'self'" in resp["Content-Security-Policy"] and resp["X-Frame-Options"] == "DENY"
    assert TimelineEntry.objects.filter(event=e).count() == before
    # the same form without the NUL goes through
    resp = client.post(f"/matters/{e.pk}/act/comment/", {"text": "已联系反映人", "version": e.version})
    assert resp.status_code == 302
    assert TimelineEntry.objects.filter(event=e).count() == before + 1


def test_a_nul_in_intake_and_in_the_phone_report(client, users):
    client.force_login(users.county_op)
    before = Event.objects.count()
    resp = client.post("/matters/new/", {"channel": "walk_in", "title": "路灯不亮", "content": "心湖社区\x00路灯不亮"})
    assert resp.status_code == 400 and Event.objects.count() == before
    client.force_login(users.grid_xinhu1)
    resp = client.post("/m/report/", {"title": "楼道\x00堆物", "content": "心湖社区3幢楼道堆放杂物"},
                       HTTP_IDEMPOTENCY_KEY="nul-1")
    assert resp.status_code == 400 and resp["Content-Type"].startswith("application/json")  # the phone reads JSON
    assert resp.json()["error"] == "bad_text" and resp.json()["detail_en"]
    assert Event.objects.count() == before


def test_the_api_keeps_its_own_field_errors(api, users):
    """The APIs are not touched by the page check: their serializers name the field."""
    resp = api(users.county_op).post("/api/v1/events/", {"channel": "walk_in", "title": "路灯\x00不亮",
                                                         "content": "心湖社区路灯不亮"}, format="json")
    assert resp.status_code == 400 and "title" in str(resp.json())


def test_a_nul_in_an_export_query_is_recorded_not_a_500(client, users):
    """The export records its query string in the audit trail: a NUL there (in a key the list
    does not read) is recorded as a sign, which PostgreSQL's JSON column takes."""
    _matter(users.county_op)
    client.force_login(users.county_op)
    resp = client.get("/matters/export.xlsx", {"zzz": "a\x00b"})
    assert resp.status_code == 200
    record = AuditRecord.objects.filter(action="export").order_by("-seq").first()
    assert record.after["filters"] == {"zzz": f"a{NUL_SIGN}b"}
    # in a filter the list reads, it is said on the list
    resp = client.get("/matters/export.xlsx", {"q": "海游\x00"})
    assert resp.status_code == 302 and resp.url.startswith("/matters/?")


def test_an_address_too_long_is_refused_not_cut(client, users):
    client.force_login(users.grid_xinhu1)
    resp = client.post("/m/report/", {"title": "楼道堆物", "content": "心湖社区3幢楼道堆放杂物", "address": "心" * 301},
                       HTTP_IDEMPOTENCY_KEY="long-address-1")
    assert resp.status_code == 400 and resp.json()["field"] == "address"
    assert not Event.objects.filter(title="楼道堆物").exists()
    resp = client.post("/m/report/", {"title": "楼道堆物", "content": "心湖社区3幢楼道堆放杂物", "address": "心" * 300},
                       HTTP_IDEMPOTENCY_KEY="long-address-2")
    assert resp.status_code == 201 and Event.objects.get(title="楼道堆物").address == "心" * 300


def test_a_dashboard_date_that_cannot_be_read_is_said(client, users):
    client.force_login(users.county_op)
    resp = client.get("/dashboard/", {"from": "2026-02-30", "to": "2026-03-31"}, **EN)
    assert resp.status_code == 200
    said = [str(m) for m in resp.context["messages"]]
    assert any(m.startswith("Not a date: 2026-02-30; showing ") for m in said), said
    resp = client.get("/dashboard/", {"from": "2026-03-01", "to": "2026-03-31"}, **EN)
    assert not [str(m) for m in resp.context["messages"]]
    # a period turned round, and one cut to 366 days: said with what is shown
    for period, shown in (({"from": "2026-03-31", "to": "2026-03-01"}, "2026-03-01 to 2026-03-31"),
                          ({"from": "2020-01-01", "to": "2026-03-31"}, "2025-03-30 to 2026-03-31")):
        said = [str(m) for m in client.get("/dashboard/", period, **EN).context["messages"]]
        assert any(shown in m and "at most 366 days" in m for m in said), (period, said)


def test_a_form_over_the_upload_limits_is_django_s_400_not_an_empty_form(client, users, settings):
    """The NUL check reads the form first: a body over the limits must not reach the view as an
    empty form (which said "the content is required")."""
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    client.force_login(users.grid_xinhu1)
    before = Event.objects.count()
    fields = {"title": "楼道堆物", "content": "心湖社区3幢楼道堆放杂物", **{f"x{i}": "1" for i in range(10)}}
    resp = client.post("/m/report/", fields, HTTP_IDEMPOTENCY_KEY="too-many-1")
    assert resp.status_code == 400
    assert b"content_required" not in resp.content and "required" not in resp.content.decode()
    assert Event.objects.count() == before
