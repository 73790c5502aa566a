"""The operator console in a real browser (Playwright driving Debian's Chromium)."""

from __future__ import annotations

import pytest

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _act(page, action: str, **fields):
    box = page.locator(f"details[data-action='{action}']")
    box.locator("summary").click()
    for name, value in fields.items():
        el = box.locator(f"[name='{name}']")
        if el.evaluate("e => e.tagName") == "SELECT":
            el.select_option(value)
        else:
            el.fill(value)
    with page.expect_navigation():
        box.locator("button[type=submit]").click()


def test_full_loop_through_the_ui(browser, live_server, demo_county, screenshot_dir):
    from fengqiao.events.models import Event

    base = live_server.url
    op = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}).new_page()
    login(op, base, "county_op")
    op.screenshot(path=str(screenshot_dir / "home-county-operator.png"), full_page=True)
    op.goto(f"{base}/matters/new/")
    op.fill("#id_title", "海游街道心湖社区路口夜宵摊占道经营")
    op.fill("#id_content", "海游街道心湖社区路口每晚有夜宵摊占道经营,油烟噪音扰民,请处理。")
    op.fill("#id_address", "海游街道心湖社区")
    op.fill("#id_reporter_phone", "13812345678")
    op.wait_for_selector("#suggest-place", timeout=10000)  # htmx suggestions while typing
    op.screenshot(path=str(screenshot_dir / "intake.png"), full_page=True)
    with op.expect_navigation():
        op.click("#intake-form button[type=submit]")
    pk = int(op.url.rstrip("/").split("/")[-1])
    assert op.locator("#matter-state").get_attribute("data-state") == "received"
    assert "138****5678" in op.content()
    assert op.locator("#map path.leaflet-interactive").count() >= 1  # the place on the map
    _act(op, "accept")
    _act(op, "dispatch", to_unit="area:331022001")
    assert op.locator("#matter-state").get_attribute("data-state") == "dispatched"

    town = browser.new_context(locale="zh-CN").new_page()
    login(town, base, "town_haiyou")
    town.goto(f"{base}/matters/{pk}/")
    assert town.locator("details[data-action='close']").count() == 0  # forbidden: not offered
    _act(town, "sign")
    _act(town, "resolve", result="已联合综合执法中队劝离摊贩并设置提示牌。")
    assert town.locator("#matter-state").get_attribute("data-state") == "resolved"
    town.screenshot(path=str(screenshot_dir / "detail-resolved.png"), full_page=True)

    op.goto(f"{base}/matters/{pk}/")
    _act(op, "verify", feedback="satisfied")
    _act(op, "close")
    assert op.locator("#matter-state").get_attribute("data-state") == "closed"
    assert op.locator("#timeline li").count() >= 6
    op.screenshot(path=str(screenshot_dir / "detail-closed.png"), full_page=True)
    assert Event.objects.get(pk=pk).state == "closed"

    other = browser.new_context(locale="zh-CN").new_page()
    login(other, base, "town_jiantiao")
    assert other.goto(f"{base}/matters/{pk}/").status == 404
    other.goto(f"{base}/matters/?q=夜宵摊")
    assert "夜宵摊占道经营" not in other.content()


def test_matter_list_and_dashboard(page, live_server, demo_county, screenshot_dir):
    from fengqiao.accounts.models import User
    from fengqiao.events.actions import create_event

    op = User.objects.get(username="county_op")
    for i, addr in enumerate(["海游街道心湖社区", "健跳镇健中居委会", "海润街道"] * 3):
        create_event(by=op, channel="hotline_12345" if i % 2 else "police_110", title=f"测试诉求{i}",
                     content=f"{addr}附近道路破损需要维修{i}", address=addr)
    login(page, live_server.url, "county_op")
    page.goto(f"{live_server.url}/matters/")
    assert page.locator("table.matters tbody tr").count() >= 9
    page.screenshot(path=str(screenshot_dir / "matter-list.png"), full_page=True)
    page.goto(f"{live_server.url}/dashboard/")
    page.wait_for_selector("#c-intake[data-rendered='1'] svg")
    page.wait_for_selector("#c-rates[data-rendered='1'] svg")
    assert page.locator("#rates-table tbody tr").count() == 10  # the towns of 三门县
    page.screenshot(path=str(screenshot_dir / "dashboard.png"), full_page=True)


def test_phone_report_survives_a_dropped_network(browser, live_server, demo_county, screenshot_dir):
    from fengqiao.events.models import Event

    # Service workers are blocked so Playwright sees (and can drop) every request.
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True,
                              service_workers="block",
                              has_touch=True, permissions=["geolocation"], geolocation={"latitude": 29.12, "longitude": 121.38})
    page = ctx.new_page()
    login(page, live_server.url, "grid_xinhu1")
    page.goto(f"{live_server.url}/m/")
    before = Event.objects.filter(channel="grid_report").count()

    # 1. Offline: the report stays on the phone.
    ctx.set_offline(True)
    page.fill("#r-content", "心湖社区3幢楼道电动车违规充电,存在火灾隐患")
    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#queue-status[data-count='1']")
    page.screenshot(path=str(screenshot_dir / "phone-offline.png"), full_page=True)
    assert Event.objects.filter(channel="grid_report").count() == before

    # 2. Back online, but the first answer is lost on the way back: the server has the
    #    report, the phone does not know and sends it again with the same key.
    calls = []

    def lose_first_answer(route):
        calls.append(1)
        resp = route.fetch()
        if len(calls) == 1:
            route.abort()
        else:
            route.fulfill(response=resp)

    page.route("**/m/report/", lose_first_answer)
    ctx.set_offline(False)  # the page's "online" handler starts sending by itself
    for _ in range(50):
        if page.locator("#queue-status").get_attribute("data-count") == "0" and len(calls) >= 2:
            break
        page.evaluate("window.fengqiaoPhone.flush()")
        page.wait_for_timeout(200)
    assert len(calls) == 2
    assert Event.objects.filter(channel="grid_report").count() == before + 1
    ctx.close()
