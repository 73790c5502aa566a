"""Patrol fixtures: patrols walked through the patrols' own actions (start, points, finish), and
tracks of positions inside an area's boundary.

The demo county's patrollers: grid_xinhu1 (grid 心湖社区第1网格, 331022001001001), cadre_xinhu
(心湖社区, 331022001001), grid_jianzhong1 and cadre_jianzhong in 健跳镇 (another town)."""

from __future__ import annotations

import datetime as dt

import pytest

XINHU_GRID, XINHU, HAIYOU = "331022001001001", "331022001001", "331022001"
JIANZHONG_GRID, JIANZHONG, JIANTIAO = "331022105001001", "331022105001", "331022105"


def bbox(area) -> tuple[float, float, float, float]:
    """``(west, south, east, north)`` of the area's boundary (its centre ± a little without one)."""
    boundary = area.boundary if isinstance(area.boundary, dict) else {}
    ring = (boundary.get("coordinates") or [[]])[0]
    if ring:
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        return min(xs), min(ys), max(xs), max(ys)
    lng, lat = area.center_lng or 121.4, area.center_lat or 29.1
    return lng - 0.001, lat - 0.001, lng + 0.001, lat + 0.001


def positions(area, start: dt.datetime, count: int, *, every: dt.timedelta = dt.timedelta(seconds=30),
              accuracy: float | None = 5.0, outside: bool = False) -> list[dict]:
    """``count`` positions ``{"at", "longitude", "latitude", "accuracy"}`` as the phone sends
    them: one every ``every`` from ``start``, walking west to east across the middle of the
    area's boundary (``outside``: just beyond its east edge)."""
    west, south, east, north = bbox(area)
    width, lat = east - west, (south + north) / 2
    out = []
    for i in range(count):
        share = 0.2 + 0.6 * (i / max(1, count - 1))
        lng = east + width * (0.05 + 0.1 * share) if outside else west + width * share
        point = {"at": (start + every * i).isoformat(), "longitude": round(lng, 7), "latitude": round(lat, 7)}
        if accuracy is not None:
            point["accuracy"] = accuracy
        out.append(point)
    return out


@pytest.fixture
def patrol(users):
    """``patrol(user="grid_xinhu1", *, minutes_ago=30, points=0, every=30, finish=False,
    note="", ended_at=None)``: a patrol of ``user`` (a username or a user) started
    ``minutes_ago`` minutes back (by the platform's clock), with ``points`` positions one every
    ``every`` seconds from its start inside its area, ended by its patroller when ``finish``.
    Built through :mod:`fengqiao.patrols.actions`; answers the patrol as stored."""
    from fengqiao.events.sla import now as clock_now
    from fengqiao.patrols import actions
    from fengqiao.patrols.models import Patrol

    def make(user="grid_xinhu1", *, minutes_ago: float = 30, points: int = 0, every: float = 30,
             finish: bool = False, note: str = "", ended_at=None):
        by = getattr(users, user) if isinstance(user, str) else user
        started_at = clock_now() - dt.timedelta(minutes=minutes_ago)
        p = actions.start_patrol(by=by, started_at=started_at)
        if points:
            track = positions(p.area, started_at, points, every=dt.timedelta(seconds=every))
            for i in range(0, len(track), actions.MAX_BATCH):
                actions.add_points(p, by=by, points=track[i:i + actions.MAX_BATCH])
        if finish:
            actions.finish_patrol(p, by=by, note=note, ended_at=ended_at)
        return Patrol.objects.select_related("area", "by").get(pk=p.pk)

    return make


@pytest.fixture
def matter(users):
    """``matter(area=XINHU, by="county_op", title=…)``: a matter taken in (网格上报) in ``area``."""
    from fengqiao.events.actions.intake import create_event

    def make(area=XINHU, *, by="county_op", title="路灯损坏", content="心湖路路灯损坏,夜间无照明"):
        event, _created = create_event(by=getattr(users, by), channel="grid_report", title=title, content=content,
                                       area=area)
        return event

    return make
