"""Console regressions from a review of the demo: error pages in the console's frame and the
user's language, the intake form keeping 匿名, a reused channel reference said out loud, a
refused upload explained on the action form, content (not title) blamed for an empty intake."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from fengqiao.events.models import Event


def test_error_pages_are_the_consoles_in_the_users_language(client, users, db):
    client.force_login(users.auditor)
    resp = client.get("/areas/")
    assert resp.status_code == 404
    page = resp.content.decode()
    assert "页面不存在或不在您的管辖范围内" in page and "topbar" in page  # the console's page, in Chinese
    assert 'href="/areas/"' not in page  # an auditor's menu no longer offers the area tree
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Not found, or outside your jurisdiction" in client.get("/areas/").content.decode()



def _intake(client, **data):
    body = {"channel": "walk_in", "title": "", "content": "", "address": "海游街道心湖社区", "urgency": "normal",
            "idempotency_key": data.pop("key", "")}
    body.update(data)
    return client.post("/matters/new/", body)


def test_an_intake_sent_back_keeps_anonymous_and_files_no_identity(client, users, db):
    client.force_login(users.county_op)
    resp = _intake(client, anonymous="on", reporter_name="周八", reporter_phone="13700003333")  # no content
    assert resp.status_code == 400
    page = resp.content.decode()
    assert 'name="anonymous" checked' in page
    assert "诉求内容不能为空" in page  # the content is what is missing, not the optional title
    resp = _intake(client, anonymous="on", reporter_name="周八", reporter_phone="13700003333", content="匿名反映楼道堆物")
    assert resp.status_code == 302
    ev = Event.objects.get(content="匿名反映楼道堆物")
    assert ev.anonymous and not ev.reporter_name and not ev.reporter_phone


def test_a_reused_channel_reference_is_said_out_loud(client, users, db):
    client.force_login(users.county_op)
    first = _intake(client, channel="hotline_12345", channel_ref="12345-20261206-001", content="路灯不亮")
    again = _intake(client, channel="hotline_12345", channel_ref="12345-20261206-001", content="另一件事")
    assert first.status_code == again.status_code == 302 and first["Location"] == again["Location"]
    page = client.get(again["Location"]).content.decode()
    assert "12345-20261206-001" in page and "未重复登记" in page
    assert not Event.objects.filter(content="另一件事").exists()


def test_a_refused_upload_is_explained_on_the_action_form(client, users, db):
    from fengqiao.events.actions import create_event, perform

    ev, _ = create_event(by=users.county_op, channel="walk_in", title="楼道堆物", content="楼道堆物", address="海游街道心湖社区")
    perform(ev, "accept", by=users.county_op)
    client.force_login(users.county_op)
    resp = client.post(f"/matters/{ev.pk}/act/comment/",
                       {"text": "附件", "attachments": SimpleUploadedFile("x.exe", b"MZ" + b"\0" * 10)})
    assert resp.status_code == 400
    page = resp.content.decode()
    assert 'role="alert"' in page and ".exe" in page


def test_the_timeline_speaks_the_readers_language(client, users, db):
    from fengqiao.events.actions import create_event, perform

    ev, _ = create_event(by=users.county_op, channel="walk_in", title="楼道堆物", content="楼道堆物", address="海游街道心湖社区")
    perform(ev, "accept", by=users.county_op)
    client.force_login(users.county_op)
    timeline = client.get(f"/matters/{ev.pk}/").content.decode().split('id="timeline"')[1]
    assert "登记受理" in timeline and "待受理 → 已受理" in timeline
    assert "∅" not in timeline and "received" not in timeline


def test_a_several_state_filter_shows_in_the_state_box(client, users, db):
    client.force_login(users.county_op)
    page = client.get("/matters/", {"state": "received,accepted"}).content.decode()
    assert '<option value="received,accepted" selected>待受理 / 已受理</option>' in page


def test_the_auditor_reads_the_audit_trail_in_the_console(client, users, db):
    from fengqiao.events.actions import create_event

    create_event(by=users.county_op, channel="walk_in", title="楼道堆物", content="楼道堆物", address="海游街道心湖社区")
    client.force_login(users.auditor)
    home = client.get("/").content.decode()
    assert 'href="/audit/"' in home
    page = client.get("/audit/", {"action": "event_create", "actor_username": "county_op"})
    assert page.status_code == 200
    body = page.content.decode()
    assert "event_create" in body and "county_op" in body and "events.event" in body
    assert client.get("/audit/", {"since": "not a time"}).status_code == 400
    client.force_login(users.county_op)  # the audit trail is the auditor's alone
    assert client.get("/audit/").status_code == 403
    assert 'href="/audit/"' not in client.get("/").content.decode()


def test_a_missing_holiday_arrangement_is_shown_to_those_who_enter_it(client, users, db):
    import datetime as dt

    from fengqiao.web.context import calendar_gap
    from fengqiao.workcal.services import get_calendar

    calendar = get_calendar()
    unknown = next(y for y in range(2026, 2100) if not calendar.is_year_known(y))  # the year before is known
    assert calendar_gap(dt.date(unknown - 1, 9, 30)) is None  # before October only this year counts
    assert calendar_gap(dt.date(unknown - 1, 12, 6)) == unknown  # from October the next one too
    assert calendar_gap(dt.date(unknown, 1, 2)) == unknown
    gap = calendar_gap()
    client.force_login(users.county_op)
    page = client.get("/").content.decode()
    assert (f"尚未录入 {gap} 年节假日安排" in page) == (gap is not None)
    client.force_login(users.grid_xinhu1)  # nothing a grid worker can do about it
    assert "节假日安排" not in client.get("/").content.decode()


def test_a_bulk_action_with_nothing_ticked_says_so(client, users, db):
    client.force_login(users.county_op)
    resp = client.post("/matters/bulk/", {"action": "dispatch", "to_unit": "area:331022001"}, follow=True)
    assert "请先勾选要处理的事件" in resp.content.decode()


def test_pages_a_role_cannot_use_say_why_in_the_consoles_frame(client, users, db):
    """From a fresh-demo review: a leader opening the intake form got a bare text line, the
    auditor got a phone page with no area and nothing to do, the mediator an empty matters
    workbench, and the area table headed its names 姓名 (a person's name)."""
    client.force_login(users.leader)
    resp = client.get("/matters/new/")
    page = resp.content.decode()
    assert resp.status_code == 403 and "您的角色不能登记事件" in page and "topbar" in page
    client.force_login(users.auditor)
    assert client.get("/m/").status_code == 403
    client.force_login(users.mediator)
    resp = client.get("/")
    assert resp.status_code == 302 and resp["Location"] == "/mediation/my/"
    client.force_login(users.county_op)
    page = client.get("/areas/").content.decode()
    assert "<th>名称</th>" in page and "<th>姓名</th>" not in page


def test_the_audit_trail_names_actions_in_words(client, users, db):
    from fengqiao.core import audit
    from fengqiao.events.actions import create_event
    from fengqiao.web.audit import action_label

    e = create_event(by=users.county_op, channel="walk_in", title="楼道堆物", content="楼道堆物",
                     address="海游街道心湖社区")[0]
    audit.record("event_accept", e, actor=users.county_op)
    audit.record("workcal.set_day", actor=users.admin, object_type="workcal.calendarday")
    client.force_login(users.auditor)
    body = client.get("/audit/").content.decode()
    assert "登记事件" in body and "事件: 受理" in body and "设置节假日或调休日" in body
    assert '<option value="event_create">登记事件</option>' in body
    assert action_label("dispute_accept") == "纠纷: 受理"
    assert action_label("something_new") == "something_new"  # unknown codes stay readable


def test_a_channel_reference_too_long_is_refused_not_cut(client, users, db):
    """Two 65-character order numbers sharing their first 64 characters became one matter (the
    second was dropped as "already taken in"): a reference over 64 characters is refused."""
    client.force_login(users.county_op)
    before = Event.objects.count()
    resp = _intake(client, content="楼道堆放杂物", channel_ref="1" * 64 + "2")
    assert resp.status_code == 400 and "64" in resp.content.decode()  # the form comes back with the error
    assert Event.objects.count() == before


def test_an_audit_filter_far_in_the_future_is_no_500(client, users, db):
    client.force_login(users.auditor)
    resp = client.get("/audit/", {"since": "9999-12-31T23:59:59-23:59"})
    assert resp.status_code == 200 and "since" not in (resp.context["errors"] or {})
