"""The evaluation page (/evaluation/) in a real browser: the score chart draws its bars (ECharts
from the local vendor copy), the map draws the towns' polygons (Leaflet from the local copy, no
tiles) and recolours them when another figure is chosen, and a county operator publishes the
month (the published page draws its map too)."""

from __future__ import annotations

import pytest

from .conftest import login
from .test_dashboard_review import DRAWN, HAIYOU, _closed, _matter, _resolved

ZHUAO = "331022102"  # 珠岙镇: no matter, so no score and no overdue matter
#: the fill of every polygon of the map, by the unit's code (the path's class unit-CODE)
FILLS = """el => Object.fromEntries(Array.from(el.querySelectorAll("path.evaluation-unit")).map(p =>
  [Array.from(p.classList).find(c => c.startsWith("unit-")).slice(5), (p.getAttribute("fill") || "").toLowerCase()]))"""


def _check_map(page, towns: int) -> dict:
    """The map drew one filled polygon and one label per town; returns the fills by code."""
    el = page.wait_for_selector("#evaluation-map[data-rendered='1'] svg path.evaluation-unit")
    assert el is not None
    assert page.locator("#evaluation-map path.evaluation-unit").count() == towns
    assert page.locator("#evaluation-map .evaluation-map-label").count() == towns
    assert page.locator("#evaluation-map .leaflet-tile").count() == 0  # no tiles: polygons on a plain background
    return page.locator("#evaluation-map").evaluate(FILLS)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_evaluation_chart_and_publication(page, live_server, demo_county, users, screenshot_dir):
    from fengqiao.evaluation.models import Publication

    _closed(users, 31)
    _closed(users, 32, address="健跳镇健中居委会")
    _resolved(users, 33)
    _matter(users, 34)
    login(page, live_server.url, "county_op")
    page.goto(f"{live_server.url}/evaluation/")
    el = page.wait_for_selector("#c-score-area[data-rendered='1'] svg")
    assert el is not None
    result = page.locator("#c-score-area").evaluate(DRAWN)
    assert result["palette"] > 0 and result["drawn"] >= 1, result
    assert page.locator("#ranking-area tbody tr").count() == 10  # the county's towns
    # sixteen columns: the page scrolls them on this 1,280-pixel screen, and widens on a wide one
    # until every column shows (up to 1,800 pixels)
    scroll = "e => [e.scrollWidth, e.clientWidth]"
    wide, shown = page.locator(".evaluation-scroll").first.evaluate(scroll)
    assert wide > shown
    page.set_viewport_size({"width": 1920, "height": 860})
    wide, shown = page.locator(".evaluation-scroll").first.evaluate(scroll)
    assert wide == shown, (wide, shown)
    page.set_viewport_size({"width": 1280, "height": 860})

    # the map: the ten towns filled by their score; 珠岙镇 has none (grey, marked —)
    from fengqiao.evaluation import maps

    fills = _check_map(page, 10)
    assert fills[ZHUAO] == maps.NO_FIGURE
    assert fills[HAIYOU] in maps.PALETTE, fills
    assert page.locator(f"#evaluation-map path.unit-{ZHUAO}").evaluate("p => p.getAttribute('fill-opacity')") == "0.8"
    page.hover(f"#evaluation-map path.unit-{HAIYOU}")
    tip = page.wait_for_selector(".leaflet-tooltip")
    assert "海游街道" in tip.inner_text()
    assert page.locator(".evaluation-legend[data-indicator='score']").is_visible()
    page.locator("#evaluation-map-card").screenshot(path=str(screenshot_dir / "evaluation-map.png"))
    # choosing the overdue count recolours the map: 珠岙镇 has none overdue, the best colour
    page.select_option("#evaluation-map-indicator", "overdue")
    page.wait_for_selector("#evaluation-map[data-indicator='overdue']")
    after = page.locator("#evaluation-map").evaluate(FILLS)
    assert after[ZHUAO] == maps.PALETTE[0] != fills[ZHUAO]
    assert page.locator(".evaluation-legend[data-indicator='overdue']").is_visible()
    assert not page.locator(".evaluation-legend[data-indicator='score']").is_visible()
    page.screenshot(path=str(screenshot_dir / "evaluation.png"), full_page=True)
    with page.expect_navigation():
        page.click("#publish-form button[type=submit]")
    assert "/evaluation/published/" in page.url
    assert page.locator("#publication-head").count() == 1
    assert Publication.objects.filter(published_by__username="county_op").count() == 1
    assert _check_map(page, 10)[ZHUAO] == maps.NO_FIGURE
    page.screenshot(path=str(screenshot_dir / "evaluation-published.png"), full_page=True)
