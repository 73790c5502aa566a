"""The triage panel in a real browser: each duplicate's merge button merges into that duplicate
(a form inside a <p> had put every button beside the next candidate), and on a phone the intake
suggestions are in sight while the form is typed in."""

from __future__ import annotations

import pytest

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STONE = "健跳镇健中居委会石料厂每天夜里开机，噪声和粉尘很大，附近居民睡不着觉。"


def _matter(by, content):
    from fengqiao.events.actions import create_event

    event, _ = create_event(by=by, channel="hotline_12345", title="", content=content, address="",
                            reporter_name="林美华", reporter_phone="13912341234")
    return event


def test_each_merge_button_merges_into_its_own_candidate(browser, live_server, demo_county, screenshot_dir):
    from fengqiao.accounts.models import User
    from fengqiao.events.models import Event
    from fengqiao.triage import service

    # a flushed database reuses ids the process's same-matter index still holds for other texts
    service.reset()
    op_user = User.objects.get(username="county_op")
    first = _matter(op_user, STONE)
    second = _matter(op_user, "健中居委会石料厂夜里机器噪声很大，粉尘飘到小区里，请有关部门查处。")
    third = _matter(op_user, "健中居委会旁边的石料厂晚上噪声扰民，粉尘也大，已经一个多月了。")
    page = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}).new_page()
    login(page, live_server.url, "county_op")
    page.goto(f"{live_server.url}/matters/{third.pk}/")
    rows = page.locator("#triage-duplicates li[data-candidate]")
    assert rows.count() >= 2
    # the last candidate listed: the bug put its button on no row at all
    target = rows.nth(rows.count() - 1)
    target_id = int(target.get_attribute("data-candidate"))
    assert target_id in {first.pk, second.pk}
    button = target.locator("button")
    box, row_box = button.bounding_box(), target.bounding_box()
    assert row_box["y"] <= box["y"] + box["height"] / 2 <= row_box["y"] + row_box["height"]  # drawn on its row
    page.once("dialog", lambda d: d.accept())
    with page.expect_navigation():
        button.click()
    page.screenshot(path=str(screenshot_dir / "triage-merged.png"), full_page=True)
    assert Event.objects.get(pk=third.pk).merged_into_id == target_id


def test_intake_suggestions_are_in_sight_on_a_phone(browser, live_server, demo_county, screenshot_dir):
    page = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}).new_page()
    login(page, live_server.url, "county_op")
    page.goto(f"{live_server.url}/matters/new/")
    page.fill("#id_content", STONE)
    page.wait_for_selector("#suggest-place", timeout=10000)
    box = page.locator("#suggestions").bounding_box()
    page.screenshot(path=str(screenshot_dir / "intake-phone.png"))
    assert box["y"] < 844 and box["y"] + box["height"] > 844 * 0.5  # docked at the bottom of the screen
    # the field being typed in is brought above the dock, not left under it
    page.locator("#id_content").focus()
    page.locator("#id_content").scroll_into_view_if_needed()
    field = page.locator("#id_content").bounding_box()
    dock = page.locator("#suggestions").bounding_box()
    assert field["y"] + field["height"] <= dock["y"] + 1


def test_a_repeat_call_is_saved_into_the_matter_it_repeats_from_the_suggestions(browser, live_server, demo_county,
                                                                                screenshot_dir):
    """The merge button sits in the suggestions, outside the form, and submits the form."""
    from fengqiao.accounts.models import User
    from fengqiao.events.models import Event
    from fengqiao.triage import service

    service.reset()
    first = _matter(User.objects.get(username="county_op"), STONE)
    page = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}).new_page()
    login(page, live_server.url, "county_op")
    page.goto(f"{live_server.url}/matters/new/")
    page.fill("#id_content", "健中居委会石料厂晚上噪声大，粉尘也大，居民无法休息，请查处。")
    page.fill("input[name=reporter_name]", "张伟")
    page.fill("#id_reporter_phone", "13800001111")
    button = page.locator(f"button[data-merge-into][value='{first.pk}']")
    button.wait_for(timeout=10000)
    page.once("dialog", lambda d: d.accept())
    with page.expect_navigation():
        button.click()
    page.screenshot(path=str(screenshot_dir / "intake-merged.png"), full_page=True)
    assert page.url.endswith(f"/matters/{first.pk}/")
    repeat = Event.objects.exclude(pk=first.pk).latest("id")
    assert repeat.merged_into_id == first.pk and repeat.reporter_name == "张伟"
    assert repeat.number in page.locator("#merged-reporters").inner_text()
