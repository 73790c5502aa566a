"""The evaluation's map (考评地图, ``evaluation.maps``): the page embeds exactly the ranked area
units with their scores, ranks and figures; a town sees its villages; nothing outside the
user's jurisdiction; Leaflet from the local copy, no tiles, no CDN; a publication's map keeps
its frozen figures; one query for all boundaries; the embedded geometry stays small."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from pathlib import Path

import pytest

from fengqiao.areas.models import Area
from fengqiao.evaluation import actions, maps, query
from fengqiao.evaluation.periods import MONTH, Period
from fengqiao.events import sla
from fengqiao.web.kpi import percent

from . import scenario
from .scenario import HAIYOU, JIANTIAO, NOVEMBER, NOW, XINHU, at

pytestmark = pytest.mark.django_db

PERIOD = Period(MONTH, dt.date(2025, 11, 1))
JS = Path(__file__).resolve().parents[2] / "web" / "static" / "fengqiao" / "evaluation_map.js"
_get = scenario.get


def _map(response) -> dict:
    """The map data as the page embeds it (json_script)."""
    html = response.content.decode()
    found = re.search(r'<script id="evaluation-map-data" type="application/json">(.*?)</script>', html, re.S)
    assert found, "no map data on the page"
    return json.loads(found.group(1))


def _group(data: dict, kind: str) -> list[dict]:
    return next(g for g in data["groups"] if g["kind"] == kind)["rows"]


def _props(m: dict) -> dict[str, dict]:
    return {f["properties"]["code"]: f["properties"] for f in m["features"]}


def _colour(classes: list[dict], v) -> str | None:
    """The class colour of a value, as evaluation_map.js picks it (lo ≤ v < hi)."""
    for c in classes:
        if (c["lo"] is None or v >= c["lo"]) and (c["hi"] is None or v < c["hi"]):
            return c["colour"]
    return None


def test_county_map_holds_exactly_the_ranked_towns(client, users, built):
    client.force_login(users.county_op)
    r = _get(client, "/evaluation/", {"period": NOVEMBER})
    assert r.status_code == 200
    m = _map(r)
    assert m == json.loads(json.dumps(r.context["evaluation_map"]))
    rows = _group(r.context["data"], "area")
    assert len(rows) == 10
    # every ranked town, in ranking order, each with its polygon, score, rank and figures
    assert [f["properties"]["code"] for f in m["features"]] == [row["unit"]["code"] for row in rows]
    assert m["missing"] == []
    for f, row in zip(m["features"], rows, strict=True):
        p = f["properties"]
        assert f["geometry"]["type"] in ("Polygon", "MultiPolygon") and f["geometry"]["coordinates"]
        assert (p["name"], p["score"], p["rank"], p["level"]) == (row["unit"]["name"], row["score"], row["rank"], "town")
        assert p["values"]["score"] == row["score"]
        assert p["values"]["resolve_on_time_rate"] == percent(row["values"]["resolve_on_time_rate"])
        assert p["values"]["overdue"] == row["values"]["overdue"]
        assert p["text"]["score"] == ("—" if row["score"] is None else str(row["score"]))
        lat, lng = p["label"]
        assert 28 < lat < 30 and 121 < lng < 122.5  # inside 三门县
    h = _props(m)[HAIYOU]
    assert h["score"] is not None and h["rank"] is not None
    # 海游, November: on time 3 of 5 resolved, satisfied 2 of 3 visited, 4 limits missed, 1 of 2 key
    # persons, 1 of 2 check-points
    assert h["values"] | {"score": None} == {"score": None, "resolve_on_time_rate": 60.0, "satisfaction_rate": 66.7,
                                              "overdue": 4, "key_person_visit_rate": 50.0, "inspection_rate": 50.0}
    assert h["text"]["resolve_on_time_rate"] == "60.0%"
    quiet = [p for p in _props(m).values() if p["score"] is None]
    assert quiet and all(p["text"]["score"] == "—" and p["rank"] is None for p in quiet)
    # departments have no place: not on the map
    departments = {row["unit"]["code"] for row in _group(r.context["data"], "department")}
    assert departments and not departments & set(_props(m))
    # the select: the score first, then the four figures; a legend per figure
    assert [i["code"] for i in m["indicators"]] == ["score", *maps.INDICATORS]
    html = r.content.decode()
    assert 'id="evaluation-map"' in html and 'id="evaluation-map-indicator"' in html
    for code in ("score", *maps.INDICATORS):
        assert f'<option value="{code}">' in html and f'data-indicator="{code}"' in html


def test_town_map_has_its_villages_only(client, users, built):
    client.force_login(users.town_haiyou)
    r = _get(client, "/evaluation/", {"period": NOVEMBER})
    m = _map(r)
    rows = _group(r.context["data"], "area")
    codes = [f["properties"]["code"] for f in m["features"]]
    assert codes == [row["unit"]["code"] for row in rows] and XINHU in codes
    assert all(c.startswith(HAIYOU) and c != HAIYOU for c in codes)
    assert {p["level"] for p in _props(m).values()} == {"village"}
    assert set(codes) == set(Area.objects.filter(parent__code=HAIYOU, level="village").values_list("code", flat=True))


def test_a_unit_outside_the_jurisdiction_never_appears(client, users, built):
    with sla.frozen_now(NOW):
        pub = actions.publish(PERIOD, by=users.county_op)
    jiantiao = Area.objects.get(code=JIANTIAO)
    # the county's publication is published to its towns: 海游 reads all ten towns' figures in
    # the table, yet the map draws (and names) only what 海游 may see: itself
    client.force_login(users.town_haiyou)
    r = _get(client, f"/evaluation/published/{pub.pk}/")
    assert r.status_code == 200
    assert len(_group(r.context["data"], "area")) == 10
    m = _map(r)
    assert [f["properties"]["code"] for f in m["features"]] == [HAIYOU]
    assert m["missing"] == []
    blob = json.dumps(m, ensure_ascii=False)
    assert JIANTIAO not in blob and jiantiao.name not in blob
    # the same straight from the map builder: the county's figures read by 海游
    data = query.evaluate(users.county_op, PERIOD, now=NOW)
    assert list(_props(maps.unit_map(users.town_haiyou, data))) == [HAIYOU]
    assert maps.unit_map(users.auditor, data)["features"] == []  # sees no area at all


def test_no_cdn_and_no_tiles(client, users, built):
    client.force_login(users.county_op)
    with sla.frozen_now(NOW):
        pub = actions.publish(PERIOD, by=users.county_op)
    for url in ("/evaluation/", f"/evaluation/published/{pub.pk}/"):
        html = _get(client, url, {"period": NOVEMBER} if url == "/evaluation/" else None).content.decode()
        assert "/static/vendor/leaflet/leaflet.js" in html and "/static/vendor/leaflet/leaflet.css" in html
        assert "/static/fengqiao/evaluation_map.js" in html
        for ref in re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html):
            assert ref.startswith("/"), ref
    js = JS.read_text()
    assert "http" not in js and "tileLayer" not in js and "fetch(" not in js and "XMLHttpRequest" not in js


def test_published_map_keeps_the_frozen_scores(client, users, built):
    client.force_login(users.county_op)
    with sla.frozen_now(NOW):
        pub = actions.publish(PERIOD, by=users.county_op)
    url = f"/evaluation/published/{pub.pk}/"
    frozen = _props(_map(_get(client, url)))[HAIYOU]
    live = _props(_map(_get(client, "/evaluation/", {"period": NOVEMBER})))[HAIYOU]
    assert frozen == live and frozen["values"]["overdue"] == 4

    # M3 (in progress, its limit ran out in November) is resolved now: the live map changes,
    # the published one does not
    built.step("M3", "resolve", users.town_haiyou, at("12-01"), result="已修复。")
    later = _props(_map(_get(client, "/evaluation/", {"period": NOVEMBER})))[HAIYOU]
    assert later["values"]["overdue"] == 3 and later["score"] != frozen["score"]
    again = _props(_map(_get(client, url)))[HAIYOU]
    assert again == frozen
    assert again["score"] == next(row["score"] for row in _group(pub.data, "area") if row["unit"]["code"] == HAIYOU)


def test_one_query_for_all_boundaries(users, built, django_assert_num_queries):
    user = users.county_op
    data = query.evaluate(user, PERIOD, now=NOW)
    with django_assert_num_queries(1):
        m = maps.unit_map(user, data)
    assert len(m["features"]) == 10


def test_the_map_adds_one_query_to_the_page(client, users, built, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(users.county_op)
    _get(client, "/evaluation/", {"period": NOVEMBER})  # warm: session, memos

    def page_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert _get(client, "/evaluation/", {"period": NOVEMBER}).status_code == 200
        return len(ctx.captured_queries)

    with_map = page_queries()
    monkeypatch.setattr(maps, "unit_map", lambda user, data: None)
    assert with_map - page_queries() == 1


def test_unit_without_boundary_is_named_not_drawn(client, users, built):
    jiantiao = Area.objects.get(code=JIANTIAO)
    Area.objects.filter(pk=jiantiao.pk).update(boundary=None)
    client.force_login(users.county_op)
    r = _get(client, "/evaluation/", {"period": NOVEMBER})
    m = _map(r)
    assert JIANTIAO not in _props(m) and len(m["features"]) == 9
    assert m["missing"] == [jiantiao.name]
    assert 'id="evaluation-map-missing"' in r.content.decode()


def test_no_map_without_an_area_ranking(users, built):
    data = query.evaluate(users.county_op, PERIOD, now=NOW)
    data["groups"] = [g for g in data["groups"] if g["kind"] != "area"]
    assert maps.unit_map(users.county_op, data) is None
    assert maps.unit_map(users.county_op, None) is None


def test_an_old_publication_offers_only_the_figures_it_holds(users, built):
    data = query.evaluate(users.county_op, PERIOD, now=NOW)
    data["indicators"] = [c for c in data["indicators"] if c != "key_person_visit_rate"]
    m = maps.unit_map(users.county_op, data)
    assert [i["code"] for i in m["indicators"]] == ["score", "resolve_on_time_rate", "satisfaction_rate", "overdue",
                                                    "inspection_rate"]


# ---------------------------------------------------------------- colours and geometry (no pages)

def test_colour_classes():
    score = maps.classes("score")
    assert [c["label"] for c in score] == ["≥ 90", "80–90", "70–80", "60–70", "< 60"]
    assert [c["colour"] for c in score] == list(maps.PALETTE)
    assert _colour(score, 100) == _colour(score, 90) == maps.PALETTE[0]
    assert _colour(score, 89.9) == maps.PALETTE[1] and _colour(score, 0) == _colour(score, 59.9) == maps.PALETTE[-1]
    assert maps.classes("satisfaction_rate")[0]["label"] == "≥ 90%"
    # overdue, lower is better: 0 best, the ranking's largest count the worst colour
    assert [c["label"] for c in maps.classes("overdue", 0)] == ["0"]
    assert [c["label"] for c in maps.classes("overdue", 1)] == ["0", "1"]
    assert [c["label"] for c in maps.classes("overdue", 4)] == ["0", "1", "2", "3", "4"]
    ten = maps.classes("overdue", 10)
    assert [c["label"] for c in ten] == ["0", "1–3", "4–5", "6–8", "9–10"]
    assert _colour(ten, 0) == maps.PALETTE[0] and _colour(ten, 10) == maps.PALETTE[-1] and _colour(ten, 3) == maps.PALETTE[1]
    two = maps.classes("overdue", 2)
    assert [c["colour"] for c in two] == [maps.PALETTE[0], maps.PALETTE[-2], maps.PALETTE[-1]]


def _circle(n: int, r: float = 0.05) -> dict:
    ring = [[121.4 + r * math.cos(2 * math.pi * k / n) + 1e-9 * k, 29.1 + r * math.sin(2 * math.pi * k / n)]
            for k in range(n)]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def test_a_large_boundary_is_simplified_and_rounded():
    from shapely.geometry import Point, shape

    geom, label = maps.geometry(_circle(20000))
    points = [p for ring in geom["coordinates"] for p in ring]
    assert 4 <= len(points) <= maps.MAX_POINTS
    assert all(round(x, maps.DIGITS) == x and round(y, maps.DIGITS) == y for x, y in points)
    assert shape(geom).area == pytest.approx(shape(_circle(20000)).area, rel=0.01)
    assert shape(geom).contains(Point(label[1], label[0]))
    small, _ = maps.geometry(_circle(40))
    assert len(small["coordinates"][0]) == 41  # a small one keeps its vertices
    multi, _ = maps.geometry({"type": "MultiPolygon", "coordinates": [_circle(12)["coordinates"],
                                                                     _circle(12, 0.01)["coordinates"]]})
    assert multi["type"] == "MultiPolygon"


def test_a_self_crossing_boundary_is_still_drawn():
    bow_tie = {"type": "Polygon", "coordinates": [[[121.0, 29.0], [121.1, 29.1], [121.1, 29.0], [121.0, 29.1],
                                                   [121.0, 29.0]]]}
    geom, label = maps.geometry(bow_tie)
    assert geom["type"] == "Polygon" and len(label) == 2


def test_a_boundary_geos_cannot_simplify_or_label_is_drawn_as_it_is(monkeypatch):
    """The GEOS errors an invalid boundary can raise (in simplify, in representative_point) do
    not lose the unit: it is drawn unsimplified, labelled at the middle of its bounds."""
    from shapely.errors import GEOSException
    from shapely.geometry.base import BaseGeometry

    def fail(*args, **kwargs):
        raise GEOSException("TopologyException: self-intersection")

    monkeypatch.setattr(BaseGeometry, "simplify", fail)
    monkeypatch.setattr(BaseGeometry, "representative_point", fail)
    geom, label = maps.geometry(_circle(maps.MAX_POINTS + 50))
    assert geom["type"] == "Polygon" and len(geom["coordinates"][0]) > maps.MAX_POINTS
    assert label == [pytest.approx(29.1, abs=0.01), pytest.approx(121.4, abs=0.01)]


@pytest.mark.parametrize("bad", [None, {}, {"type": "Point", "coordinates": [121.4, 29.1]},
                                 {"type": "Polygon", "coordinates": []}, {"type": "Polygon", "coordinates": [[[1]]]},
                                 {"type": "Polygon", "coordinates": [[[121.4, 29.1], [121.4, 29.1], [121.4, 29.1]]]}])
def test_what_is_not_a_polygon_is_not_drawn(bad):
    assert maps.geometry(bad) == (None, None)


def test_the_page_stays_small_with_a_detailed_boundary(client, users, built):
    Area.objects.filter(code=HAIYOU).update(boundary=_circle(50000))
    client.force_login(users.county_op)
    m = _map(_get(client, "/evaluation/", {"period": NOVEMBER}))
    assert len(json.dumps(m)) < 60_000
    assert HAIYOU in _props(m)
