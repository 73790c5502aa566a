"""Open311 GeoReport v2 round trip: services → POST request → GET it back as it moves on."""

from __future__ import annotations

import pytest

from fengqiao.accounts.actions import token_for
from fengqiao.events import actions
from fengqiao.events.models import Event

from .conftest import HAIYOU, area

pytestmark = pytest.mark.django_db


def test_round_trip(client, users):
    key = token_for(users.county_op)
    services = client.get("/open311/v2/services.json").json()
    codes = {s["service_code"] for s in services}
    assert "noise.business" in codes and "noise" not in codes  # leaves only
    assert all(s["group"] for s in services)

    r = client.post("/open311/v2/requests.json", {
        "api_key": key, "service_code": "noise.business", "description": "心湖社区门口KTV深夜噪音很大",
        "address_string": "海游街道心湖社区", "lat": "29.12", "long": "121.38", "first_name": "三", "last_name": "张",
        "phone": "13812345678",
    })
    assert r.status_code == 201, r.content
    rid = r.json()[0]["service_request_id"]
    ev = Event.objects.get(pk=rid)
    assert ev.channel == "citizen_app" and ev.reporter_phone == "13812345678" and ev.area.code == "331022001001"

    one = client.get(f"/open311/v2/requests/{rid}.json", {"api_key": key}).json()[0]
    assert one["status"] == "open" and one["service_code"] == "noise.business"
    assert "13812345678" not in str(one)

    actions.accept_event(ev, by=users.county_op)
    actions.dispatch_event(ev, to_unit=area(HAIYOU), by=users.county_op)
    one = client.get(f"/open311/v2/requests/{rid}.json", {"api_key": key}).json()[0]
    assert one["agency_responsible"] == "海游街道" and one["expected_datetime"]
    actions.sign_event(ev, by=users.town_haiyou)
    actions.resolve_event(ev, by=users.town_haiyou, result="已责令KTV整改")
    one = client.get(f"/open311/v2/requests/{rid}.json", {"api_key": key}).json()[0]
    assert one["status"] == "closed" and "已责令KTV整改" in one["status_notes"]

    listed = client.get("/open311/v2/requests.json", {"api_key": key, "status": "closed"}).json()
    assert rid in [x["service_request_id"] for x in listed]
    assert rid not in [x["service_request_id"] for x in
                       client.get("/open311/v2/requests.json", {"api_key": key, "status": "open"}).json()]
    other = token_for(users.town_jiantiao)
    assert client.get(f"/open311/v2/requests/{rid}.json", {"api_key": other}).status_code == 404


@pytest.mark.parametrize("data,status", [
    ({}, 403),
    ({"api_key": "nope", "service_code": "noise", "description": "x", "address_string": "y"}, 403),
    ({"service_code": "", "description": "x", "address_string": "y"}, 400),
    ({"service_code": "no.such", "description": "x", "address_string": "y"}, 404),
    ({"service_code": "noise.business", "description": "", "address_string": "y"}, 400),
    ({"service_code": "noise.business", "description": "x"}, 400),
    ({"service_code": "noise.business", "description": "x", "lat": "abc", "long": "1"}, 400),
    ({"service_code": "noise.business", "description": "x", "address_string": "y", "phone": "123"}, 400),
    ({"service_code": "noise.business", "description": "x", "address_string": "y", "external_id": "9" * 65}, 400),
])
def test_errors_use_the_open311_error_array(data, status, client, users):
    if "api_key" not in data and data:
        data = {**data, "api_key": token_for(users.county_op)}
    r = client.post("/open311/v2/requests.json", data)
    assert r.status_code == status, r.content
    body = r.json()
    assert isinstance(body, list) and body[0]["code"] == status and body[0]["description"]


def test_read_only_roles_and_formats(client, users):
    assert client.post("/open311/v2/requests.json", {"api_key": token_for(users.leader), "service_code": "noise.business",
                                                      "description": "x", "address_string": "y"}).status_code == 403
    assert client.get("/open311/v2/services.xml").status_code == 400
    assert client.get("/open311/v2/requests.json", {"api_key": token_for(users.county_op),
                                                     "start_date": "garbage"}).status_code == 400
    assert client.get("/open311/v2/requests/999999.json", {"api_key": token_for(users.county_op)}).status_code == 404
