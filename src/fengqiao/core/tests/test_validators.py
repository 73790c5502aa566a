"""The configuration an administrator edits in the Django admin is checked by the form: values a
probe of the admin had saved (negative time limits, a latitude of 999, a boundary that is no
polygon) or answered with a 500 (a boundary holding 1e400, a calendar day in 9999)."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError

from fengqiao.areas.models import Area
from fengqiao.core.validators import Between, calendar_year, geojson_area, json_without_nul
from fengqiao.events.models import SlaPolicy
from fengqiao.workcal.models import CalendarDay

SQUARE = {"type": "Polygon", "coordinates": [[[121.3, 29.1], [121.4, 29.1], [121.4, 29.2], [121.3, 29.2],
                                               [121.3, 29.1]]]}


@pytest.mark.parametrize("good", [None, SQUARE, {"type": "MultiPolygon", "coordinates": [SQUARE["coordinates"]]},
                                  {"type": "Feature", "properties": {}, "geometry": SQUARE}])
def test_a_boundary_that_is_a_polygon_of_real_places(good):
    geojson_area(good)


@pytest.mark.parametrize("bad", [
    [], {}, "x", {"type": "Point", "coordinates": [121.3, 29.1]}, {"type": "Polygon", "coordinates": "x"},
    {"type": "Polygon", "coordinates": []}, {"type": "Polygon", "coordinates": [[[121.3, 29.1], [121.4, 29.1]]]},
    {"type": "Polygon", "coordinates": [[[float("inf"), 0], [1, 0], [1, 1], [float("inf"), 0]]]},
    {"type": "Polygon", "coordinates": [[[181, 0], [182, 0], [182, 1], [181, 0]]]},
    {"type": "Polygon", "coordinates": [[[0, 91], [1, 91], [1, 92], [0, 91]]]},
    {"type": "Polygon", "coordinates": [[["a", "b"], [1, 0], [1, 1], ["a", "b"]]]},
    {"type": "Polygon", "coordinates": [[[True, 0], [1, 0], [1, 1], [True, 0]]]},
    {"type": "Feature", "geometry": None},
    {"type": "Polygon", "coordinates": [[["121.3", "29.1"], ["121.4", "29.1"], ["121.4", "29.2"], ["121.3", "29.1"]]]},
    {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},  # a bow-tie crosses itself
    {"type": "Polygon", "coordinates": [[[1, 1], [1, 1], [1, 1], [1, 1]]]},  # no area
])
def test_a_boundary_that_is_not(bad):
    with pytest.raises(ValidationError) as info:
        geojson_area(bad)
    assert "Polygon" in str(info.value)


def test_json_without_nul():
    json_without_nul(["欠薪", {"a": ["b"]}])
    for bad in (["a\x00b"], {"k\x00": 1}, {"k": [["\x00"]]}):
        with pytest.raises(ValidationError):
            json_without_nul(bad)


def test_ranges_and_years():
    Between(0, 10, open_low=True)(10)
    for value in (0, -1, 10.5, float("nan"), float("inf")):
        with pytest.raises(ValidationError):
            Between(0, 10, open_low=True)(value)
    Between(-90, 90)(-90)
    calendar_year(2026)
    for year in (1899, 3000, 9999):
        with pytest.raises(ValidationError):
            calendar_year(year)


@pytest.mark.django_db
def test_model_fields_carry_the_checks(users):
    policy = SlaPolicy.objects.first()
    for field, value in (("sign_amount", -5), ("handle_amount", 0), ("handle_amount", 1e20)):
        setattr(policy, field, value)
        with pytest.raises(ValidationError) as info:
            policy.full_clean()
        assert field in info.value.message_dict
        policy.refresh_from_db()


@pytest.mark.django_db
def test_the_admin_says_what_is_wrong_instead_of_failing(client, users):
    client.force_login(users.admin)
    # a calendar day the working calendar cannot hold: said on the form (was a 500)
    resp = client.post("/admin/workcal/calendarday/add/", {"date": "9999-12-31", "kind": "holiday", "name": "x"})
    assert resp.status_code == 200 and "1900–2999" in resp.content.decode()
    assert not CalendarDay.objects.filter(date__year=9999).exists()
    # an area's boundary holding 1e400 (infinity; the database's JSON check failed: a 500) and a
    # latitude beyond the pole
    area = Area.objects.get(code="331022001")
    form = {"code": area.code, "name": area.name, "level": area.level, "parent": area.parent_id or "",
            "aliases": json.dumps(area.aliases), "is_active": "on", "center_lng": "121.4", "center_lat": "29.1",
            "boundary": '{"type":"Polygon","coordinates":[[[1e400,0],[1,0],[1,1],[1e400,0]]]}'}
    resp = client.post(f"/admin/areas/area/{area.pk}/change/", form)
    assert resp.status_code == 200 and "Polygon" in resp.content.decode()
    resp = client.post(f"/admin/areas/area/{area.pk}/change/", {**form, "boundary": json.dumps(SQUARE),
                                                              "center_lat": "999"})
    assert resp.status_code == 200
    area.refresh_from_db()
    assert area.center_lat != 999 and area.boundary != SQUARE
    resp = client.post(f"/admin/areas/area/{area.pk}/change/", {**form, "boundary": json.dumps(SQUARE)})
    assert resp.status_code == 302, resp.content.decode()[:3000]
    area.refresh_from_db()
    assert area.boundary == SQUARE
