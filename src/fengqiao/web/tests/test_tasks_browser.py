"""Top-down publishing (统一发布) in a real browser (Playwright driving Debian's Chromium): the county
centre publishes a task to two towns from the menu; 海游街道's command room sees it counted in its
menu, acknowledges it and reports completion, without seeing 健跳镇's copy; the county centre
accepts the report and sees the progress move."""

from __future__ import annotations

import datetime as dt

import pytest

from .conftest import login

HAIYOU, JIANTIAO = "331022001", "331022105"
TITLE = "开展冬季消防安全大排查"
REPORT = "已排查沿街店铺 35 处,整改隐患 12 处,整改清单已建档。"


def _states(page) -> dict[str, str]:
    rows = page.locator("#receipts tbody tr[data-receipt]")
    return {rows.nth(i).get_attribute("data-area"): rows.nth(i).get_attribute("data-state")
            for i in range(rows.count())}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_publish_acknowledge_report_accept(page, live_server, demo_county, users, screenshot_dir):
    from django.utils import timezone

    from fengqiao.tasks.models import Receipt, Task

    due_day = (timezone.localdate() + dt.timedelta(days=3)).isoformat()

    # the county centre publishes a task to two towns
    login(page, live_server.url, "county_op")
    with page.expect_navigation():
        page.click("#nav-tasks")
    with page.expect_navigation():
        page.click("#publish-link")
    assert page.locator("#id_kind_task").is_checked()
    page.fill("#id_title", TITLE)
    page.fill("#id_body", "请各单位于周五前完成辖区排查并反馈整改情况。")
    page.fill("#id_due_date", due_day)
    page.fill("#id_due_time", "17:30")
    page.check(f"#recipients input[value='{HAIYOU}']")
    page.check(f"#recipients input[value='{JIANTIAO}']")
    page.screenshot(path=str(screenshot_dir / "task-publish.png"), full_page=True)
    with page.expect_navigation():
        page.click("#publish-form button[type=submit]")

    task = Task.objects.get()
    assert page.url.endswith(f"/tasks/{task.pk}/")
    assert page.locator("#task-title").inner_text() == TITLE
    assert page.locator("#task-state").get_attribute("data-state") == "published"
    assert page.locator("#task-kind").get_attribute("data-kind") == "task"
    assert f"{due_day} 17:30" in page.locator("#task-due").inner_text()
    assert _states(page) == {HAIYOU: "pending", JIANTIAO: "pending"}
    assert "0/2" in page.locator("#progress-figure").inner_text()
    assert page.locator("#my-receipt").count() == 0  # the county centre answers for no receipt
    assert page.locator("#task-actions details[data-action='withdraw']").count() == 1

    # 海游街道's command room: counted in the menu, acknowledges, reports
    page.context.clear_cookies()
    login(page, live_server.url, "town_haiyou")
    assert page.locator("#nav-tasks-owing").inner_text() == "1"
    with page.expect_navigation():
        page.click("#nav-tasks")
    assert page.locator("#task-boxes a.active").get_attribute("data-box") == "received"
    row = page.locator(f"tr[data-task='{task.pk}']")
    assert row.locator(".mine [data-state]").get_attribute("data-state") == "pending"
    assert "0/1" in row.locator(".progress").inner_text()  # counted over its own unit only
    page.screenshot(path=str(screenshot_dir / "tasks-received.png"), full_page=True)
    with page.expect_navigation():
        row.locator("td a").first.click()
    assert page.locator("#my-receipt").get_attribute("data-state") == "pending"
    assert _states(page) == {HAIYOU: "pending"}  # not 健跳镇's copy
    assert "健跳镇" not in page.content()
    receipt = Receipt.objects.get(task=task, area__code=HAIYOU)
    with page.expect_navigation():
        page.click(f"#my-receipt form[data-form='receipt:{receipt.pk}:acknowledge'] button[type=submit]")
    assert page.locator("#my-receipt").get_attribute("data-state") == "acknowledged"
    assert page.locator("#my-acknowledged").inner_text().endswith("张敏")
    page.fill("#my-receipt details[data-action='report'] textarea[name=text]", REPORT)
    with page.expect_navigation():
        page.click("#my-receipt details[data-action='report'] button[type=submit]")
    assert page.locator("#my-receipt").get_attribute("data-state") == "reported"
    assert page.locator("#my-report").inner_text() == REPORT
    assert page.locator("#my-receipt form").count() == 0  # nothing more to do until the county answers
    assert page.locator("#nav-tasks-owing").count() == 0
    page.screenshot(path=str(screenshot_dir / "task-reported.png"), full_page=True)

    # the county centre reads the report and accepts it
    page.context.clear_cookies()
    login(page, live_server.url, "county_op")
    page.goto(f"{live_server.url}/tasks/{task.pk}/")
    assert _states(page) == {HAIYOU: "reported", JIANTIAO: "pending"}
    row = page.locator(f"#receipts tr[data-area='{HAIYOU}']")
    assert REPORT in row.locator("td.report").inner_text()
    assert page.locator("#progress .counter[data-state='reported'] .n").inner_text().strip() == "1"
    with page.expect_navigation():
        row.locator("form[data-action='accept'] button[type=submit]").click()
    assert _states(page) == {HAIYOU: "done", JIANTIAO: "pending"}
    assert "1/2" in page.locator("#progress-figure").inner_text()
    assert page.locator(f"#receipts tr[data-area='{HAIYOU}'] form").count() == 0
    actions = page.locator("#timeline li")
    assert [actions.nth(i).get_attribute("data-action") for i in range(actions.count())] == [
        "published", "acknowledge", "report", "accept"]
    page.screenshot(path=str(screenshot_dir / "task-accepted.png"), full_page=True)
    receipt.refresh_from_db()
    assert receipt.state == "done" and receipt.report == REPORT
