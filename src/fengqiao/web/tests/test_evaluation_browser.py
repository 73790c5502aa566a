"""The evaluation page (/evaluation/) in a real browser: the score chart draws its bars (ECharts
from the local vendor copy), and a county operator publishes the month."""

from __future__ import annotations

import pytest

from .conftest import login
from .test_dashboard_review import DRAWN, _closed, _matter, _resolved


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
    page.screenshot(path=str(screenshot_dir / "evaluation.png"), full_page=True)
    with page.expect_navigation():
        page.click("#publish-form button[type=submit]")
    assert "/evaluation/published/" in page.url
    assert page.locator("#publication-head").count() == 1
    assert Publication.objects.filter(published_by__username="county_op").count() == 1
    page.screenshot(path=str(screenshot_dir / "evaluation-published.png"), full_page=True)
