"""The check-point registry's API (/api/v1/check-points/) as the demo users: every endpoint four
ways (anonymous 401, wrong role 403, right role outside the jurisdiction 404, inside 200/201),
the list's filters and due marks, the writes through the registry's actions (:mod:`grid.points`)
with their refusals as bilingual 4xx (400 bad input and wrong types, 403, 404, 409 stale version
and removed), never a 500 and nothing half-written, an inspection with problems reported as one
hazard matter shown only by its id and number, and the endpoints in the OpenAPI schema.

Check-points are registered through the registry's own action (the ``point`` fixture of
conftest.py: 心湖社区幼儿园, a school in 心湖社区 in grid_xinhu1's care)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from fengqiao.core.models import AuditRecord
from fengqiao.core.tests.api_checks import assert_error
from fengqiao.core.tests.api_checks import row_ids as ids
from fengqiao.core.tests.schema_runs import fuzz, ref
from fengqiao.events.models import Event
from fengqiao.grid import points
from fengqiao.grid.choices import DEFAULT_CHECKLISTS
from fengqiao.grid.models import CheckPoint, Inspection

from .conftest import HAIYOU, JIANZHONG, XINHU

pytestmark = pytest.mark.django_db

URL = "/api/v1/check-points/"


def detail(point) -> str:
    return f"{URL}{point.pk}/"


def reads(point) -> list[str]:
    return [URL, detail(point), f"{detail(point)}inspections/"]


def writes(point) -> list[tuple[str, str, dict]]:
    """Each write with a valid body: register, change, remove, record an inspection."""
    return [
        ("post", URL, {"name": "心湖农贸市场", "kind": "market", "area": XINHU}),
        ("patch", detail(point), {"inspect_every_days": 3, "version": point.version}),
        ("post", f"{detail(point)}remove/", {"reason": "幼儿园已撤并", "version": point.version}),
        ("post", f"{detail(point)}inspect/", {}),
    ]


def send(client, method: str, url: str, body) -> object:
    return getattr(client, method)(url, body, format="json")


def unchanged(point) -> bool:
    """Nothing was written: the check-point as registered, no inspection, no hazard matter."""
    fresh = CheckPoint.objects.get(pk=point.pk)
    return (fresh.version == point.version and fresh.is_active and fresh.name == point.name
            and fresh.checklist == point.checklist and fresh.inspect_every_days == point.inspect_every_days
            and fresh.next_inspection_due == point.next_inspection_due and fresh.last_inspected_at is None
            and not Inspection.objects.filter(point=point).exists()
            and not Event.objects.filter(channel="grid_report", title__startswith="平安点位巡查发现隐患").exists())


# ---------------------------------------------------------------- four ways


def test_anonymous_is_401(api, point):
    p = point()
    client = api()
    for url in reads(p):
        assert_error(client.get(url), 401, "not_authenticated")
    for method, url, body in writes(p):
        assert_error(send(client, method, url, body), 401, "not_authenticated")
    assert unchanged(p) and CheckPoint.objects.count() == 1


@pytest.mark.parametrize("username", ["dept_police", "auditor", "admin", "mediator"])
def test_wrong_role_is_403(api, users, point, username):
    p = point()
    client = api(getattr(users, username))
    for url in reads(p):
        assert_error(client.get(url), 403, "permission_denied")
    for method, url, body in writes(p):
        assert_error(send(client, method, url, body), 403, "permission_denied")
    assert unchanged(p) and CheckPoint.objects.count() == 1


@pytest.mark.parametrize("username", ["leader", "grid_xinhu1"])
def test_readers_who_do_not_register_get_403_on_the_registrars_writes(api, users, point, username):
    p = point()  # in grid_xinhu1's care
    client = api(getattr(users, username))
    assert p.pk in ids(client.get(URL))
    for url in reads(p)[1:]:
        assert client.get(url).status_code == 200, url
    for method, url, body in writes(p)[:3]:
        assert_error(send(client, method, url, body), 403, "permission_denied")
    assert unchanged(p) and CheckPoint.objects.count() == 1
    inspect = send(client, *writes(p)[3])
    if username == "leader":  # reads only
        assert_error(inspect, 403, "permission_denied")
    else:
        assert inspect.status_code == 201, inspect.content


@pytest.mark.parametrize("username", ["town_jiantiao", "cadre_jianzhong", "grid_jianzhong1"])
def test_right_role_outside_the_jurisdiction_is_404(api, users, point, username):
    p = point()  # in 心湖社区
    client = api(getattr(users, username))
    assert p.pk not in ids(client.get(URL, {"active": "all"}))
    assert ids(client.get(URL, {"area": XINHU})) == []
    for url in reads(p)[1:]:
        assert_error(client.get(url), 404, "not_found")
    for method, url, body in writes(p)[1:]:
        if username == "grid_jianzhong1" and not url.endswith("inspect/"):
            # a grid worker never changes or removes an entry: 403 before any look-up
            assert_error(send(client, method, url, body), 403, "permission_denied")
            continue
        assert_error(send(client, method, url, body), 404, "not_found")
    assert unchanged(p)


def test_a_grid_worker_reads_their_area_and_their_care_only(api, users, point):
    cared = point()
    not_cared = point(name="心湖社区出租房", kind="rental", caretaker=None)  # the village, not their grid
    client = api(users.grid_xinhu1)
    assert ids(client.get(URL)) == [cared.pk]
    assert_error(client.get(detail(not_cared)), 404, "not_found")
    assert_error(client.post(f"{detail(not_cared)}inspect/", {}, format="json"), 404, "not_found")
    assert unchanged(not_cared)


def test_registering_outside_the_jurisdiction_is_refused(api, users):
    resp = api(users.town_jiantiao).post(URL, {"name": "心湖农贸市场", "kind": "market", "area": XINHU},
                                         format="json")
    assert assert_error(resp, 400, "bad_area")["field"] == "area"
    assert not CheckPoint.objects.exists()


@pytest.mark.parametrize("username", ["county_op", "town_haiyou", "cadre_xinhu"])
def test_right_role_inside_is_200_and_201(api, users, point, username):
    p = point()
    client = api(getattr(users, username))
    assert p.pk in ids(client.get(URL))
    resp = client.get(detail(p))
    assert resp.status_code == 200 and resp.json()["name"] == p.name
    (_m, _u, registration), patch, remove, inspect = writes(p)
    resp = client.post(URL, registration, format="json")
    assert resp.status_code == 201, resp.content
    assert CheckPoint.objects.get(pk=resp.json()["id"]).registered_by == getattr(users, username)
    resp = send(client, *inspect)
    assert resp.status_code == 201, resp.content
    resp = send(client, *patch)
    assert resp.status_code == 200 and resp.json()["version"] == p.version + 1, resp.content
    _method, url, body = remove
    resp = client.post(url, {**body, "version": p.version + 1}, format="json")
    assert resp.status_code == 200 and resp.json()["is_active"] is False, resp.content


def test_a_number_that_is_no_check_point_is_404(api, users):
    client = api(users.county_op)
    for url in (f"{URL}999999999/", f"{URL}9999999999999999999999/", f"{URL}abc/", f"{URL}999999999/inspections/"):
        assert_error(client.get(url), 404, "not_found")
    for url in (f"{URL}999999999/remove/", f"{URL}999999999/inspect/"):
        assert_error(client.post(url, {"reason": "x"}, format="json"), 404, "not_found")
    assert_error(client.patch(f"{URL}999999999/", {"note": "x"}, format="json"), 404, "not_found")


def test_no_put_or_delete(api, users, point):
    p = point()
    client = api(users.county_op)
    assert client.put(detail(p), {"name": "x"}, format="json").status_code == 405
    assert client.delete(detail(p)).status_code == 405
    assert unchanged(p)


# ---------------------------------------------------------------- the list


def test_filters_ordering_and_pagination(api, users, point):
    now = timezone.now()
    overdue = point(name="心湖小学", inspect_every_days=7)
    points.record_inspection(overdue, by=users.county_op, inspected_at=now - dt.timedelta(days=9))  # due 2 days ago
    soon = point(name="东门农贸市场", kind="market", address="东门路2号", inspect_every_days=2)  # due in 2 days
    later = point(name="城东加油站", kind="fuel", address="东门路9号", inspect_every_days=30)
    elsewhere = point(name="健跳中学", area=JIANZHONG, caretaker=None, inspect_every_days=31, by=users.county_op)
    removed = point(name="旧厂房", kind="building", inspect_every_days=30)
    points.remove_point(removed, by=users.county_op, reason="已拆除")
    client = api(users.county_op)

    def listed(**params) -> list[int]:
        return ids(client.get(URL, params))

    assert listed() == [overdue.pk, soon.pk, later.pk, elsewhere.pk]  # next inspection due first; in the registry
    assert listed(ordering="-next_inspection_due")[:2] == [elsewhere.pk, later.pk]
    assert listed(ordering="-id") == [elsewhere.pk, later.pk, soon.pk, overdue.pk]
    assert set(listed(kind="market")) == {soon.pk}
    assert set(listed(kind=["market", "fuel"])) == {soon.pk, later.pk}
    assert set(listed(area=HAIYOU)) == {overdue.pk, soon.pk, later.pk}
    assert listed(area=JIANZHONG) == [elsewhere.pk]
    assert listed(area="000000") == []
    assert listed(due="overdue") == [overdue.pk]
    assert listed(due="soon") == [soon.pk]
    assert listed(due="due") == [overdue.pk, soon.pk]
    assert listed(active="false") == [removed.pk]
    assert set(listed(active="all")) == {overdue.pk, soon.pk, later.pk, elsewhere.pk, removed.pk}
    assert listed(active="true") == listed()
    assert listed(q="东门路") == [soon.pk, later.pk]  # the address
    assert listed(q="加油站 东门") == [later.pk]  # each word, in the name or the address
    assert listed(q="旧厂房") == [] and listed(q="旧厂房", active="all") == [removed.pk]
    assert listed(q="  ") == listed()
    rows = {p["id"]: p for p in client.get(URL).json()["results"]}
    row = rows[overdue.pk]
    assert (row["overdue"], row["days_overdue"], row["due_soon"]) == (True, 2, False)
    assert (row["last_outcome"], row["last_outcome_label"], row["checklist_items"]) == (
        "passed", str(Inspection._meta.get_field("outcome").flatchoices[0][1]), len(DEFAULT_CHECKLISTS["school"]))
    assert (rows[soon.pk]["overdue"], rows[soon.pk]["due_soon"], rows[soon.pk]["last_outcome"]) == (False, True, "")
    assert rows[soon.pk]["kind"] == "market" and rows[soon.pk]["kind_label"]
    assert row["caretaker"] == "grid_xinhu1" and row["caretaker_name"] and row["area"] == XINHU
    assert row["url"] == detail(overdue) and "inspections" not in row and "checklist" not in row
    page = client.get(URL, {"page_size": 1, "page": 2}).json()
    assert page["count"] == 4 and [p["id"] for p in page["results"]] == [soon.pk] and page["next"]
    for params in ({"due": "late"}, {"active": "maybe"}, {"kind": "bank"}, {"area": "33\x00"}, {"q": "幼\x00"},
                   {"q": "长" * 101}, {"page_size": "0"}, {"page_size": "10" * 20}, {"page": "99"}):
        resp = client.get(URL, params)
        assert_error(resp, 404 if "page" in params else 400)


def test_a_removed_check_point_is_never_due(api, users, point):
    now = timezone.now()
    overdue = point(name="心湖小学")
    points.record_inspection(overdue, by=users.county_op, inspected_at=now - dt.timedelta(days=9))
    removed = point(name="旧厂房")
    points.record_inspection(removed, by=users.county_op, inspected_at=now - dt.timedelta(days=20))
    points.remove_point(removed, by=users.county_op, reason="已拆除")
    client = api(users.county_op)
    for due in ("overdue", "due"):
        assert ids(client.get(URL, {"due": due, "active": "all"})) == [overdue.pk], due
    assert ids(client.get(URL, {"due": "overdue", "active": "false"})) == []
    body = client.get(detail(removed)).json()
    assert (body["overdue"], body["due_soon"], body["days_overdue"], body["is_active"]) == (False, False, 0, False)


def test_reading_does_not_grow_with_the_rows(api, users, point, django_assert_max_num_queries):
    """The list reads each check-point with its area and responsible grid worker, one check-point
    its inspections with their inspector and the hazard's number, not one query per row."""
    for n in range(6):
        p = point(name=f"点位{n}")
        points.record_inspection(p, by=users.grid_xinhu1, note="灭火器过期", problems=[n % 4])
        points.record_inspection(p, by=users.cadre_xinhu)
    client = api(users.county_op)
    client.get(URL)  # the token's first use
    with django_assert_max_num_queries(3):
        assert len(ids(client.get(URL))) == 6
    with django_assert_max_num_queries(3):
        assert len(client.get(detail(p)).json()["inspections"]) == 2
    with django_assert_max_num_queries(4):
        assert client.get(f"{detail(p)}inspections/").json()["count"] == 2


# ---------------------------------------------------------------- registration


def test_register(api, users):
    resp = api(users.cadre_xinhu).post(URL, {
        "name": "心湖农贸市场", "kind": "market", "area": XINHU, "address": "心湖路18号", "caretaker": "grid_xinhu1",
        "inspect_every_days": 14, "checklist": [" 消防通道畅通 ", "燃气使用规范", "消防通道畅通", ""],
        "note": "早市人多"}, format="json")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    p = CheckPoint.objects.get(pk=body["id"])
    assert (p.name, p.kind, p.area.code, p.address, p.note) == ("心湖农贸市场", "market", XINHU, "心湖路18号", "早市人多")
    assert body["checklist"] == p.checklist == ["消防通道畅通", "燃气使用规范"]
    assert body["caretaker"] == "grid_xinhu1" and body["inspect_every_days"] == 14 and body["version"] == 0
    assert body["registered_by"] == "cadre_xinhu" and body["url"] == detail(p) and body["inspections"] == []
    assert body["inspections_url"] == f"{detail(p)}inspections/" and body["checklist_items"] == 2
    assert body["last_inspected_at"] is None and body["last_outcome"] == "" and not body["overdue"]
    assert p.next_inspection_due == p.registered_at + dt.timedelta(days=14)
    assert AuditRecord.objects.filter(action="check_point_register", object_id=str(p.pk)).count() == 1
    # no interval, no checklist: the kind's; a checklist as one text, an item per line
    resp = api(users.county_op).post(URL, {"name": "心湖山塘", "kind": "water", "area": XINHU, "checklist": None,
                                           "inspect_every_days": None, "caretaker": None}, format="json")
    assert resp.status_code == 201, resp.content
    assert (resp.json()["checklist"], resp.json()["inspect_every_days"]) == (DEFAULT_CHECKLISTS["water"], 14)
    resp = api(users.county_op).post(URL, {"name": "某出租房", "kind": "rental", "area": XINHU,
                                           "checklist": "租住人员已登记\n\n电动车不在室内充电\n"}, format="json")
    assert resp.status_code == 201 and resp.json()["checklist"] == ["租住人员已登记", "电动车不在室内充电"]
    # a form body works too (a repeated key: one item each)
    resp = api(users.county_op).post(URL, {"name": "某小作坊", "kind": "small_venue", "area": XINHU,
                                           "inspect_every_days": "", "checklist": ["电线无私拉乱接", "无住人"]})
    assert resp.status_code == 201, resp.content
    assert (resp.json()["checklist"], resp.json()["inspect_every_days"]) == (["电线无私拉乱接", "无住人"], 30)
    # a town is no place for a check-point
    resp = api(users.county_op).post(URL, {"name": "x", "kind": "other", "area": HAIYOU}, format="json")
    assert assert_error(resp, 400, "bad_area_level")["field"] == "area"


GOOD = {"name": "心湖农贸市场", "kind": "market", "area": XINHU}


@pytest.mark.parametrize("body,code,field", [
    ({}, "required", "kind"),
    ({"kind": "market", "area": XINHU}, "required", "name"),
    ({**GOOD, "name": "  "}, "required", "name"),
    ({**GOOD, "kind": "bank"}, "bad_choice", "kind"),
    ({**GOOD, "area": JIANZHONG}, "bad_area", "area"),
    ({**GOOD, "area": "999"}, "bad_area", "area"),
    ({**GOOD, "caretaker": "grid_jianzhong1"}, "bad_caretaker", "caretaker"),
    ({**GOOD, "caretaker": "cadre_xinhu"}, "bad_caretaker", "caretaker"),
    ({**GOOD, "inspect_every_days": 0}, "bad_frequency", "inspect_every_days"),
    ({**GOOD, "inspect_every_days": 366}, "bad_frequency", "inspect_every_days"),
    ({**GOOD, "inspect_every_days": 10**40}, "bad_frequency", "inspect_every_days"),
    ({**GOOD, "inspect_every_days": -(10**40)}, "bad_frequency", "inspect_every_days"),
    ({**GOOD, "inspect_every_days": "七"}, "bad_frequency", "inspect_every_days"),
    ({**GOOD, "checklist": "\n \n"}, "required", "checklist"),
    ({**GOOD, "checklist": ["项" * 101]}, "bad_item", "checklist"),
    ({**GOOD, "checklist": ["a\x00b"]}, "bad_item", "checklist"),
    ({**GOOD, "checklist": [f"第{i}项" for i in range(31)]}, "too_many_items", "checklist"),
    ({**GOOD, "name": "名" * 101}, "too_long", "name"),
    ({**GOOD, "address": "路" * 201}, "too_long", "address"),
    ({**GOOD, "note": "长" * 2001}, "too_long", "note"),
    # NUL: refused as text, never stored nor looked up
    ({**GOOD, "name": "心湖\x00市场"}, "bad_text", "name"),
    ({**GOOD, "note": "a\x00b"}, "bad_text", "note"),
    ({**GOOD, "area": XINHU + "\x00"}, "bad_area", "area"),
    ({**GOOD, "kind": "market\x00"}, "bad_choice", "kind"),
    ({**GOOD, "caretaker": "grid_xinhu1\x00"}, "bad_caretaker", "caretaker"),
    # wrong types: refused before the action (which would take them for empty)
    ({**GOOD, "name": 123}, "invalid", "name"),
    ({**GOOD, "name": None}, "invalid", "name"),
    ({**GOOD, "kind": ["market"]}, "invalid", "kind"),
    ({**GOOD, "area": 331022001001}, "invalid", "area"),
    ({**GOOD, "address": False}, "invalid", "address"),
    ({**GOOD, "note": {"a": 1}}, "invalid", "note"),
    ({**GOOD, "caretaker": 7}, "invalid", "caretaker"),
    ({**GOOD, "inspect_every_days": 7.5}, "invalid", "inspect_every_days"),
    ({**GOOD, "inspect_every_days": True}, "invalid", "inspect_every_days"),
    ({**GOOD, "inspect_every_days": [7]}, "invalid", "inspect_every_days"),
    ({**GOOD, "checklist": 5}, "invalid", "checklist"),
    ({**GOOD, "checklist": [1, 2]}, "invalid", "checklist"),
    ({**GOOD, "checklist": [["消防"]]}, "invalid", "checklist"),
    ({**GOOD, "checklist": {"a": "b"}}, "invalid", "checklist"),
    ({**GOOD, "version": 0}, "unknown_field", "version"),
    ({**GOOD, "registered_by": "county_op"}, "unknown_field", "registered_by"),
])
def test_registration_errors_are_400(api, users, body, code, field):
    resp = api(users.cadre_xinhu).post(URL, body, format="json")
    error = assert_error(resp, 400, code)
    assert error["field"] == field, error
    assert not CheckPoint.objects.exists() and not AuditRecord.objects.filter(action="check_point_register").exists()


@pytest.mark.parametrize("raw", ["[]", '"心湖"', "42", "null", '[{"name": "心湖"}]', "{", '{"name": NaN}',
                                 '{"name": "\\ud800"}', "[" * 5000 + "]" * 5000, '{"version": 1' + "0" * 5000 + "}"])
def test_a_body_that_is_no_object_is_400(api, users, point, raw):
    p = point()
    client = api(users.county_op)
    for url in (URL, detail(p), f"{detail(p)}remove/", f"{detail(p)}inspect/"):
        method = client.patch if url == detail(p) else client.post
        assert_error(method(url, raw, content_type="application/json"), 400)
    assert unchanged(p) and CheckPoint.objects.count() == 1


def test_english_on_request(api, users, point):
    p = point()
    resp = api(users.county_op).patch(detail(p), {"version": 9, "note": "x"}, format="json",
                                      HTTP_ACCEPT_LANGUAGE="en")
    body = assert_error(resp, 409, "stale_version")
    assert body["detail"] == body["detail_en"]
    assert json.loads(resp.content) == body
    resp = api(users.county_op).post(URL, {**GOOD, "kind": "bank"}, format="json")
    body = assert_error(resp, 400, "bad_choice")
    assert body["detail"] == body["detail_zh"]  # Chinese by default


# ---------------------------------------------------------------- changes and removal


def test_change_with_the_version_read(api, users, point):
    p = point()
    client = api(users.cadre_xinhu)
    resp = client.patch(detail(p), {"inspect_every_days": 3, "name": "心湖幼儿园(新园区)", "caretaker": None,
                                    "checklist": ["门卫在岗", "消防器材在有效期内"], "version": 0}, format="json")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert (body["inspect_every_days"], body["name"], body["caretaker"], body["version"]) == (
        3, "心湖幼儿园(新园区)", None, 1)
    assert body["checklist"] == ["门卫在岗", "消防器材在有效期内"] and body["checklist_items"] == 2
    fresh = CheckPoint.objects.get(pk=p.pk)
    assert fresh.next_inspection_due == fresh.registered_at + dt.timedelta(days=3) and fresh.caretaker is None
    # the same version again is stale: nothing changes
    assert_error(client.patch(detail(p), {"note": "另一人的修改", "version": 0}, format="json"), 409, "stale_version")
    assert CheckPoint.objects.get(pk=p.pk).note == "" and CheckPoint.objects.get(pk=p.pk).version == 1
    # without a version the change applies to the entry as it is; a version as its digits
    assert client.patch(detail(p), {"note": "备注"}, format="json").json()["version"] == 2
    assert client.patch(detail(p), {"note": "备注2", "version": "2"}, format="json").json()["version"] == 3
    # what is sent unchanged writes nothing; an item per line is the same checklist
    resp = client.patch(detail(p), {"checklist": "门卫在岗\n消防器材在有效期内", "kind": "school", "version": 3},
                        format="json")
    assert resp.status_code == 200 and resp.json()["version"] == 3, resp.content


@pytest.mark.parametrize("body,status,code", [
    ({}, 400, "no_changes"),
    ({"version": 0}, 400, "no_changes"),
    ({"registered_by": "x", "version": 0}, 400, "unknown_field"),
    ({"is_active": True}, 400, "unknown_field"),
    ({"note": "x", "version": "abc"}, 400, "bad_version"),
    ({"note": "x", "version": True}, 400, "bad_version"),
    ({"note": "x", "version": -1}, 400, "bad_version"),
    ({"note": "x", "version": 1.0}, 400, "bad_version"),
    ({"note": "x", "version": 10**30}, 400, "bad_version"),
    ({"note": "x", "version": "0\x00"}, 400, "bad_version"),
    ({"note": "x", "version": 99}, 409, "stale_version"),
    ({"name": ""}, 400, "required"),
    ({"name": 5}, 400, "invalid"),
    ({"inspect_every_days": None}, 400, "bad_frequency"),
    ({"inspect_every_days": "3.5"}, 400, "bad_frequency"),
    ({"inspect_every_days": [3]}, 400, "invalid"),
    ({"checklist": None}, 400, "bad_checklist"),
    ({"checklist": []}, 400, "required"),
    ({"checklist": [0]}, 400, "invalid"),
    ({"kind": 3}, 400, "invalid"),
    ({"kind": "bank"}, 400, "bad_choice"),
    ({"area": JIANZHONG}, 400, "bad_area"),
    ({"area": JIANZHONG, "caretaker": ""}, 400, "bad_area"),  # another town, outside the cadre's village
    ({"caretaker": "county_op"}, 400, "bad_caretaker"),
    ({"note": "\x00"}, 400, "bad_text"),
    ({"note": "长" * 2001}, 400, "too_long"),
])
def test_change_errors(api, users, point, body, status, code):
    p = point()
    resp = api(users.cadre_xinhu).patch(detail(p), body, format="json")
    assert_error(resp, status, code)
    assert unchanged(p) and not AuditRecord.objects.filter(action="check_point_update").exists()


def test_remove_from_the_registry(api, users, point):
    p = point()
    client = api(users.cadre_xinhu)
    url = f"{detail(p)}remove/"
    assert assert_error(client.post(url, {"version": 0}, format="json"), 400, "required")["field"] == "reason"
    assert_error(client.post(url, {"reason": "撤并", "version": 5}, format="json"), 409, "stale_version")
    assert_error(client.post(url, {"reason": 5}, format="json"), 400, "invalid")
    assert_error(client.post(url, {"reason": "撤\x00并"}, format="json"), 400, "bad_text")
    assert_error(client.post(url, {"reason": "长" * 201}, format="json"), 400, "too_long")
    assert_error(client.post(url, {"reason": "撤并", "note": "x"}, format="json"), 400, "unknown_field")
    assert unchanged(p)
    resp = client.post(url, {"reason": "幼儿园已撤并", "version": 0}, format="json")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert (body["is_active"], body["removal_reason"], body["version"]) == (False, "幼儿园已撤并", 1)
    assert body["removed_at"] and not body["overdue"]
    assert_error(client.post(url, {"reason": "再次"}, format="json"), 409, "removed")
    assert_error(client.patch(detail(p), {"note": "x"}, format="json"), 409, "removed")
    assert_error(client.post(f"{detail(p)}inspect/", {}, format="json"), 409, "removed")
    assert not Inspection.objects.filter(point=p).exists()
    assert p.pk not in ids(client.get(URL)) and ids(client.get(URL, {"active": "false"})) == [p.pk]
    assert client.get(detail(p)).json()["is_active"] is False  # kept, with its inspections


# ---------------------------------------------------------------- inspections


def test_an_inspection_in_order_moves_the_due_and_reports_nothing(api, users, point):
    p = point()  # every 7 days
    client = api(users.grid_xinhu1)
    before = Event.objects.count()
    when = timezone.now().replace(microsecond=0) - dt.timedelta(days=1)
    resp = client.post(f"{detail(p)}inspect/", {"inspected_at": when.isoformat(), "note": "一切正常"}, format="json")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    fresh = CheckPoint.objects.get(pk=p.pk)
    assert fresh.last_inspected_at == when and fresh.next_inspection_due == when + dt.timedelta(days=7)
    assert fresh.version == p.version  # an inspection leaves an open edit valid
    inspection = body["inspection"]
    assert (inspection["outcome"], inspection["hazard"], inspection["by"], inspection["note"]) == (
        "passed", None, "grid_xinhu1", "一切正常")
    assert inspection["id"] == Inspection.objects.get(point=p).pk and inspection["point"] == p.pk
    assert [r["item"] for r in inspection["results"]] == p.checklist and all(r["ok"] for r in inspection["results"])
    assert body["point"]["last_outcome"] == "passed" and body["point"]["next_inspection_due"] == (
        client.get(detail(p)).json()["next_inspection_due"])
    assert [i["id"] for i in body["point"]["inspections"]] == [inspection["id"]]
    assert Event.objects.count() == before
    # an older inspection is kept but does not move the due date
    older = (when - dt.timedelta(days=3)).isoformat()
    assert client.post(f"{detail(p)}inspect/", {"inspected_at": older}, format="json").status_code == 201
    assert CheckPoint.objects.get(pk=p.pk).next_inspection_due == when + dt.timedelta(days=7)
    assert len(client.get(detail(p)).json()["inspections"]) == 2


def test_problems_are_reported_as_one_hazard_matter_shown_by_its_number(api, users, point):
    p = point()
    client = api(users.grid_xinhu1)
    resp = client.post(f"{detail(p)}inspect/", {
        "problems": [{"item": 2, "note": "两具灭火器过期"}, {"item": 3}], "note": "已当场告知园方",
        "report": True}, format="json")
    assert resp.status_code == 201, resp.content
    inspection = resp.json()["inspection"]
    hazard = Event.objects.get(pk=inspection["hazard"]["id"])
    assert inspection["hazard"] == {"id": hazard.pk, "number": hazard.number} and hazard.number
    assert hazard.channel == "grid_report" and hazard.area.code == XINHU and hazard.created_by == users.grid_xinhu1
    assert "两具灭火器过期" in hazard.content
    assert inspection["outcome"] == "problems"
    assert [(r["ok"], r["note"]) for r in inspection["results"]][2:4] == [(False, "两具灭火器过期"), (False, "")]
    fresh = CheckPoint.objects.get(pk=p.pk)
    assert fresh.last_outcome == "problems" and fresh.next_inspection_due == fresh.last_inspected_at + dt.timedelta(
        days=7)
    # the matter is shown by its id and number only, wherever the inspection is
    shown = client.get(detail(p)).json()["inspections"][0]["hazard"]
    assert shown == inspection["hazard"]
    assert client.get(f"{detail(p)}inspections/").json()["results"][0]["hazard"] == shown
    assert hazard.title not in client.get(detail(p)).content.decode()
    # put right on the spot: recorded, not reported; the indexes alone will do
    before = Event.objects.count()
    resp = client.post(f"{detail(p)}inspect/", {"problems": [0, "1"], "note": "当场整改", "report": False},
                       format="json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["inspection"]["hazard"] is None and resp.json()["inspection"]["outcome"] == "problems"
    assert Event.objects.count() == before
    # a form body: the boxes ticked, report as a form's false
    resp = client.post(f"{detail(p)}inspect/", {"problems": ["0", "4"], "note": "复查仍未整改", "report": "false"})
    assert resp.status_code == 201, resp.content
    assert [r["ok"] for r in resp.json()["inspection"]["results"]] == [False, True, True, True, False]
    assert Event.objects.count() == before


@pytest.mark.parametrize("body,code,field", [
    ({"problems": [0]}, "required", "note"),
    ({"problems": [9], "note": "x"}, "bad_item", "problems"),
    ({"problems": [-1], "note": "x"}, "bad_item", "problems"),
    ({"problems": [10**40], "note": "x"}, "bad_item", "problems"),
    ({"problems": ["a"], "note": "x"}, "bad_item", "problems"),
    ({"problems": ["0\x00"], "note": "x"}, "bad_item", "problems"),
    ({"problems": [0, 0], "note": "x"}, "repeated_item", "problems"),
    ({"problems": [0, {"item": 0}], "note": "x"}, "repeated_item", "problems"),
    ({"problems": [{"item": 0, "note": "长" * 201}], "note": "x"}, "too_long", "problems"),
    ({"problems": [{"item": 0, "note": "a\x00"}], "note": "x"}, "bad_text", "problems"),
    ({"problems": list(range(31)), "note": "x"}, "too_many_items", "problems"),
    ({"problems": "0", "note": "x"}, "invalid", "problems"),
    ({"problems": {"item": 0}, "note": "x"}, "invalid", "problems"),
    ({"problems": 0, "note": "x"}, "invalid", "problems"),
    ({"problems": [True], "note": "x"}, "invalid", "problems"),
    ({"problems": [1.5], "note": "x"}, "invalid", "problems"),
    ({"problems": [[0]], "note": "x"}, "invalid", "problems"),
    ({"problems": [None], "note": "x"}, "invalid", "problems"),
    ({"problems": [{"note": "x"}], "note": "x"}, "invalid", "problems"),
    ({"problems": [{"item": 0, "note": 5}], "note": "x"}, "invalid", "problems"),
    ({"problems": [{"item": 0, "note": None}], "note": "x"}, "invalid", "problems"),
    ({"problems": [{"item": 0, "by": "x"}], "note": "x"}, "unknown_field", "problems"),
    ({"note": 5}, "invalid", "note"),
    ({"note": "\x00"}, "bad_text", "note"),
    ({"note": "长" * 2001}, "too_long", "note"),
    ({"report": "maybe"}, "invalid", "report"),
    ({"report": None}, "invalid", "report"),
    ({"report": 1}, "invalid", "report"),
    ({"inspected_at": 1767225600}, "invalid", "inspected_at"),
    ({"inspected_at": "garbage"}, "bad_time", "inspected_at"),
    ({"inspected_at": "2026-02-30T10:00"}, "bad_time", "inspected_at"),
    ({"inspected_at": "2026-\x0001-01T10:00"}, "bad_time", "inspected_at"),
    ({"inspected_at": "9999-12-31T23:59:59-23:59"}, "future_time", "inspected_at"),
    ({"inspected_at": "0001-01-01T00:00:00+08:00"}, "too_old", "inspected_at"),
    ({"by": "county_op"}, "unknown_field", "by"),
    ({"version": 0}, "unknown_field", "version"),
])
def test_inspection_errors_are_400_and_write_nothing(api, users, point, body, code, field):
    p = point()
    resp = api(users.grid_xinhu1).post(f"{detail(p)}inspect/", body, format="json")
    assert assert_error(resp, 400, code)["field"] == field
    assert unchanged(p) and not AuditRecord.objects.filter(action="check_point_inspect").exists()


def test_the_inspection_history_is_paginated_newest_first(api, users, point):
    p = point()
    now = timezone.now()
    made = [points.record_inspection(p, by=users.grid_xinhu1, inspected_at=now - dt.timedelta(hours=n))
            for n in range(23, -1, -1)]  # the oldest first
    newest_first = [i.pk for i in reversed(made)]
    client = api(users.cadre_xinhu)
    body = client.get(detail(p)).json()
    assert [i["id"] for i in body["inspections"]] == newest_first[:20]  # the latest 20
    page = client.get(body["inspections_url"], {"page_size": 10, "page": 2}).json()
    assert page["count"] == 24 and [i["id"] for i in page["results"]] == newest_first[10:20]
    assert page["next"] and page["previous"]
    assert [i["id"] for i in client.get(body["inspections_url"]).json()["results"]] == newest_first
    assert_error(client.get(body["inspections_url"], {"page": 9}), 404)
    assert_error(client.get(body["inspections_url"], {"page_size": "x"}), 400, "bad_page_size")


# ---------------------------------------------------------------- schema


@pytest.fixture(scope="module")
def schema():
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def test_schema_documents_the_endpoints(schema):
    paths, components = schema["paths"], schema["components"]["schemas"]

    listing = paths[URL]["get"]
    assert {"kind", "area", "due", "active", "q", "ordering", "page", "page_size"} <= {
        p["name"] for p in listing["parameters"]}
    assert ref(listing) == "PaginatedCheckPointListList"
    assert ref(paths[URL]["post"], "201") == "CheckPoint"
    assert set(components[ref(paths[URL]["post"], where="requestBody")]["required"]) == {"name", "kind", "area"}
    one = paths[URL + "{id}/"]
    assert ref(one["get"]) == "CheckPoint" and "put" not in one and "delete" not in one
    patch = components[ref(one["patch"], where="requestBody")]["properties"]
    assert {"name", "kind", "checklist", "inspect_every_days", "version"} <= set(patch)
    remove = paths[URL + "{id}/remove/"]["post"]
    assert set(components[ref(remove, where="requestBody")]["properties"]) == {"reason", "version"}
    inspect = paths[URL + "{id}/inspect/"]["post"]
    assert ref(inspect, "201") == "InspectionRecorded"
    assert set(components[ref(inspect, where="requestBody")]["properties"]) == {"problems", "note", "inspected_at", "checklist_key",
                                                                                 "report"}
    assert {"409", "413"} <= set(inspect["responses"])  # the writes' errors, in the one shape
    history = paths[URL + "{id}/inspections/"]["get"]
    assert ref(history) == "PaginatedInspectionList"
    assert {"page", "page_size"} <= {p["name"] for p in history["parameters"]}
    point = components["CheckPoint"]["properties"]
    assert {"checklist", "inspections", "next_inspection_due", "overdue", "due_soon", "version", "caretaker"} <= set(
        point)
    assert point["caretaker"]["nullable"] and point["last_inspected_at"]["nullable"]
    assert set(components["HazardRef"]["properties"]) == {"id", "number"}
    assert components["Inspection"]["properties"]["hazard"]["nullable"]
    assert set(components["CheckPointKindEnum"]["enum"]) == set(DEFAULT_CHECKLISTS)
    assert set(components["InspectionOutcomeEnum"]["enum"]) == {"passed", "problems"}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_check_point_answers_match_the_schema(live_server, demo_county, users, tmp_path):
    """schemathesis on the registry's endpoints with a check-point present (inspected once, with
    a hazard reported), whose id the operations on one check-point are given (random ids only
    ever met a 404): no 5xx whatever the input, and every answer as the schema says."""
    from fengqiao.events.seed import link_departments, seed_categories, seed_policies

    # an earlier test's flush empties what the migrations seeded; the hazard needs its category
    seed_categories()
    seed_policies()
    link_departments()
    p = points.register_point(by=users.county_op, name="心湖社区幼儿园", kind="school", area=XINHU,
                              caretaker="grid_xinhu1")
    points.record_inspection(p, by=users.grid_xinhu1, note="灭火器过期", problems=[{"item": 2, "note": "两具"}])
    fuzz(live_server, users.county_op, "check-points", p.pk, tmp_path, operations=7)


def test_the_browsable_api_and_options_answer(api, users, point):
    p = point()
    client = api(users.county_op)
    for url in (*reads(p), f"{detail(p)}remove/", f"{detail(p)}inspect/"):
        assert client.options(url).status_code == 200, url
    for url in reads(p):
        assert client.get(url, HTTP_ACCEPT="text/html").status_code == 200, url


def test_an_inspection_sends_back_the_checklist_it_read(api, users, point):
    p = point()
    client = api(users.grid_xinhu1)
    key = client.get(detail(p)).json()["checklist_key"]
    assert client.post(f"{detail(p)}inspect/", {"checklist_key": key}, format="json").status_code == 201
    api(users.cadre_xinhu).patch(detail(p), {"checklist": ["门卫在岗"], "version": 0}, format="json")
    resp = client.post(f"{detail(p)}inspect/", {"checklist_key": key, "problems": [0], "note": "x"}, format="json")
    assert resp.status_code == 409 and resp.json()["error"] == "checklist_changed"
    assert Inspection.objects.filter(point=p).count() == 1


def test_a_retried_inspection_with_the_same_idempotency_key_is_answered_once(api, users, point):
    p = point()
    client = api(users.grid_xinhu1)
    body = {"problems": [0], "note": "消防器材过期"}
    first = client.post(f"{detail(p)}inspect/", body, format="json", HTTP_IDEMPOTENCY_KEY="phone-42")
    again = client.post(f"{detail(p)}inspect/", body, format="json", HTTP_IDEMPOTENCY_KEY="phone-42")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["inspection"]["id"] == first.json()["inspection"]["id"]
    assert again.json()["inspection"]["hazard"] == first.json()["inspection"]["hazard"]
    assert Inspection.objects.filter(point=p).count() == 1
    resp = client.post(f"{detail(p)}inspect/", body, format="json", HTTP_IDEMPOTENCY_KEY="x" * 101)
    assert resp.status_code == 400 and resp.json()["field"] == "Idempotency-Key"
