"""The population registry's API (/api/v1/rental-houses/, /api/v1/residents/) as the demo users:
every endpoint four ways (anonymous 401, wrong role 403, right role outside the jurisdiction 404,
inside 200/201; the leader reads only), personal data masked in the lists always and on one
entry unless a role that may unmask asks (and then audited once per read), the list filters
(the permit marks among them), the look-up of a person by name, ID number or phone (a POST, the
values in the body and never in the address; compared through the keyed digests), the writes
through the registry's actions with their refusals as bilingual 4xx (400 bad input and wrong
types, 403, 404, 409 duplicate, stale version, tenants left, moved out) and nothing written,
reads that do not grow with the rows, and the endpoints in the OpenAPI schema.

Houses and residents are registered through the registry's own actions (the ``house`` and
``resident`` fixtures of conftest.py: a flat at 心湖社区 in grid_xinhu1's care, and 李娜, a floating
resident at an address of 心湖社区)."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fengqiao.areas.models import Area
from fengqiao.core.models import AuditRecord
from fengqiao.core.tests.api_checks import assert_error
from fengqiao.core.tests.api_checks import row_ids as ids
from fengqiao.core.tests.schema_runs import fuzz, ref
from fengqiao.population import actions
from fengqiao.population.models import RentalHouse, Resident

from .conftest import HAIYOU, JIANZHONG, XINHU, XINHU_GRID, id_number, make_id

pytestmark = pytest.mark.django_db

HOUSES, RESIDENTS = "/api/v1/rental-houses/", "/api/v1/residents/"
LOOKUP = f"{RESIDENTS}lookup/"
FULL_NAME, PHONE = "欧阳明华", "13912348765"
LANDLORD_ID = make_id("33102219650302001")
BAD_ID = LANDLORD_ID[:-1] + ("1" if LANDLORD_ID[-1] != "1" else "2")  # the check digit wrong
READERS = ["county_op", "town_haiyou", "leader", "leader_haiyou", "cadre_xinhu", "grid_xinhu1"]
OUTSIDERS = ["town_jiantiao", "cadre_jianzhong", "grid_jianzhong1"]
WRONG_ROLES = ["dept_police", "auditor", "admin", "mediator"]
#: the least a registration takes
_HOUSE = {"area": XINHU, "address": "心湖路1号", "kind": "rooms", "rooms": 3}
_RESIDENT = {"name": "张伟", "kind": "floating", "id_number": make_id("41120219950315123"), "area": XINHU,
             "address": "心湖路1号"}


def house_url(house) -> str:
    return f"{HOUSES}{house.pk}/"


def resident_url(resident) -> str:
    return f"{RESIDENTS}{resident.pk}/"


def reads(house, resident) -> list[str]:
    return [HOUSES, house_url(house), f"{house_url(house)}tenants/", RESIDENTS, resident_url(resident)]


def writes(house, resident) -> list[tuple[str, str, dict]]:
    """Each write with a valid body: register, change and remove a house; register, change and
    move out a resident (``house`` has no tenants, ``resident`` lives at an address)."""
    return [
        ("post", HOUSES, {"area": XINHU, "address": "心湖路200号", "kind": "whole", "rooms": 2}),
        ("patch", house_url(house), {"rooms": 4, "version": house.version}),
        ("post", f"{house_url(house)}remove/", {"reason": "房东收回自住", "version": house.version}),
        ("post", RESIDENTS, {"name": "张伟", "kind": "floating", "id_number": id_number(), "area": XINHU,
                             "address": "心湖路201号"}),
        ("patch", resident_url(resident), {"phone": "13700001111", "version": resident.version}),
        ("post", f"{resident_url(resident)}move-out/", {"reason": "left", "version": resident.version}),
    ]


def send(client, method: str, url: str, body) -> object:
    return getattr(client, method)(url, body, format="json")


def house_unchanged(house) -> bool:
    fresh = RentalHouse.objects.get(pk=house.pk)
    return (fresh.version == house.version and fresh.is_active and fresh.rooms == house.rooms
            and fresh.address == house.address and fresh.area_id == house.area_id
            and fresh.max_occupants == house.max_occupants and fresh.landlord_phone == house.landlord_phone
            and fresh.caretaker_id == house.caretaker_id and fresh.note == house.note
            and fresh.tenants_count == house.tenants_count)


def resident_unchanged(resident) -> bool:
    fresh = Resident.objects.get(pk=resident.pk)
    return (fresh.version == resident.version and fresh.is_active and fresh.kind == resident.kind
            and fresh.phone == resident.phone and fresh.address == resident.address
            and fresh.house_id == resident.house_id and fresh.area_id == resident.area_id
            and fresh.arrived_on == resident.arrived_on and fresh.permit_expires_on == resident.permit_expires_on
            and fresh.note == resident.note and fresh.origin == resident.origin and fresh.reason == resident.reason)


def lookup(client, body, **params):
    """``POST residents/lookup/`` (``params`` in the query string: page, ordering), its answer
    never to be cached."""
    url = f"{LOOKUP}?{urlencode(params)}" if params else LOOKUP
    resp = client.post(url, body, format="json")
    assert "no-store" in resp.get("Cache-Control", ""), (resp.status_code, resp.headers)
    return resp


def found(client, body, **params) -> list[int]:
    return ids(lookup(client, body, **params))


def no_personal_views() -> bool:
    return not AuditRecord.objects.filter(action="view_personal").exists()


def shows_nothing_personal(response, *values) -> bool:
    text = response.content.decode()
    return not any(v in text for v in values)


# ---------------------------------------------------------------- four ways


def test_anonymous_is_401(api, house, resident):
    h, r = house(), resident()
    client = api()
    for url in (*reads(h, r), f"{house_url(h)}?unmask=1"):
        assert_error(client.get(url), 401, "not_authenticated")
    for method, url, body in writes(h, r):
        assert_error(send(client, method, url, body), 401, "not_authenticated")
    assert house_unchanged(h) and resident_unchanged(r) and no_personal_views()
    assert RentalHouse.objects.count() == 1 and Resident.objects.count() == 1


@pytest.mark.parametrize("username", WRONG_ROLES + ["dept_zhujian"])
def test_wrong_role_is_403(api, users, house, resident, username):
    h, r = house(), resident()
    client = api(getattr(users, username))
    for url in (*reads(h, r), f"{resident_url(r)}?unmask=1"):
        assert_error(client.get(url), 403, "permission_denied")
    for method, url, body in writes(h, r):
        assert_error(send(client, method, url, body), 403, "permission_denied")
    assert house_unchanged(h) and resident_unchanged(r) and no_personal_views()
    assert RentalHouse.objects.count() == 1 and Resident.objects.count() == 1


@pytest.mark.parametrize("username", ["leader", "leader_haiyou"])
def test_a_leader_reads_and_never_writes(api, users, house, resident, username):
    h, r = house(), resident()
    client = api(getattr(users, username))
    assert ids(client.get(HOUSES)) == [h.pk] and ids(client.get(RESIDENTS)) == [r.pk]
    for url in reads(h, r):
        assert client.get(url).status_code == 200, url
    for method, url, body in writes(h, r):
        assert_error(send(client, method, url, body), 403, "permission_denied")
    assert house_unchanged(h) and resident_unchanged(r)
    assert RentalHouse.objects.count() == 1 and Resident.objects.count() == 1


@pytest.mark.parametrize("username", OUTSIDERS)
def test_right_role_outside_the_jurisdiction_is_404(api, users, house, resident, username):
    h = house()  # in 心湖社区
    r = resident()
    client = api(getattr(users, username))
    assert ids(client.get(HOUSES, {"active": "all"})) == [] and ids(client.get(RESIDENTS, {"active": "all"})) == []
    assert ids(client.get(HOUSES, {"area": XINHU})) == [] and found(client, {"id_number": r.id_number}) == []
    assert found(client, {"name": r.name, "active": "all"}) == []
    for url in (*reads(h, r)[1:3], resident_url(r), f"{house_url(h)}?unmask=1", f"{resident_url(r)}?unmask=1"):
        assert_error(client.get(url), 404, "not_found")
    for method, url, body in writes(h, r):
        if url in (HOUSES, RESIDENTS):
            continue  # registering: below
        assert_error(send(client, method, url, body), 404, "not_found")
    assert house_unchanged(h) and resident_unchanged(r) and no_personal_views()


@pytest.mark.parametrize("username", OUTSIDERS)
def test_registering_outside_the_jurisdiction_is_refused(api, users, house, username):
    h = house()
    client = api(getattr(users, username))
    resp = client.post(HOUSES, {"area": XINHU, "address": "心湖路9号", "kind": "whole", "rooms": 1}, format="json")
    assert assert_error(resp, 400, "bad_area")["field"] == "area"
    resp = client.post(RESIDENTS, {"name": "张伟", "kind": "floating", "id_number": id_number(), "area": XINHU,
                                   "address": "心湖路9号"}, format="json")
    assert assert_error(resp, 400, "bad_area")["field"] == "area"
    # a house outside the reach does not exist for them: a tenant of it is refused alike
    resp = client.post(RESIDENTS, {"name": "张伟", "kind": "floating", "id_number": id_number(), "house": h.pk},
                       format="json")
    assert assert_error(resp, 400, "bad_house")["field"] == "house"
    assert RentalHouse.objects.count() == 1 and not Resident.objects.exists() and house_unchanged(h)


@pytest.mark.parametrize("username,area", [("county_op", XINHU), ("town_haiyou", XINHU), ("cadre_xinhu", XINHU),
                                           ("grid_xinhu1", XINHU_GRID)])
def test_right_role_inside_is_200_and_201(api, users, house, resident, username, area):
    h, r = house(), resident(area=area)
    user = getattr(users, username)
    client = api(user)
    assert h.pk in ids(client.get(HOUSES)) and r.pk in ids(client.get(RESIDENTS))
    for url in reads(h, r):
        assert client.get(url).status_code == 200, url
    resp = client.post(HOUSES, {"area": area, "address": "心湖路200号", "kind": "whole", "rooms": 2}, format="json")
    assert resp.status_code == 201, resp.content
    new_house = RentalHouse.objects.get(pk=resp.json()["id"])
    assert new_house.registered_by == user and new_house.area.code == area
    resp = client.post(RESIDENTS, {"name": "张伟", "kind": "floating", "id_number": id_number(),
                                   "house": new_house.pk}, format="json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["house"] == new_house.pk and resp.json()["moved_from_elsewhere"] is False
    assert RentalHouse.objects.get(pk=new_house.pk).tenants_count == 1
    _post, (_m, url, patch), (_m2, remove_url, remove), _reg, (_m3, r_url, r_patch), (_m4, out_url, out) = writes(h, r)
    resp = client.patch(url, patch, format="json")
    assert resp.status_code == 200 and resp.json()["version"] == h.version + 1 and resp.json()["rooms"] == 4
    resp = client.post(remove_url, {**remove, "version": h.version + 1}, format="json")
    assert resp.status_code == 200 and resp.json()["is_active"] is False, resp.content
    resp = client.patch(r_url, r_patch, format="json")
    assert resp.status_code == 200 and resp.json()["version"] == r.version + 1, resp.content
    resp = client.post(out_url, {**out, "version": r.version + 1}, format="json")
    assert resp.status_code == 200 and resp.json()["is_active"] is False, resp.content


def test_a_number_that_is_no_entry_is_404(api, users):
    client = api(users.county_op)
    for base in (HOUSES, RESIDENTS):
        for url in (f"{base}999999999/", f"{base}9999999999999999999999/", f"{base}abc/"):
            assert_error(client.get(url), 404, "not_found")
        assert_error(client.patch(f"{base}999999999/", {"note": "x"}, format="json"), 404, "not_found")
    assert_error(client.get(f"{HOUSES}999999999/tenants/"), 404, "not_found")
    assert_error(client.post(f"{HOUSES}999999999/remove/", {"reason": "x"}, format="json"), 404, "not_found")
    assert_error(client.post(f"{RESIDENTS}999999999/move-out/", {"reason": "left"}, format="json"), 404, "not_found")


def test_no_put_or_delete(api, users, house, resident):
    h, r = house(), resident()
    client = api(users.county_op)
    for url in (house_url(h), resident_url(r)):
        assert client.put(url, {"note": "x"}, format="json").status_code == 405
        assert client.delete(url).status_code == 405
    assert house_unchanged(h) and resident_unchanged(r)


def test_the_api_index_lists_the_registry(api, users):
    index = api(users.county_op).get("/api/v1/").json()
    assert index["rental_houses"].endswith(HOUSES) and index["residents"].endswith(RESIDENTS)


def test_a_grid_worker_reaches_their_grid_and_the_houses_in_their_care(api, users, house, resident):
    worker = users.grid_xinhu1
    other_village = Area.objects.filter(parent__code=HAIYOU, level="village").exclude(code=XINHU).order_by("code")[0]
    own = house(area=XINHU_GRID, caretaker=None)
    cared_elsewhere = house(area=other_village.code, caretaker=worker, by=users.town_haiyou)
    not_cared = house(caretaker=None)  # the village, not their grid
    tenant = resident(house=cared_elsewhere.pk, by=users.town_haiyou)
    neighbour = resident(house=not_cared.pk)
    client = api(worker)
    assert set(ids(client.get(HOUSES))) == {own.pk, cared_elsewhere.pk}
    assert ids(client.get(HOUSES, {"area": other_village.code})) == [cared_elsewhere.pk]
    assert ids(client.get(RESIDENTS)) == [tenant.pk]
    assert ids(client.get(f"{house_url(cared_elsewhere)}tenants/")) == [tenant.pk]
    for url in (house_url(not_cared), f"{house_url(not_cared)}tenants/", resident_url(neighbour)):
        assert_error(client.get(url), 404, "not_found")
    # a grid worker registers at the door (来登): a tenant of a house in their care elsewhere
    resp = client.post(RESIDENTS, {"name": "张伟", "kind": "floating", "id_number": id_number(),
                                   "house": cared_elsewhere.pk}, format="json")
    assert resp.status_code == 201 and resp.json()["area"] == other_village.code, resp.content
    not_cared.refresh_from_db()
    assert_error(client.patch(house_url(not_cared), {"rooms": 9}, format="json"), 404, "not_found")
    assert house_unchanged(not_cared)


# ---------------------------------------------------------------- masking

LANDLORD = {"landlord_name": FULL_NAME, "landlord_id_number": LANDLORD_ID, "landlord_phone": PHONE}


@pytest.mark.parametrize("username", READERS)
def test_the_lists_are_masked_always(api, users, house, resident, username):
    h = house(**LANDLORD)
    number = id_number()
    r = resident(name=FULL_NAME, id_number=number, phone=PHONE, house=h.pk)
    client = api(getattr(users, username))
    for url in (HOUSES, RESIDENTS, f"{house_url(h)}tenants/"):
        resp = client.get(url, {"unmask": "1"})  # whether or not the role may unmask
        assert resp.status_code == 200 and resp.json()["results"], (url, resp.content)
        assert shows_nothing_personal(resp, FULL_NAME, number, LANDLORD_ID, PHONE), url
    row = client.get(HOUSES).json()["results"][0]
    assert (row["landlord_name"], row["landlord_id_number"], row["landlord_phone"]) == (
        "欧***", LANDLORD_ID[:6] + "********" + LANDLORD_ID[-4:], "139****8765")
    row = client.get(RESIDENTS).json()["results"][0]
    assert row["id"] == r.pk and (row["name"], row["id_number"], row["phone"]) == (
        "欧***", number[:6] + "********" + number[-4:], "139****8765")
    assert no_personal_views()


def test_one_entry_is_masked_by_default(api, users, house, resident):
    h = house(**LANDLORD)
    number = id_number()
    r = resident(name=FULL_NAME, id_number=number, phone=PHONE)
    client = api(users.county_op)
    for url in (house_url(h), resident_url(r)):
        resp = client.get(url)
        assert resp.status_code == 200 and resp.json()["unmasked"] is False
        assert shows_nothing_personal(resp, FULL_NAME, number, LANDLORD_ID, PHONE), url
    assert no_personal_views()


@pytest.mark.parametrize("username", ["county_op", "town_haiyou"])
def test_a_role_that_may_unmask_sees_in_full_and_each_read_is_audited(api, users, house, resident, username):
    h = house(**LANDLORD)
    number = id_number()
    r = resident(name=FULL_NAME, id_number=number, phone=PHONE)
    user = getattr(users, username)
    client = api(user)
    for flag in ("1", "true"):
        resp = client.get(house_url(h), {"unmask": flag})
        body = resp.json()
        assert (body["landlord_name"], body["landlord_id_number"], body["landlord_phone"], body["unmasked"]) == (
            FULL_NAME, LANDLORD_ID, PHONE, True)
        assert "no-store" in resp["Cache-Control"]
        resp = client.get(resident_url(r), {"unmask": flag})
        body = resp.json()
        assert (body["name"], body["id_number"], body["phone"], body["unmasked"]) == (FULL_NAME, number, PHONE, True)
        assert "no-store" in resp["Cache-Control"]
    records = list(AuditRecord.objects.filter(action="view_personal").order_by("id"))
    assert len(records) == 4  # one per unmasked read
    assert [(rec.object_type, rec.object_id) for rec in records] == [
        ("population.rentalhouse", str(h.pk)), ("population.resident", str(r.pk))] * 2
    for rec in records:
        assert rec.actor_id == user.pk and rec.channel == "api"
        assert rec.after["fields"] in (["landlord_name", "landlord_id_number", "landlord_phone"],
                                       ["name", "id_number", "phone"])
        assert FULL_NAME not in rec.object_repr and number not in str(rec.after)
    # the writes and the lists answer masked whatever is asked
    resp = client.patch(f"{resident_url(r)}?unmask=1", {"note": "x"}, format="json")
    assert resp.status_code == 200 and resp.json()["name"] == "欧***" and resp.json()["unmasked"] is False
    resp = client.patch(f"{house_url(h)}?unmask=1", {"note": "x"}, format="json")
    assert resp.status_code == 200 and resp.json()["landlord_name"] == "欧***"
    assert AuditRecord.objects.filter(action="view_personal").count() == 4


@pytest.mark.parametrize("username", ["cadre_xinhu", "leader", "leader_haiyou", "grid_xinhu1"])
def test_other_roles_cannot_unmask(api, users, house, resident, username):
    h = house(**LANDLORD)
    number = id_number()
    r = resident(name=FULL_NAME, id_number=number, phone=PHONE, house=h.pk)
    client = api(getattr(users, username))
    for url in (house_url(h), resident_url(r)):
        resp = client.get(url, {"unmask": "1"})
        assert resp.status_code == 200 and resp.json()["unmasked"] is False
        assert shows_nothing_personal(resp, FULL_NAME, number, LANDLORD_ID, PHONE), url
    assert no_personal_views()


def test_a_house_without_landlord_data_is_no_personal_read(api, users, house):
    h = house(landlord_name="", landlord_id_number="", landlord_phone="")
    resp = api(users.county_op).get(house_url(h), {"unmask": "1"})
    assert resp.status_code == 200 and resp.json()["unmasked"] is True and resp.json()["landlord_name"] == ""
    assert no_personal_views()


# ---------------------------------------------------------------- the lists


def test_house_filters_ordering_and_pagination(api, users, house, resident):
    crowded = house(address="三门县海游街道心湖路1号", max_occupants=1)
    resident(house=crowded.pk)
    resident(house=crowded.pk)
    full = house(address="三门县海游街道心湖路2号", max_occupants=1, kind="whole")
    resident(house=full.pk)  # as many as it may house: not crowded
    unlimited = house(address="三门县海游街道东门路3号", max_occupants=None, kind="dormitory", caretaker=None)
    resident(house=unlimited.pk)
    resident(house=unlimited.pk)
    elsewhere = house(area=JIANZHONG, address="健跳镇健中路5号", caretaker=users.grid_jianzhong1,
                      by=users.county_op)
    removed = house(address="三门县海游街道心湖路4号")
    actions.remove_house(removed, by=users.county_op, reason="拆除")
    client = api(users.county_op)

    def listed(**params) -> list[int]:
        return ids(client.get(HOUSES, params))

    # ordered as the model: by place (area path), then address
    assert listed() == [unlimited.pk, crowded.pk, full.pk, elsewhere.pk]
    assert listed(ordering="-tenants_count")[:2] in ([crowded.pk, unlimited.pk], [unlimited.pk, crowded.pk])
    assert listed(ordering="-id") == [elsewhere.pk, unlimited.pk, full.pk, crowded.pk]
    assert listed(crowded="true") == [crowded.pk]
    assert listed(crowded="false") == [unlimited.pk, full.pk, elsewhere.pk]
    assert listed(kind="whole") == [full.pk]
    assert listed(kind=["whole", "dormitory"]) == [unlimited.pk, full.pk]
    assert listed(area=HAIYOU) == [unlimited.pk, crowded.pk, full.pk]
    assert listed(area=JIANZHONG) == [elsewhere.pk] and listed(area="000000") == []
    assert listed(caretaker="grid_xinhu1") == [crowded.pk, full.pk]
    assert listed(caretaker="grid_jianzhong1") == [elsewhere.pk] and listed(caretaker="nobody") == []
    assert listed(q="东门路") == [unlimited.pk]
    assert listed(q="海游 心湖路") == [crowded.pk, full.pk]
    assert listed(q="  ") == listed()
    assert listed(active="false") == [removed.pk]
    assert set(listed(active="all")) == {crowded.pk, full.pk, unlimited.pk, elsewhere.pk, removed.pk}
    assert listed(active="true") == listed()
    assert listed(q="心湖路4号") == [] and listed(q="心湖路4号", active="all") == [removed.pk]
    rows = {row["id"]: row for row in client.get(HOUSES).json()["results"]}
    row = rows[crowded.pk]
    assert (row["tenants_count"], row["max_occupants"], row["crowded"]) == (2, 1, True)
    assert (row["area"], row["area_name"], row["caretaker"]) == (XINHU, crowded.area.name, "grid_xinhu1")
    assert row["caretaker_name"] == users.grid_xinhu1.get_full_name() and row["kind_label"]
    assert row["url"] == house_url(crowded) and "note" not in row and "tenants_url" not in row
    assert (rows[full.pk]["crowded"], rows[unlimited.pk]["crowded"], rows[unlimited.pk]["caretaker"]) == (
        False, False, None)
    assert client.get(house_url(removed)).json()["crowded"] is False
    page = client.get(HOUSES, {"page_size": 1, "page": 2}).json()
    assert page["count"] == 4 and [row["id"] for row in page["results"]] == [crowded.pk] and page["next"]
    for params in ({"crowded": "maybe"}, {"active": "maybe"}, {"kind": "castle"}, {"area": "33\x00"},
                   {"q": "心\x00"}, {"q": "长" * 101}, {"caretaker": "grid\x00"}, {"page_size": "0"}, {"page": "99"}):
        assert_error(client.get(HOUSES, params), 404 if "page" in params else 400)


def test_resident_filters(api, users, house, resident):
    today = timezone.localdate()
    h = house()
    expired = resident(name="赵一", permit_expires_on=today - dt.timedelta(days=1), house=h.pk)
    soon = resident(name="钱二", permit_expires_on=today + dt.timedelta(days=29))
    valid = resident(name="孙三", permit_expires_on=today + dt.timedelta(days=30))
    missing = resident(name="李四", arrived_on=today - dt.timedelta(days=200), phone="0576-83312345")
    newcomer = resident(name="周五", arrived_on=today - dt.timedelta(days=10))
    local = resident(name="吴六", kind="registered", arrived_on=today - dt.timedelta(days=900), reason="")
    foreigner = resident(name="John Smith", kind="foreign", id_number="", origin="英国", area=XINHU_GRID)
    elsewhere = resident(name="郑七", area=JIANZHONG, address="健中路1号", by=users.county_op)
    gone = resident(name="王八", permit_expires_on=today - dt.timedelta(days=5))
    actions.move_out_resident(gone, by=users.county_op, reason="left")
    client = api(users.county_op)
    everyone = [expired.pk, soon.pk, valid.pk, missing.pk, newcomer.pk, local.pk, foreigner.pk, elsewhere.pk]

    def listed(**params) -> list[int]:
        return ids(client.get(RESIDENTS, params))

    assert sorted(listed()) == sorted(everyone)
    assert listed(permit="expired") == [expired.pk]  # the one moved out is no longer followed
    assert listed(permit="soon") == [soon.pk]
    assert listed(permit="missing") == [missing.pk]
    assert listed(kind="registered") == [local.pk] and listed(kind=["registered", "foreign"]) == [local.pk,
                                                                                                    foreigner.pk]
    assert listed(area=JIANZHONG) == [elsewhere.pk] and listed(area=XINHU_GRID) == [foreigner.pk]
    assert listed(house=h.pk) == [expired.pk] and listed(house=999999999) == []
    assert listed(active="false") == [gone.pk] and sorted(listed(active="all")) == sorted([*everyone, gone.pk])
    rows = {row["id"]: row for row in client.get(RESIDENTS, {"ordering": "id"}).json()["results"]}
    assert [rows[pk]["permit"] for pk in (expired.pk, soon.pk, valid.pk, missing.pk, newcomer.pk, local.pk)] == [
        "expired", "soon", "", "missing", "", ""]
    assert rows[expired.pk]["house"] == h.pk and rows[soon.pk]["house"] is None
    assert (rows[expired.pk]["area"], rows[expired.pk]["address"]) == (XINHU, h.address)
    assert rows[soon.pk]["kind_label"] and rows[soon.pk]["reason"] == "work" and rows[soon.pk]["reason_label"]
    assert client.get(resident_url(gone)).json()["permit"] == ""  # moved out: nothing to follow
    for params, field in (({"permit": "late"}, "permit"), ({"kind": "tourist"}, "kind"), ({"house": "abc"}, "house"),
                          ({"house": "1.5"}, "house"), ({"active": "maybe"}, "active"), ({"area": "3\x00"}, "area")):
        body = assert_error(client.get(RESIDENTS, params), 400, "invalid")
        assert list(body["fields"]) == [field], body
    assert no_personal_views()


def test_the_list_takes_no_personal_value_in_the_address(api, users, resident):
    """A name, ID number or phone number in the query string would be written, in full, to the
    access logs: the list has no such filter any more, and like any parameter the FilterSet does
    not know (django-filter reads only its own) it is ignored, the list unfiltered; a value that
    is no ID number is no 400 either, nothing reads it."""
    first, second = resident(name="赵一"), resident(name="钱二", phone="13700001111")
    client = api(users.county_op)
    everyone = ids(client.get(RESIDENTS))
    assert sorted(everyone) == sorted([first.pk, second.pk])
    for params in ({"id_number": first.id_number}, {"id_number": BAD_ID}, {"name": "赵一"}, {"phone": "13700001111"},
                   {"phone": "12"}, {"name": "长" * 51}):
        assert ids(client.get(RESIDENTS, params)) == everyone, params
    assert_error(client.get(LOOKUP, {"id_number": first.id_number}), 405)  # the look-up is a POST only


# ---------------------------------------------------------------- look-up


def _an_id_ending_in_x() -> str:
    return next(n for n in (id_number() for _ in range(200)) if n.endswith("X"))


def test_look_a_person_up_by_name_id_number_or_phone(api, users, house, resident):
    """``POST residents/lookup/``: the exact value of each kind, normalised as stored (an ID
    number with a lower-case x or spaces, a phone number with spaces or +86), compared through
    the keyed digests; every value sent must be the person's. Masked rows as the list's, in its
    order and pages; ``active`` as the list's filter. It reads, and writes nothing."""
    h = house()
    with_x = _an_id_ending_in_x()
    tenant = resident(name="钱二", id_number=with_x, house=h.pk)
    valid = resident(name="孙三")
    landline = resident(name="李四", phone="0576-83312345")
    foreigner = resident(name="John Smith", kind="foreign", id_number="", origin="英国", area=XINHU_GRID)
    elsewhere = resident(name="郑七", area=JIANZHONG, address="健中路1号", by=users.county_op)
    gone = resident(name="王八")
    actions.move_out_resident(gone, by=users.county_op, reason="left")
    client, haiyou, jiantiao = api(users.county_op), api(users.town_haiyou), api(users.town_jiantiao)
    audited, versions = AuditRecord.objects.count(), dict(Resident.objects.values_list("pk", "version"))
    listed = ids(client.get(RESIDENTS))

    assert found(client, {"id_number": with_x}) == [tenant.pk]
    assert found(client, {"id_number": f" {with_x[:6]} {with_x[6:14]} {with_x[14:].lower()} "}) == [tenant.pk]
    assert found(client, {"id_number": valid.id_number}) == [valid.pk]
    assert found(client, {"name": "孙三"}) == [valid.pk] and found(client, {"name": " John   Smith "}) == [foreigner.pk]
    assert found(client, {"phone": "0576-83312345"}) == [landline.pk]
    same_phone = [pk for pk in listed if pk != landline.pk]
    assert found(client, {"phone": "+86 139 1234 5678"}) == same_phone  # in the list's order
    assert found(client, {"phone": "139 1234 5678", "name": "郑七"}) == [elsewhere.pk]  # every value sent
    assert found(client, {"name": "孙三", "id_number": with_x}) == []
    # no match: an empty list, not a 404
    resp = lookup(client, {"id_number": id_number()})
    assert resp.status_code == 200 and resp.json() == {"count": 0, "next": None, "previous": None, "results": []}
    assert found(client, {"name": "孙"}) == [] and found(client, {"phone": "13912345679"}) == []
    # moved out: only with active=false (or all), as in the list
    assert found(client, {"id_number": gone.id_number}) == []
    assert found(client, {"id_number": gone.id_number, "active": "false"}) == [gone.pk]
    assert found(client, {"id_number": gone.id_number, "active": "all"}) == [gone.pk]
    assert found(client, {"id_number": valid.id_number, "active": "false"}) == []
    assert found(client, {"name": "王八", "active": "true"}) == [] and found(client, {"name": "王八", "active": ""}) == []
    # masked, the list's own rows; paginated and ordered as the list
    resp = lookup(client, {"id_number": with_x, "name": "钱二"})
    assert resp.json()["results"] == [row for row in client.get(RESIDENTS).json()["results"] if row["id"] == tenant.pk]
    assert shows_nothing_personal(resp, with_x, "钱二", "13912345678")
    row = resp.json()["results"][0]
    assert (row["name"], row["id_number"], row["phone"], row["house"]) == (
        "钱*", with_x[:6] + "********" + with_x[-4:], "139****5678", h.pk)
    assert shows_nothing_personal(lookup(client, {"id_number": with_x}, unmask="1"), with_x, "钱二")  # no unmasking
    assert len(same_phone) == 4
    page = lookup(client, {"phone": "13912345678"}, page_size=1, page=2).json()
    assert page["count"] == 4 and [r["id"] for r in page["results"]] == same_phone[1:2]
    assert page["next"] and page["previous"]
    assert found(client, {"phone": "13912345678"}, ordering="-id") == sorted(same_phone, reverse=True)
    # a form body too
    resp = client.post(LOOKUP, {"name": "孙三"})
    assert ids(resp) == [valid.pk] and "no-store" in resp["Cache-Control"]

    # the caller's reach only: another town's person is not found
    assert found(haiyou, {"id_number": elsewhere.id_number, "active": "all"}) == []
    assert found(haiyou, {"name": "郑七"}) == [] and found(haiyou, {"name": "孙三"}) == [valid.pk]
    assert found(jiantiao, {"name": "郑七"}) == [elsewhere.pk]
    assert found(jiantiao, {"phone": "13912345678"}) == [elsewhere.pk]

    assert AuditRecord.objects.count() == audited and no_personal_views()
    assert dict(Resident.objects.values_list("pk", "version")) == versions


@pytest.mark.parametrize("body,code,field", [
    ({}, "required", None),
    ({"name": "", "id_number": " ", "phone": ""}, "required", None),
    ({"active": "all"}, "required", None),
    ({"id_number": BAD_ID}, "invalid", "id_number"),
    ({"id_number": "12345"}, "invalid", "id_number"),
    ({"id_number": "4112021995031512"}, "invalid", "id_number"),
    ({"phone": "12"}, "invalid", "phone"),
    ({"name": "李娜", "phone": "phone"}, "invalid", "phone"),
    ({"name": "长" * 51}, "invalid", "name"),
    ({"name": "李\x00娜"}, "invalid", "name"),
    ({"name": "李娜", "active": "maybe"}, "invalid", "active"),
    ({"name": "李娜", "active": "ALL"}, "invalid", "active"),
    # wrong types and unknown keys: core.bodies, before anything is read
    ({"name": "李娜", "active": True}, "invalid", "active"),
    ({"id_number": 411202199503151234}, "invalid", "id_number"),
    ({"name": ["李娜"]}, "invalid", "name"),
    ({"name": None}, "invalid", "name"),
    ({"phone": {"number": "13912345678"}}, "invalid", "phone"),
    ({"name": "李娜", "kind": "floating"}, "unknown_field", "kind"),
    ({"name": "李娜", "unmask": "1"}, "unknown_field", "unmask"),
    ({"q": "李娜"}, "unknown_field", "q"),
])
def test_bad_look_up_bodies_are_400_and_write_nothing(api, users, resident, body, code, field):
    r, client = resident(), api(users.county_op)
    audited = AuditRecord.objects.count()
    resp = lookup(client, body)
    error = assert_error(resp, 400, code)
    if code == "invalid" and "fields" in error:  # a value read and refused, as the list's filters say it
        assert list(error["fields"]) == [field], error
        assert all(" / " in message for message in error["fields"][field]), error
    else:
        assert error.get("field") == field, error
    assert AuditRecord.objects.count() == audited and resident_unchanged(r)


def test_a_look_up_says_why_a_value_is_no_id_number(api, users):
    body = assert_error(lookup(api(users.county_op), {"id_number": BAD_ID, "phone": "12"}), 400, "invalid")
    assert body["fields"] == {"id_number": ["身份证号码校验位错误 / the ID number's check digit is wrong"],
                              "phone": ["电话号码格式不正确(手机号11位,固话需带区号) / "
                                        "not a mainland mobile number or a landline with area code"]}
    body = assert_error(lookup(api(users.county_op), {}), 400, "required")
    assert "id_number" in body["detail_en"] and body["detail_zh"] != body["detail_en"]


@pytest.mark.parametrize("raw", ["[]", '"李娜"', "null", "{", '{"name": "\\ud800"}'])
def test_a_look_up_body_that_is_no_object_is_400(api, users, raw):
    resp = api(users.county_op).post(LOOKUP, raw, content_type="application/json")
    assert_error(resp, 400)
    assert "no-store" in resp["Cache-Control"]


@pytest.mark.parametrize("username", READERS)
def test_the_roles_that_read_the_list_may_look_up(api, users, resident, username):
    """A POST that writes nothing: a read ("view"), so the leaders, who may not write, look up too."""
    r = resident(area=XINHU_GRID)
    client = api(getattr(users, username))
    assert found(client, {"id_number": r.id_number}) == [r.pk]
    assert found(client, {"name": r.name, "phone": r.phone}) == [r.pk]
    assert resident_unchanged(r) and no_personal_views()


@pytest.mark.parametrize("username", [*WRONG_ROLES, "dept_zhujian"])
def test_other_roles_may_not_look_up(api, users, resident, username):
    r = resident()
    assert_error(lookup(api(getattr(users, username)), {"id_number": r.id_number}), 403, "permission_denied")
    assert_error(lookup(api(getattr(users, username)), {}), 403, "permission_denied")  # before the body is read


def test_anonymous_may_not_look_up(api, resident):
    r = resident()
    assert_error(lookup(api(), {"id_number": r.id_number}), 401, "not_authenticated")
    assert_error(lookup(api(), {"id_number": BAD_ID}), 401, "not_authenticated")


def test_a_grid_worker_looks_up_within_their_reach(api, users, house, resident):
    other_village = Area.objects.filter(parent__code=HAIYOU, level="village").exclude(code=XINHU).order_by("code")[0]
    cared_elsewhere = house(area=other_village.code, caretaker=users.grid_xinhu1, by=users.town_haiyou)
    tenant = resident(house=cared_elsewhere.pk, by=users.town_haiyou)
    neighbour = resident(house=house(caretaker=None).pk)  # in the village, not their grid
    client = api(users.grid_xinhu1)
    assert found(client, {"id_number": tenant.id_number}) == [tenant.pk]
    assert found(client, {"id_number": neighbour.id_number, "active": "all"}) == []
    assert found(client, {"name": "李娜"}) == [tenant.pk]


def test_reading_does_not_grow_with_the_rows(api, users, house, resident):
    """The lists (and the look-up) read each row with its area (and a house its responsible grid
    worker), not one query per row: two rows and twenty cost the same."""
    client = api(users.county_op)
    client.get(HOUSES)  # the token's first use

    def cost(url) -> int:
        with CaptureQueriesContext(connection) as ctx:
            if url == LOOKUP:  # everyone: the fixture's residents share the phone number
                assert lookup(client, {"phone": "13912345678"}).status_code == 200
            else:
                assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    def fill(n: int, h) -> None:
        for i in range(n):
            house(address=f"海游街道心湖路{1000 + RentalHouse.objects.count()}号",
                  caretaker=users.grid_xinhu1 if i % 2 else None)
            resident(house=h.pk, permit_expires_on=timezone.localdate() + dt.timedelta(days=i))

    h = house(max_occupants=None)
    fill(1, h)
    costs = [cost(HOUSES), cost(RESIDENTS), cost(f"{house_url(h)}tenants/"), cost(LOOKUP)]
    assert found(client, {"phone": "13912345678"}) and len(found(client, {"phone": "13912345678"})) == 1
    fill(19, h)
    assert RentalHouse.objects.count() == 21 and Resident.objects.count() == 20
    assert len(found(client, {"phone": "13912345678"})) == 20
    assert [cost(HOUSES), cost(RESIDENTS), cost(f"{house_url(h)}tenants/"), cost(LOOKUP)] == costs
    assert max(costs) <= 3, costs  # the count and the page (and the house for its tenants)
    assert costs[3] == 2, costs  # the look-up: the count and the page


# ---------------------------------------------------------------- rental houses


def test_register_a_house(api, users):
    client = api(users.cadre_xinhu)
    resp = client.post(HOUSES, {
        "area": XINHU, "address": " 三门县海游街道心湖路 18号 ", "kind": "rooms", "rooms": "4", "max_occupants": 8,
        **LANDLORD, "caretaker": "grid_xinhu1", "note": "二房东转租"}, format="json")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert shows_nothing_personal(resp, FULL_NAME, LANDLORD_ID, PHONE)  # the answer is masked
    h = RentalHouse.objects.get(pk=body["id"])
    assert (h.address, h.area.code, h.kind, h.rooms, h.max_occupants, h.note) == (
        "三门县海游街道心湖路 18号", XINHU, "rooms", 4, 8, "二房东转租")
    assert (h.landlord_name, h.landlord_id_number, h.landlord_phone) == (FULL_NAME, LANDLORD_ID, PHONE)
    assert (body["caretaker"], body["registered_by"], body["version"], body["tenants_count"]) == (
        "grid_xinhu1", "cadre_xinhu", 0, 0)
    assert body["url"] == house_url(h) and body["tenants_url"] == f"{house_url(h)}tenants/"
    assert body["crowded"] is False and body["removed_at"] is None and body["unmasked"] is False
    assert AuditRecord.objects.filter(action="rental_house_register", object_id=str(h.pk)).count() == 1
    # a form body works too; no limit, no landlord, nobody in charge
    resp = api(users.county_op).post(HOUSES, {"area": XINHU_GRID, "address": "心湖路19号", "kind": "shop_home",
                                              "rooms": "1", "max_occupants": "", "caretaker": ""})
    assert resp.status_code == 201, resp.content
    assert (resp.json()["max_occupants"], resp.json()["caretaker"], resp.json()["landlord_name"]) == (None, None, "")
    # a town is no place for a house
    resp = api(users.county_op).post(HOUSES, {**_HOUSE, "area": HAIYOU}, format="json")
    assert assert_error(resp, 400, "bad_area_level")["field"] == "area"


def test_a_house_registered_twice_is_409_and_a_retry_too(api, users, house):
    """A client that retries a registration whose answer it lost gets 409, not a second entry
    (creates take no ``Idempotency-Key``: the address is the key)."""
    client = api(users.cadre_xinhu)
    body = {"area": XINHU, "address": "心湖路7号", "kind": "whole", "rooms": 2}
    assert client.post(HOUSES, body, format="json").status_code == 201
    resp = client.post(HOUSES, body, format="json", HTTP_IDEMPOTENCY_KEY="retry-1")
    assert assert_error(resp, 409, "address_registered")["field"] == "address"
    # the same address in another place is another house
    assert api(users.county_op).post(HOUSES, {**body, "area": JIANZHONG}, format="json").status_code == 201
    assert RentalHouse.objects.count() == 2


@pytest.mark.parametrize("body,code,field", [
    ({}, "bad_area", "area"),
    ({**_HOUSE, "area": JIANZHONG}, "bad_area", "area"),
    ({**_HOUSE, "area": XINHU + "\x00"}, "bad_area", "area"),
    ({**_HOUSE, "address": ""}, "required", "address"),
    ({**_HOUSE, "address": "   "}, "required", "address"),
    ({**_HOUSE, "address": "路" * 201}, "too_long", "address"),
    ({**_HOUSE, "address": "心湖路\x001号"}, "bad_text", "address"),
    ({**_HOUSE, "kind": "castle"}, "bad_choice", "kind"),
    ({**_HOUSE, "kind": ""}, "required", "kind"),
    ({**_HOUSE, "rooms": 0}, "bad_number", "rooms"),
    ({**_HOUSE, "rooms": 501}, "bad_number", "rooms"),
    ({**_HOUSE, "rooms": None}, "bad_number", "rooms"),
    ({**_HOUSE, "rooms": "3.5"}, "bad_number", "rooms"),
    ({**_HOUSE, "rooms": "三"}, "bad_number", "rooms"),
    ({**_HOUSE, "rooms": 10**40}, "bad_number", "rooms"),
    ({"area": XINHU, "address": "心湖路1号", "kind": "rooms"}, "bad_number", "rooms"),
    ({**_HOUSE, "max_occupants": 0}, "bad_number", "max_occupants"),
    ({**_HOUSE, "max_occupants": 2001}, "bad_number", "max_occupants"),
    ({**_HOUSE, "max_occupants": "-1"}, "bad_number", "max_occupants"),
    ({**_HOUSE, "landlord_id_number": BAD_ID}, "id_check_digit", "landlord_id_number"),
    ({**_HOUSE, "landlord_id_number": "33102219650302"}, "id_format", "landlord_id_number"),
    ({**_HOUSE, "landlord_phone": "12"}, "phone_format", "landlord_phone"),
    ({**_HOUSE, "landlord_name": "王\x00"}, "bad_value", "landlord_name"),
    ({**_HOUSE, "landlord_name": "王" * 51}, "bad_value", "landlord_name"),
    ({**_HOUSE, "caretaker": "grid_jianzhong1"}, "bad_caretaker", "caretaker"),
    ({**_HOUSE, "caretaker": "cadre_xinhu"}, "bad_caretaker", "caretaker"),
    ({**_HOUSE, "caretaker": "nobody"}, "bad_caretaker", "caretaker"),
    ({**_HOUSE, "note": "a\x00b"}, "bad_text", "note"),
    ({**_HOUSE, "note": "长" * 2001}, "too_long", "note"),
    # wrong types: refused before the action (which would take them for empty)
    ({**_HOUSE, "area": 331022001001}, "invalid", "area"),
    ({**_HOUSE, "address": ["心湖路1号"]}, "invalid", "address"),
    ({**_HOUSE, "kind": None}, "invalid", "kind"),
    ({**_HOUSE, "rooms": 2.5}, "invalid", "rooms"),
    ({**_HOUSE, "rooms": True}, "invalid", "rooms"),
    ({**_HOUSE, "rooms": [3]}, "invalid", "rooms"),
    ({**_HOUSE, "max_occupants": {"n": 3}}, "invalid", "max_occupants"),
    ({**_HOUSE, "landlord_name": 5}, "invalid", "landlord_name"),
    ({**_HOUSE, "landlord_id_number": None}, "invalid", "landlord_id_number"),
    ({**_HOUSE, "caretaker": 7}, "invalid", "caretaker"),
    ({**_HOUSE, "note": {"a": 1}}, "invalid", "note"),
    ({**_HOUSE, "version": 0}, "unknown_field", "version"),
    ({**_HOUSE, "tenants_count": 3}, "unknown_field", "tenants_count"),
    ({**_HOUSE, "is_active": False}, "unknown_field", "is_active"),
])
def test_house_registration_errors_are_400_and_write_nothing(api, users, body, code, field):
    resp = api(users.cadre_xinhu).post(HOUSES, body, format="json")
    assert assert_error(resp, 400, code)["field"] == field
    assert not RentalHouse.objects.exists()
    assert not AuditRecord.objects.filter(action="rental_house_register").exists()


def test_change_a_house_with_the_version_read(api, users, house, resident):
    h = house()
    tenant = resident(house=h.pk)
    client = api(users.cadre_xinhu)
    resp = client.patch(house_url(h), {"address": "三门县海游街道心湖路99号", "max_occupants": None, "caretaker": None,
                                       "landlord_phone": "0576-83300000", "version": 0}, format="json")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert (body["address"], body["max_occupants"], body["caretaker"], body["version"]) == (
        "三门县海游街道心湖路99号", None, None, 1)
    assert body["landlord_phone"] == "0576-****0000"
    assert RentalHouse.objects.get(pk=h.pk).landlord_phone == "0576-83300000"
    # its tenant moved along
    fresh = Resident.objects.get(pk=tenant.pk)
    assert fresh.address == "三门县海游街道心湖路99号" and fresh.version == tenant.version + 1
    # the same version again is stale: nothing changes
    assert_error(client.patch(house_url(h), {"note": "另一人的修改", "version": 0}, format="json"), 409, "stale_version")
    assert RentalHouse.objects.get(pk=h.pk).note == "" and RentalHouse.objects.get(pk=h.pk).version == 1
    # without a version the change applies to the house as it is; a version as its digits
    assert client.patch(house_url(h), {"note": "备注"}, format="json").json()["version"] == 2
    assert client.patch(house_url(h), {"note": "备注2", "version": "2"}, format="json").status_code == 200
    # a value sent as the entry holds it is no change: nothing written, the version stays
    resp = client.patch(house_url(h), {"rooms": h.rooms, "kind": h.kind, "area": XINHU, "version": 3}, format="json")
    assert resp.status_code == 200 and resp.json()["version"] == 3
    # to another village of the town: the tenant follows the house
    other_village = Area.objects.filter(parent__code=HAIYOU, level="village").exclude(code=XINHU).order_by("code")[0]
    resp = api(users.town_haiyou).patch(house_url(h), {"area": other_village.code}, format="json")
    assert resp.status_code == 200 and resp.json()["area"] == other_village.code, resp.content
    assert Resident.objects.get(pk=tenant.pk).area == other_village
    assert AuditRecord.objects.filter(action="rental_house_update", object_id=str(h.pk)).count() == 4


def test_an_address_taken_is_409(api, users, house):
    first, second = house(address="心湖路1号"), house(address="心湖路2号")
    resp = api(users.cadre_xinhu).patch(house_url(second), {"address": "心湖路1号"}, format="json")
    assert assert_error(resp, 409, "address_registered")["field"] == "address"
    assert house_unchanged(second) and house_unchanged(first)


@pytest.mark.parametrize("body,status,code", [
    ({}, 400, "no_changes"),
    ({"version": 0}, 400, "no_changes"),
    ({"tenants_count": 0, "version": 0}, 400, "unknown_field"),
    ({"registered_by": "county_op"}, 400, "unknown_field"),
    ({"note": "x", "version": "abc"}, 400, "bad_version"),
    ({"note": "x", "version": True}, 400, "bad_version"),
    ({"note": "x", "version": -1}, 400, "bad_version"),
    ({"note": "x", "version": 1.0}, 400, "bad_version"),
    ({"note": "x", "version": 10**30}, 400, "bad_version"),
    ({"note": "x", "version": 99}, 409, "stale_version"),
    ({"rooms": 0}, 400, "bad_number"),
    ({"rooms": None}, 400, "bad_number"),
    ({"rooms": 1.5}, 400, "invalid"),
    ({"max_occupants": "x"}, 400, "bad_number"),
    ({"kind": "castle"}, 400, "bad_choice"),
    ({"kind": 3}, 400, "invalid"),
    ({"area": JIANZHONG}, 400, "bad_area"),
    ({"address": ""}, 400, "required"),
    ({"address": "路" * 201}, 400, "too_long"),
    ({"landlord_phone": "12"}, 400, "phone_format"),
    ({"landlord_id_number": BAD_ID}, 400, "id_check_digit"),
    ({"caretaker": "cadre_xinhu"}, 400, "bad_caretaker"),
    ({"caretaker": ["grid_xinhu1"]}, 400, "invalid"),
    ({"note": "\x00"}, 400, "bad_text"),
    ({"note": "长" * 2001}, 400, "too_long"),
])
def test_house_change_errors(api, users, house, body, status, code):
    h = house()
    resp = api(users.cadre_xinhu).patch(house_url(h), body, format="json")
    assert_error(resp, status, code)
    assert house_unchanged(h) and not AuditRecord.objects.filter(action="rental_house_update").exists()


def test_remove_a_house_from_the_registry(api, users, house, resident):
    h = house()
    tenant = resident(house=h.pk)
    client = api(users.cadre_xinhu)
    url = f"{house_url(h)}remove/"
    assert assert_error(client.post(url, {"version": 0}, format="json"), 400, "required")["field"] == "reason"
    assert_error(client.post(url, {"reason": 5}, format="json"), 400, "invalid")
    assert_error(client.post(url, {"reason": "拆除", "note": "x"}, format="json"), 400, "unknown_field")
    assert_error(client.post(url, {"reason": "长" * 201}, format="json"), 400, "too_long")
    assert_error(client.post(url, {"reason": "拆除", "version": 5}, format="json"), 409, "stale_version")
    body = assert_error(client.post(url, {"reason": "拆除", "version": 0}, format="json"), 409, "has_tenants")
    assert "1" in body["detail_zh"] and "1" in body["detail_en"]
    h.refresh_from_db()
    assert house_unchanged(h) and h.tenants_count == 1
    actions.move_out_resident(tenant, by=users.cadre_xinhu, reason="left")
    resp = client.post(url, {"reason": "拆除", "version": 0}, format="json")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert (body["is_active"], body["removal_reason"], body["version"], body["tenants_count"]) == (False, "拆除", 1, 0)
    assert body["removed_at"]
    assert_error(client.post(url, {"reason": "再次"}, format="json"), 409, "removed")
    assert_error(client.patch(house_url(h), {"note": "x"}, format="json"), 409, "removed")
    resp = client.post(RESIDENTS, {"name": "张伟", "kind": "floating", "id_number": id_number(), "house": h.pk},
                       format="json")
    assert assert_error(resp, 400, "house_removed")["field"] == "house"
    assert h.pk not in ids(client.get(HOUSES)) and ids(client.get(HOUSES, {"active": "false"})) == [h.pk]
    assert client.get(house_url(h)).json()["is_active"] is False  # kept


def test_the_tenants_of_a_house(api, users, house, resident):
    h = house()
    tenants = [resident(house=h.pk, name=f"租客{n}") for n in range(3)]
    neighbour = resident()  # at an address, not in the house
    actions.move_out_resident(tenants[1], by=users.county_op, reason="left")
    client = api(users.cadre_xinhu)
    body = client.get(f"{house_url(h)}tenants/").json()
    assert body["count"] == 2 and [row["id"] for row in body["results"]] == [tenants[0].pk, tenants[2].pk]
    assert all(row["house"] == h.pk and row["name"] == "租**" for row in body["results"])
    assert neighbour.pk not in [row["id"] for row in body["results"]]
    assert client.get(house_url(h)).json()["tenants_count"] == 2
    page = client.get(f"{house_url(h)}tenants/", {"page_size": 1, "page": 2}).json()
    assert [row["id"] for row in page["results"]] == [tenants[2].pk] and page["previous"]
    assert_error(client.get(f"{house_url(h)}tenants/", {"page_size": "x"}), 400, "bad_page_size")


# ---------------------------------------------------------------- residents


def test_register_a_resident(api, users, house):
    h = house()
    number = id_number()
    today = timezone.localdate()
    client = api(users.cadre_xinhu)
    resp = client.post(RESIDENTS, {
        "name": FULL_NAME, "kind": "floating", "id_number": number, "phone": PHONE, "house": h.pk,
        "origin": "河南省三门峡市", "reason": "work", "arrived_on": str(today - dt.timedelta(days=3)),
        "permit_expires_on": str(today + dt.timedelta(days=10)), "note": "在电子厂上班"}, format="json")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert shows_nothing_personal(resp, FULL_NAME, number, PHONE)  # the answer is masked
    r = Resident.objects.get(pk=body["id"])
    assert (r.name, r.id_number, r.phone, r.house, r.area, r.address) == (FULL_NAME, number, PHONE, h, h.area,
                                                                          h.address)
    assert (body["house"], body["area"], body["address"], body["permit"], body["moved_from_elsewhere"]) == (
        h.pk, XINHU, h.address, "soon", False)
    assert (body["registered_by"], body["version"], body["url"], body["is_active"]) == (
        "cadre_xinhu", 0, resident_url(r), True)
    assert body["arrived_on"] == str(today - dt.timedelta(days=3)) and body["origin"] == "河南省三门峡市"
    assert RentalHouse.objects.get(pk=h.pk).tenants_count == 1
    assert AuditRecord.objects.filter(action="resident_register", object_id=str(r.pk)).count() == 1
    # a form body; a foreign national without an ID number, at an address
    resp = api(users.county_op).post(RESIDENTS, {"name": "John Smith", "kind": "foreign", "area": XINHU,
                                                 "address": "心湖路5号", "origin": "英国", "house": "",
                                                 "arrived_on": ""})
    assert resp.status_code == 201, resp.content
    assert (resp.json()["id_number"], resp.json()["house"], resp.json()["permit"]) == ("", None, "")
    # a town is no place to live in
    resp = api(users.county_op).post(RESIDENTS, {**_RESIDENT, "area": HAIYOU}, format="json")
    assert assert_error(resp, 400, "bad_area_level")["field"] == "area"


def test_a_person_registered_elsewhere_in_the_county_has_moved_here(api, users, house, resident):
    """来登去销: the entry in 心湖社区 is moved out by the registration in 健跳镇, whose registrar is
    told that an earlier entry was closed, not where."""
    h = house()
    number = id_number()
    earlier = resident(id_number=number, house=h.pk)
    resp = api(users.cadre_jianzhong).post(RESIDENTS, {"name": "李娜", "kind": "floating", "id_number": number,
                                                       "area": JIANZHONG, "address": "健中路8号"}, format="json")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["moved_from_elsewhere"] is True and body["area"] == JIANZHONG
    assert XINHU not in resp.content.decode() and h.address not in resp.content.decode()
    old = Resident.objects.get(pk=earlier.pk)
    assert (old.is_active, old.move_out_reason) == (False, "moved") and old.moved_out_at
    assert RentalHouse.objects.get(pk=h.pk).tenants_count == 0
    # in the caller's own jurisdiction already: change that entry (409), a retry likewise
    client = api(users.cadre_jianzhong)
    again = {"name": "李娜", "kind": "floating", "id_number": number, "area": JIANZHONG, "address": "健中路9号"}
    assert assert_error(client.post(RESIDENTS, again, format="json", HTTP_IDEMPOTENCY_KEY="retry-1"), 409,
                        "already_registered")["field"] == "id_number"
    assert Resident.objects.filter(is_active=True).count() == 1
    # the GET of one resident never says it
    assert "moved_from_elsewhere" not in client.get(resident_url(Resident.objects.get(pk=body["id"]))).json()


def _later(days: int) -> str:
    return str(timezone.localdate() + dt.timedelta(days=days))


@pytest.mark.parametrize("body,code,field", [
    ({}, "required", "kind"),
    ({**_RESIDENT, "kind": "tourist"}, "bad_choice", "kind"),
    ({**_RESIDENT, "name": ""}, "required", "name"),
    ({k: v for k, v in _RESIDENT.items() if k != "name"}, "required", "name"),
    ({**_RESIDENT, "name": "张\x00伟"}, "bad_value", "name"),
    ({**_RESIDENT, "name": "张" * 51}, "bad_value", "name"),
    ({**_RESIDENT, "id_number": ""}, "required", "id_number"),
    ({**_RESIDENT, "kind": "registered", "id_number": ""}, "required", "id_number"),
    ({**_RESIDENT, "id_number": BAD_ID}, "id_check_digit", "id_number"),
    ({**_RESIDENT, "id_number": "41120219951315123X"}, "id_birth_date", "id_number"),
    ({**_RESIDENT, "id_number": "12345"}, "id_format", "id_number"),
    ({**_RESIDENT, "phone": "12"}, "phone_format", "phone"),
    ({**_RESIDENT, "origin": "省" * 101}, "too_long", "origin"),
    ({**_RESIDENT, "origin": "河南\x00"}, "bad_text", "origin"),
    ({**_RESIDENT, "reason": "fun"}, "bad_choice", "reason"),
    ({**_RESIDENT, "arrived_on": "garbage"}, "bad_date", "arrived_on"),
    ({**_RESIDENT, "arrived_on": "2026-02-30"}, "bad_date", "arrived_on"),
    ({**_RESIDENT, "arrived_on": "2026-\x0001-01"}, "bad_date", "arrived_on"),
    ({**_RESIDENT, "arrived_on": "2026-01-01T10:00:00"}, "bad_date", "arrived_on"),
    ({**_RESIDENT, "arrived_on": _later(2)}, "date_out_of_range", "arrived_on"),
    ({**_RESIDENT, "arrived_on": "1899-12-31"}, "date_out_of_range", "arrived_on"),
    ({**_RESIDENT, "permit_expires_on": "next year"}, "bad_date", "permit_expires_on"),
    ({**_RESIDENT, "permit_expires_on": _later(366 * 11)}, "date_out_of_range", "permit_expires_on"),
    ({**_RESIDENT, "note": "\x00"}, "bad_text", "note"),
    ({**_RESIDENT, "note": "长" * 2001}, "too_long", "note"),
    ({**_RESIDENT, "area": JIANZHONG}, "bad_area", "area"),
    ({k: v for k, v in _RESIDENT.items() if k != "area"}, "bad_area", "area"),
    ({**_RESIDENT, "address": ""}, "required", "address"),
    ({**_RESIDENT, "address": "路" * 201}, "too_long", "address"),
    ({**_RESIDENT, "house": 999999999}, "bad_house", "house"),
    ({**_RESIDENT, "house": "abc"}, "bad_house", "house"),
    ({**_RESIDENT, "house": "9" * 40}, "bad_house", "house"),
    # wrong types: refused before the action (which would take them for empty)
    ({**_RESIDENT, "name": 123}, "invalid", "name"),
    ({**_RESIDENT, "kind": ["floating"]}, "invalid", "kind"),
    ({**_RESIDENT, "id_number": 411202199503151234}, "invalid", "id_number"),
    ({**_RESIDENT, "phone": None}, "invalid", "phone"),
    ({**_RESIDENT, "area": 331022001001}, "invalid", "area"),
    ({**_RESIDENT, "house": 1.5}, "invalid", "house"),
    ({**_RESIDENT, "house": True}, "invalid", "house"),
    ({**_RESIDENT, "house": [1]}, "invalid", "house"),
    ({**_RESIDENT, "reason": None}, "invalid", "reason"),
    ({**_RESIDENT, "arrived_on": 20260101}, "invalid", "arrived_on"),
    ({**_RESIDENT, "permit_expires_on": ["2027-01-01"]}, "invalid", "permit_expires_on"),
    ({**_RESIDENT, "moved_from_elsewhere": True}, "unknown_field", "moved_from_elsewhere"),
    ({**_RESIDENT, "version": 0}, "unknown_field", "version"),
    ({**_RESIDENT, "is_active": True}, "unknown_field", "is_active"),
])
def test_resident_registration_errors_are_400_and_write_nothing(api, users, body, code, field):
    resp = api(users.cadre_xinhu).post(RESIDENTS, body, format="json")
    assert assert_error(resp, 400, code)["field"] == field
    assert not Resident.objects.exists()
    assert not AuditRecord.objects.filter(action="resident_register").exists()


def test_a_tenant_of_a_house_elsewhere_or_removed_is_refused(api, users, house):
    elsewhere = house(area=JIANZHONG, caretaker=None, by=users.county_op)
    removed = house()
    actions.remove_house(removed, by=users.county_op, reason="拆除")
    client = api(users.cadre_xinhu)
    for h, code in ((elsewhere, "bad_house"), (removed, "house_removed")):
        resp = client.post(RESIDENTS, {**_RESIDENT, "house": h.pk}, format="json")
        assert assert_error(resp, 400, code)["field"] == "house"
    assert not Resident.objects.exists() and RentalHouse.objects.get(pk=elsewhere.pk).tenants_count == 0


def test_change_a_resident_with_the_version_read(api, users, house, resident):
    first, second = house(), house()
    r = resident()
    client = api(users.cadre_xinhu)
    resp = client.patch(resident_url(r), {"house": first.pk, "permit_expires_on": _later(-1), "version": 0},
                        format="json")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert (body["house"], body["address"], body["permit"], body["version"]) == (first.pk, first.address, "expired",
                                                                                   1)
    assert RentalHouse.objects.get(pk=first.pk).tenants_count == 1
    assert_error(client.patch(resident_url(r), {"note": "另一人的修改", "version": 0}, format="json"), 409,
                 "stale_version")
    # from one house to another, by its id as digits: the counts follow
    resp = client.patch(resident_url(r), {"house": str(second.pk), "version": "1"}, format="json")
    assert resp.status_code == 200 and resp.json()["house"] == second.pk, resp.content
    assert [RentalHouse.objects.get(pk=h.pk).tenants_count for h in (first, second)] == [0, 1]
    # a tenant's area and address are the house's: an edit of them alone is refused
    assert assert_error(client.patch(resident_url(r), {"address": "别处1号"}, format="json"), 400,
                        "tenant_place")["field"] == "house"
    assert Resident.objects.get(pk=r.pk).address == second.address
    # out of the house, to an address
    resp = client.patch(resident_url(r), {"house": None, "area": XINHU_GRID, "address": "心湖路77号"}, format="json")
    assert resp.status_code == 200, resp.content
    assert (resp.json()["house"], resp.json()["area"], resp.json()["address"]) == (None, XINHU_GRID, "心湖路77号")
    assert RentalHouse.objects.get(pk=second.pk).tenants_count == 0
    assert AuditRecord.objects.filter(action="resident_update", object_id=str(r.pk)).count() == 3


def test_leaving_renting_without_a_place_keeps_the_houses(api, users, house, resident):
    """``house`` null with no ``area`` / ``address``: the resident stays at the house's village
    or grid and address (update_resident falls back to the current ones), no longer its tenant;
    one of them sent replaces only that one."""
    h = house(area=XINHU_GRID)
    stay, move = resident(house=h.pk), resident(house=h.pk)
    client = api(users.cadre_xinhu)
    resp = client.patch(resident_url(stay), {"house": None, "version": stay.version}, format="json")
    assert resp.status_code == 200, resp.content
    assert (resp.json()["house"], resp.json()["area"], resp.json()["address"]) == (None, XINHU_GRID, h.address)
    resp = client.patch(resident_url(move), {"house": "", "address": "心湖路78号"}, format="json")
    assert resp.status_code == 200, resp.content
    assert (resp.json()["house"], resp.json()["area"], resp.json()["address"]) == (None, XINHU_GRID, "心湖路78号")
    assert RentalHouse.objects.get(pk=h.pk).tenants_count == 0


def test_a_foreign_national_without_an_id_number_stays_one(api, users, resident):
    r = resident(kind="foreign", id_number="", name="John Smith")
    resp = api(users.cadre_xinhu).patch(resident_url(r), {"kind": "floating"}, format="json")
    assert assert_error(resp, 400, "required")["field"] == "id_number"
    assert resident_unchanged(r)


@pytest.mark.parametrize("body,status,code", [
    ({}, 400, "no_changes"),
    ({"version": 0}, 400, "no_changes"),
    ({"name": "张三", "version": 0}, 400, "unknown_field"),
    ({"id_number": id_number(), "version": 0}, 400, "unknown_field"),
    ({"is_active": False}, 400, "unknown_field"),
    ({"note": "x", "version": "abc"}, 400, "bad_version"),
    ({"note": "x", "version": -1}, 400, "bad_version"),
    ({"note": "x", "version": 1.5}, 400, "bad_version"),
    ({"note": "x", "version": 99}, 409, "stale_version"),
    ({"kind": "tourist"}, 400, "bad_choice"),
    ({"kind": None}, 400, "invalid"),
    ({"phone": "12"}, 400, "phone_format"),
    ({"phone": 13912345678}, 400, "invalid"),
    ({"arrived_on": _later(3)}, 400, "date_out_of_range"),
    ({"arrived_on": 5}, 400, "invalid"),
    ({"permit_expires_on": "2026-13-01"}, 400, "bad_date"),
    ({"house": 999999999}, 400, "bad_house"),
    ({"house": 2.5}, 400, "invalid"),
    ({"area": JIANZHONG}, 400, "bad_area"),
    ({"address": ""}, 400, "required"),
    ({"address": "路" * 201}, 400, "too_long"),
    ({"origin": ["河南"]}, 400, "invalid"),
    ({"origin": "省" * 101}, 400, "too_long"),
    ({"reason": "fun"}, 400, "bad_choice"),
    ({"note": "\x00"}, 400, "bad_text"),
    ({"note": "长" * 2001}, 400, "too_long"),
])
def test_resident_change_errors(api, users, resident, body, status, code):
    r = resident()
    resp = api(users.cadre_xinhu).patch(resident_url(r), body, format="json")
    assert_error(resp, status, code)
    assert resident_unchanged(r) and not AuditRecord.objects.filter(action="resident_update").exists()


def test_move_a_resident_out(api, users, house, resident):
    h = house()
    r = resident(house=h.pk)
    client = api(users.cadre_xinhu)
    url = f"{resident_url(r)}move-out/"
    assert_error(client.post(url, {"reason": "left", "version": 5}, format="json"), 409, "stale_version")
    resp = client.post(url, {"reason": "left", "note": "回老家", "version": 0}, format="json")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert (body["is_active"], body["move_out_reason"], body["move_out_note"], body["version"]) == (
        False, "left", "回老家", 1)
    assert body["moved_out_at"] and body["move_out_reason_label"] and body["permit"] == ""
    assert RentalHouse.objects.get(pk=h.pk).tenants_count == 0
    assert_error(client.post(url, {"reason": "died"}, format="json"), 409, "moved_out")
    assert_error(client.patch(resident_url(r), {"note": "x"}, format="json"), 409, "moved_out")
    assert r.pk not in ids(client.get(RESIDENTS)) and ids(client.get(RESIDENTS, {"active": "false"})) == [r.pk]
    assert client.get(resident_url(r)).json()["is_active"] is False  # kept
    assert AuditRecord.objects.filter(action="resident_move_out", object_id=str(r.pk)).count() == 1


@pytest.mark.parametrize("body,code,field", [
    ({}, "required", "reason"),
    ({"reason": ""}, "required", "reason"),
    ({"reason": "moved"}, "bad_choice", "reason"),  # set only by a registration elsewhere
    ({"reason": "vanished"}, "bad_choice", "reason"),
    ({"reason": 5}, "invalid", "reason"),
    ({"reason": ["left"]}, "invalid", "reason"),
    ({"reason": "left", "note": 5}, "invalid", "note"),
    ({"reason": "left", "note": "长" * 201}, "too_long", "note"),
    ({"reason": "left", "note": "\x00"}, "bad_text", "note"),
    ({"reason": "left", "version": "x"}, "bad_version", "version"),
    ({"reason": "left", "moved_out_at": "2026-01-01"}, "unknown_field", "moved_out_at"),
])
def test_move_out_errors_are_400_and_write_nothing(api, users, house, resident, body, code, field):
    h = house()
    r = resident(house=h.pk)
    resp = api(users.cadre_xinhu).post(f"{resident_url(r)}move-out/", body, format="json")
    assert assert_error(resp, 400, code)["field"] == field
    assert resident_unchanged(r) and RentalHouse.objects.get(pk=h.pk).tenants_count == 1
    assert not AuditRecord.objects.filter(action="resident_move_out").exists()


@pytest.mark.parametrize("raw", ["[]", '"张伟"', "42", "null", '[{"name": "张伟"}]', "{"])
def test_a_body_that_is_no_object_is_400(api, users, house, resident, raw):
    h, r = house(), resident()
    client = api(users.county_op)
    for method, url, _body in writes(h, r):
        assert_error(getattr(client, method)(url, raw, content_type="application/json"), 400)
    assert house_unchanged(h) and resident_unchanged(r)
    assert RentalHouse.objects.count() == 1 and Resident.objects.count() == 1


# ---------------------------------------------------------------- schema


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    with django_db_blocker.unblock():
        built = SchemaGenerator().get_schema(request=None, public=True)
    warnings = [w for w in GENERATOR_STATS._warn_cache if "population" in w or "Resident" in w or "RentalHouse" in w]
    GENERATOR_STATS.reset()
    return built, warnings


def test_schema_documents_the_endpoints_without_warnings(schema):
    schema, warnings = schema
    assert warnings == []
    paths, components = schema["paths"], schema["components"]["schemas"]

    def body(operation) -> dict:
        return components[ref(operation, where="requestBody")]

    houses = paths[HOUSES]["get"]
    assert {"area", "kind", "crowded", "caretaker", "q", "active", "ordering", "page", "page_size"} <= {
        p["name"] for p in houses["parameters"]}
    assert ref(houses) == "PaginatedRentalHouseListList" and ref(paths[HOUSES]["post"], "201") == "RentalHouse"
    assert set(body(paths[HOUSES]["post"])["required"]) == {"address", "area", "kind", "rooms"}
    one = paths[HOUSES + "{id}/"]
    assert "unmask" in {p["name"] for p in one["get"]["parameters"]} and ref(one["get"]) == "RentalHouse"
    assert "put" not in one and "delete" not in one and "version" in body(one["patch"])["properties"]
    assert set(body(paths[HOUSES + "{id}/remove/"]["post"])["properties"]) == {"reason", "version"}
    assert ref(paths[HOUSES + "{id}/tenants/"]["get"]) == "PaginatedResidentListList"
    residents = paths[RESIDENTS]["get"]
    params = {p["name"] for p in residents["parameters"]}
    assert {"kind", "area", "permit", "house", "active"} <= params and not {"name", "id_number", "phone"} & params
    assert ref(residents) == "PaginatedResidentListList"
    look_up = paths[LOOKUP]
    assert set(look_up) - {"parameters"} == {"post"}  # no GET: the values never stand in the address
    assert ref(look_up["post"]) == "PaginatedResidentListList"
    assert set(body(look_up["post"])["properties"]) == {"name", "id_number", "phone", "active"}
    assert not body(look_up["post"]).get("required")
    assert {"page", "page_size", "ordering"} <= {p["name"] for p in look_up["post"]["parameters"]}
    assert not {"name", "id_number", "phone"} & {p["name"] for p in look_up["post"]["parameters"]}
    assert {"400", "401", "403"} <= set(look_up["post"]["responses"])
    assert ref(paths[RESIDENTS]["post"], "201") == "ResidentRegistered"
    assert set(body(paths[RESIDENTS]["post"])["required"]) == {"name", "kind"}
    one = paths[RESIDENTS + "{id}/"]
    assert "unmask" in {p["name"] for p in one["get"]["parameters"]} and ref(one["get"]) == "Resident"
    assert "put" not in one and "delete" not in one
    assert {"name", "id_number"}.isdisjoint(body(one["patch"])["properties"])
    move_out = paths[RESIDENTS + "{id}/move-out/"]["post"]
    assert set(body(move_out)["properties"]) == {"reason", "note", "version"} and {"409", "413"} <= set(
        move_out["responses"])
    house = components["RentalHouse"]["properties"]
    assert {"crowded", "tenants_count", "caretaker", "caretaker_name", "area_name", "unmasked", "version"} <= set(
        house)
    assert house["caretaker"]["nullable"] and house["max_occupants"]["nullable"]
    resident = components["Resident"]["properties"]
    assert {"permit", "house", "unmasked", "move_out_reason", "version"} <= set(resident)
    assert resident["house"]["nullable"] and "moved_from_elsewhere" in components["ResidentRegistered"]["properties"]
    for enum, values in (("HouseKindEnum", {"whole", "rooms", "dormitory", "shop_home", "other"}),
                         ("ResidentKindEnum", {"registered", "floating", "foreign"}),
                         ("StayReasonEnum", {"work", "business", "study", "family", "other"}),
                         ("PermitDueEnum", {"expired", "soon", "missing"}),
                         ("MoveOutReasonEnum", {"left", "moved", "died", "wrong"})):
        assert set(components[enum]["enum"]) == values, enum


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_population_answers_match_the_schema(live_server, demo_county, users, tmp_path):
    """schemathesis on the registry's endpoints with a house and a tenant present, whose id the
    operations on one entry are given (random ids only ever met a 404): no 5xx whatever the
    input, and every answer as the schema says."""

    h = actions.register_house(by=users.county_op, area=XINHU, address="心湖路1号", kind="rooms", rooms=3,
                               max_occupants=1, landlord_name="王德福", caretaker="grid_xinhu1")
    r = actions.register_resident(by=users.county_op, name="李娜", kind="floating", id_number=id_number(),
                                  house=h.pk, permit_expires_on=_later(5))
    for base, pk in (("rental-houses", h.pk), ("residents", r.pk)):
        fuzz(live_server, users.county_op, base, pk, tmp_path, operations=6)


def test_error_bodies_are_json_in_the_one_shape(api, users, house):
    h = house()
    resp = api(users.county_op).patch(house_url(h), {"version": 9, "note": "x"}, format="json",
                                      HTTP_ACCEPT_LANGUAGE="en")
    body = assert_error(resp, 409, "stale_version")
    assert body["detail"] == body["detail_en"] and json.loads(resp.content) == body


def test_the_browsable_api_and_options_answer_without_showing_personal_data(api, users, house, resident):
    h = house(**LANDLORD)
    number = id_number()
    r = resident(name=FULL_NAME, id_number=number, phone=PHONE, house=h.pk)
    client = api(users.county_op)
    for url in (*reads(h, r), f"{house_url(h)}remove/", f"{resident_url(r)}move-out/", LOOKUP):
        assert client.options(url).status_code == 200, url
    for url in reads(h, r):
        resp = client.get(url, HTTP_ACCEPT="text/html")
        assert resp.status_code == 200, url
        assert shows_nothing_personal(resp, FULL_NAME, number, LANDLORD_ID, PHONE), url
    resp = client.post(LOOKUP, {"id_number": number, "name": FULL_NAME}, format="json", HTTP_ACCEPT="text/html")
    assert resp.status_code == 200 and f"/residents/{r.pk}/" in resp.content.decode()
    assert shows_nothing_personal(resp, FULL_NAME, number, PHONE)  # the values sent are not shown back
    assert no_personal_views()
