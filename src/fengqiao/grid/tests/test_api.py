"""The key-person registry's API (/api/v1/key-persons/) as the demo users: every endpoint four
ways (anonymous 401, wrong role 403, right role outside the jurisdiction 404, inside 200/201),
names, ID numbers and phones masked in the list always and on one person unless a role that may
unmask asks (and then audited once per read), the writes through the registry's actions with
their refusals as bilingual 4xx (400 bad input and wrong types, 403, 404, 409 duplicate and
stale version), never a 500, and the endpoints in the OpenAPI schema.

People are registered through the registry's own action (the fixtures of conftest.py)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from fengqiao.areas.models import Area
from fengqiao.core.models import AuditRecord
from fengqiao.core.tests.api_checks import assert_error, row_ids
from fengqiao.core.tests.schema_runs import fuzz, ref
from fengqiao.grid import actions
from fengqiao.grid.models import KeyPerson, Visit

from .conftest import HAIYOU, JIANZHONG, XINHU, id_number, make_id, race_past_the_check

pytestmark = pytest.mark.django_db

URL = "/api/v1/key-persons/"
FULL_NAME, PHONE = "欧阳明华", "13912348765"
_VALID_ID = make_id("33102219800101001")
BAD_ID = _VALID_ID[:-1] + ("1" if _VALID_ID[-1] != "1" else "2")  # the check digit wrong


def detail(person) -> str:
    return f"{URL}{person.pk}/"


def writes(person) -> list[tuple[str, str, dict]]:
    """Each write with a valid body: register, change, remove, record a visit."""
    return [
        ("post", URL, {"name": "李四", "category": "drug_user", "area": XINHU, "id_number": id_number()}),
        ("patch", detail(person), {"visit_every_days": 3, "version": person.version}),
        ("post", f"{detail(person)}remove/", {"reason": "矫正期满", "version": person.version}),
        ("post", f"{detail(person)}visits/", {"method": "home", "condition": "stable"}),
    ]


def send(client, method: str, url: str, body) -> object:
    return getattr(client, method)(url, body, format="json")


def unchanged(person) -> bool:
    fresh = KeyPerson.objects.get(pk=person.pk)
    return (fresh.version == person.version and fresh.is_active and fresh.visit_every_days == person.visit_every_days
            and not Visit.objects.filter(person=person).exists())


def ids(response) -> set[int]:
    return set(row_ids(response))


def no_personal_views() -> bool:
    return not AuditRecord.objects.filter(action="view_personal").exists()


# ---------------------------------------------------------------- four ways


def test_anonymous_is_401(api, register):
    person = register()
    client = api()
    for url in (URL, detail(person), f"{detail(person)}?unmask=1"):
        assert_error(client.get(url), 401, "not_authenticated")
    for method, url, body in writes(person):
        assert_error(send(client, method, url, body), 401, "not_authenticated")
    assert unchanged(person) and KeyPerson.objects.count() == 1 and no_personal_views()


@pytest.mark.parametrize("username", ["dept_police", "auditor", "admin", "mediator"])
def test_wrong_role_is_403(api, users, register, username):
    person = register()
    client = api(getattr(users, username))
    for url in (URL, detail(person), f"{detail(person)}?unmask=1"):
        assert_error(client.get(url), 403, "permission_denied")
    for method, url, body in writes(person):
        assert_error(send(client, method, url, body), 403, "permission_denied")
    assert unchanged(person) and KeyPerson.objects.count() == 1 and no_personal_views()


@pytest.mark.parametrize("username", ["leader", "grid_xinhu1"])
def test_readers_who_do_not_register_get_403_on_the_registrars_writes(api, users, register, username):
    person = register(caretaker="grid_xinhu1")
    client = api(getattr(users, username))
    assert person.pk in ids(client.get(URL))
    for method, url, body in writes(person)[:3]:
        assert_error(send(client, method, url, body), 403, "permission_denied")
    assert unchanged(person) and KeyPerson.objects.count() == 1
    visit = send(client, *writes(person)[3])
    if username == "leader":  # reads only
        assert_error(visit, 403, "permission_denied")
    else:
        assert visit.status_code == 201, visit.content


@pytest.mark.parametrize("username", ["town_jiantiao", "cadre_jianzhong", "grid_jianzhong1"])
def test_right_role_outside_the_jurisdiction_is_404(api, users, register, username):
    person = register()  # in 心湖社区
    client = api(getattr(users, username))
    assert person.pk not in ids(client.get(URL, {"active": "all"}))
    assert ids(client.get(URL, {"area": XINHU})) == set()
    for url in (detail(person), f"{detail(person)}?unmask=1"):
        assert_error(client.get(url), 404, "not_found")
    for method, url, body in writes(person)[1:]:
        if username == "grid_jianzhong1" and not url.endswith("visits/"):
            # a grid worker never changes or removes an entry: 403 before any look-up
            assert_error(send(client, method, url, body), 403, "permission_denied")
            continue
        assert_error(send(client, method, url, body), 404, "not_found")
    assert unchanged(person) and no_personal_views()


def test_registering_outside_the_jurisdiction_is_refused(api, users):
    resp = api(users.town_jiantiao).post(URL, {"name": "李四", "category": "drug_user", "area": XINHU}, format="json")
    assert assert_error(resp, 400, "bad_area")["field"] == "area"
    assert not KeyPerson.objects.exists()


@pytest.mark.parametrize("username", ["county_op", "town_haiyou", "cadre_xinhu"])
def test_right_role_inside_is_200_and_201(api, users, register, username):
    person = register()
    client = api(getattr(users, username))
    assert person.pk in ids(client.get(URL))
    resp = client.get(detail(person))
    assert resp.status_code == 200 and resp.json()["name"] == "王**"
    (_m, _u, registration), patch, remove, visit = writes(person)
    resp = client.post(URL, registration, format="json")
    assert resp.status_code == 201, resp.content
    assert KeyPerson.objects.get(pk=resp.json()["id"]).name == "李四"
    resp = send(client, *visit)
    assert resp.status_code == 201, resp.content
    resp = send(client, *patch)
    assert resp.status_code == 200 and resp.json()["version"] == person.version + 1, resp.content
    _method, url, body = remove
    resp = client.post(url, {**body, "version": person.version + 1}, format="json")
    assert resp.status_code == 200 and resp.json()["is_active"] is False, resp.content


def test_a_number_that_is_no_person_is_404(api, users):
    client = api(users.county_op)
    for url in (f"{URL}999999999/", f"{URL}9999999999999999999999/", f"{URL}abc/", f"{URL}999999999/remove/"):
        resp = client.get(url) if not url.endswith("remove/") else client.post(url, {"reason": "x"}, format="json")
        assert_error(resp, 404, "not_found")


def test_the_api_index_lists_the_registry(api, users):
    index = api(users.county_op).get("/api/v1/").json()
    assert index["key_persons"].endswith(URL)


# ---------------------------------------------------------------- masking


@pytest.mark.parametrize("username", ["county_op", "town_haiyou", "cadre_xinhu", "leader", "grid_xinhu1"])
def test_the_list_is_masked_always(api, users, register, username):
    number = id_number()
    person = register(FULL_NAME, id_number=number, phone=PHONE, caretaker="grid_xinhu1")
    resp = api(getattr(users, username)).get(URL, {"unmask": "1"})  # whether or not the role may unmask
    assert resp.status_code == 200
    text = resp.content.decode()
    assert FULL_NAME not in text and number not in text and PHONE not in text
    row = next(p for p in resp.json()["results"] if p["id"] == person.pk)
    assert (row["name"], row["id_number"], row["phone"]) == ("欧***", number[:6] + "********" + number[-4:],
                                                            "139****8765")
    assert no_personal_views()


def test_one_person_is_masked_by_default(api, users, register):
    number = id_number()
    person = register(FULL_NAME, id_number=number, phone=PHONE)
    resp = api(users.county_op).get(detail(person))
    text = resp.content.decode()
    assert FULL_NAME not in text and number not in text and PHONE not in text
    assert resp.json()["name"] == "欧***" and resp.json()["unmasked"] is False
    assert no_personal_views()


@pytest.mark.parametrize("username", ["county_op", "town_haiyou"])
def test_a_role_that_may_unmask_sees_in_full_and_each_read_is_audited(api, users, register, username):
    number = id_number()
    person = register(FULL_NAME, id_number=number, phone=PHONE)
    user = getattr(users, username)
    client = api(user)
    for flag in ("1", "true"):
        resp = client.get(detail(person), {"unmask": flag})
        assert resp.status_code == 200
        body = resp.json()
        assert (body["name"], body["id_number"], body["phone"], body["unmasked"]) == (FULL_NAME, number, PHONE, True)
        assert "no-store" in resp["Cache-Control"]
    records = list(AuditRecord.objects.filter(action="view_personal"))
    assert len(records) == 2  # one per unmasked read
    for rec in records:
        assert (rec.object_type, rec.object_id, rec.actor_id) == ("grid.keyperson", str(person.pk), user.pk)
        assert rec.after == {"fields": ["name", "id_number", "phone"]} and rec.channel == "api"
        assert FULL_NAME not in rec.object_repr and number not in str(rec.after)
    # the writes answer masked
    resp = client.post(f"{detail(person)}visits/?unmask=1", {}, format="json")
    assert resp.status_code == 201 and resp.json()["person"]["name"] == "欧***"
    assert AuditRecord.objects.filter(action="view_personal").count() == 2


@pytest.mark.parametrize("username", ["cadre_xinhu", "leader", "leader_haiyou", "grid_xinhu1"])
def test_other_roles_cannot_unmask(api, users, register, username):
    number = id_number()
    person = register(FULL_NAME, id_number=number, phone=PHONE, caretaker="grid_xinhu1")
    resp = api(getattr(users, username)).get(detail(person), {"unmask": "1"})
    assert resp.status_code == 200
    text = resp.content.decode()
    assert FULL_NAME not in text and number not in text and PHONE not in text
    assert resp.json()["unmasked"] is False and no_personal_views()


# ---------------------------------------------------------------- the list


def test_filters_ordering_and_pagination(api, users, register):
    now = timezone.now()
    overdue = register("赵一", visit_every_days=7)
    actions.record_visit(overdue, by=users.county_op, visited_at=now - dt.timedelta(days=9))  # due 2 days ago
    soon = register("钱二", category="drug_user", visit_every_days=2)  # due in 2 days
    later = register("孙三", category="drug_user", visit_every_days=30)
    elsewhere = register("李四", area=JIANZHONG, visit_every_days=31)
    removed = register("周五", visit_every_days=30)
    actions.remove_key_person(removed, by=users.county_op, reason="迁出")
    client = api(users.county_op)

    def listed(**params) -> list[int]:
        resp = client.get(URL, params)
        assert resp.status_code == 200, resp.content
        return [p["id"] for p in resp.json()["results"]]

    assert listed() == [overdue.pk, soon.pk, later.pk, elsewhere.pk]  # next visit due first; in the registry
    assert listed(ordering="-next_visit_due")[:2] == [elsewhere.pk, later.pk]
    assert set(listed(category="drug_user")) == {soon.pk, later.pk}
    assert set(listed(category=["drug_user", "community_correction"])) == {overdue.pk, soon.pk, later.pk,
                                                                           elsewhere.pk}
    assert set(listed(area=HAIYOU)) == {overdue.pk, soon.pk, later.pk}
    assert set(listed(area=JIANZHONG)) == {elsewhere.pk}
    assert listed(area="000000") == []
    assert listed(due="overdue") == [overdue.pk]
    assert listed(due="soon") == [soon.pk]
    assert listed(due="due") == [overdue.pk, soon.pk]
    assert listed(active="false") == [removed.pk]
    assert set(listed(active="all")) == {overdue.pk, soon.pk, later.pk, elsewhere.pk, removed.pk}
    assert listed(active="true") == listed()
    rows = {p["id"]: p for p in client.get(URL).json()["results"]}
    assert (rows[overdue.pk]["overdue"], rows[overdue.pk]["days_overdue"], rows[overdue.pk]["due_soon"]) == (
        True, 2, False)
    assert (rows[soon.pk]["overdue"], rows[soon.pk]["due_soon"]) == (False, True)
    assert rows[overdue.pk]["caretaker"] is None and rows[overdue.pk]["area"] == XINHU
    page = client.get(URL, {"page_size": 1, "page": 2}).json()
    assert page["count"] == 4 and [p["id"] for p in page["results"]] == [soon.pk] and page["next"]
    for params in ({"due": "late"}, {"active": "maybe"}, {"category": "thief"}, {"area": "33\x00"},
                   {"page_size": "0"}, {"ordering": "name"}):
        resp = client.get(URL, params)  # an ordering the list does not offer too (core.filters)
        assert resp.status_code == 400, (params, resp.content)
        assert resp.json()["detail_zh"] and resp.json()["detail_en"]


def test_a_removed_person_is_never_due(api, users, register):
    now = timezone.now()
    overdue = register("赵一", visit_every_days=7)
    actions.record_visit(overdue, by=users.county_op, visited_at=now - dt.timedelta(days=9))
    removed = register("周五", visit_every_days=7)
    actions.record_visit(removed, by=users.county_op, visited_at=now - dt.timedelta(days=20))
    actions.remove_key_person(removed, by=users.county_op, reason="迁出")
    client = api(users.county_op)
    for due in ("overdue", "due"):
        assert ids(client.get(URL, {"due": due, "active": "all"})) == {overdue.pk}, due
    assert ids(client.get(URL, {"due": "overdue", "active": "false"})) == set()
    body = client.get(detail(removed)).json()
    assert (body["overdue"], body["due_soon"], body["days_overdue"]) == (False, False, 0)


def test_a_grid_worker_sees_the_people_in_their_care(api, users, register):
    worker = users.grid_xinhu1
    other_grid = Area.objects.filter(parent__code=XINHU, level="grid").exclude(pk=worker.area_id).order_by("code")[0]
    other_village = Area.objects.filter(parent__code=HAIYOU, level="village").exclude(code=XINHU).order_by("code")[0]
    own = register("李四", area=worker.area.code)
    cared = register("赵一", area=other_grid.code, caretaker="grid_xinhu1")
    cared_elsewhere = register("钱二", area=other_village.code, caretaker="grid_xinhu1")
    not_cared = register("孙三", area=other_grid.code)
    client = api(worker)
    assert ids(client.get(URL)) == {own.pk, cared.pk, cared_elsewhere.pk}
    assert ids(client.get(URL, {"area": other_village.code})) == {cared_elsewhere.pk}
    body = client.get(detail(cared_elsewhere)).json()
    assert body["caretaker"] == "grid_xinhu1" and body["caretaker_name"]
    assert_error(client.get(detail(not_cared)), 404)
    resp = client.post(f"{detail(cared_elsewhere)}visits/", {"method": "phone"}, format="json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["visit"]["by"] == "grid_xinhu1" and resp.json()["visit"]["method"] == "phone"
    assert_error(client.post(f"{detail(not_cared)}visits/", {}, format="json"), 404)


# ---------------------------------------------------------------- registration


def test_register(api, users):
    number = id_number()
    resp = api(users.cadre_xinhu).post(URL, {
        "name": FULL_NAME, "category": "mental_disorder", "area": XINHU, "id_number": number, "phone": PHONE,
        "address": "心湖路1号", "caretaker": "grid_xinhu1", "note": "按时服药"}, format="json")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    text = resp.content.decode()
    assert FULL_NAME not in text and number not in text and PHONE not in text  # the answer is masked
    person = KeyPerson.objects.get(pk=body["id"])
    assert (person.name, person.id_number, person.phone, person.area.code) == (FULL_NAME, number, PHONE, XINHU)
    assert body["caretaker"] == "grid_xinhu1" and body["visit_every_days"] == 7 and body["version"] == 0
    assert body["category"] == "mental_disorder" and body["registered_by"] == "cadre_xinhu"
    assert body["visits"] == [] and body["url"] == detail(person) and body["address"] == "心湖路1号"
    assert person.next_visit_due == person.registered_at + dt.timedelta(days=7)
    assert AuditRecord.objects.filter(action="key_person_register", object_id=str(person.pk)).count() == 1
    # a form body works too; no interval: the category's
    resp = api(users.county_op).post(URL, {"name": "李四", "category": "released_prisoner", "area": XINHU,
                                           "visit_every_days": ""})
    assert resp.status_code == 201 and resp.json()["visit_every_days"] == 30, resp.content
    # a town is no place to live in
    resp = api(users.county_op).post(URL, {"name": "李四", "category": "drug_user", "area": HAIYOU}, format="json")
    assert assert_error(resp, 400, "bad_area_level")["field"] == "area"


@pytest.mark.parametrize("body,code,field", [
    ({}, "required", "category"),
    ({"category": "drug_user", "area": XINHU}, "required", "name"),
    ({"name": "李四", "category": "thief", "area": XINHU}, "bad_choice", "category"),
    ({"name": "李四", "category": "drug_user", "area": JIANZHONG}, "bad_area", "area"),
    ({"name": "李四", "category": "drug_user", "area": XINHU, "id_number": BAD_ID}, None, "id_number"),
    ({"name": "李四", "category": "drug_user", "area": XINHU, "caretaker": "grid_jianzhong1"}, "bad_caretaker",
     "caretaker"),
    ({"name": "李四", "category": "drug_user", "area": XINHU, "caretaker": "cadre_xinhu"}, "bad_caretaker",
     "caretaker"),
    ({"name": "李四", "category": "drug_user", "area": XINHU, "visit_every_days": 0}, "bad_frequency",
     "visit_every_days"),
    ({"name": "李四", "category": "drug_user", "area": XINHU, "visit_every_days": 366}, "bad_frequency",
     "visit_every_days"),
    ({"name": "李四", "category": "drug_user", "area": XINHU, "visit_every_days": 10**40}, "bad_frequency",
     "visit_every_days"),
    ({"name": "李四", "category": "drug_user", "area": XINHU, "visit_every_days": "七"}, "bad_frequency",
     "visit_every_days"),
    ({"name": "李\x00四", "category": "drug_user", "area": XINHU}, "bad_value", "name"),
    ({"name": "李四", "category": "drug_user", "area": XINHU, "note": "a\x00b"}, "bad_text", "note"),
    ({"name": "李四", "category": "drug_user", "area": XINHU + "\x00"}, "bad_area", "area"),
    ({"name": "李四", "category": "drug\x00_user", "area": XINHU}, "bad_choice", "category"),
    ({"name": "李四", "category": "drug_user", "area": XINHU, "caretaker": "grid_xinhu1\x00"}, "bad_caretaker",
     "caretaker"),
    ({"name": "李" * 51, "category": "drug_user", "area": XINHU}, "bad_value", "name"),
    ({"name": "李四", "category": "drug_user", "area": XINHU, "address": "路" * 201}, "too_long", "address"),
    # wrong types: refused before the action (which would take them for empty)
    ({"name": 123, "category": "drug_user", "area": XINHU}, "invalid", "name"),
    ({"name": "李四", "category": ["drug_user"], "area": XINHU}, "invalid", "category"),
    ({"name": "李四", "category": "drug_user", "area": 331022001001}, "invalid", "area"),
    ({"name": "李四", "category": "drug_user", "area": XINHU, "note": {"a": 1}}, "invalid", "note"),
    ({"name": "李四", "category": "drug_user", "area": XINHU, "caretaker": 7}, "invalid", "caretaker"),
    ({"name": "李四", "category": "drug_user", "area": XINHU, "visit_every_days": 7.5}, "invalid",
     "visit_every_days"),
    ({"name": "李四", "category": "drug_user", "area": XINHU, "visit_every_days": True}, "invalid",
     "visit_every_days"),
    ({"name": "李四", "category": "drug_user", "area": XINHU, "id_number": None}, "invalid", "id_number"),
    ({"name": "李四", "category": "drug_user", "area": XINHU, "version": 0}, "unknown_field", "version"),
])
def test_registration_errors_are_400(api, users, body, code, field):
    resp = api(users.cadre_xinhu).post(URL, body, format="json")
    error = assert_error(resp, 400, code)
    assert error["field"] == field, error
    assert not KeyPerson.objects.exists()


@pytest.mark.parametrize("raw", ["[]", '"李四"', "42", "null", "[{\"name\": \"李四\"}]", "{"])
def test_a_body_that_is_no_object_is_400(api, users, register, raw):
    person = register()
    client = api(users.county_op)
    for url in (URL, detail(person), f"{detail(person)}remove/", f"{detail(person)}visits/"):
        method = client.patch if url == detail(person) else client.post
        assert_error(method(url, raw, content_type="application/json"), 400)
    assert unchanged(person) and KeyPerson.objects.count() == 1


def test_an_id_number_registered_twice_is_409(api, users, register):
    number = id_number()
    register(id_number=number)  # in 心湖社区
    resp = api(users.cadre_xinhu).post(URL, {"name": "李四", "category": "drug_user", "area": XINHU,
                                             "id_number": number}, format="json")
    assert assert_error(resp, 409, "already_registered")["field"] == "id_number"
    # registered in another town: the refusal names nothing, and is audited
    resp = api(users.cadre_jianzhong).post(URL, {"name": "李四", "category": "drug_user", "area": JIANZHONG,
                                                 "id_number": number}, format="json")
    assert_error(resp, 409, "cannot_register")
    assert AuditRecord.objects.filter(action="key_person_register_refused").count() == 1
    assert KeyPerson.objects.count() == 1


def test_a_registration_that_loses_the_race_is_a_409_and_writes_nothing(api, users, register, monkeypatch):
    """Two registrars at the same moment: the other's entry lands between this one's check and
    its insert, so the unique index refuses it; the answer is the bilingual 409, not a 500, and
    nothing of this registration stays."""
    number = id_number()
    other = race_past_the_check(monkeypatch, lambda: register("王小明", id_number=number))
    resp = api(users.cadre_xinhu).post(URL, {"name": "李四", "category": "drug_user", "area": XINHU,
                                             "id_number": number}, format="json")
    assert assert_error(resp, 409, "already_registered")["field"] == "id_number"
    assert other.clashes == 1
    assert list(KeyPerson.objects.values_list("name_digest", flat=True)) == [other.person.name_digest]
    assert not AuditRecord.objects.filter(action="key_person_register", actor_id=users.cadre_xinhu.pk).exists()


# ---------------------------------------------------------------- changes and removal


def test_change_with_the_version_read(api, users, register):
    person = register(caretaker="grid_xinhu1")
    client = api(users.cadre_xinhu)
    resp = client.patch(detail(person), {"visit_every_days": 3, "address": "新地址", "caretaker": None,
                                         "version": 0}, format="json")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert (body["visit_every_days"], body["address"], body["caretaker"], body["version"]) == (3, "新地址", None, 1)
    fresh = KeyPerson.objects.get(pk=person.pk)
    assert fresh.next_visit_due == fresh.registered_at + dt.timedelta(days=3) and fresh.caretaker is None
    # the same version again is stale: nothing changes
    resp = client.patch(detail(person), {"note": "另一人的修改", "version": 0}, format="json")
    assert_error(resp, 409, "stale_version")
    assert KeyPerson.objects.get(pk=person.pk).note == "" and KeyPerson.objects.get(pk=person.pk).version == 1
    # without a version the change applies to the entry as it is; a version as its digits
    assert client.patch(detail(person), {"note": "备注"}, format="json").json()["version"] == 2
    assert client.patch(detail(person), {"note": "备注2", "version": "2"}, format="json").status_code == 200


def test_a_value_sent_unchanged_is_not_checked_again(api, users, register):
    """A client that sends the whole entry back with one field changed: the responsible grid
    worker who has since moved to another town is kept, not refused (the entry keeps them until
    someone chooses another)."""
    from fengqiao.accounts.actions import save_user

    person = register(caretaker="grid_xinhu1")
    save_user(username="grid_xinhu1", area=Area.objects.get(code="331022105001001"))  # now in 健跳镇
    client = api(users.cadre_xinhu)
    resp = client.patch(detail(person), {"caretaker": "grid_xinhu1", "area": XINHU, "category": person.category,
                                         "note": "家属配合", "version": person.version}, format="json")
    assert resp.status_code == 200, resp.content
    assert (resp.json()["caretaker"], resp.json()["note"], resp.json()["version"]) == (
        "grid_xinhu1", "家属配合", person.version + 1)
    # choosing them again once they are gone is refused
    resp = client.patch(detail(person), {"caretaker": None}, format="json")
    assert resp.status_code == 200, resp.content
    assert_error(client.patch(detail(person), {"caretaker": "grid_xinhu1"}, format="json"), 400, "bad_caretaker")


def test_the_answers_to_the_writes_read_the_person_with_their_relations(api, users, register,
                                                                          django_assert_max_num_queries):
    """A write answers the person with their area, responsible grid worker and registrar read
    with the person when it is locked, not one query each afterwards: the person as the view
    found them, the savepoint and its release, the person locked, the writes and the audit
    record, the visits for the answer."""
    person = register(caretaker="grid_xinhu1")
    client = api(users.cadre_xinhu)
    client.get(URL)  # the token's first use
    with django_assert_max_num_queries(8):
        assert client.post(f"{detail(person)}visits/", {}, format="json").status_code == 201
    with django_assert_max_num_queries(7):
        assert client.patch(detail(person), {"note": "x"}, format="json").status_code == 200
    with django_assert_max_num_queries(7):
        assert client.post(f"{detail(person)}remove/", {"reason": "迁出"}, format="json").status_code == 200


@pytest.mark.parametrize("body,status,code", [
    ({}, 400, "no_changes"),
    ({"version": 0}, 400, "no_changes"),
    ({"name": "张三", "version": 0}, 400, "unknown_field"),
    ({"id_number": id_number(), "version": 0}, 400, "unknown_field"),
    ({"note": "x", "version": "abc"}, 400, "bad_version"),
    ({"note": "x", "version": True}, 400, "bad_version"),
    ({"note": "x", "version": -1}, 400, "bad_version"),
    ({"note": "x", "version": 1.0}, 400, "bad_version"),
    ({"note": "x", "version": 10**30}, 400, "bad_version"),
    ({"note": "x", "version": "0\x00"}, 400, "bad_version"),
    ({"note": "x", "version": 99}, 409, "stale_version"),
    ({"visit_every_days": None}, 400, "bad_frequency"),
    ({"visit_every_days": "3.5"}, 400, "bad_frequency"),
    ({"visit_every_days": [3]}, 400, "invalid"),
    ({"category": 3}, 400, "invalid"),
    ({"category": "thief"}, 400, "bad_choice"),
    ({"area": JIANZHONG}, 400, "bad_area"),
    ({"phone": "12"}, 400, None),
    ({"note": "\x00"}, 400, "bad_text"),
    ({"note": "长" * 2001}, 400, "too_long"),
])
def test_change_errors(api, users, register, body, status, code):
    person = register()
    resp = api(users.cadre_xinhu).patch(detail(person), body, format="json")
    assert_error(resp, status, code)
    assert unchanged(person)


def test_remove_from_the_registry(api, users, register):
    person = register()
    client = api(users.cadre_xinhu)
    url = f"{detail(person)}remove/"
    assert assert_error(client.post(url, {"version": 0}, format="json"), 400, "required")["field"] == "reason"
    assert_error(client.post(url, {"reason": "迁出", "version": 5}, format="json"), 409, "stale_version")
    assert_error(client.post(url, {"reason": 5}, format="json"), 400, "invalid")
    assert_error(client.post(url, {"reason": "迁出", "note": "x"}, format="json"), 400, "unknown_field")
    assert unchanged(person)
    resp = client.post(url, {"reason": "矫正期满", "version": 0}, format="json")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert (body["is_active"], body["removal_reason"], body["version"]) == (False, "矫正期满", 1)
    assert body["removed_at"] and not body["overdue"]
    assert_error(client.post(url, {"reason": "再次"}, format="json"), 409, "removed")
    assert_error(client.patch(detail(person), {"note": "x"}, format="json"), 409, "removed")
    assert_error(client.post(f"{detail(person)}visits/", {}, format="json"), 409, "removed")
    assert person.pk not in ids(client.get(URL)) and person.pk in ids(client.get(URL, {"active": "false"}))
    assert client.get(detail(person)).json()["is_active"] is False  # kept, with its visits


# ---------------------------------------------------------------- visits


def test_a_visit_moves_the_next_visit_due(api, users, register):
    person = register(visit_every_days=7)
    client = api(users.cadre_xinhu)
    visited = timezone.now().replace(microsecond=0) - dt.timedelta(days=1)
    resp = client.post(f"{detail(person)}visits/", {"method": "home", "condition": "attention", "note": "情绪低落",
                                                    "visited_at": visited.isoformat()}, format="json")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    fresh = KeyPerson.objects.get(pk=person.pk)
    assert fresh.last_visit_at == visited and fresh.next_visit_due == visited + dt.timedelta(days=7)
    assert fresh.version == person.version  # a visit leaves an open edit valid
    assert body["visit"]["condition"] == "attention" and body["visit"]["by"] == "cadre_xinhu"
    assert body["visit"]["note"] == "情绪低落" and body["visit"]["id"] == Visit.objects.get(person=person).pk
    assert body["person"]["next_visit_due"] == client.get(detail(person)).json()["next_visit_due"]
    assert [v["id"] for v in body["person"]["visits"]] == [body["visit"]["id"]]
    # an older visit is kept but does not move the due date
    older = (visited - dt.timedelta(days=3)).isoformat()
    resp = client.post(f"{detail(person)}visits/", {"visited_at": older}, format="json")
    assert resp.status_code == 201
    assert KeyPerson.objects.get(pk=person.pk).next_visit_due == visited + dt.timedelta(days=7)
    assert len(client.get(detail(person)).json()["visits"]) == 2


def test_a_retried_visit_with_the_same_idempotency_key_is_answered_once(api, users, register):
    person = register()
    client = api(users.cadre_xinhu)
    body = {"method": "phone", "condition": "stable"}
    first = client.post(f"{detail(person)}visits/", body, format="json", HTTP_IDEMPOTENCY_KEY="phone-7")
    again = client.post(f"{detail(person)}visits/", body, format="json", HTTP_IDEMPOTENCY_KEY="phone-7")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["visit"]["id"] == first.json()["visit"]["id"]
    assert Visit.objects.filter(person=person).count() == 1
    # another caller's key of the same spelling is theirs (ADR 0105)
    assert api(users.town_haiyou).post(f"{detail(person)}visits/", body, format="json",
                                      HTTP_IDEMPOTENCY_KEY="phone-7").status_code == 201
    resp = client.post(f"{detail(person)}visits/", body, format="json", HTTP_IDEMPOTENCY_KEY="x" * 101)
    assert resp.status_code == 400 and resp.json()["field"] == "Idempotency-Key"
    assert Visit.objects.filter(person=person).count() == 2


@pytest.mark.parametrize("body,code,field", [
    ({"condition": "abnormal"}, "required", "note"),
    ({"method": "pigeon"}, "bad_choice", "method"),
    ({"condition": "fine"}, "bad_choice", "condition"),
    ({"method": None}, "invalid", "method"),
    ({"method": ["home"]}, "invalid", "method"),
    ({"note": 5}, "invalid", "note"),
    ({"visited_at": 1767225600}, "invalid", "visited_at"),
    ({"visited_at": "garbage"}, "bad_time", "visited_at"),
    ({"visited_at": "2026-02-30T10:00"}, "bad_time", "visited_at"),
    ({"visited_at": "2026-\x0001-01T10:00"}, "bad_time", "visited_at"),
    ({"visited_at": "9999-12-31T23:59:59-23:59"}, "future_time", "visited_at"),
    ({"visited_at": "0001-01-01T00:00:00+08:00"}, "too_old", "visited_at"),
    ({"note": "\x00"}, "bad_text", "note"),
    ({"by": "county_op"}, "unknown_field", "by"),
])
def test_visit_errors_are_400(api, users, register, body, code, field):
    person = register()
    resp = api(users.cadre_xinhu).post(f"{detail(person)}visits/", body, format="json")
    assert assert_error(resp, 400, code)["field"] == field
    assert unchanged(person)


# ---------------------------------------------------------------- schema


@pytest.fixture(scope="module")
def schema():
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def test_schema_documents_the_endpoints(schema):
    paths, components = schema["paths"], schema["components"]["schemas"]

    listing = paths[URL]["get"]
    assert {"category", "area", "due", "active", "ordering", "page", "page_size"} <= {
        p["name"] for p in listing["parameters"]}
    assert ref(listing) == "PaginatedKeyPersonListList"
    assert ref(paths[URL]["post"], "201") == "KeyPerson"
    assert set(components[ref(paths[URL]["post"], where="requestBody")]["required"]) == {"name", "category", "area"}
    one = paths[URL + "{id}/"]
    assert "unmask" in {p["name"] for p in one["get"]["parameters"]} and ref(one["get"]) == "KeyPerson"
    assert "put" not in one and "delete" not in one
    assert "version" in components[ref(one["patch"], where="requestBody")]["properties"]
    remove = paths[URL + "{id}/remove/"]["post"]
    assert set(components[ref(remove, where="requestBody")]["properties"]) == {"reason", "version"}
    visits = paths[URL + "{id}/visits/"]["post"]
    assert ref(visits, "201") == "VisitRecorded"
    assert set(components[ref(visits, where="requestBody")]["properties"]) == {"method", "condition", "note",
                                                                                "visited_at"}
    person = components["KeyPerson"]["properties"]
    assert {"visits", "unmasked", "next_visit_due", "version", "caretaker"} <= set(person)
    assert person["caretaker"]["nullable"] and person["last_visit_at"]["nullable"]
    for enum in ("KeyPersonCategoryEnum", "VisitMethodEnum", "VisitConditionEnum"):
        assert enum in components
    assert set(components["VisitConditionEnum"]["enum"]) == {"stable", "attention", "abnormal"}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_key_person_answers_match_the_schema(live_server, demo_county, users, tmp_path):
    """schemathesis on the registry's endpoints with a person present, whose id the operations
    on one person are given (random ids only ever met a 404): no 5xx whatever the input, and
    every answer as the schema says."""
    person = actions.register_key_person(by=users.county_op, name="王五", category="drug_user", area=XINHU,
                                         id_number=id_number(), phone="13812345678", caretaker="grid_xinhu1")
    fuzz(live_server, users.county_op, "key-persons", person.pk, tmp_path, operations=6)


def test_error_bodies_are_json_in_the_one_shape(api, users, register):
    """Every refusal above is the API's bilingual body (not an HTML page): spot-check the
    English one."""
    person = register()
    resp = api(users.county_op).patch(detail(person), {"version": 9, "note": "x"}, format="json",
                                      HTTP_ACCEPT_LANGUAGE="en")
    body = assert_error(resp, 409, "stale_version")
    assert body["detail"] == body["detail_en"]
    assert json.loads(resp.content) == body


def test_the_browsable_api_and_options_answer_without_showing_personal_data(api, users, register):
    number = id_number()
    person = register(FULL_NAME, id_number=number, phone=PHONE)
    client = api(users.county_op)
    for url in (URL, detail(person), f"{detail(person)}remove/", f"{detail(person)}visits/"):
        assert client.options(url).status_code == 200, url
    for url in (URL, detail(person)):
        resp = client.get(url, HTTP_ACCEPT="text/html")
        assert resp.status_code == 200, url
        text = resp.content.decode()
        assert FULL_NAME not in text and number not in text and PHONE not in text, url
    assert no_personal_views()
