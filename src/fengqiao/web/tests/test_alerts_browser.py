"""The risk alerts in a real browser (Playwright driving Debian's Chromium): a town operator opens
the list, opens an alert, takes it on, defuses it with feedback and sees the state change; a
spike's daily counts draw as a bar chart from the local ECharts copy."""

from __future__ import annotations

import datetime as dt

import pytest

from .conftest import login

HAIYOU, XINHU = "331022001", "331022001001"

FEEDBACK = "已会同村调委会上门调解,双方签订和解协议,情绪平稳。"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_town_operator_takes_on_and_defuses_an_alert(page, live_server, demo_county, users, screenshot_dir):
    from django.utils import timezone

    from fengqiao.alerts import detect
    from fengqiao.alerts.actions import Signal, raise_or_grow
    from fengqiao.alerts.models import RiskAlert
    from fengqiao.areas.models import Area
    from fengqiao.events.actions import create_event

    village = Area.objects.get(code=XINHU)
    event, _ = create_event(by=users.county_op, channel="hotline_12345", title="宅基地纠纷激化",
                            content="两户村民因宅基地围墙再次发生争吵,一方扬言再不解决就和对方同归于尽。",
                            address="海游街道心湖社区", area=village, notify_centre=False,
                            received_at=timezone.now() - dt.timedelta(hours=1), idempotency_key="alerts-browser-1")
    hits = detect.TermMatcher({"同归于尽": "red"}).scan(f"{event.title}\n{event.content}")
    alert, _ = raise_or_grow(Signal(
        kind="language", signature=f"language:event:{event.pk}", level="red", title="极端言辞「同归于尽」:宅基地纠纷激化",
        summary="事项中出现 1 处预警词:同归于尽。", area=village,
        evidence={"event": event.pk, "terms": [h.as_dict() for h in hits]}, event_ids=[event.pk]))
    spike, _ = raise_or_grow(Signal(
        kind="spike", signature="spike:browser", level="orange", title="海游街道「环境保护」类事项激增:24小时 7 件",
        summary="近24小时 7 件,前 7 天日均 0.7 件。", area=Area.objects.get(code=HAIYOU),
        evidence={"count": 7, "mean": 0.71, "p": 2e-5, "category": "environment", "daily": [1, 0, 1, 2, 0, 1, 0]}))

    login(page, live_server.url, "town_haiyou")
    page.goto(f"{live_server.url}/alerts/")
    assert page.locator("#nav-alerts-open").inner_text() == "2"
    row = page.locator(f"tr[data-alert='{alert.pk}']")
    assert row.locator(".level-red").count() == 1
    page.screenshot(path=str(screenshot_dir / "alerts-list.png"), full_page=True)
    with page.expect_navigation():
        row.locator("td a").first.click()
    assert page.url.endswith(f"/alerts/{alert.pk}/")
    assert page.locator("#alert-state").get_attribute("data-state") == "open"
    assert page.locator("#hits mark").inner_text() == "同归于尽"

    page.click("details[data-action='take_on'] summary")
    with page.expect_navigation():
        page.click("#act-take_on button[type=submit]")
    assert page.locator("#alert-state").get_attribute("data-state") == "handling"
    assert page.locator("details[data-action='take_on']").count() == 0  # taken on: no longer offered

    page.click("details[data-action='defuse'] summary")
    page.fill("#act-defuse textarea[name=text]", FEEDBACK)
    with page.expect_navigation():
        page.click("#act-defuse button[type=submit]")
    assert page.locator("#alert-state").get_attribute("data-state") == "resolved"
    assert page.locator("#alert-outcome").inner_text() == FEEDBACK
    assert [page.locator("#timeline li").nth(i).get_attribute("data-action") for i in range(3)] == [
        "raised", "take_on", "defuse"]
    assert page.locator("details[data-action='defuse']").count() == 0
    page.screenshot(path=str(screenshot_dir / "alert-defused.png"), full_page=True)
    alert.refresh_from_db()
    assert alert.state == "resolved" and alert.outcome == FEEDBACK
    assert RiskAlert.objects.restrict(users.town_haiyou).filter(state__in=["open", "handling"]).count() == 1

    page.goto(f"{live_server.url}/alerts/{spike.pk}/")
    assert page.wait_for_selector("#c-spike[data-rendered='1'] svg") is not None
    assert page.locator("#c-spike svg path").count() > 0
    assert page.locator("#nav-alerts-open").inner_text() == "1"
    page.screenshot(path=str(screenshot_dir / "alert-spike.png"), full_page=True)
