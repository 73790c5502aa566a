"""Review fixes of the dashboard: every number links to a list of exactly that many matters,
and every chart draws its series (a `color: undefined` once wiped ECharts' palette)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fengqiao.areas.models import Area
from fengqiao.events.actions import create_event, perform
from fengqiao.events.models import Event

pytestmark = pytest.mark.django_db

HAIYOU = "331022001"


def _matter(users, n, channel="hotline_12345", address="海游街道心湖社区"):
    event, _ = create_event(by=users.county_op, channel=channel, title=f"看板核对事件{n}",
                            content=f"{address}路灯损坏,夜间通行不便,请尽快维修{n}", address=address,
                            idempotency_key=f"dash-review-{n}")
    return event


def _step(event, action, by, **data):
    perform(event, action, by=by, **data)
    event.refresh_from_db()
    return event


def _resolved(users, n, **kw):
    e = _matter(users, n, **kw)
    _step(e, "accept", users.county_op)
    _step(e, "dispatch", users.county_op, to_unit=Area.objects.get(code=HAIYOU))
    _step(e, "sign", users.town_haiyou)
    return _step(e, "resolve", users.town_haiyou, result="已修复路灯并回访群众。")


def _closed(users, n, **kw):
    e = _resolved(users, n, **kw)
    _step(e, "verify", users.county_op, feedback="satisfied")
    return _step(e, "close", users.county_op)


@pytest.fixture
def matters(users):
    """Open, resolved and closed matters; one received long before the period but resolved in it
    (counted: the rates are of the matters resolved in the period)."""
    made = [_matter(users, 1), _matter(users, 2, channel="police_110"), _matter(users, 3, address="健跳镇健中居委会")]
    made.append(_step(_matter(users, 4), "accept", users.county_op))
    made += [_resolved(users, 5), _closed(users, 6), _closed(users, 7, channel="police_110")]
    old = _resolved(users, 8)
    # received 60 days ago (before the default 30-day period), resolved today
    Event.objects.filter(pk=old.pk).update(received_at=timezone.now() - dt.timedelta(days=60))
    made.append(old)
    return made


def _list_count(client, url: str) -> int:
    resp = client.get(url)
    assert resp.status_code == 200, url
    assert not resp.context["errors"], (url, resp.context["errors"])
    return resp.context["page"].paginator.count


def _check_every_link(client, ctx) -> int:
    checked = 0
    for row in ctx["intake_table"]:
        assert _list_count(client, row["url"]) == row["total"], row
        checked += 1
    for row in ctx["state_table"] + ctx["colour_table"]:
        assert _list_count(client, row["url"]) == row["n"], row
        checked += 1
    for row in ctx["unit_rows"]:
        assert _list_count(client, row["url"]) == row["resolved"], (row["area"].name, row["url"])
        checked += 1
    # the charts' click-through links
    intake = ctx["intake"]
    for series, links in zip(intake["series"], intake["links"], strict=True):
        for value, url in zip(series["data"], links, strict=True):
            if value:
                assert _list_count(client, url) == value, url
                checked += 1
    for chart in (ctx["state_chart"], ctx["colour_chart"]):
        for point, url in zip(chart["series"][0]["data"], chart["links"], strict=True):
            assert _list_count(client, url) == point["value"], url
            checked += 1
    for links in ctx["rates_chart"]["links"]:
        for row, url in zip(ctx["unit_rows"], links, strict=True):
            assert url == row["url"]
    return checked


def test_every_dashboard_number_opens_a_list_of_that_many(client, users, matters):
    client.force_login(users.county_op)
    resp = client.get("/dashboard/")
    ctx = resp.context
    green = next(r for r in ctx["colour_table"] if r["label"] == "绿色" or str(r["label"]) == "Green")
    # closed matters keep their last colour: they must not be in the green list
    assert Event.objects.filter(state="closed", sla_color="green").count() >= 2
    assert _list_count(client, green["url"]) == green["n"]
    haiyou = next(r for r in ctx["unit_rows"] if r["area"].code == HAIYOU)
    assert haiyou["resolved"] >= 4  # 5, 6, 7 and 8: received before the period, resolved in it
    assert _check_every_link(client, ctx) > 20
    assert 'id="rates-cohort"' in resp.content.decode()


@pytest.mark.parametrize("who", ["town_haiyou", "leader"])
def test_links_match_for_other_roles_and_periods(client, users, matters, who):
    client.force_login(getattr(users, who))
    today = timezone.localdate()
    for period in ({}, {"from": (today - dt.timedelta(days=90)).isoformat(), "to": today.isoformat()}):
        ctx = client.get("/dashboard/", period).context
        _check_every_link(client, ctx)


# ---------------------------------------------------------------- in a real browser

# Series drawn in a colour: ECharts' SVG renderer gives every bar/slice a path with a fill;
# with the palette wiped the series paths have no fill colour at all.
DRAWN = """el => {
  const chart = echarts.getInstanceByDom(el);
  const opt = chart.getOption();
  const colours = (opt.color || []).map(c => String(c).toLowerCase());
  const fills = Array.from(el.querySelectorAll("svg path")).map(p => (p.getAttribute("fill") || "").toLowerCase());
  return {palette: colours.length, drawn: fills.filter(f => f && f !== "none" && f !== "transparent"
                                                          && colours.includes(f)).length};
}"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_every_chart_draws_its_series(page, live_server, demo_county, users, screenshot_dir):
    from .conftest import login

    _matter(users, 11)
    _matter(users, 12, channel="police_110")
    _step(_matter(users, 13), "accept", users.county_op)
    _resolved(users, 14)
    _closed(users, 15)
    login(page, live_server.url, "county_op")
    page.goto(f"{live_server.url}/dashboard/")
    for chart in ("c-intake", "c-states", "c-colours", "c-rates"):
        el = page.wait_for_selector(f"#{chart}[data-rendered='1'] svg")
        result = page.locator(f"#{chart}").evaluate(DRAWN)
        assert result["palette"] > 0, chart
        assert result["drawn"] >= 1, (chart, result)
        assert el is not None
    page.screenshot(path=str(screenshot_dir / "dashboard-review.png"), full_page=True)
