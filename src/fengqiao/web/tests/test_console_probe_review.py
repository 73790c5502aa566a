"""What an outside probe of the console in a browser found (session 28): an action refused
because someone else acted first says so at the top of the page with what was typed; files sent
with a refused action leave nothing on disk; saving the intake form, going back and saving again
files nothing twice."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from fengqiao.events.actions import create_event, perform
from fengqiao.events.models import Attachment, Event

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _matter(by):
    event, _ = create_event(by=by, channel="hotline_12345", title="楼道堆物", content="海游街道心湖社区楼道堆物,请处理。",
                            address="海游街道心湖社区")
    return event


def _files() -> set[Path]:
    root = Path(settings.MEDIA_ROOT)
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def test_an_action_refused_because_another_acted_first_says_so_with_what_was_typed(client, users):
    e = _matter(users.county_op)
    seen = e.version  # the second tab was drawn now
    perform(e, "accept", by=users.county_op)  # the first tab accepts
    client.force_login(users.county_op)
    resp = client.post(f"/matters/{e.pk}/act/reject/", {"reason": "重复来电,已在另一件中处理", "version": seen})
    assert resp.status_code == 409
    html = resp.content.decode()
    top = html[html.index('id="action-error"'):]
    top = top[:top.index("</div>")]
    assert "重复来电,已在另一件中处理" in top and len(top) > 60  # the reason, and why it was refused
    assert Event.objects.get(pk=e.pk).state == "accepted"


def test_an_action_refused_on_its_form_keeps_the_error_there(client, users):
    e = _matter(users.county_op)
    client.force_login(users.county_op)
    resp = client.post(f"/matters/{e.pk}/act/reject/", {"reason": "", "version": e.version})
    assert resp.status_code == 400
    html = resp.content.decode()
    assert 'id="action-error"' not in html
    form = html[html.index("data-action=\"reject\""):]
    assert 'role="alert"' in form[:form.index("</details>")]


def test_files_sent_with_a_refused_action_are_not_kept(client, users):
    from fengqiao.areas.models import Area

    e = _matter(users.county_op)
    perform(e, "accept", by=users.county_op)
    perform(Event.objects.get(pk=e.pk), "dispatch", by=users.county_op, to_unit=Area.objects.get(code="331022001"))
    perform(Event.objects.get(pk=e.pk), "sign", by=users.town_haiyou)
    client.force_login(users.town_haiyou)
    before = _files()
    resp = client.post(f"/matters/{e.pk}/act/resolve/", {
        "result": "", "version": Event.objects.get(pk=e.pk).version,
        "evidence": [SimpleUploadedFile("photo.png", PNG, content_type="image/png")]})
    assert resp.status_code == 400
    assert not Attachment.objects.filter(event=e).exists()
    assert _files() == before
    resp = client.post(f"/matters/{e.pk}/act/resolve/", {
        "result": "已清理", "version": Event.objects.get(pk=e.pk).version,
        "evidence": [SimpleUploadedFile("photo.png", PNG, content_type="image/png")]})
    assert resp.status_code == 302
    assert Attachment.objects.filter(event=e).count() == 1 and len(_files() - before) == 1


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_back_after_saving_an_intake_does_not_offer_the_same_text_again(browser, live_server, demo_county):
    from .conftest import login

    page = browser.new_context(locale="zh-CN").new_page()
    login(page, live_server.url, "county_op")
    page.goto(f"{live_server.url}/matters/new/")
    text = "海游街道心湖社区广场夜间广场舞音响太响,影响休息。"
    page.fill("#id_content", text)
    with page.expect_navigation():
        page.click("#intake-form button[type=submit]")
    assert Event.objects.filter(content=text).count() == 1
    page.go_back()
    page.wait_for_selector("#id_content")
    assert page.input_value("#id_content") == ""
    page.context.close()


@pytest.mark.parametrize("field, value", [("address", "海" * 301), ("urgency", "soon"), ("reporter_name", "林" * 101),
                                          ("reporter_name", "林\x07美")])
def test_every_refused_intake_field_says_why_on_the_form(client, users, field, value):
    client.force_login(users.county_op)
    before = Event.objects.count()
    form = {"channel": "hotline_12345", "content": "海游街道心湖社区路灯不亮。", "idempotency_key": "k1", field: value}
    resp = client.post("/matters/new/", form)
    assert resp.status_code == 400
    html = resp.content.decode()
    assert 'class="error' in html and Event.objects.count() == before


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_matter_page_fits_a_narrow_phone(browser, live_server, demo_county):
    from fengqiao.accounts.models import User

    from .conftest import login

    worker = User.objects.get(username="grid_xinhu1")
    matter, _ = create_event(by=worker, channel="grid_report", title="楼道堆物", content="心湖社区3幢楼道堆物。")
    page = browser.new_context(locale="zh-CN", viewport={"width": 320, "height": 700}).new_page()
    login(page, live_server.url, "grid_xinhu1")
    page.goto(f"{live_server.url}/matters/{matter.pk}/")
    page.wait_for_selector("dl.fields")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.context.close()


@pytest.mark.parametrize("language, query, said, not_said", [
    ("zh-hans", "state=zzz", ["状态", "未知的取值"], ["state:", "unknown value"]),
    ("en", "state=zzz", ["State", "unknown value"], ["未知"]),
    ("zh-hans", "received_from=2026-13-01", ["受理时间起", "不是日期"], ["received_from", "not a date"]),
    ("en", "sla_color=zzz", ["Time-limit colour"], ["sla_color"]),
])
def test_a_refused_list_filter_is_said_in_the_readers_language(client, users, language, query, said, not_said):
    client.force_login(users.county_op)
    html = client.get(f"/matters/?{query}", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    box = html[html.index('class="error'):]
    box = box[:box.index("</")]
    assert all(w in box for w in said), box
    assert not any(w in box for w in not_said), box


@pytest.mark.parametrize("query, said", [
    ("received_from=2026-12-31&received_to=2020-01-01", "The range runs backwards"),
    ("area=331022105", "Unknown area or outside your jurisdiction: 331022105"),  # another town's
    ("area=zzz", "Unknown area or outside your jurisdiction: zzz"),
])
def test_a_list_filter_that_can_find_nothing_says_why(client, users, query, said):
    _matter(users.county_op)
    client.force_login(users.town_haiyou)
    html = client.get(f"/matters/?{query}", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert said in html
    assert client.get("/matters/?received_from=2020-01-01&received_to=2026-12-31").status_code == 200


@pytest.mark.parametrize("who", ["admin", "auditor"])
@pytest.mark.parametrize("path", ["/matters/", "/matters/export.xlsx", "/dashboard/"])
def test_the_administrator_and_the_auditor_read_no_matters(client, users, who, path):
    from fengqiao.core.models import AuditRecord

    client.force_login(getattr(users, who))
    exports = AuditRecord.objects.filter(action="export").count()
    assert client.get(path).status_code == 403
    assert AuditRecord.objects.filter(action="export").count() == exports
