"""The key-person registry in a real browser (Playwright driving Debian's Chromium): a village cadre
opens the registry from the menu, registers a person, sees them masked, records a visit typed in
late (so the next one is overdue, marked red), then a visit now, and sees the next visit due move
one interval on."""

from __future__ import annotations

import datetime as dt

import pytest

from .conftest import login

XINHU = "331022001001"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_cadre_registers_a_person_and_records_visits(page, live_server, demo_county, users, screenshot_dir):
    from django.utils import timezone

    from fengqiao.core.personal import id_check_digit
    from fengqiao.grid.models import KeyPerson

    first17 = "33102219750312004"
    number = first17 + id_check_digit(first17)

    login(page, live_server.url, "cadre_xinhu")
    page.goto(f"{live_server.url}/grid/key-persons/")
    assert page.locator("#count-total").get_attribute("data-count") == "0"
    with page.expect_navigation():
        page.click("#nav-key-persons")
    with page.expect_navigation():
        page.click("#register-link")
    page.fill("#id_name", "郑小军")
    page.select_option("#id_category", "community_correction")
    page.select_option("#id_area", XINHU)
    page.fill("#id_id_number", number)
    page.fill("#id_phone", "13857612345")
    page.fill("#id_address", "心湖路12号")
    page.select_option("#id_caretaker", "grid_xinhu1")
    page.fill("#id_visit_every_days", "7")
    page.screenshot(path=str(screenshot_dir / "key-person-register.png"), full_page=True)
    with page.expect_navigation():
        page.click("#register-form button[type=submit]")

    person = KeyPerson.objects.get()
    assert page.url.endswith(f"/grid/key-persons/{person.pk}/")
    assert page.locator("#person-name").inner_text() == "郑**"
    assert page.locator("#person-id-number").inner_text() == number[:6] + "********" + number[-4:]
    assert page.locator("#person-phone").inner_text() == "138****2345"
    assert page.locator("#unmask-link").count() == 0  # a village cadre reads masked data
    assert "郑小军" not in page.content() and number not in page.content()
    first_due = page.locator("#next-due-at").inner_text()
    assert first_due == timezone.localtime(person.next_visit_due).strftime("%Y-%m-%d %H:%M")
    assert page.locator("#next-due").get_attribute("data-mark") == ""

    # a visit ten days ago, typed in late: the next one (seven days after it) is overdue
    visited = timezone.localtime(timezone.now() - dt.timedelta(days=10)).replace(second=0, microsecond=0)
    page.select_option("#visit-form select[name=method]", "home")
    page.select_option("#visit-form select[name=condition]", "attention")
    page.fill("#visit-form textarea[name=note]", "近期情绪低落,已联系家属陪护。")
    page.fill("#visit-form input[name=visited_at]", visited.strftime("%Y-%m-%dT%H:%M"))
    with page.expect_navigation():
        page.click("#visit-form button[type=submit]")
    overdue_due = (visited + dt.timedelta(days=7)).strftime("%Y-%m-%d %H:%M")
    assert page.locator("#next-due-at").inner_text() == overdue_due
    assert page.locator("#next-due").get_attribute("data-mark") == "red"
    assert page.locator("#last-visit").inner_text() == visited.strftime("%Y-%m-%d %H:%M")
    assert page.locator("#visits tbody tr[data-visit]").count() == 1
    page.goto(f"{live_server.url}/grid/key-persons/")
    assert page.locator(f"tr[data-person='{person.pk}'] .dot.red").count() == 1
    assert page.locator("#count-overdue").get_attribute("data-count") == "1"
    page.screenshot(path=str(screenshot_dir / "key-persons-overdue.png"), full_page=True)

    # a visit now: the next one is due seven days from now, no longer marked
    with page.expect_navigation():
        page.click(f"tr[data-person='{person.pk}'] td a")
    before = timezone.localtime(timezone.now()).replace(second=0, microsecond=0)
    with page.expect_navigation():
        page.click("#visit-form button[type=submit]")
    person.refresh_from_db()
    moved = page.locator("#next-due-at").inner_text()
    assert moved == timezone.localtime(person.next_visit_due).strftime("%Y-%m-%d %H:%M")
    assert moved >= (before + dt.timedelta(days=7)).strftime("%Y-%m-%d %H:%M") > overdue_due
    assert page.locator("#next-due").get_attribute("data-mark") == ""
    assert page.locator("#visits tbody tr[data-visit]").count() == 2
    page.screenshot(path=str(screenshot_dir / "key-person-visited.png"), full_page=True)
    assert person.visits.count() == 2 and person.last_visit_at >= before
