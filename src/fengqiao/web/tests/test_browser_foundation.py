"""Sign-in and jurisdiction in a real browser."""

import pytest

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_page_and_town_operator_home(page, live_server, demo_county, screenshot_dir):
    page.goto(f"{live_server.url}/accounts/login/")
    assert page.locator("form[action='/accounts/login/'] input[name=csrfmiddlewaretoken]").count() == 1
    page.screenshot(path=str(screenshot_dir / "login.png"))
    login(page, live_server.url, "town_haiyou")
    assert "海游街道" in page.content()
    page.screenshot(path=str(screenshot_dir / "home-town-operator.png"))
    page.goto(f"{live_server.url}/areas/")
    assert page.locator("table.grid tbody tr").count() > 10  # the villages of 海游街道


def test_other_towns_area_is_not_found_in_the_console(page, live_server, demo_county):
    login(page, live_server.url, "town_jiantiao")
    resp = page.goto(f"{live_server.url}/areas/331022001001/")
    assert resp.status == 404
    resp = page.goto(f"{live_server.url}/areas/331022105001/")
    assert resp.status == 200 and "健中居委会" in page.content()


def test_wrong_password_shows_an_error(page, live_server, demo_county):
    login(page, live_server.url, "county_op", "not-the-password")
    assert page.url.endswith("/accounts/login/")
    assert page.locator(".error").count() >= 1


def test_area_map_draws_grid_polygons(page, live_server, demo_county, screenshot_dir):
    login(page, live_server.url, "cadre_xinhu")
    page.goto(f"{live_server.url}/areas/331022001001/")
    page.wait_for_selector("#map path.leaflet-interactive")
    assert page.locator("#map path.leaflet-interactive").count() >= 3  # the village's grids
    page.screenshot(path=str(screenshot_dir / "area-map.png"), full_page=True)
