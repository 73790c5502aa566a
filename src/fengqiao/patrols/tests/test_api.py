"""The patrols' API (/api/v1/patrols/) as the demo users: every endpoint four ways (anonymous 401,
wrong role 403, right role outside the jurisdiction 404, inside 200/201), the patroller's writes
through :mod:`fengqiao.patrols.actions` (start, a batch of points sent and sent again, points
outside the patrol's time, finish and its retry, the start's Idempotency-Key, a second start
while one runs) with their refusals as bilingual 4xx and nothing written, the list's filters,
the matters on a patrol shown only to those who may read them, the phone page's session and
CSRF token, and the endpoints in the OpenAPI schema.

Patrols are walked through the actions (the ``patrol`` fixture of conftest.py); times come from
the platform's clock (``events.sla``), frozen where a test needs fixed days."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from fengqiao.areas.models import Area
from fengqiao.core.tests.api_checks import assert_error
from fengqiao.core.tests.api_checks import row_ids as ids
from fengqiao.core.tests.schema_runs import fuzz, ref
from fengqiao.events.sla import frozen_now
from fengqiao.events.sla import now as clock_now
from fengqiao.patrols import actions
from fengqiao.patrols.models import Patrol, TrackPoint

from .conftest import HAIYOU, JIANTIAO, JIANZHONG, XINHU, XINHU_GRID, positions

pytestmark = pytest.mark.django_db

URL = "/api/v1/patrols/"
MINUTE = dt.timedelta(minutes=1)


def detail(p) -> str:
    return f"{URL}{p.pk}/"


def points_url(p) -> str:
    return f"{detail(p)}points/"


def finish_url(p) -> str:
    return f"{detail(p)}finish/"


def batch(p, count=3, *, after=MINUTE, **kw) -> list[dict]:
    """``count`` positions inside the patrol's area, from ``after`` past its start."""
    return positions(p.area, p.started_at + after, count, **kw)


def writes(p) -> list[tuple[str, dict]]:
    """Each write with a valid body: start, a batch of points, finish."""
    return [(URL, {}), (points_url(p), {"points": batch(p)}), (finish_url(p), {"note": "一切正常"})]


def post(client, url: str, body=None, **headers):
    return client.post(url, body if body is not None else {}, format="json", **headers)


def snapshot(p) -> tuple:
    fresh = Patrol.objects.get(pk=p.pk)
    return (fresh.ended_at, fresh.end_reason, fresh.note, fresh.point_count, fresh.distance_m, fresh.inside_count,
            fresh.last_point_at, fresh.heard_at, TrackPoint.objects.filter(patrol=p).count())


# ---------------------------------------------------------------- four ways


def test_anonymous_is_401(api, patrol):
    p = patrol(points=2)
    before = snapshot(p)
    client = api()
    for url in (URL, detail(p)):
        assert_error(client.get(url), 401, "not_authenticated")
    for url, body in writes(p):
        assert_error(post(client, url, body), 401, "not_authenticated")
    assert snapshot(p) == before and Patrol.objects.count() == 1


@pytest.mark.parametrize("username", ["dept_police", "auditor", "admin", "mediator"])
def test_wrong_role_is_403(api, users, patrol, username):
    p = patrol(points=2)
    before = snapshot(p)
    client = api(getattr(users, username))
    for url in (URL, detail(p)):
        assert_error(client.get(url), 403, "permission_denied")
    for url, body in writes(p):
        assert_error(post(client, url, body), 403, "permission_denied")
    assert snapshot(p) == before and Patrol.objects.count() == 1


@pytest.mark.parametrize("username", ["county_op", "town_haiyou", "leader", "leader_haiyou"])
def test_readers_who_do_not_patrol_read_the_patrols_of_their_area_but_never_write(api, users, patrol, username):
    """A town operator (or the county centre, a leader) reads the patrols of its area, and may
    neither start one nor post points to them nor end them: 403."""
    p = patrol(points=2)
    before = snapshot(p)
    client = api(getattr(users, username))
    assert ids(client.get(URL)) == [p.pk]
    assert client.get(detail(p)).json()["point_count"] == 2
    for url, body in writes(p):
        assert_error(post(client, url, body), 403, "permission_denied")
    assert snapshot(p) == before and Patrol.objects.count() == 1


@pytest.mark.parametrize("username", ["town_jiantiao", "cadre_jianzhong", "grid_jianzhong1"])
def test_outside_the_jurisdiction_a_patrol_does_not_exist(api, users, patrol, username):
    p = patrol(points=2)
    before = snapshot(p)
    user = getattr(users, username)
    client = api(user)
    assert ids(client.get(URL)) == []
    assert_error(client.get(detail(p)), 404, "not_found")
    status = 403 if username == "town_jiantiao" else 404  # a role that never patrols; a patroller elsewhere
    for url, body in writes(p)[1:]:
        assert_error(post(client, url, body), status)
    assert snapshot(p) == before and Patrol.objects.count() == 1


def test_in_reach_but_not_the_patroller_reads_and_cannot_write(api, users, patrol):
    """The village cadre reads the patrols of the village's grids; adding to another's patrol or
    ending it is a 404 from the action (only the patroller writes)."""
    p = patrol(points=2)
    before = snapshot(p)
    client = api(users.cadre_xinhu)
    assert ids(client.get(URL)) == [p.pk]
    assert client.get(detail(p)).status_code == 200
    for url, body in writes(p)[1:]:
        assert_error(post(client, url, body), 404, "not_found")
    assert snapshot(p) == before


def test_a_grid_worker_reads_their_own_and_their_grids_patrols_only(api, users, patrol):
    own = patrol("grid_xinhu1", minutes_ago=10)
    cadre = patrol("cadre_xinhu", minutes_ago=20)  # the village's: above the grid
    client = api(users.grid_xinhu1)
    assert ids(client.get(URL)) == [own.pk]
    assert_error(client.get(detail(cadre)), 404, "not_found")
    assert set(ids(api(users.cadre_xinhu).get(URL))) == {own.pk, cadre.pk}


@pytest.mark.parametrize("username", ["grid_xinhu1", "cadre_xinhu", "grid_jianzhong1", "cadre_jianzhong"])
def test_each_patroller_starts_in_their_own_area(api, users, username):
    user = getattr(users, username)
    resp = post(api(user), URL)
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["area"] == {"code": user.area.code, "name": user.area.name}
    assert body["by"] == username and body["by_name"] == user.get_full_name()
    assert Patrol.objects.get(pk=body["id"]).by_id == user.pk


# ---------------------------------------------------------------- the patroller's writes


def test_start_points_finish_and_their_retries(api, users):
    client = api(users.grid_xinhu1)
    started = clock_now() - dt.timedelta(minutes=20)
    resp = post(client, URL, {"started_at": started.isoformat()})
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["url"] == f"{URL}{body['id']}/"
    assert body["area"] == {"code": XINHU_GRID, "name": Area.objects.get(code=XINHU_GRID).name}
    assert (body["state"], body["end_reason"], body["ended_at"], body["point_count"], body["distance_m"],
            body["coverage"], body["report_count"], body["note"]) == ("running", "", None, 0, 0, None, 0, "")
    assert 1190 <= body["duration_s"] <= 1300
    p = Patrol.objects.select_related("area").get(pk=body["id"])
    assert p.started_at == started

    first = batch(p, 10)
    resp = post(client, points_url(p), {"points": first})
    assert resp.status_code == 200, resp.content
    added = resp.json()
    assert {k: added[k] for k in ("accepted", "repeated", "refused", "point_count")} == {
        "accepted": 10, "repeated": 0, "refused": 0, "point_count": 10}
    assert added["distance_m"] > 0
    # the phone did not hear the answer and sends the batch again: nothing doubles
    again = post(client, points_url(p), {"points": first}).json()
    assert again == {**added, "accepted": 0, "repeated": 10}
    # an overlapping batch, out of order, with a point twice
    later = batch(p, 15)[10:]
    mixed = [*later[::-1], *first[5:], later[0]]
    assert post(client, points_url(p), {"points": mixed}).json() | {"distance_m": 0} == {
        "accepted": 5, "repeated": 6, "refused": 0, "point_count": 15, "distance_m": 0}
    # points before the start (beyond the phone's clock slack) and in the future are refused
    outside = [{**first[0], "at": (p.started_at - dt.timedelta(minutes=10)).isoformat()},
               {**first[0], "at": (clock_now() + dt.timedelta(hours=1)).isoformat()}]
    resp = post(client, points_url(p), {"points": [*outside, first[1]]}).json()
    assert (resp["accepted"], resp["repeated"], resp["refused"], resp["point_count"]) == (0, 1, 2, 15)
    assert TrackPoint.objects.filter(patrol=p).count() == 15

    resp = post(client, finish_url(p), {"note": "巡查心湖路一带,未见异常"})
    assert resp.status_code == 200, resp.content
    ended = resp.json()
    assert (ended["state"], ended["end_reason"], ended["changed"], ended["note"]) == (
        "ended", "finished", True, "巡查心湖路一带,未见异常")
    assert ended["ended_at"] and ended["point_count"] == 15 and ended["coverage"] == 1.0
    # the retry of the end changes nothing
    retry = post(client, finish_url(p), {"note": "另一段话"})
    assert retry.status_code == 200
    assert retry.json() == {**ended, "changed": False}
    assert Patrol.objects.get(pk=p.pk).note == "巡查心湖路一带,未见异常"
    # after the end, a point later than the end is refused
    late = {**first[0], "at": clock_now().isoformat()}
    assert post(client, points_url(p), {"points": [late]}).json()["refused"] == 1

    one = client.get(detail(p)).json()
    track = one["track"]
    assert len(track) == 15 and set(track[0]) == {"at", "longitude", "latitude", "accuracy", "inside"}
    times = [dt.datetime.fromisoformat(t["at"]) for t in track]
    assert times == sorted(times) and times[0] == p.started_at + MINUTE
    assert all(t["inside"] is True and t["accuracy"] == 5.0 for t in track)
    assert one["reports"] == [] and one["report_count"] == 0
    assert {k: one[k] for k in ended if k != "changed"} == {k: v for k, v in ended.items() if k != "changed"}


def test_points_outside_the_area_lower_the_coverage(api, users, patrol):
    p = patrol(minutes_ago=20)
    client = api(users.grid_xinhu1)
    inside = batch(p, 6)
    outside = batch(p, 2, after=dt.timedelta(minutes=10), outside=True)
    resp = post(client, points_url(p), {"points": [*inside, *outside]})
    assert resp.json()["accepted"] == 8
    one = client.get(detail(p)).json()
    assert one["coverage"] == 0.75
    assert [t["inside"] for t in one["track"]] == [True] * 6 + [False] * 2


def test_a_point_without_accuracy_is_taken(api, users, patrol):
    p = patrol(minutes_ago=20)
    client = api(users.grid_xinhu1)
    points = [{k: v for k, v in pt.items() if k != "accuracy"} for pt in batch(p, 2)]
    points[1]["accuracy"] = None
    assert post(client, points_url(p), {"points": points}).json()["accepted"] == 2
    assert [t["accuracy"] for t in client.get(detail(p)).json()["track"]] == [None, None]


def test_the_same_idempotency_key_answers_the_same_patrol(api, users):
    client = api(users.grid_xinhu1)
    first = post(client, URL, HTTP_IDEMPOTENCY_KEY="phone-start-1")
    again = post(client, URL, HTTP_IDEMPOTENCY_KEY="phone-start-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert Patrol.objects.filter(by=users.grid_xinhu1).count() == 1
    # another key while it runs: a second start
    assert_error(post(client, URL, HTTP_IDEMPOTENCY_KEY="phone-start-2"), 409, "patrol_running")
    # another person's key of the same text is theirs
    assert post(api(users.cadre_xinhu), URL, HTTP_IDEMPOTENCY_KEY="phone-start-1").status_code == 201
    body = assert_error(post(client, URL, HTTP_IDEMPOTENCY_KEY="x" * 101), 400, "invalid")
    assert body["field"] == "Idempotency-Key"
    assert Patrol.objects.count() == 2


def test_a_second_start_while_one_runs_is_409(api, users, patrol):
    p = patrol(minutes_ago=5)
    body = assert_error(post(api(users.grid_xinhu1), URL), 409, "patrol_running")
    assert "巡逻" in body["detail_zh"]
    assert Patrol.objects.count() == 1 and Patrol.objects.get(pk=p.pk).is_running


def test_a_start_within_an_ended_patrol_is_409(api, users, patrol):
    p = patrol(minutes_ago=60, finish=True)  # ended now
    inside = p.started_at + dt.timedelta(minutes=30)
    body = assert_error(post(api(users.grid_xinhu1), URL, {"started_at": inside.isoformat()}), 409,
                        "overlapping_patrol")
    assert body["field"] == "started_at" and Patrol.objects.count() == 1


def test_a_start_after_the_phone_went_quiet_ends_the_old_patrol_automatically(api, users, patrol):
    p = patrol(minutes_ago=30, points=4)
    with frozen_now(clock_now() + dt.timedelta(hours=3)):
        resp = post(api(users.grid_xinhu1), URL)
        assert resp.status_code == 201, resp.content
        old = api(users.grid_xinhu1).get(detail(p)).json()
    assert (old["state"], old["end_reason"]) == ("ended", "timed_out")
    assert dt.datetime.fromisoformat(old["ended_at"]) == Patrol.objects.get(pk=p.pk).last_point_at


def test_finishing_a_patrol_ended_automatically_ends_it_by_the_patroller(api, users, patrol):
    p = patrol(minutes_ago=30, points=4)
    with frozen_now(clock_now() + dt.timedelta(hours=3)):
        assert actions.close_idle_patrols() == 1
        resp = post(api(users.grid_xinhu1), finish_url(p), {"note": "手机没电了"})
    assert resp.status_code == 200
    assert (resp.json()["end_reason"], resp.json()["changed"], resp.json()["note"]) == ("finished", True, "手机没电了")


# ---------------------------------------------------------------- bad bodies


def _point(**kw) -> dict:
    return {"at": (clock_now() - dt.timedelta(minutes=5)).isoformat(), "longitude": 121.38, "latitude": 29.1,
            "accuracy": 8, **kw}


def _without(key) -> dict:
    return {k: v for k, v in _point().items() if k != key}


def _raw(point: dict, key: str, literal: str) -> str:
    """A JSON body of one point whose ``key`` is ``literal`` as written (NaN, Infinity: what
    Python's JSON writes and strict JSON refuses)."""
    import json

    return json.dumps({"points": [{**point, key: "@"}]}).replace('"@"', literal)


BAD_POINTS = [
    pytest.param(lambda: {"points": "121.38,29.1"}, "bad_points", id="a-text"),
    pytest.param(lambda: {"points": {"at": "x"}}, "bad_points", id="an-object"),
    pytest.param(lambda: {"points": []}, "bad_points", id="empty"),
    pytest.param(lambda: {"points": None}, "bad_points", id="null"),
    pytest.param(lambda: {}, "bad_points", id="missing"),
    pytest.param(lambda: {"points": [1, 2]}, "bad_points", id="numbers"),
    pytest.param(lambda: {"points": [[121.38, 29.1]]}, "bad_points", id="pairs"),
    pytest.param(lambda: {"points": [_point()] * 501}, "too_many_points", id="too-many"),
    pytest.param(lambda: {"points": [_point(longitude=181)]}, "bad_coordinate", id="longitude-181"),
    pytest.param(lambda: {"points": [_point(longitude=-180.5)]}, "bad_coordinate", id="longitude-below"),
    pytest.param(lambda: {"points": [_point(latitude=90.01)]}, "bad_coordinate", id="latitude-above"),
    pytest.param(lambda: {"points": [_point(latitude="NaN")]}, "bad_coordinate", id="latitude-nan-text"),
    pytest.param(lambda: {"points": [_point(longitude="Infinity")]}, "bad_coordinate", id="longitude-inf-text"),
    pytest.param(lambda: _raw(_point(), "longitude", "NaN"), None, id="longitude-json-nan"),
    pytest.param(lambda: _raw(_point(), "latitude", "Infinity"), None, id="latitude-json-inf"),
    pytest.param(lambda: _raw(_point(), "accuracy", "-Infinity"), None, id="accuracy-json-inf"),
    pytest.param(lambda: {"points": [_point(longitude="东经121度")]}, "bad_coordinate", id="longitude-words"),
    pytest.param(lambda: {"points": [_point(longitude=True)]}, "bad_coordinate", id="longitude-boolean"),
    pytest.param(lambda: {"points": [_point(latitude=False)]}, "bad_coordinate", id="latitude-boolean"),
    pytest.param(lambda: {"points": [_point(latitude=None)]}, "bad_coordinate", id="latitude-null"),
    pytest.param(lambda: {"points": [_point(latitude=[29.1])]}, "bad_coordinate", id="latitude-list"),
    pytest.param(lambda: {"points": [_without("longitude")]}, "bad_coordinate", id="longitude-missing"),
    pytest.param(lambda: {"points": [_without("at")]}, "bad_time", id="at-missing"),
    pytest.param(lambda: {"points": [_point(at="yesterday")]}, "bad_time", id="at-words"),
    pytest.param(lambda: {"points": [_point(at=1767225600)]}, "bad_time", id="at-epoch"),
    pytest.param(lambda: {"points": [_point(at="2026-02-30T10:00:00")]}, "bad_time", id="at-impossible"),
    pytest.param(lambda: {"points": [_point(at=True)]}, "bad_time", id="at-boolean"),
    pytest.param(lambda: {"points": [_point(accuracy=-1)]}, "bad_accuracy", id="accuracy-negative"),
    pytest.param(lambda: {"points": [_point(accuracy=1e9)]}, "bad_accuracy", id="accuracy-huge"),
    pytest.param(lambda: {"points": [_point(accuracy="NaN")]}, "bad_accuracy", id="accuracy-nan"),
    pytest.param(lambda: {"points": [_point(accuracy="good")]}, "bad_accuracy", id="accuracy-words"),
    pytest.param(lambda: {"points": [_point(accuracy=True)]}, "bad_accuracy", id="accuracy-boolean"),
    pytest.param(lambda: {"points": [_point(accuracy={"m": 5})]}, "bad_accuracy", id="accuracy-object"),
    pytest.param(lambda: {"points": [_point(speed=1.2)]}, "unknown_field", id="point-unknown-field"),
    pytest.param(lambda: {"points": [_point()], "patrol": 1}, "unknown_field", id="body-unknown-field"),
    pytest.param(lambda: [_point()], "invalid", id="body-a-list"),
    pytest.param(lambda: {"points": [_point(), _point(at=(clock_now() - dt.timedelta(minutes=4)).isoformat()),
                                     _point(latitude=95)]}, "bad_coordinate", id="a-bad-point-after-good-ones"),
]


@pytest.mark.parametrize(("body", "code"), BAD_POINTS)
def test_a_bad_batch_is_400_and_adds_nothing(api, users, patrol, body, code):
    p = patrol(minutes_ago=20, points=2)
    before = snapshot(p)
    client, sent = api(users.grid_xinhu1), body()
    if isinstance(sent, str):
        resp = client.post(points_url(p), sent, content_type="application/json")
    else:
        resp = post(client, points_url(p), sent)
    assert_error(resp, 400, code)
    assert snapshot(p) == before


def test_a_form_cannot_send_points(api, users, patrol):
    p = patrol(minutes_ago=20)
    before = snapshot(p)
    resp = api(users.grid_xinhu1).post(points_url(p), {"points": "121.38,29.1"})  # multipart
    assert_error(resp, 400, "bad_points")
    assert snapshot(p) == before


BAD_FINISH = [
    pytest.param(lambda p: {"note": 5}, "invalid", id="note-number"),
    pytest.param(lambda p: {"note": ["一切正常"]}, "invalid", id="note-list"),
    pytest.param(lambda p: {"note": None}, "invalid", id="note-null"),
    pytest.param(lambda p: {"note": "x" * 2001}, "too_long", id="note-too-long"),
    pytest.param(lambda p: {"note": "一切\x00正常"}, "bad_text", id="note-nul"),
    pytest.param(lambda p: {"ended_at": 5}, "invalid", id="ended-at-number"),
    pytest.param(lambda p: {"ended_at": True}, "invalid", id="ended-at-boolean"),
    pytest.param(lambda p: {"ended_at": "soon"}, "bad_time", id="ended-at-words"),
    pytest.param(lambda p: {"ended_at": "2026-02-30T10:00:00"}, "bad_time", id="ended-at-impossible"),
    pytest.param(lambda p: {"ended_at": (clock_now() + dt.timedelta(hours=1)).isoformat()}, "future_time",
                 id="ended-at-future"),
    pytest.param(lambda p: {"ended_at": (p.started_at - dt.timedelta(hours=1)).isoformat()}, "end_before_start",
                 id="ended-before-start"),
    pytest.param(lambda p: {"note": "一切正常", "reason": "finished"}, "unknown_field", id="unknown-field"),
    pytest.param(lambda p: ["一切正常"], "invalid", id="body-a-list"),
]


@pytest.mark.parametrize(("body", "code"), BAD_FINISH)
def test_a_bad_end_is_400_and_the_patrol_runs_on(api, users, patrol, body, code):
    p = patrol(minutes_ago=20, points=2)
    before = snapshot(p)
    assert_error(post(api(users.grid_xinhu1), finish_url(p), body(p)), 400, code)
    assert snapshot(p) == before and Patrol.objects.get(pk=p.pk).is_running


BAD_START = [
    pytest.param(lambda: {"started_at": 5}, "invalid", id="number"),
    pytest.param(lambda: {"started_at": ["2026-03-01T08:00:00"]}, "invalid", id="list"),
    pytest.param(lambda: {"started_at": "this morning"}, "bad_time", id="words"),
    pytest.param(lambda: {"started_at": "2026-02-30T08:00:00"}, "bad_time", id="impossible"),
    pytest.param(lambda: {"started_at": (clock_now() + dt.timedelta(hours=1)).isoformat()}, "future_time",
                 id="future"),
    pytest.param(lambda: {"started_at": (clock_now() - dt.timedelta(hours=13)).isoformat()}, "too_old", id="too-old"),
    pytest.param(lambda: {"started_at": "0001-01-01T00:00:00+08:00"}, "too_old", id="year-one"),
    pytest.param(lambda: {"area": XINHU}, "unknown_field", id="unknown-field"),
    pytest.param(lambda: [], "invalid", id="a-list"),
]


@pytest.mark.parametrize(("body", "code"), BAD_START)
def test_a_bad_start_is_400_and_starts_nothing(api, users, body, code):
    assert_error(post(api(users.grid_xinhu1), URL, body()), 400, code)
    assert not Patrol.objects.exists()


# ---------------------------------------------------------------- filters


@pytest.fixture
def four(patrol):
    """Four patrols, the clock at yesterday noon (local time): grid_xinhu1's of three days
    before (ended, 5 points), cadre_xinhu's (ended, 3 points), grid_xinhu1's running one, and
    grid_jianzhong1's running one in another town. Answers ``(day, patrols)``."""
    noon = timezone.make_aware(dt.datetime.combine(timezone.localdate() - dt.timedelta(days=1), dt.time(12)))
    with frozen_now(noon - dt.timedelta(days=3)):
        old = patrol("grid_xinhu1", minutes_ago=60, points=5, finish=True)
    with frozen_now(noon):
        cadre = patrol("cadre_xinhu", minutes_ago=30, points=3, finish=True)
        running = patrol("grid_xinhu1", minutes_ago=10)
        far = patrol("grid_jianzhong1", minutes_ago=20)
    with frozen_now(noon):
        yield noon.date(), {"old": old, "cadre": cadre, "running": running, "far": far}


def _names(response, patrols) -> list[str]:
    by_id = {p.pk: name for name, p in patrols.items()}
    return [by_id[i] for i in ids(response)]


def test_the_list_is_newest_first_and_each_filter_narrows_it(api, users, four):
    day, patrols = four
    client = api(users.county_op)
    old_day = day - dt.timedelta(days=3)

    def names(**params):
        return _names(client.get(URL, params), patrols)

    assert names() == ["running", "far", "cadre", "old"]
    assert names(area=XINHU) == ["running", "cadre", "old"]
    assert names(area=HAIYOU) == ["running", "cadre", "old"]
    assert names(area=XINHU_GRID) == ["running", "old"]
    assert names(area=JIANTIAO) == ["far"]
    assert names(area="999999") == []
    assert names(state="running") == ["running", "far"]
    assert names(state="ended") == ["cadre", "old"]
    assert names(by="grid_xinhu1") == ["running", "old"]
    assert names(by="cadre_xinhu", state="ended") == ["cadre"]
    assert names(by="nobody") == []
    assert names(started_after=day.isoformat()) == ["running", "far", "cadre"]
    assert names(started_before=day.isoformat()) == ["running", "far", "cadre", "old"]
    assert names(started_before=old_day.isoformat()) == ["old"]
    assert names(started_after=old_day.isoformat(), started_before=old_day.isoformat()) == ["old"]  # inclusive
    assert names(started_before=(old_day - dt.timedelta(days=1)).isoformat()) == []
    assert names(started_after=(day + dt.timedelta(days=1)).isoformat()) == []
    assert names(started_after="0001-01-01", started_before="9999-12-31") == ["running", "far", "cadre", "old"]
    assert names(ordering="-point_count")[0] == "old"
    assert names(ordering="started_at") == ["old", "cadre", "far", "running"]
    # an area outside the caller's reach: an empty list, as for an unknown code
    assert _names(api(users.town_haiyou).get(URL, {"area": JIANTIAO}), patrols) == []
    assert _names(api(users.town_haiyou).get(URL), patrols) == ["running", "cadre", "old"]


def test_the_list_rows_carry_the_patrols_figures(api, users, four):
    _day, patrols = four
    rows = {r["id"]: r for r in api(users.county_op).get(URL).json()["results"]}
    old = rows[patrols["old"].pk]
    assert (old["state"], old["end_reason"], old["point_count"], old["coverage"]) == ("ended", "finished", 5, 1.0)
    assert old["state_label"] and old["end_reason_label"]
    assert old["duration_s"] == 3600 and old["distance_m"] > 0 and old["by"] == "grid_xinhu1"
    running = rows[patrols["running"].pk]
    assert (running["state"], running["ended_at"], running["coverage"], running["duration_s"]) == (
        "running", None, None, 600)
    assert "track" not in running and "reports" not in running


def test_the_list_reads_no_row_by_row(api, users, four):
    _day, patrols = four
    client = api(users.county_op)
    client.get(URL)  # the token's memo
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as four_rows:
        assert len(ids(client.get(URL))) == 4
    with CaptureQueriesContext(connection) as two_rows:
        assert len(ids(client.get(URL, {"state": "ended"}))) == 2
    assert len(four_rows) == len(two_rows)


@pytest.mark.parametrize("params", [
    {"state": "walking"}, {"state": "RUNNING"}, {"started_after": "2026-13-01"}, {"started_after": "20260301"},
    {"started_before": "yesterday"}, {"started_before": "2026-03-01T08:00"}, {"started_after": "2026-02-30"},
    {"by": "grid\x00xinhu1"}, {"area": "3" * 33}, {"by": "x" * 151},
])
def test_a_bad_filter_value_is_400(api, users, four, params):
    body = assert_error(api(users.county_op).get(URL, params), 400, "invalid")
    assert set(body["fields"]) == set(params)


def test_a_bad_page_size_is_400(api, users, four):
    assert_error(api(users.county_op).get(URL, {"page_size": "0"}), 400, "bad_page_size")
    page = api(users.county_op).get(URL, {"page_size": 3}).json()
    assert page["count"] == 4 and len(page["results"]) == 3 and page["next"]


# ---------------------------------------------------------------- matters on a patrol


def test_a_patrols_matters_are_listed_only_to_those_who_may_read_them(api, users, patrol, matter):
    p = patrol(points=3)
    here = matter(XINHU_GRID, title="心湖路路灯损坏")
    elsewhere = matter(JIANZHONG, title="健中路井盖缺失")
    for event in (here, elsewhere):
        assert actions.link_report(p.pk, event, by=users.grid_xinhu1) is not None

    county = api(users.county_op).get(detail(p)).json()
    assert [m["id"] for m in county["reports"]] == [here.pk, elsewhere.pk]
    assert county["reports"][0] == {"id": here.pk, "number": here.number, "title": "心湖路路灯损坏",
                                    "state": here.state, "state_label": county["reports"][0]["state_label"],
                                    "url": f"/api/v1/events/{here.pk}/"}
    town = api(users.town_haiyou).get(detail(p)).json()
    assert [m["id"] for m in town["reports"]] == [here.pk]  # the matter in another town is not listed
    assert town["report_count"] == 2
    listed = api(users.town_haiyou).get(URL).json()["results"]
    assert [r["report_count"] for r in listed] == [2]


# ---------------------------------------------------------------- the phone page


def test_the_phone_page_writes_with_its_session_and_csrf_token(users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users.grid_xinhu1)
    client.get("/m/")  # the page sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    assert_error(client.post(URL, "{}", content_type="application/json"), 403)  # no token
    assert not Patrol.objects.exists()
    resp = client.post(URL, "{}", content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert resp.status_code == 201, resp.content
    p = Patrol.objects.select_related("area").get(pk=resp.json()["id"])
    import json

    body = json.dumps({"points": positions(p.area, p.started_at, 2)})
    resp = client.post(points_url(p), body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert resp.status_code == 200 and resp.json()["accepted"] == 2
    resp = client.post(finish_url(p), json.dumps({"note": "正常"}), content_type="application/json",
                       HTTP_X_CSRFTOKEN=token)
    assert resp.status_code == 200 and resp.json()["changed"] is True


def test_the_browsable_api_and_options_answer(api, users, patrol):
    p = patrol(points=2)
    client = api(users.grid_xinhu1)
    for url in (URL, detail(p), points_url(p), finish_url(p)):
        assert client.options(url).status_code == 200, url
    for url in (URL, detail(p)):
        assert client.get(url, HTTP_ACCEPT="text/html").status_code == 200, url


# ---------------------------------------------------------------- schema


@pytest.fixture(scope="module")
def schema():
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def test_schema_documents_the_endpoints(schema):
    paths, components = schema["paths"], schema["components"]["schemas"]

    listing = paths[URL]["get"]
    assert {"area", "state", "by", "started_after", "started_before", "ordering", "page", "page_size"} <= {
        p["name"] for p in listing["parameters"]}
    assert ref(listing) == "PaginatedPatrolListList"
    start = paths[URL]["post"]
    assert ref(start, "201") == ref(start, "200") == "PatrolList"
    assert "Idempotency-Key" in {p["name"] for p in start["parameters"]}
    assert set(components[ref(start, where="requestBody")]["properties"]) == {"started_at"}
    one = paths[URL + "{id}/"]
    assert ref(one["get"]) == "Patrol" and not {"put", "patch", "delete", "post"} & set(one)
    points = paths[URL + "{id}/points/"]["post"]
    assert ref(points) == "PointsAdded"
    assert set(components["PointsAdded"]["properties"]) == {"accepted", "repeated", "refused", "point_count",
                                                           "distance_m"}
    body = components[ref(points, where="requestBody")]
    assert body["required"] == ["points"]
    finish = paths[URL + "{id}/finish/"]["post"]
    assert ref(finish) == "PatrolEnded" and "changed" in components["PatrolEnded"]["properties"]
    assert set(components[ref(finish, where="requestBody")]["properties"]) == {"note", "ended_at"}
    assert {"409", "413"} <= set(finish["responses"])
    patrol = components["Patrol"]["properties"]
    assert {"track", "reports", "coverage", "duration_s", "report_count", "area", "by"} <= set(patrol)
    assert patrol["coverage"]["nullable"] and patrol["by"]["nullable"] and patrol["ended_at"]["nullable"]
    assert set(components["TrackPoint"]["properties"]) == {"at", "longitude", "latitude", "accuracy", "inside"}
    assert set(components["PatrolMatter"]["properties"]) == {"id", "number", "title", "state", "state_label", "url"}
    assert set(components["PatrolStateEnum"]["enum"]) == {"running", "ended"}
    assert set(components["PatrolEndReasonEnum"]["enum"]) == {"finished", "timed_out"}


# ---------------------------------------------------------------- found in the actions


def test_ending_a_timed_out_patrol_late_does_not_overlap_the_next_one(api, users, patrol):
    p = patrol(minutes_ago=30, points=4)
    later = clock_now() + dt.timedelta(hours=3)
    with frozen_now(later):
        nxt = post(api(users.grid_xinhu1), URL).json()  # ends the quiet one automatically
    with frozen_now(later + dt.timedelta(minutes=10)):
        resp = post(api(users.grid_xinhu1), finish_url(p), {"note": "补记"})
    assert resp.status_code == 200 and resp.json()["changed"], resp.content
    ended = Patrol.objects.get(pk=p.pk).ended_at
    assert ended <= dt.datetime.fromisoformat(nxt["started_at"])


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_patrol_answers_match_the_schema(live_server, demo_county, users, tmp_path):
    """schemathesis on the patrols' endpoints as the patroller, with a patrol of theirs present
    (ended, with a track), whose id the operations on one patrol are given: no 5xx whatever the
    input, and every answer as the schema says."""
    by = users.grid_xinhu1
    started = clock_now() - dt.timedelta(minutes=40)
    p = actions.start_patrol(by=by, started_at=started)
    actions.add_points(p, by=by, points=positions(p.area, started, 5))
    actions.finish_patrol(p, by=by, note="一切正常")
    fuzz(live_server, by, "patrols", p.pk, tmp_path, operations=5)


def test_a_request_queued_by_another_account_on_the_phone_is_a_401_and_writes_nothing(client, users, patrol):
    """The phone page names its account (X-Fengqiao-User) on every queued request: sent in another
    account's session (someone else signed in on the same phone) it is refused, to be kept."""
    p = patrol(minutes_ago=10)
    client.force_login(users.cadre_xinhu)
    other = str(users.grid_xinhu1.pk)
    for url, body in ((URL, {}), (f"{URL}{p.pk}/points/", {"points": positions(p.area, p.started_at, 2)}),
                      (f"{URL}{p.pk}/finish/", {"note": "x"})):
        resp = client.post(url, body, content_type="application/json", HTTP_X_FENGQIAO_USER=other)
        assert resp.status_code == 401 and resp.json()["error"] == "wrong_user", (url, resp.content)
    resp = client.post("/m/report/", {"title": "路灯", "content": "心湖路路灯不亮"}, HTTP_X_FENGQIAO_USER=other,
                       HTTP_IDEMPOTENCY_KEY="k-wrong-user")
    assert resp.status_code == 401 and resp.json()["error"] == "wrong_user" and resp.json()["login_url"]
    assert Patrol.objects.filter(by=users.cadre_xinhu).count() == 0 and TrackPoint.objects.count() == 0
    # the right account's header is taken
    resp = client.post(URL, {}, content_type="application/json", HTTP_X_FENGQIAO_USER=str(users.cadre_xinhu.pk))
    assert resp.status_code == 201
