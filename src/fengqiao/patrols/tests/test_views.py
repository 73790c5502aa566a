"""The console pages of the patrols (/patrols/) through Django's test client: the list and one
patrol each four ways (anonymous, wrong role, outside the jurisdiction, inside), the list's
filters (the API's FilterSet) and counters, a matter reported on a patrol shown only to those who
may read it, the map's data, the menu entry; the phone page's patrol card, and a report sent from
the phone during a patrol linked to it (a patrol not the reporter's links nothing and never
refuses the report). Data are built through the patrols' actions (the ``patrol`` fixture of
conftest.py); the patrol in a real browser is ``test_browser.py``."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.utils import timezone

from fengqiao.areas.models import Area
from fengqiao.events.models import Event
from fengqiao.events.sla import frozen_now
from fengqiao.patrols import actions
from fengqiao.patrols.models import PatrolReport

from .conftest import HAIYOU, JIANTIAO, XINHU, XINHU_GRID

pytestmark = pytest.mark.django_db

LIST = "/patrols/"
LOGIN = "/accounts/login/"
REPORT = {"title": "路灯不亮", "content": "心湖路3号门口路灯不亮,夜间行人看不清路", "address": "心湖路3号"}

#: who reads a patrol of grid_xinhu1 (in 心湖社区第1网格, 海游街道)
INSIDE = ["county_op", "town_haiyou", "leader", "leader_haiyou", "cadre_xinhu", "grid_xinhu1"]
#: the patrollers and the centres of another town
OUTSIDE = ["town_jiantiao", "cadre_jianzhong", "grid_jianzhong1"]
#: the roles that never read patrols
WRONG_ROLE = ["dept_police", "mediator", "auditor", "admin"]


def _detail(p) -> str:
    return f"/patrols/{p.pk}/"


def _html(resp) -> str:
    return resp.content.decode()


def _ids(resp) -> list[int]:
    return [r["patrol"].pk for r in resp.context["rows"]]


def _json_script(html: str, element_id: str):
    m = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    assert m, element_id
    return json.loads(m.group(1))


@pytest.fixture
def walked(patrol):
    """grid_xinhu1's patrol of an hour, ended with a note, its track inside the grid."""
    return patrol("grid_xinhu1", minutes_ago=70, points=40, every=60, finish=True, note="沿街商铺消防通道畅通。")


# ---------------------------------------------------------------- four ways


def test_anonymous_is_sent_to_the_login_page(client, walked):
    for url in (LIST, _detail(walked)):
        resp = client.get(url)
        assert resp.status_code == 302 and resp["Location"].startswith(LOGIN), url


@pytest.mark.parametrize("who", WRONG_ROLE)
def test_a_role_that_never_reads_patrols_gets_403(client, users, walked, who):
    client.force_login(getattr(users, who))
    assert client.get(LIST).status_code == 403
    assert client.get(_detail(walked)).status_code == 403


@pytest.mark.parametrize("who", OUTSIDE)
def test_a_patrol_outside_the_jurisdiction_does_not_exist(client, users, walked, who):
    client.force_login(getattr(users, who))
    assert client.get(_detail(walked)).status_code == 404
    resp = client.get(LIST)
    assert resp.status_code == 200 and walked.pk not in _ids(resp)


@pytest.mark.parametrize("who", INSIDE)
def test_a_patrol_inside_the_jurisdiction_is_listed_and_shown(client, users, walked, who):
    client.force_login(getattr(users, who))
    resp = client.get(LIST)
    assert resp.status_code == 200 and _ids(resp) == [walked.pk]
    resp = client.get(_detail(walked))
    assert resp.status_code == 200 and resp.context["patrol"] == walked
    assert 'id="patrol-map"' in _html(resp) and "沿街商铺消防通道畅通。" in _html(resp)


def test_an_id_that_cannot_be_a_patrol_is_404(client, users):
    client.force_login(users.county_op)
    for url in ("/patrols/99999999999999999999/", "/patrols/0/", "/patrols/123456/"):
        assert client.get(url).status_code == 404, url


def test_the_menu_offers_the_patrols_to_their_readers_only(client, users):
    for who in ("county_op", "town_haiyou", "leader", "cadre_xinhu", "grid_xinhu1"):
        client.force_login(getattr(users, who))
        assert 'id="nav-patrols"' in _html(client.get("/")), who
    client.force_login(users.dept_police)
    assert 'id="nav-patrols"' not in _html(client.get("/"))


# ---------------------------------------------------------------- the list


@pytest.fixture
def three(patrol):
    """grid_xinhu1's patrol three days ago (an hour, ended), cadre_xinhu's running now (30
    minutes in), grid_jianzhong1's in 健跳镇 yesterday (two hours, ended)."""
    with frozen_now(_noon(3)):
        old = patrol("grid_xinhu1", minutes_ago=60, points=30, every=60, finish=True)
    with frozen_now(_noon(1)):
        other = patrol("grid_jianzhong1", minutes_ago=120, points=20, every=60, finish=True)
    # started today by the local clock, as the date filters count it (half an hour in, unless the
    # day is younger: a run just after midnight had put it on yesterday)
    running_for = max(0.5, min(30.0, _minutes_into_today() - 0.5))
    running = patrol("cadre_xinhu", minutes_ago=running_for, points=10, every=running_for * 6)
    return old, running, other


def _minutes_into_today() -> float:
    now = timezone.localtime()
    return (now - now.replace(hour=0, minute=0, second=0, microsecond=0)).total_seconds() / 60


def _noon(days_ago: int) -> dt.datetime:
    """Noon (local time) ``days_ago`` days back: a patrol ended then started on that day."""
    day = timezone.localdate() - dt.timedelta(days=days_ago)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def _day(days_ago: int) -> str:
    return (timezone.localdate() - dt.timedelta(days=days_ago)).isoformat()


def test_the_list_is_newest_first_with_its_columns(client, users, three):
    old, running, other = three
    client.force_login(users.county_op)
    resp = client.get(LIST)
    assert _ids(resp) == [running.pk, other.pk, old.pk]
    rows = {r["patrol"].pk: r for r in resp.context["rows"]}
    assert rows[running.pk]["duration"] and rows[old.pk]["coverage"] == 100
    assert rows[old.pk]["km"] == f"{old.distance_m / 1000:.2f}" and old.distance_m > 0
    html = _html(resp)
    row = re.search(rf'<tr data-patrol="{running.pk}" class="running">(.*?)</tr>', html, re.S).group(1)
    assert "patrol-running" in row  # 巡逻中
    row = re.search(rf'<tr data-patrol="{old.pk}">(.*?)</tr>', html, re.S).group(1)
    assert '<td class="points">30</td>' in row and '<td class="coverage">100%</td>' in row
    assert old.get_end_reason_display() in row


@pytest.mark.parametrize(("query", "expected"), [
    ({"area": XINHU_GRID}, ["old"]),  # the grid's subtree: not the cadre's patrol of the village
    ({"area": XINHU}, ["running", "old"]),
    ({"area": HAIYOU}, ["running", "old"]),
    ({"area": JIANTIAO}, ["other"]),
    ({"state": "running"}, ["running"]),
    ({"state": "ended"}, ["other", "old"]),
    ({"by": "grid_xinhu1"}, ["old"]),
    ({"by": "nobody"}, []),
    ({"started_after": _day(2)}, ["running", "other"]),
    ({"started_before": _day(2)}, ["old"]),
    ({"started_after": _day(1), "started_before": _day(1)}, ["other"]),
    ({"area": XINHU, "state": "ended"}, ["old"]),
])
def test_the_filters(client, users, three, query, expected):
    named = dict(zip(("old", "running", "other"), three, strict=True))
    client.force_login(users.county_op)
    resp = client.get(LIST, query)
    assert resp.status_code == 200 and not resp.context["errors"]
    assert _ids(resp) == [named[n].pk for n in expected]
    assert resp.context["counters"]["patrols"] == len(expected)


@pytest.mark.parametrize(("query", "said"), [
    ({"state": "walking"}, "walking"),
    ({"started_after": "yesterday"}, "yesterday"),
    ({"started_before": "2026-02-30"}, "2026-02-30"),
    ({"area": JIANTIAO}, JIANTIAO),  # another town's code, for a centre of 海游街道
    ({"area": "nowhere"}, "nowhere"),
])
def test_a_filter_that_cannot_be_read_empties_the_list_and_is_said(client, users, three, query, said):
    client.force_login(users.town_haiyou)
    resp = client.get(LIST, query)
    assert resp.status_code == 200 and _ids(resp) == []
    assert resp.context["errors"] and said in resp.context["errors"][0]
    assert resp.context["counters"]["patrols"] == 0


def test_a_nul_in_a_filter_is_said(client, users, three):
    client.force_login(users.county_op)
    resp = client.get(LIST, {"by": "grid\x00xinhu1"})
    assert resp.status_code == 200 and _ids(resp) == [] and resp.context["errors"]


def test_the_counters_of_the_filtered_list(client, users, three, matter):
    old, running, other = three
    with frozen_now(old.ended_at):  # reported on the way, three days ago
        for title in ("楼道堆物", "窨井盖破损"):
            actions.link_report(old.pk, matter(XINHU, title=title), by=users.grid_xinhu1)
    client.force_login(users.county_op)
    counters = client.get(LIST).context["counters"]
    assert counters["patrols"] == 3 and counters["running"] == 1 and counters["matters"] == 2
    assert counters["hours"] == 3.5  # 1 h + 2 h + the running half hour
    assert counters["km"] == round((old.distance_m + running.distance_m + other.distance_m) / 1000, 1)
    counters = client.get(LIST, {"area": HAIYOU}).context["counters"]
    assert counters["patrols"] == 2 and counters["running"] == 1 and counters["hours"] == 1.5
    assert counters["km"] == round((old.distance_m + running.distance_m) / 1000, 1)
    resp = client.get(LIST, {"state": "running"})
    assert resp.context["counters"]["matters"] == 0
    html = _html(client.get(LIST))
    assert 'id="count-patrols" data-count="3"' in html and 'id="count-running" data-count="1"' in html
    assert 'id="count-hours" data-count="3.5"' in html and 'id="count-matters" data-count="2"' in html
    row = re.search(rf'<tr data-patrol="{old.pk}">(.*?)</tr>', html, re.S).group(1)
    assert '<td class="matters">2</td>' in row


def test_a_grid_worker_reads_the_patrols_of_their_grid_and_their_own(client, users, three):
    old, running, other = three
    client.force_login(users.grid_xinhu1)
    assert _ids(client.get(LIST)) == [old.pk]  # the cadre's patrol is of the village, not of the grid
    client.force_login(users.cadre_xinhu)
    assert _ids(client.get(LIST)) == [running.pk, old.pk]
    assert {p["username"] for p in client.get(LIST).context["patrollers"]} == {"cadre_xinhu", "grid_xinhu1"}


def test_the_list_is_paginated(client, users, patrol, monkeypatch):
    from fengqiao.patrols import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    now = timezone.now()
    for days in (3, 2, 1):  # in the order they were walked
        with frozen_now(now - dt.timedelta(days=days)):
            patrol("grid_xinhu1", minutes_ago=30, points=2, finish=True)
    client.force_login(users.county_op)
    resp = client.get(LIST, {"by": "grid_xinhu1"})
    assert len(resp.context["rows"]) == 2 and resp.context["page"].paginator.num_pages == 2
    assert "by=grid_xinhu1&amp;page=2" in _html(resp)
    assert len(client.get(LIST, {"by": "grid_xinhu1", "page": 2}).context["rows"]) == 1


# ---------------------------------------------------------------- one patrol


def test_the_detail_shows_the_figures_and_the_track_for_the_map(client, users, walked):
    client.force_login(users.town_haiyou)
    resp = client.get(_detail(walked))
    html = _html(resp)
    assert f'data-metres="{walked.distance_m}"' in html and f'<dd id="patrol-points">{walked.point_count}</dd>' in html
    assert '<dd id="patrol-coverage">100%</dd>' in html
    data = _json_script(html, "patrol-map-data")
    assert len(data["track"]) == walked.point_count == 40
    first = walked.track.order_by("at").first()
    assert data["track"][0] == [first.latitude, first.longitude]
    assert data["boundary"] == walked.area.boundary and data["boundary"]["type"] in {"Polygon", "MultiPolygon"}
    assert "vendor/leaflet/leaflet.js" in html and "patrols/patrol_map.js" in html


def test_a_running_patrol_is_marked_and_its_elapsed_time_shown(client, users, patrol):
    p = patrol("grid_xinhu1", minutes_ago=45, points=3)
    client.force_login(users.cadre_xinhu)
    resp = client.get(_detail(p))
    assert resp.status_code == 200 and resp.context["duration"].startswith("0")
    assert 'class="tag patrol-running" id="patrol-state"' in _html(resp)
    assert "45" in resp.context["duration"] or "46" in resp.context["duration"]


def _another_village() -> Area:
    return Area.objects.filter(parent__code=HAIYOU, level="village").exclude(code=XINHU).order_by("code").first()


def test_a_matter_reported_on_the_patrol_is_shown_only_to_those_who_may_read_it(client, users, walked, matter):
    here = matter(XINHU, title="楼道堆放杂物")
    elsewhere = matter(_another_village().code, title="河道护栏破损")  # 海游街道, not 心湖社区
    for e in (here, elsewhere):
        actions.link_report(walked.pk, e, by=users.grid_xinhu1)
    client.force_login(users.cadre_xinhu)  # reads 心湖社区's matters only
    resp = client.get(_detail(walked))
    html = _html(resp)
    assert [e.pk for e in resp.context["matters"]] == [here.pk] and resp.context["hidden_matters"] == 1
    assert f'href="/matters/{here.pk}/"' in html and "楼道堆放杂物" in html
    assert f"/matters/{elsewhere.pk}/" not in html and "河道护栏破损" not in html and elsewhere.number not in html
    assert 'id="hidden-matters" data-count="1"' in html
    client.force_login(users.town_haiyou)
    resp = client.get(_detail(walked))
    assert [e.pk for e in resp.context["matters"]] == [here.pk, elsewhere.pk] and resp.context["hidden_matters"] == 0
    assert 'id="hidden-matters"' not in _html(resp)


# ---------------------------------------------------------------- the phone page


def test_the_phone_page_offers_a_grid_worker_to_start_a_patrol(client, users):
    client.force_login(users.grid_xinhu1)
    html = _html(client.get("/m/"))
    assert 'id="patrol-card" data-state="idle"' in html and 'id="patrol-start"' in html
    assert 'id="patrol-idle">' in html and 'id="patrol-running" hidden' in html
    data = _json_script(html, "patrol-data")
    assert data["running"] is None and data["user"] == users.grid_xinhu1.pk and data["api"] == "/api/v1/patrols/"
    assert data["point_every_s"] == 15 and data["send_every_s"] == 30 and data["batch"] == 200
    assert 'href="/patrols/?by=grid_xinhu1" id="my-patrols-link"' in html


def test_the_phone_page_shows_the_running_patrol(client, users, patrol):
    p = patrol("grid_xinhu1", minutes_ago=20, points=5)
    patrol("cadre_xinhu", minutes_ago=10)  # somebody else's: not shown
    client.force_login(users.grid_xinhu1)
    html = _html(client.get("/m/"))
    assert 'id="patrol-card" data-state="running"' in html and 'id="patrol-idle" hidden' in html
    data = _json_script(html, "patrol-data")
    assert data["running"] == {"id": p.pk, "started_at": p.started_at.isoformat(), "point_count": 5,
                               "distance_m": p.distance_m}
    assert '<dd id="patrol-sent">5</dd>' in html
    assert timezone.localtime(p.started_at).strftime("%H:%M") in html
    actions.finish_patrol(p, by=users.grid_xinhu1)
    assert _json_script(_html(client.get("/m/")), "patrol-data")["running"] is None


def test_a_village_cadre_has_the_patrol_card_too(client, users):
    client.force_login(users.cadre_xinhu)
    html = _html(client.get("/m/"))
    assert 'id="patrol-card"' in html and 'href="/patrols/?by=cadre_xinhu"' in html


# ---------------------------------------------------------------- a report on a patrol


def _report(client, key: str, **extra):
    return client.post("/m/report/", {**REPORT, **extra}, HTTP_IDEMPOTENCY_KEY=key)


def test_a_report_sent_on_a_patrol_is_linked_to_it(client, users, patrol):
    p = patrol("grid_xinhu1", minutes_ago=20, points=3)
    client.force_login(users.grid_xinhu1)
    resp = _report(client, "on-patrol-1", patrol=str(p.pk))
    assert resp.status_code == 201
    link = PatrolReport.objects.get(event_id=resp.json()["id"])
    assert link.patrol == p
    # the retry answers the same matter and links it once
    again = _report(client, "on-patrol-1", patrol=str(p.pk))
    assert again.status_code == 200 and again.json()["id"] == link.event_id
    assert PatrolReport.objects.filter(patrol=p).count() == 1
    # the console shows it on the patrol
    resp = client.get(_detail(p))
    assert [e.pk for e in resp.context["matters"]] == [link.event_id]


@pytest.mark.parametrize("value", ["foreign", "abc", "-1", "1.5", "99999999999999999999", "", "１２"])
def test_a_patrol_not_the_reporter_s_links_nothing_and_the_report_is_taken(client, users, patrol, value):
    foreign = patrol("grid_jianzhong1", minutes_ago=20)
    patrol("grid_xinhu1", minutes_ago=20)  # their own runs, but the report names another
    client.force_login(users.grid_xinhu1)
    before = Event.objects.count()
    resp = _report(client, f"foreign-{value}", patrol=str(foreign.pk) if value == "foreign" else value)
    assert resp.status_code == 201 and Event.objects.count() == before + 1
    assert not PatrolReport.objects.exists()


def test_a_report_without_a_patrol_links_nothing(client, users, patrol):
    patrol("grid_xinhu1", minutes_ago=20)
    client.force_login(users.grid_xinhu1)
    assert _report(client, "no-patrol").status_code == 201
    assert not PatrolReport.objects.exists()
