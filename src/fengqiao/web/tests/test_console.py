"""The console through Django's test client: role homes, list, detail, actions, export,
phone reports, dashboard — all restricted exactly like the API."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from fengqiao.events.actions import create_event, perform
from fengqiao.events.models import Event

pytestmark = pytest.mark.django_db

HAIYOU = "331022001"
JIANTIAO = "331022105"


def _matter(by, title="心湖社区楼下夜宵摊占道经营", address="海游街道心湖社区", **kw):
    event, _ = create_event(by=by, channel=kw.pop("channel", "hotline_12345"), title=title,
                            content=kw.pop("content", title + ",影响通行,请尽快处理。"), address=address,
                            reporter_name="张三", reporter_phone="13812341234", **kw)
    return event


def _dispatched_to_town(users, town_code=HAIYOU, **kw):
    from fengqiao.areas.models import Area

    e = _matter(users.county_op, **kw)
    perform(e, "accept", by=users.county_op)
    e.refresh_from_db()
    perform(e, "dispatch", by=users.county_op, to_unit=Area.objects.get(code=town_code))
    e.refresh_from_db()
    return e


def test_role_home_shows_counters(client, users):
    _dispatched_to_town(users)
    client.force_login(users.town_haiyou)
    resp = client.get("/")
    html = resp.content.decode()
    assert resp.status_code == 200
    assert 'data-queue="to_sign"' in html and 'data-queue="overdue"' in html
    counts = {q["key"]: q["count"] for q in resp.context["counts"]}
    assert counts["to_sign"] >= 1


def test_list_filters_and_jurisdiction(client, users):
    e = _dispatched_to_town(users)
    client.force_login(users.town_haiyou)
    resp = client.get("/matters/", {"q": "夜宵摊", "state": "dispatched"})
    assert resp.status_code == 200 and e.title in resp.content.decode()
    client.force_login(users.town_jiantiao)
    resp = client.get("/matters/", {"q": "夜宵摊"})
    assert e.title not in resp.content.decode()
    assert client.get(f"/matters/{e.pk}/").status_code == 404


def test_bad_filter_is_a_message_not_a_500(client, users):
    client.force_login(users.county_op)
    resp = client.get("/matters/", {"state": "sleeping", "received_from": "not-a-date"})
    assert resp.status_code == 200
    assert resp.context["errors"]


def test_list_page_runs_a_bounded_number_of_queries(client, users, django_assert_max_num_queries):
    for i in range(60):
        _matter(users.county_op, title=f"测试事件{i}号 道路破损")
    client.force_login(users.county_op)
    client.get("/matters/")  # warm caches (session, categories)
    with django_assert_max_num_queries(15):
        resp = client.get("/matters/", {"page_size": 50})
    assert resp.status_code == 200
    assert len(resp.context["page"].object_list) == 50


def test_detail_offers_exactly_the_allowed_actions(client, users):
    e = _dispatched_to_town(users)
    client.force_login(users.town_haiyou)
    html = client.get(f"/matters/{e.pk}/").content.decode()
    assert 'data-action="sign"' in html and 'data-action="return"' in html
    assert 'data-action="close"' not in html and 'data-action="verify"' not in html
    # personal data masked; the town operator may unmask and it is audited
    assert "138****1234" in html and "13812341234" not in html
    from fengqiao.core.models import AuditRecord

    full = client.get(f"/matters/{e.pk}/", {"unmask": "1"}).content.decode()
    assert "13812341234" in full
    assert AuditRecord.objects.filter(action="view_personal", object_id=str(e.pk)).exists()


def test_grid_worker_cannot_unmask(client, users):
    e = _matter(users.grid_xinhu1, channel="grid_report", address="心湖社区第1网格")
    client.force_login(users.grid_xinhu1)
    html = client.get(f"/matters/{e.pk}/", {"unmask": "1"}).content.decode()
    assert "13812341234" not in html


def test_action_form_and_validation_error_next_to_the_field(client, users):
    e = _dispatched_to_town(users)
    client.force_login(users.town_haiyou)
    resp = client.post(f"/matters/{e.pk}/act/return/", {"reason": ""})
    assert resp.status_code in (400, 409)
    assert "field-error" in resp.content.decode() or "role=\"alert\"" in resp.content.decode()
    resp = client.post(f"/matters/{e.pk}/act/sign/", {})
    assert resp.status_code == 302
    e.refresh_from_db()
    assert e.state == "signed"
    # a stale second click is refused with a clear message, not a 500
    resp = client.post(f"/matters/{e.pk}/act/sign/", {})
    assert resp.status_code == 409


def test_action_forms_carry_the_version_and_a_stale_form_is_refused(client, users):
    """A form drawn before someone else acted (or a second click) does nothing: 409 with the
    stale message. Comments keep the state, so only the version can tell."""
    from fengqiao.events.models import TimelineEntry

    e = _dispatched_to_town(users)
    client.force_login(users.town_haiyou)
    page = client.get(f"/matters/{e.pk}/").content.decode()
    assert f'name="version" value="{e.version}"' in page
    drawn = e.version
    resp = client.post(f"/matters/{e.pk}/act/comment/", {"text": "已联系反映人", "version": drawn})
    assert resp.status_code == 302
    comments = TimelineEntry.objects.filter(event=e, action="comment").count()
    resp = client.post(f"/matters/{e.pk}/act/comment/", {"text": "已联系反映人", "version": drawn})
    assert resp.status_code == 409
    assert "刷新" in resp.content.decode() or "reload" in resp.content.decode()
    assert TimelineEntry.objects.filter(event=e, action="comment").count() == comments
    e.refresh_from_db()
    resp = client.post(f"/matters/{e.pk}/act/comment/", {"text": "再次联系", "version": "x1"})
    assert resp.status_code == 400  # a tampered version is a message, not a 500
    resp = client.post(f"/matters/{e.pk}/act/comment/", {"text": "再次联系", "version": "²"})
    assert resp.status_code == 400  # str.isdigit() says yes, int() says no
    resp = client.post(f"/matters/{e.pk}/act/comment/", {"text": "再次联系", "version": e.version})
    assert resp.status_code == 302


def test_bulk_supervise_and_export(client, users):
    e1 = _dispatched_to_town(users)
    e2 = _dispatched_to_town(users, title="海游街道某工地夜间施工噪音")
    client.force_login(users.county_op)
    resp = client.post("/matters/bulk/", {"action": "supervise", "ids": [e1.pk, e2.pk], "reason": "请加快办理"})
    assert resp.status_code == 302
    assert Event.objects.filter(pk__in=[e1.pk, e2.pk], supervised=True).count() == 2
    evil = client.post("/matters/bulk/", {"action": "supervise", "ids": [e1.pk], "reason": "再次督办",
                                          "next": "//evil.example/phish"})
    assert evil["Location"] == "/matters/"  # no open redirect
    resp = client.get("/matters/export.xlsx", {"q": "海游"})
    assert resp.status_code == 200
    wb = load_workbook(io.BytesIO(resp.content))
    rows = list(wb.active.iter_rows(values_only=True))
    assert len(rows) >= 3
    assert all("13812341234" not in str(r) for r in rows)


def test_saved_filters_are_private(client, users):
    client.force_login(users.county_op)
    client.post("/matters/filters/", {"name": "红色预警", "query": "sla_color=red"})
    assert "红色预警" in client.get("/matters/").content.decode()
    client.force_login(users.county_op2)
    assert "红色预警" not in client.get("/matters/").content.decode()


def test_intake_form_creates_and_shows_errors(client, users):
    client.force_login(users.county_op)
    resp = client.post("/matters/new/", {"channel": "hotline_12345", "title": "", "content": "",
                                         "reporter_phone": "12345"})
    assert resp.status_code == 400 and "field-error" in resp.content.decode()
    resp = client.post("/matters/new/", {"channel": "hotline_12345", "title": "小区电梯故障",
                                         "content": "心湖社区某小区电梯经常停运", "address": "海游街道心湖社区",
                                         "reporter_phone": "13900001111", "idempotency_key": "k-intake-1"})
    assert resp.status_code == 302
    again = client.post("/matters/new/", {"channel": "hotline_12345", "title": "小区电梯故障",
                                          "content": "心湖社区某小区电梯经常停运", "idempotency_key": "k-intake-1"})
    assert again.status_code == 302 and again["Location"] == resp["Location"]


def test_suggestions_resolve_the_place(client, users):
    client.force_login(users.county_op)
    resp = client.post("/matters/suggest/", {"content": "健跳镇沿港居委会门口垃圾堆放很久没人清理"})
    assert resp.status_code == 200
    assert "健跳" in resp.content.decode()


def test_phone_report_is_idempotent(client, users):
    client.force_login(users.grid_xinhu1)
    photo = SimpleUploadedFile("p.png", _png(), content_type="image/png")
    data = {"title": "楼道堆放杂物", "content": "心湖社区3幢楼道堆放大量杂物,存在消防隐患", "address": "心湖社区",
            "latitude": "29.1", "longitude": "121.4", "photo": photo}
    r1 = client.post("/m/report/", data, HTTP_IDEMPOTENCY_KEY="phone-key-1")
    assert r1.status_code == 201, r1.content
    data["photo"] = SimpleUploadedFile("p.png", _png(), content_type="image/png")
    r2 = client.post("/m/report/", data, HTTP_IDEMPOTENCY_KEY="phone-key-1")
    assert r2.status_code == 200 and r2.json()["id"] == r1.json()["id"]
    event = Event.objects.get(pk=r1.json()["id"])
    assert event.channel == "grid_report" and event.attachments.count() == 1
    missing = client.post("/m/report/", {"content": "x"})
    assert missing.status_code == 400 and missing.json()["error"] == "idempotency_key_required"
    client.force_login(users.auditor)
    assert client.post("/m/report/", data, HTTP_IDEMPOTENCY_KEY="k2").status_code == 403


def test_dashboard_renders_with_tables(client, users):
    e = _dispatched_to_town(users)
    client.force_login(users.county_op)
    resp = client.get("/dashboard/")
    html = resp.content.decode()
    assert resp.status_code == 200
    assert 'id="chart-intake"' in html and 'id="rates-table"' in html
    assert "海游街道" in html
    assert resp.context["intake_total"] >= 1  # the matter above is counted in the intake chart
    assert e.channel in {row["url"].split("channel=")[1].split("&")[0] for row in resp.context["intake_table"]}


def test_admin_and_auditor_have_no_matter_pages(client, users):
    client.force_login(users.auditor)
    assert client.get("/").status_code == 200
    assert client.get("/matters/").status_code == 403  # not an empty list: the role reads no matters


def _png() -> bytes:
    import base64

    return base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    )


def test_triage_suggestions_accept_and_dispatch_in_one_click(client, users):
    from fengqiao.triage.models import CategoryLabel

    e = _matter(users.county_op, title="心湖社区门口流动摊贩占道经营", content="海游街道心湖社区门口流动摊贩占道经营,堵塞人行道")
    client.force_login(users.county_op)
    html = client.get(f"/matters/{e.pk}/").content.decode()
    assert 'id="triage"' in html and 'id="triage-categories"' in html
    top = e.triage.categories[0]["code"]
    resp = client.post(f"/matters/{e.pk}/category/", {"category": top})
    assert resp.status_code == 302
    e.refresh_from_db()
    assert e.category.code == top
    assert CategoryLabel.objects.filter(event=e, source="operator_accept").exists()
    client.force_login(users.grid_xinhu1)
    assert client.post(f"/matters/{e.pk}/category/", {"category": top}).status_code == 404


def test_odd_input_is_never_a_500_and_exports_hold_no_formulas(client, users):
    from fengqiao.events.actions import create_event

    client.force_login(users.county_op)
    resp = client.post("/matters/bulk/", {"action": "supervise", "ids": ["²", "9" * 30], "reason": "督办"})
    assert resp.status_code == 302
    assert client.get("/dashboard/", {"from": "9999-12-30", "to": "9999-12-31"}).status_code == 200
    assert client.get("/dashboard/", {"from": "0001-01-01", "to": "0001-01-03"}).status_code == 200
    for edge in ({"received_from": "0001-01-01"}, {"received_to": "9999-12-31"},
                 {"received_from": "0001-01-01T00:00:00"}):
        assert client.get("/matters/", edge).status_code == 200, edge
        assert client.get("/matters/export.xlsx", edge).status_code == 200, edge
        assert client.get("/api/v1/events/", edge).status_code == 200, edge
    create_event(by=users.county_op, channel="walk_in", title="=HYPERLINK(\"http://evil\")", content="心湖社区",
                 address="海游街道心湖社区")
    rows = list(load_workbook(io.BytesIO(client.get("/matters/export.xlsx").content)).active.iter_rows(values_only=True))
    titles = [r[2] for r in rows[1:]]
    assert "'=HYPERLINK(\"http://evil\")" in titles and not any(str(t).startswith("=") for t in titles)


def test_export_drops_control_characters_instead_of_failing(client, users):
    """A bell or vertical tab pasted into a matter (they reach the API as \u0007 …) made openpyxl
    refuse the whole workbook: the jurisdiction's export answered 500 for every operator."""
    from fengqiao.events.actions import create_event

    create_event(by=users.county_op, channel="walk_in", title="\x07=1+1 路灯\x0b不亮\x1f", content="心湖社区路灯",
                 address="海游街道心湖社区")
    client.force_login(users.county_op)
    resp = client.get("/matters/export.xlsx")
    assert resp.status_code == 200
    titles = [r[2] for r in load_workbook(io.BytesIO(resp.content)).active.iter_rows(values_only=True)]
    # dropped first, then the formula guard sees the "=" the bell had hidden
    assert "'=1+1 路灯不亮" in titles


def test_matters_triage_could_not_decide_wait_in_a_queue_for_a_person(client, users, api):
    """Issue 4: below the confidence a matter waits in a "needs a person" queue instead of
    being routed. The operators' workbench counts it, the list and the API filter it, and it
    leaves the queue once someone dispatches it."""
    vague = _matter(users.county_op, title="咨询一下", content="想问一下有关情况,谢谢。")
    clear = _matter(users.county_op)
    vague.triage.refresh_from_db()
    clear.triage.refresh_from_db()
    assert vague.triage.needs_person
    clear.triage.needs_person = False
    clear.triage.save(update_fields=["needs_person"])

    client.force_login(users.county_op)
    home = client.get("/")
    counts = {c["key"]: c["count"] for c in home.context["counts"]}
    assert counts["needs_person"] == 1 and "待人工研判" in home.content.decode()
    listed = client.get("/matters/", {"queue": "needs_person"}).context["page"]
    assert [e.pk for e in listed.object_list] == [vague.pk]
    got = api(users.county_op).get("/api/v1/events/", {"needs_person": "true"}).json()
    assert [r["id"] for r in got["results"]] == [vague.pk]
    assert api(users.county_op).get("/api/v1/events/", {"needs_person": "perhaps"}).status_code == 400

    perform(vague, "accept", by=users.county_op)
    vague.refresh_from_db()
    from fengqiao.areas.models import Area

    perform(vague, "dispatch", by=users.county_op, to_unit=Area.objects.get(code=HAIYOU))
    counts = {c["key"]: c["count"] for c in client.get("/").context["counts"]}
    assert counts["needs_person"] == 0
    client.force_login(users.town_haiyou)  # the queue is the operators' (towns route too)
    assert "needs_person" in {c["key"] for c in client.get("/").context["counts"]}


def test_the_handling_filter_survives_paging_and_export(client, users):
    """The evaluation links a department's figures to ?handling=CODE: page 2 and the export
    must keep that filter (they are built from FILTER_KEYS)."""
    from fengqiao.areas.models import Department

    zf = Department.objects.get(code="ZF")
    for i in range(3):
        e = _matter(users.county_op, title=f"测试占道经营{i}号")
        perform(e, "accept", by=users.county_op)
        e.refresh_from_db()
        perform(e, "dispatch", by=users.county_op, to_unit=zf)
    client.force_login(users.county_op)
    resp = client.get("/matters/", {"handling": "ZF"})
    assert resp.status_code == 200
    assert resp.context["query"].get("handling") == "ZF" and "handling=ZF" in resp.context["querystring"]
    assert {e.handling_department_id for e in resp.context["page"].object_list} == {zf.pk}
