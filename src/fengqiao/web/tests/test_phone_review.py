"""Review fixes of the phone page (server side): a report sent with an expired sign-in gets a
401 JSON answer (never a redirect to the login page, which the phone took for success), and
nothing is created."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from fengqiao.events.models import Event

pytestmark = pytest.mark.django_db

REPORT = {"title": "楼道堆放杂物", "content": "心湖社区3幢楼道堆放大量杂物,存在消防隐患", "address": "心湖社区"}


def _assert_401_json(resp):
    assert resp.status_code == 401, resp.content
    assert resp["Content-Type"].startswith("application/json")
    body = resp.json()
    assert body["error"] == "not_authenticated"
    assert body["detail_zh"] and body["detail_en"]
    assert body["login_url"] == "/accounts/login/?next=%2Fm%2F"
    assert "Location" not in resp


def test_anonymous_report_is_401_json_and_creates_nothing(client):
    before = Event.objects.count()
    resp = client.post("/m/report/", REPORT, HTTP_IDEMPOTENCY_KEY="anon-1")
    _assert_401_json(resp)
    assert Event.objects.count() == before


def test_expired_session_is_401_json_with_csrf_enforced(users):
    """The phone's real case: it holds a CSRF cookie and a session that has expired on the server."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(users.grid_xinhu1)
    client.get("/m/")  # the page sets the CSRF cookie, as on the phone
    token = client.cookies["csrftoken"].value
    # the session runs out on the server while the phone keeps the report queued
    Session.objects.filter(session_key=client.cookies["sessionid"].value).update(
        expire_date=timezone.now() - dt.timedelta(minutes=1))
    before = Event.objects.count()
    resp = client.post("/m/report/", REPORT, HTTP_IDEMPOTENCY_KEY="expired-1", HTTP_X_CSRFTOKEN=token)
    _assert_401_json(resp)
    assert Event.objects.count() == before
    assert not Event.objects.filter(idempotency_key__endswith=":expired-1").exists()  # stored as "<user>:<key>"


def test_the_page_itself_still_sends_to_the_login_page(client):
    resp = client.get("/m/")
    assert resp.status_code == 302 and resp["Location"].startswith("/accounts/login/")


def test_signed_in_report_answers_the_matter_id(client, users):
    client.force_login(users.grid_xinhu1)
    resp = client.post("/m/report/", REPORT, HTTP_IDEMPOTENCY_KEY="ok-1")
    assert resp.status_code == 201 and isinstance(resp.json()["id"], int)
    page = client.get("/m/").content.decode()
    assert 'id="queue-login-link" href="/accounts/login/?next=%2Fm%2F"' in page


def test_refused_file_is_a_4xx_with_a_reason_and_creates_nothing(client, users):
    client.force_login(users.grid_xinhu1)
    before = Event.objects.count()
    exe = SimpleUploadedFile("setup.exe", b"MZ\x90\x00", content_type="application/octet-stream")
    resp = client.post("/m/report/", {**REPORT, "photo": exe}, HTTP_IDEMPOTENCY_KEY="exe-1")
    assert 400 <= resp.status_code < 500 and resp.json()["detail"]
    assert Event.objects.count() == before


# ---------------------------------------------------------------- in a real browser

def _phone(browser, live_server, username="grid_xinhu1"):
    from .conftest import login

    # Service workers are blocked so Playwright sees (and can answer) every request.
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True,
                              service_workers="block", has_touch=True, permissions=["geolocation"],
                              geolocation={"latitude": 29.12, "longitude": 121.38})
    page = ctx.new_page()
    login(page, live_server.url, username)
    page.goto(f"{live_server.url}/m/")
    page.wait_for_selector("#queue-status[data-count='0']")
    return ctx, page


def _report(page, content, photo=None):
    page.fill("#r-content", content)
    if photo is not None:
        page.set_input_files("input[name=photo]", photo)
    page.click("#report-form button[type=submit]")


def _wait(page, condition: str, tries: int = 50):
    """Poll a JS condition, nudging the queue now and then."""
    for i in range(tries):
        if page.evaluate(condition):
            return
        if i % 5 == 4:
            page.evaluate("window.fengqiaoPhone.flush()")
        page.wait_for_timeout(200)
    raise AssertionError(f"never true: {condition}")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_expired_sign_in_keeps_the_report_and_sends_it_after_signing_in(browser, live_server, demo_county,
                                                                           screenshot_dir):
    content = "心湖社区5幢门口窨井盖破损,夜间行人容易踩空"
    ctx, page = _phone(browser, live_server)
    before = Event.objects.filter(channel="grid_report").count()

    # 1. What the reviewer saw: the answer is a redirect to the login page (or the login page
    #    itself). Neither is a confirmation: the report stays queued.
    page.route("**/m/report/", lambda route: route.fulfill(
        status=302, headers={"Location": "/accounts/login/?next=/m/report/"}))
    _report(page, content)
    page.wait_for_selector("#queue-login:not([hidden])")
    assert page.locator("#queue-status").get_attribute("data-count") == "1"
    page.unroute("**/m/report/")
    page.route("**/m/report/", lambda route: route.fulfill(status=200, content_type="text/html",
                                                         body="<html><form id=login></form></html>"))
    page.evaluate("window.fengqiaoPhone.flush()")
    page.wait_for_selector("#queue-notice:not([hidden])")
    assert page.locator("#queue-status").get_attribute("data-count") == "1"
    page.unroute("**/m/report/")

    # 2. The real server with an expired session: 401 JSON, kept, the worker is asked to sign in.
    Session.objects.all().update(expire_date=timezone.now() - dt.timedelta(minutes=1))
    answers = []
    page.on("response", lambda r: answers.append(r.status) if r.url.endswith("/m/report/") else None)
    page.evaluate("window.fengqiaoPhone.flush()")
    _wait(page, "!document.getElementById('queue-login').hidden && document.getElementById('queue-status').dataset.count === '1'")
    assert 401 in answers
    assert Event.objects.filter(channel="grid_report").count() == before
    assert page.evaluate("window.fengqiaoPhone.pending().then(r => r.length)") == 1
    page.screenshot(path=str(screenshot_dir / "phone-sign-in-again.png"), full_page=True)

    # 3. Sign in through the page's link: back on /m/, the queue is sent.
    with page.expect_navigation():
        page.click("#queue-login-link")
    assert "/accounts/login/" in page.url and "next=%2Fm%2F" in page.url
    page.fill("#id_username", "grid_xinhu1")
    page.fill("#id_password", "Fengqiao-2026")
    with page.expect_navigation():
        page.click("form[action='/accounts/login/'] button[type=submit]")
    assert page.url.rstrip("/").endswith("/m")
    # the page renders data-count="0" before it has read the queue, so wait for the matter itself
    deadline = time.monotonic() + 20
    while Event.objects.filter(channel="grid_report").count() == before and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    _wait(page, "document.getElementById('queue-status').dataset.count === '0'")
    assert page.locator("#queue-login").is_hidden()
    assert Event.objects.filter(channel="grid_report").count() == before + 1
    assert Event.objects.filter(channel="grid_report").order_by("-pk").first().content == content
    ctx.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_refused_report_can_be_edited_retried_or_deleted(browser, live_server, demo_county, screenshot_dir):
    ctx, page = _phone(browser, live_server)
    page.on("dialog", lambda d: d.accept())
    before = Event.objects.filter(channel="grid_report").count()
    exe = {"name": "setup.exe", "mimeType": "application/octet-stream", "buffer": b"MZ\x90\x00not a photo"}

    # 1. The server refuses the file: shown with the first words of the content, not "undefined".
    content = "心湖社区7幢楼顶违章搭建彩钢棚,邻居反映存在安全隐患"
    _report(page, content, photo=exe)
    page.wait_for_selector("#queue-errors li")
    text = page.locator("#queue-errors li .queue-error-text").inner_text()
    assert "undefined" not in text and text.startswith(content[:20]) and ".exe" in text
    page.screenshot(path=str(screenshot_dir / "phone-refused.png"), full_page=True)

    # 2. Edit: the form is filled again; without the photo it is sent and replaces the refused one.
    page.locator("#queue-errors li button[data-queue-action=edit]").click()
    _wait(page, "document.getElementById('r-content').value.length > 0")
    assert page.input_value("#r-content") == content
    assert page.locator("#edit-note").is_visible()
    page.uncheck("#keep-photo")
    page.fill("#r-title", "楼顶违章搭建")
    page.click("#report-form button[type=submit]")
    _wait(page, "document.querySelectorAll('#queue-errors li').length === 0"
                " && document.getElementById('queue-status').dataset.count === '0'")
    sent = Event.objects.filter(channel="grid_report").order_by("-pk").first()
    assert Event.objects.filter(channel="grid_report").count() == before + 1
    assert sent.title == "楼顶违章搭建" and sent.content == content and sent.attachments.count() == 0

    # 3. Delete: a refused report goes only when the worker chooses.
    _report(page, "心湖社区西门垃圾桶满溢多日无人清运", photo=exe)
    page.wait_for_selector("#queue-errors li")
    page.wait_for_timeout(300)
    assert page.evaluate("window.fengqiaoPhone.pending().then(r => r.length)") == 1  # kept until asked
    page.locator("#queue-errors li button[data-queue-action=delete]").click()
    _wait(page, "document.querySelectorAll('#queue-errors li').length === 0")
    assert page.evaluate("window.fengqiaoPhone.pending().then(r => r.length)") == 0

    # 4. Retry: refused once (e.g. a rule since changed), sent again on the worker's word.
    page.route("**/m/report/", lambda route: route.fulfill(
        status=400, content_type="application/json", body='{"error": "invalid", "detail": "暂不接收"}'))
    _report(page, "心湖社区东门路灯不亮已有一周")
    page.wait_for_selector("#queue-errors li")
    page.unroute("**/m/report/")
    page.locator("#queue-errors li button[data-queue-action=retry]").click()
    _wait(page, "document.querySelectorAll('#queue-errors li').length === 0"
                " && document.getElementById('queue-status').dataset.count === '0'")
    assert Event.objects.filter(channel="grid_report").count() == before + 2
    ctx.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_double_tap_on_send_files_one_report(browser, live_server, demo_county):
    content = "心湖社区7幢门口路灯不亮,晚上一片漆黑"
    ctx, page = _phone(browser, live_server)
    before = Event.objects.filter(channel="grid_report").count()
    page.fill("#r-content", content)
    # both submits in one task, as a double tap gives them: the first is still being kept
    page.evaluate("""() => { const f = document.getElementById('report-form');
                           f.requestSubmit(); f.requestSubmit(); }""")
    deadline = time.monotonic() + 20
    while Event.objects.filter(channel="grid_report").count() == before and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    _wait(page, "document.getElementById('queue-status').dataset.count === '0'")
    page.wait_for_timeout(1000)  # a second report would have been sent by now
    page.evaluate("window.fengqiaoPhone.flush()")
    page.wait_for_timeout(500)
    assert Event.objects.filter(channel="grid_report", content=content).count() == 1
    assert page.locator("#report-form button[type=submit]").is_enabled()  # ready for the next report
    ctx.close()
