"""The console pages of the key-person registry (/grid/key-persons/) through Django's test client:
each page four ways (anonymous, wrong role, outside the jurisdiction, inside), personal data
masked in the list and on a person's page unless a role that may unmask asks (and then audited),
registration, visits, changes and removal through their forms, refusals as 4xx pages."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from fengqiao.areas.models import Area
from fengqiao.core.models import AuditRecord
from fengqiao.grid import actions
from fengqiao.grid.models import KeyPerson, Visit

from .conftest import HAIYOU, JIANTIAO, JIANZHONG, XINHU, id_number

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
LIST = "/grid/key-persons/"
NEW = "/grid/key-persons/new/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _html(resp) -> str:
    return resp.content.decode()


def _detail(person) -> str:
    return f"/grid/key-persons/{person.pk}/"


def _posts(person) -> dict[str, dict]:
    """Each write of a person's page with a valid body."""
    return {
        f"{_detail(person)}visit/": {"method": "home", "condition": "stable", "note": ""},
        f"{_detail(person)}edit/": {"visit_every_days": "3", "version": str(person.version)},
        f"{_detail(person)}remove/": {"reason": "矫正期满", "version": str(person.version)},
    }


def _unchanged(person) -> bool:
    fresh = KeyPerson.objects.get(pk=person.pk)
    return (fresh.version == person.version and fresh.is_active and fresh.visit_every_days == person.visit_every_days
            and not Visit.objects.filter(person=person).exists())


def _row(html: str, person) -> str:
    found = re.search(rf'<tr class="[^"]*" data-person="{person.pk}">(.*?)</tr>', html, re.S)
    assert found, html
    return found.group(1)


def _local(when: dt.datetime) -> str:
    return timezone.localtime(when).strftime("%Y-%m-%d %H:%M")


def _other_grid(users, village=XINHU):
    """A grid of the village other than grid_xinhu1's own."""
    return (Area.objects.filter(parent__code=village, level="grid").exclude(pk=users.grid_xinhu1.area_id)
            .order_by("code").first())


# ---------------------------------------------------------------- four ways


def test_anonymous_is_sent_to_login(client, register):
    person = register()
    for url in (LIST, NEW, _detail(person)):
        resp = client.get(url)
        assert resp.status_code == 302 and resp["Location"].startswith(LOGIN), url
    resp = client.post(NEW, {"name": "李四", "category": "drug_user", "area": XINHU})
    assert resp.status_code == 302 and resp["Location"].startswith(LOGIN)
    for url, body in _posts(person).items():
        resp = client.post(url, body)
        assert resp.status_code == 302 and resp["Location"].startswith(LOGIN), url
    assert _unchanged(person) and KeyPerson.objects.count() == 1


@pytest.mark.parametrize("username", ["dept_police", "auditor", "admin", "mediator"])
def test_wrong_role_is_403(client, users, register, username):
    person = register()
    client.force_login(getattr(users, username))
    for url in (LIST, NEW, _detail(person), f"{_detail(person)}?unmask=1"):
        assert client.get(url).status_code == 403, url
    assert client.post(NEW, {"name": "李四", "category": "drug_user", "area": XINHU}).status_code == 403
    for url, body in _posts(person).items():
        assert client.post(url, body).status_code == 403, url
    assert _unchanged(person) and KeyPerson.objects.count() == 1
    assert not AuditRecord.objects.filter(action="view_personal").exists()


@pytest.mark.parametrize("username", ["leader", "grid_xinhu1"])
def test_roles_that_do_not_register_get_403_on_the_form(client, users, username):
    client.force_login(getattr(users, username))
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, {"name": "李四", "category": "drug_user", "area": XINHU}).status_code == 403
    assert not KeyPerson.objects.exists()
    assert client.get(LIST).status_code == 200
    assert 'id="register-link"' not in _html(client.get(LIST))


@pytest.mark.parametrize("username", ["town_jiantiao", "cadre_jianzhong", "grid_jianzhong1"])
def test_right_role_outside_the_jurisdiction_is_404(client, users, register, username):
    person = register()
    client.force_login(getattr(users, username))
    resp = client.get(LIST, {"active": "all"})
    assert resp.status_code == 200 and f'data-person="{person.pk}"' not in _html(resp)
    assert resp.context["counts"]["total"] == 0
    assert client.get(_detail(person)).status_code == 404
    assert client.get(f"{_detail(person)}?unmask=1").status_code == 404
    for url, body in _posts(person).items():
        assert client.post(url, body).status_code == 404, url
    assert _unchanged(person)


def test_registering_outside_the_jurisdiction_is_refused(client, users):
    client.force_login(users.cadre_xinhu)
    resp = client.post(NEW, {"name": "李四", "category": "drug_user", "area": JIANZHONG, "id_number": id_number()})
    assert resp.status_code == 400
    assert "区域不存在或不在您的管辖范围内" in _html(resp)
    assert not KeyPerson.objects.exists()
    # the form offers only the villages and grids of the cadre's own area
    resp = client.get(NEW)
    codes = {a.code for a in resp.context["places"]}
    assert XINHU in codes and JIANZHONG not in codes and HAIYOU not in codes
    assert all(c.startswith(XINHU) for c in codes) and len(codes) > 1


def test_a_number_that_is_no_person_is_404(client, users):
    client.force_login(users.county_op)
    assert client.get("/grid/key-persons/999999999/").status_code == 404
    assert client.get("/grid/key-persons/99999999999999999999999/").status_code == 404
    assert client.post("/grid/key-persons/999999999/visit/", {"method": "home"}).status_code == 404


@pytest.mark.parametrize("username", ["county_op", "town_haiyou", "leader", "leader_haiyou", "cadre_xinhu"])
def test_right_role_inside_the_jurisdiction_is_200(client, users, register, username):
    person = register()
    client.force_login(getattr(users, username))
    resp = client.get(LIST)
    assert resp.status_code == 200 and f'data-person="{person.pk}"' in _html(resp)
    resp = client.get(_detail(person))
    assert resp.status_code == 200 and "王*" in _html(resp)


def test_the_menu_offers_the_registry_to_those_who_read_it(client, users):
    for username, shown in (("county_op", True), ("cadre_xinhu", True), ("grid_xinhu1", True), ("leader", True),
                            ("dept_police", False), ("mediator", False)):
        client.force_login(getattr(users, username))
        html = _html(client.get("/matters/" if username != "mediator" else "/mediation/disputes/"))
        assert ('id="nav-key-persons"' in html) is shown, username


# ---------------------------------------------------------------- the list


def test_the_list_masks_names_id_numbers_and_phones(client, users, register):
    number = id_number()
    person = register("欧阳明华", id_number=number, phone="13912348765", address="心湖路8号")
    for username in ("county_op", "town_haiyou", "cadre_xinhu"):  # whether or not the role may unmask
        client.force_login(getattr(users, username))
        html = _html(client.get(LIST, {"unmask": "1"}))
        assert "欧阳明华" not in html and number not in html and "13912348765" not in html
        assert "欧***" in _row(html, person)
    assert not AuditRecord.objects.filter(action="view_personal").exists()


def test_a_list_row_shows_the_entry(client, users, register):
    person = register("王小明", caretaker="grid_xinhu1", visit_every_days=7)
    # 16:30 UTC is half past midnight the next day in Shanghai
    visited = (timezone.now() - dt.timedelta(days=2)).astimezone(dt.UTC).replace(hour=16, minute=30, second=0,
                                                                                 microsecond=0)
    actions.record_visit(person, by=users.grid_xinhu1, visited_at=visited)
    client.force_login(users.town_haiyou)
    row = _row(_html(client.get(LIST, **EN)), person)
    assert f'href="/grid/key-persons/{person.pk}/">王**</a>' in row
    assert "Under community correction" in row
    assert "心湖社区" in row
    assert "吴晓" in row  # the responsible grid worker
    assert "every 7 days" in row
    assert _local(visited) in row and _local(visited).endswith("00:30")
    assert _local(visited + dt.timedelta(days=7)) in row  # next visit due
    assert 'class="dot' not in row  # due in five days: no mark


def test_overdue_and_soon_are_marked_and_counted(client, users, register):
    now = timezone.now()
    overdue = register("赵一", visit_every_days=7)
    actions.record_visit(overdue, by=users.county_op, visited_at=now - dt.timedelta(days=10))  # due 3 days ago
    soon = register("钱二", visit_every_days=7)
    actions.record_visit(soon, by=users.county_op, visited_at=now - dt.timedelta(days=5))  # due in 2 days
    fresh = register("孙三", visit_every_days=7)
    removed = register("李四", visit_every_days=7)
    actions.record_visit(removed, by=users.county_op, visited_at=now - dt.timedelta(days=20))
    actions.remove_key_person(removed, by=users.county_op, reason="迁出本县")
    client.force_login(users.cadre_xinhu)
    resp = client.get(LIST)
    assert resp.context["counts"] == {"total": 3, "overdue": 1, "soon": 1}
    html = _html(resp)
    assert re.search(r'id="count-overdue" data-count="1"', html) and re.search(r'id="count-soon" data-count="1"', html)
    assert '<span class="dot red"' in _row(html, overdue) and 'class="due-red"' in html
    assert "超期 3 天" in _row(html, overdue) or "3 days overdue" in _row(html, overdue)
    assert '<span class="dot yellow"' in _row(html, soon)
    assert 'class="dot' not in _row(html, fresh)
    assert f'data-person="{removed.pk}"' not in html
    # most urgent first
    assert [p.pk for p in resp.context["page"].object_list] == [overdue.pk, soon.pk, fresh.pk]


def test_list_filters(client, users, register):
    now = timezone.now()
    grid = _other_grid(users)
    correction = register("赵一", "community_correction", area=grid.code)
    actions.record_visit(correction, by=users.county_op, visited_at=now - dt.timedelta(days=10))
    drugs = register("钱二", "drug_user", visit_every_days=7)
    actions.record_visit(drugs, by=users.county_op, visited_at=now - dt.timedelta(days=6))
    mental = register("孙三", "mental_disorder")
    elsewhere = register("周五", "drug_user", area=JIANZHONG)
    gone = register("李四", "key_petitioner")
    actions.remove_key_person(gone, by=users.county_op, reason="息访息诉")

    def shown(**params):
        resp = client.get(LIST, params)
        assert resp.status_code == 200
        return {p.pk for p in resp.context["page"].object_list}

    client.force_login(users.county_op)
    assert shown() == {correction.pk, drugs.pk, mental.pk, elsewhere.pk}  # in the registry
    assert shown(category="drug_user") == {drugs.pk, elsewhere.pk}
    assert shown(area=JIANTIAO) == {elsewhere.pk}
    assert shown(area=XINHU) == {correction.pk, drugs.pk, mental.pk}
    assert shown(area=grid.code) == {correction.pk}
    assert shown(due="overdue") == {correction.pk}
    assert shown(due="soon") == {drugs.pk}
    assert shown(due="due") == {correction.pk, drugs.pk}
    assert shown(active="removed") == {gone.pk}
    assert shown(active="all") == {correction.pk, drugs.pk, mental.pk, elsewhere.pk, gone.pk}
    assert shown(category="drug_user", area=HAIYOU, due="soon") == {drugs.pk}

    client.force_login(users.town_haiyou)
    assert shown() == {correction.pk, drugs.pk, mental.pk}
    # an area outside the user's own is refused, never widened
    resp = client.get(LIST, {"area": JIANTIAO})
    assert resp.context["errors"] and not resp.context["page"].object_list
    for bad in ({"category": "thief"}, {"due": "someday"}, {"active": "maybe"}):
        resp = client.get(LIST, bad)
        assert resp.status_code == 200 and resp.context["errors"], bad
        assert not resp.context["page"].object_list


def test_a_removed_person_is_never_due_in_the_list(client, users, register):
    now = timezone.now()
    overdue = register("赵一", visit_every_days=7)
    actions.record_visit(overdue, by=users.county_op, visited_at=now - dt.timedelta(days=10))
    removed = register("李四", visit_every_days=7)
    actions.record_visit(removed, by=users.county_op, visited_at=now - dt.timedelta(days=20))
    actions.remove_key_person(removed, by=users.county_op, reason="迁出本县")
    client.force_login(users.cadre_xinhu)
    for due in ("overdue", "due"):
        resp = client.get(LIST, {"due": due, "active": "all"})
        assert [p.pk for p in resp.context["page"].object_list] == [overdue.pk], due
    assert not client.get(LIST, {"due": "overdue", "active": "removed"}).context["page"].object_list


def test_the_console_list_filters_as_the_api_does(client, api, users, register):
    """One FilterSet for both: the same parameters narrow the console's list and the API's alike
    (the console says ``removed`` where the API says ``false``)."""
    now = timezone.now()
    grid = _other_grid(users)
    correction = register("赵一", "community_correction", area=grid.code)
    actions.record_visit(correction, by=users.county_op, visited_at=now - dt.timedelta(days=10))
    drugs = register("钱二", "drug_user", visit_every_days=7)
    actions.record_visit(drugs, by=users.county_op, visited_at=now - dt.timedelta(days=6))
    register("孙三", "mental_disorder")
    register("周五", "drug_user", area=JIANZHONG)
    gone = register("李四", "key_petitioner")
    actions.remove_key_person(gone, by=users.county_op, reason="息访息诉")
    client.force_login(users.county_op)
    rest = api(users.county_op)
    for params in ({}, {"category": "drug_user"}, {"area": XINHU}, {"area": grid.code}, {"due": "overdue"},
                   {"due": "soon"}, {"due": "due"}, {"active": "all"}, {"active": "removed"},
                   {"category": "drug_user", "area": HAIYOU, "due": "soon"}, {"due": "due", "active": "all"}):
        console = [p.pk for p in client.get(LIST, params).context["page"].object_list]
        asked = {**params, "active": "false"} if params.get("active") == "removed" else params
        listed = [p["id"] for p in rest.get("/api/v1/key-persons/", asked).json()["results"]]
        assert console == listed, params


def test_the_list_is_paginated_with_its_filters(client, users, register):
    for i in range(32):
        register(f"王{i}", "drug_user")
    register("李四", "other")
    client.force_login(users.town_haiyou)
    resp = client.get(LIST, {"category": "drug_user"})
    assert len(resp.context["page"].object_list) == 30 and resp.context["page"].paginator.count == 32
    assert "category=drug_user&amp;page=2" in _html(resp)
    assert len(client.get(LIST, {"category": "drug_user", "page": "2"}).context["page"].object_list) == 2


def test_the_list_runs_a_bounded_number_of_queries(client, users, register, django_assert_max_num_queries):
    for i in range(20):
        register(f"王{i}", caretaker="grid_xinhu1")
    client.force_login(users.town_haiyou)
    client.get(LIST)
    with django_assert_max_num_queries(13):
        assert client.get(LIST).status_code == 200


# ---------------------------------------------------------------- a grid worker


def test_a_grid_worker_sees_the_people_in_their_care(client, users, register):
    grid = _other_grid(users)
    cared = register("赵一", area=grid.code, caretaker="grid_xinhu1")
    other = register("钱二", area=grid.code)
    village = register("孙三", area=XINHU)  # the village's, not the grid's
    own = register("李四", area=users.grid_xinhu1.area.code)
    client.force_login(users.grid_xinhu1)
    resp = client.get(LIST)
    assert {p.pk for p in resp.context["page"].object_list} == {cared.pk, own.pk}
    assert client.get(_detail(cared)).status_code == 200
    assert client.get(_detail(other)).status_code == 404
    assert client.get(_detail(village)).status_code == 404
    # a visit the grid worker records moves the next one
    resp = client.post(f"{_detail(cared)}visit/", {"method": "phone", "condition": "stable"})
    assert resp.status_code == 302
    visit = Visit.objects.get(person=cared)
    assert visit.by == users.grid_xinhu1 and visit.method == "phone"


def test_the_phone_page_links_to_the_visits_due(client, users, register):
    cared = register("赵一", caretaker="grid_xinhu1", visit_every_days=7)
    actions.record_visit(cared, by=users.grid_xinhu1, visited_at=timezone.now() - dt.timedelta(days=9))
    register("钱二", caretaker="grid_xinhu1", visit_every_days=30)
    client.force_login(users.grid_xinhu1)
    html = _html(client.get("/m/"))
    link = re.search(r'<a href="([^"]+)" id="key-persons-due-link" data-count="(\d+)">', html)
    assert link and link.group(1) == "/grid/key-persons/?due=due" and link.group(2) == "1"
    resp = client.get(link.group(1))
    assert [p.pk for p in resp.context["page"].object_list] == [cared.pk]


# ---------------------------------------------------------------- one person: masking


def test_the_detail_is_masked_by_default(client, users, register):
    number = id_number()
    person = register("欧阳明华", id_number=number, phone="13912348765")
    client.force_login(users.county_op)
    resp = client.get(_detail(person))
    html = _html(resp)
    assert "欧阳明华" not in html and number not in html and "13912348765" not in html
    assert "欧***" in html and number[:6] + "********" + number[-4:] in html and "139****8765" in html
    assert 'id="unmask-link"' in html
    assert not AuditRecord.objects.filter(action="view_personal").exists()


@pytest.mark.parametrize("username", ["county_op", "town_haiyou"])
def test_a_role_that_may_unmask_sees_in_full_and_it_is_audited(client, users, register, username):
    number = id_number()
    person = register("欧阳明华", id_number=number, phone="13912348765")
    user = getattr(users, username)
    client.force_login(user)
    resp = client.get(_detail(person), {"unmask": "1"})
    assert resp.status_code == 200
    html = _html(resp)
    assert '<dd id="person-name">欧阳明华</dd>' in html
    assert f'<dd id="person-id-number">{number}</dd>' in html
    assert '<dd id="person-phone">13912348765</dd>' in html
    assert 'id="unmask-link"' not in html and 'id="unmasked-note"' in html
    assert "no-store" in resp["Cache-Control"]
    records = list(AuditRecord.objects.filter(action="view_personal"))
    assert len(records) == 1
    rec = records[0]
    assert (rec.object_type, rec.object_id, rec.actor_id) == ("grid.keyperson", str(person.pk), user.pk)
    assert rec.after == {"fields": ["name", "id_number", "phone"]}
    assert "欧阳明华" not in rec.object_repr and number not in str(rec.after)
    # the matter page writes the same record for its reporter
    assert rec.channel == "web"


@pytest.mark.parametrize("username", ["cadre_xinhu", "leader", "leader_haiyou", "grid_xinhu1"])
def test_other_roles_cannot_unmask(client, users, register, username):
    number = id_number()
    person = register("欧阳明华", id_number=number, phone="13912348765", caretaker="grid_xinhu1")
    client.force_login(getattr(users, username))
    resp = client.get(_detail(person), {"unmask": "1"})
    assert resp.status_code == 200
    html = _html(resp)
    assert "欧阳明华" not in html and number not in html and "13912348765" not in html
    assert 'id="unmask-link"' not in html
    assert not AuditRecord.objects.filter(action="view_personal").exists()


# ---------------------------------------------------------------- registration


def test_register_through_the_form(client, users):
    client.force_login(users.cadre_xinhu)
    resp = client.get(NEW)
    assert resp.status_code == 200
    caretakers = {u.username for u in resp.context["caretakers"]}
    assert "grid_xinhu1" in caretakers and "grid_jianzhong1" not in caretakers
    number = id_number()
    before = timezone.now()
    resp = client.post(NEW, {"name": " 王小明 ", "category": "mental_disorder", "area": XINHU, "id_number": number,
                             "phone": "13812345678", "address": "心湖路1号", "caretaker": "grid_xinhu1",
                             "visit_every_days": "", "note": "家属配合"})
    person = KeyPerson.objects.get()
    assert resp.status_code == 302 and resp["Location"] == _detail(person)
    assert (person.name, person.id_number, person.phone) == ("王小明", number, "13812345678")
    assert person.area.code == XINHU and person.caretaker == users.grid_xinhu1
    assert person.registered_by == users.cadre_xinhu and person.visit_every_days == 7  # the category's usual
    assert before + dt.timedelta(days=7) <= person.next_visit_due <= timezone.now() + dt.timedelta(days=7)
    html = _html(client.get(resp["Location"]))
    assert "王**" in html and "王小明" not in html


def test_a_bad_id_number_is_a_400_with_the_chinese_message_and_keeps_what_was_typed(client, users):
    client.force_login(users.cadre_xinhu)
    number = id_number()
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    resp = client.post(NEW, {"name": "王小明", "category": "drug_user", "area": XINHU, "id_number": wrong,
                             "address": "心湖路1号", "visit_every_days": "10"})
    assert resp.status_code == 400
    html = _html(resp)
    assert "身份证号码校验位错误" in html
    assert 'data-field="id_number"' in html
    assert f'value="{wrong}"' in html and 'value="心湖路1号"' in html and 'value="10"' in html
    assert '<option value="drug_user" selected>' in html and f'<option value="{XINHU}" selected>' in html
    assert not KeyPerson.objects.exists()
    resp = client.post(NEW, {"name": "王小明", "category": "drug_user", "area": XINHU, "id_number": "12345"},
                       **EN)
    assert resp.status_code == 400 and "an ID number has 18 characters" in _html(resp)


def test_other_registration_errors_are_400(client, users):
    client.force_login(users.town_haiyou)
    for body, message in (
        ({"name": "", "category": "drug_user", "area": XINHU}, "请填写姓名"),
        ({"name": "王小明", "category": "thief", "area": XINHU}, "人员类别无效"),
        ({"name": "王小明", "category": "drug_user", "area": ""}, "区域不存在"),
        ({"name": "王小明", "category": "drug_user", "area": XINHU, "phone": "12345"}, "电话号码格式不正确"),
        ({"name": "王小明", "category": "drug_user", "area": XINHU, "visit_every_days": "0"}, "走访周期应为 1 到 365 天"),
        ({"name": "王小明", "category": "drug_user", "area": XINHU, "caretaker": "grid_jianzhong1"}, "责任网格员"),
    ):
        resp = client.post(NEW, body)
        assert resp.status_code == 400, body
        assert message in _html(resp), body
    assert not KeyPerson.objects.exists()


def test_a_duplicate_id_number_is_a_409(client, users, register):
    number = id_number()
    register("王小明", id_number=number)
    client.force_login(users.cadre_xinhu)
    resp = client.post(NEW, {"name": "王晓明", "category": "drug_user", "area": XINHU, "id_number": number})
    assert resp.status_code == 409
    assert "该身份证号的人员已在本辖区重点人员台账中" in _html(resp)
    assert KeyPerson.objects.count() == 1


# ---------------------------------------------------------------- visits


def test_a_visit_moves_the_next_due(client, users, register):
    person = register(visit_every_days=14)
    first_due = person.next_visit_due
    client.force_login(users.cadre_xinhu)
    # typed in the evening: the visit was this morning, local time
    local = timezone.localtime(timezone.now() - dt.timedelta(days=1)).replace(hour=9, minute=15, second=0,
                                                                                microsecond=0)
    resp = client.post(f"{_detail(person)}visit/", {"method": "home", "condition": "attention", "note": "情绪低落,家属陪护",
                                                    "visited_at": local.strftime("%Y-%m-%dT%H:%M")})
    assert resp.status_code == 302 and resp["Location"] == _detail(person)
    person.refresh_from_db()
    visit = Visit.objects.get(person=person)
    assert visit.visited_at == local and visit.condition == "attention" and visit.by == users.cadre_xinhu
    assert person.last_visit_at == local and person.next_visit_due == local + dt.timedelta(days=14)
    assert person.next_visit_due < first_due
    html = _html(client.get(_detail(person)))
    assert f'<span id="next-due-at">{_local(local + dt.timedelta(days=14))}</span>' in html
    assert f'data-visit="{visit.pk}"' in html and "情绪低落,家属陪护" in html
    # a visit now moves it again, one interval after it
    before = timezone.now()
    assert client.post(f"{_detail(person)}visit/", {"method": "phone", "condition": "stable"}).status_code == 302
    person.refresh_from_db()
    assert person.next_visit_due >= before + dt.timedelta(days=14)
    assert Visit.objects.filter(person=person).count() == 2


def test_a_visit_form_sent_twice_records_one_visit(client, users, register):
    """The form carries one key per page shown: a double click or a resent form answers the
    visit recorded the first time; the next form shown records a new one."""
    person = register()
    client.force_login(users.cadre_xinhu)
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', _html(client.get(_detail(person)))).group(1)
    form = {"method": "home", "condition": "stable", "idempotency_key": key}
    assert client.post(f"{_detail(person)}visit/", form).status_code == 302
    resp = client.post(f"{_detail(person)}visit/", form, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "This visit was recorded already." in _html(resp)
    assert Visit.objects.filter(person=person).count() == 1
    fresh = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', _html(client.get(_detail(person)))).group(1)
    assert fresh != key
    assert client.post(f"{_detail(person)}visit/", {**form, "idempotency_key": fresh}).status_code == 302
    assert Visit.objects.filter(person=person).count() == 2
    # the same key for another person is refused, never an answer about the first one
    other = register(name="王五")
    resp = client.post(f"{_detail(other)}visit/", form)
    assert resp.status_code == 422 and not Visit.objects.filter(person=other).exists()


def test_visit_errors_are_4xx_and_keep_what_was_typed(client, users, register):
    person = register()
    url = f"{_detail(person)}visit/"
    client.force_login(users.cadre_xinhu)
    resp = client.post(url, {"method": "video", "condition": "abnormal", "note": "  "})
    assert resp.status_code == 400
    html = _html(resp)
    assert "请填写走访情况说明" in html
    assert '<option value="video" selected>' in html and '<option value="abnormal" selected>' in html
    future = timezone.localtime(timezone.now() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    resp = client.post(url, {"method": "home", "condition": "stable", "visited_at": future})
    assert resp.status_code == 400 and "走访时间不能晚于现在" in _html(resp)
    assert f'value="{future}"' in _html(resp)
    old = timezone.localtime(timezone.now() - dt.timedelta(days=40)).strftime("%Y-%m-%dT%H:%M")
    assert client.post(url, {"method": "home", "condition": "stable", "visited_at": old}).status_code == 400
    for bad in ("2026-02-30T10:00", "yesterday", "2026-13-01T10:00"):
        resp = client.post(url, {"method": "home", "condition": "stable", "visited_at": bad})
        assert resp.status_code == 400 and "走访时间格式不正确" in _html(resp), bad
    assert client.post(url, {"method": "fax", "condition": "stable"}).status_code == 400
    assert not Visit.objects.exists()
    # a role that reads the registry but does not visit
    client.force_login(users.leader)
    resp = client.post(url, {"method": "home", "condition": "stable"})
    assert resp.status_code == 403 and "您的角色不能登记走访" in _html(resp)
    assert 'id="visit-form"' not in _html(client.get(_detail(person)))
    # a person removed from the registry is no longer visited
    actions.remove_key_person(person, by=users.county_op, reason="矫正期满")
    client.force_login(users.cadre_xinhu)
    resp = client.post(url, {"method": "home", "condition": "stable"})
    assert resp.status_code == 409 and "该人员已移出台账" in _html(resp)
    assert not Visit.objects.exists()


# ---------------------------------------------------------------- changes and removal


def test_change_the_entry_through_the_form(client, users, register):
    person = register(visit_every_days=7, address="心湖路1号")
    client.force_login(users.cadre_xinhu)
    html = _html(client.get(_detail(person)))
    assert f'name="version" value="{person.version}"' in html
    resp = client.post(f"{_detail(person)}edit/", {
        "version": str(person.version), "category": person.category, "caretaker": "grid_xinhu1",
        "visit_every_days": "30", "address": "心湖路1号", "note": "改为每月走访\r\n家属配合"})
    assert resp.status_code == 302
    fresh = KeyPerson.objects.get(pk=person.pk)
    assert fresh.caretaker == users.grid_xinhu1 and fresh.visit_every_days == 30
    assert fresh.note == "改为每月走访\n家属配合" and fresh.version == person.version + 1
    assert fresh.next_visit_due == fresh.registered_at + dt.timedelta(days=30)
    # sending the form again unchanged changes nothing
    resp = client.post(f"{_detail(person)}edit/", {
        "version": str(fresh.version), "category": fresh.category, "caretaker": "grid_xinhu1",
        "visit_every_days": "30", "address": "心湖路1号", "note": "改为每月走访\r\n家属配合"})
    assert resp.status_code == 302
    assert KeyPerson.objects.get(pk=person.pk).version == fresh.version


def test_an_unchanged_caretaker_who_moved_away_is_kept_when_the_note_changes(client, users, register):
    from fengqiao.accounts.actions import save_user

    person = register(caretaker="grid_xinhu1")
    save_user(username="grid_xinhu1", area=Area.objects.get(code="331022105001001"))  # now in 健跳镇
    client.force_login(users.cadre_xinhu)
    resp = client.post(f"{_detail(person)}edit/", {
        "version": str(person.version), "category": person.category, "caretaker": "grid_xinhu1",
        "visit_every_days": str(person.visit_every_days), "address": "", "note": "家属配合"})
    assert resp.status_code == 302
    fresh = KeyPerson.objects.get(pk=person.pk)
    assert fresh.note == "家属配合" and fresh.caretaker == users.grid_xinhu1 and fresh.version == person.version + 1


def test_an_unchanged_form_is_still_refused_when_stale_or_removed(client, users, register):
    """The action decides what changed: a form sent back as it was changes nothing ("Nothing was
    changed."), but it cannot pass for an edit of an entry changed or removed meanwhile."""
    person = register(visit_every_days=7)
    unchanged = {"version": str(person.version), "category": person.category, "caretaker": "",
                 "visit_every_days": "7", "address": "", "note": ""}
    client.force_login(users.cadre_xinhu)
    resp = client.post(f"{_detail(person)}edit/", unchanged, follow=True)
    assert "没有修改任何内容" in _html(resp)
    assert KeyPerson.objects.get(pk=person.pk).version == person.version
    actions.update_key_person(person, by=users.county_op, phone="13900001111")  # someone else, not in the form
    resp = client.post(f"{_detail(person)}edit/", unchanged)
    assert resp.status_code == 409 and "记录已被他人更新" in _html(resp)
    fresh = KeyPerson.objects.get(pk=person.pk)
    actions.remove_key_person(fresh, by=users.county_op, reason="迁出")
    resp = client.post(f"{_detail(person)}edit/", {**unchanged, "version": str(fresh.version + 1)})
    assert resp.status_code == 409 and "该人员已移出台账" in _html(resp)


def test_a_stale_version_is_a_409_and_keeps_what_was_typed(client, users, register):
    person = register(visit_every_days=7)
    seen = person.version
    actions.update_key_person(person, by=users.county_op, version=seen, address="心湖路2号")  # someone else first
    client.force_login(users.cadre_xinhu)
    resp = client.post(f"{_detail(person)}edit/", {"version": str(seen), "visit_every_days": "21",
                                                   "note": "每三周走访"})
    assert resp.status_code == 409
    html = _html(resp)
    assert "记录已被他人更新" in html
    assert re.search(r'<details class="action" open data-action="edit">', html)
    assert 'value="21"' in html and "每三周走访</textarea>" in html
    fresh = KeyPerson.objects.get(pk=person.pk)
    assert fresh.visit_every_days == 7 and fresh.note == "" and fresh.address == "心湖路2号"
    resp = client.post(f"{_detail(person)}remove/", {"version": str(seen), "reason": "迁出"})
    assert resp.status_code == 409 and KeyPerson.objects.get(pk=person.pk).is_active


def test_change_errors_are_4xx(client, users, register):
    person = register()
    url = f"{_detail(person)}edit/"
    client.force_login(users.town_haiyou)
    for body, message in (({"visit_every_days": "500"}, "走访周期应为 1 到 365 天"),
                          ({"category": "thief"}, "人员类别无效"),
                          ({"caretaker": "grid_jianzhong1"}, "责任网格员")):
        resp = client.post(url, {"version": str(person.version), **body})
        assert resp.status_code == 400 and message in _html(resp), body
    client.force_login(users.grid_xinhu1)
    register_cared = register("钱二", caretaker="grid_xinhu1")
    resp = client.post(f"{_detail(register_cared)}edit/", {"version": "0", "visit_every_days": "3"})
    assert resp.status_code == 403 and "您的角色不能修改重点人员信息" in _html(resp)
    resp = client.post(f"{_detail(register_cared)}remove/", {"version": "0", "reason": "迁出"})
    assert resp.status_code == 403
    assert 'id="edit-form"' not in _html(client.get(_detail(register_cared)))
    assert KeyPerson.objects.get(pk=person.pk).version == person.version


def test_remove_from_the_registry(client, users, register):
    person = register()
    url = f"{_detail(person)}remove/"
    client.force_login(users.cadre_xinhu)
    resp = client.post(url, {"version": str(person.version), "reason": " "})
    assert resp.status_code == 400 and "请填写移出理由" in _html(resp)
    resp = client.post(url, {"version": str(person.version), "reason": "社区矫正期满"})
    assert resp.status_code == 302
    fresh = KeyPerson.objects.get(pk=person.pk)
    assert not fresh.is_active and fresh.removed_at is not None and fresh.removal_reason == "社区矫正期满"
    html = _html(client.get(_detail(person)))
    assert 'id="person-removed"' in html and "社区矫正期满" in html
    assert 'id="visit-form"' not in html and 'id="edit-form"' not in html and 'id="remove-form"' not in html
    assert f'data-person="{person.pk}"' not in _html(client.get(LIST))
    assert f'data-person="{person.pk}"' in _html(client.get(LIST, {"active": "removed"}))
    # a second click: the form is gone, the refusal is said above the actions
    resp = client.post(url, {"version": str(fresh.version), "reason": "再次移出"})
    assert resp.status_code == 409 and 'id="action-error"' in _html(resp)


def test_the_edit_form_offers_only_grid_workers_of_the_person_s_town(client, users, person):
    """The action accepts a responsible grid worker of the person's own town only: the county
    centre's edit form offers those, not every grid worker of the county."""
    p = person()
    client.force_login(users.county_op)
    offered = {u.username for u in client.get(f"/grid/key-persons/{p.pk}/").context["caretakers"]}
    assert "grid_xinhu1" in offered and "grid_jianzhong1" not in offered
