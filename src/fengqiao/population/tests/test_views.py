"""The console pages of the population registry (/population/houses/, /population/residents/)
through Django's test client: each page four ways (anonymous, wrong role, outside the
jurisdiction, inside), the lists' filters (each giving the rows the API's same filter gives, as
both read the API's FilterSets), counters and pagination with a number of queries that does not
grow with the rows, personal data masked unless a role that may unmask asks (and then
audited), registration, changes, removal and moving out through their forms, refusals re-shown
with what was typed and their 4xx status, the menu and the phone page's link; and one house and
one tenant registered in a real browser."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fengqiao.areas.models import Area
from fengqiao.core.models import AuditRecord
from fengqiao.grid.tests.test_point_views import _browser, chromium_ready  # noqa: F401  (a fixture)
from fengqiao.population import actions
from fengqiao.population.models import RentalHouse, Resident
from fengqiao.web.tests import conftest as browser_fixtures

from .conftest import HAIYOU, JIANTIAO, JIANZHONG, XINHU, XINHU_GRID, id_number, make_id

pytestmark = pytest.mark.django_db

screenshot_dir = browser_fixtures.screenshot_dir

LOGIN = "/accounts/login/"
HOUSES = "/population/houses/"
HOUSE_NEW = "/population/houses/new/"
RESIDENTS = "/population/residents/"
RESIDENT_NEW = "/population/residents/new/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
LANDLORD_ID = make_id("33102219650302001")


def _html(resp) -> str:
    return resp.content.decode()


def _house_url(h) -> str:
    return f"/population/houses/{h.pk}/"


def _resident_url(r) -> str:
    return f"/population/residents/{r.pk}/"


def _today() -> dt.date:
    return timezone.localdate()


def _house_posts(h) -> dict[str, dict]:
    """Each write of a house's page with a valid body."""
    return {f"{_house_url(h)}edit/": {"rooms": "4", "version": str(h.version)},
            f"{_house_url(h)}remove/": {"reason": "不再出租", "version": str(h.version)}}


def _resident_posts(r) -> dict[str, dict]:
    return {f"{_resident_url(r)}edit/": {"origin": "河南省郑州市", "version": str(r.version)},
            f"{_resident_url(r)}move-out/": {"reason": "left", "version": str(r.version)}}


def _house_unchanged(h) -> bool:
    fresh = RentalHouse.objects.get(pk=h.pk)
    return fresh.version == h.version and fresh.is_active and fresh.rooms == h.rooms


def _resident_unchanged(r) -> bool:
    fresh = Resident.objects.get(pk=r.pk)
    return fresh.version == r.version and fresh.is_active and fresh.origin == r.origin


def _row(html: str, kind: str, pk: int) -> str:
    found = re.search(rf'<tr class="[^"]*" data-{kind}="{pk}">(.*?)</tr>', html, re.S)
    assert found, html
    return found.group(1)


def _houses(client, **params) -> list[int]:
    resp = client.get(HOUSES, params)
    assert resp.status_code == 200
    return [h.pk for h in resp.context["page"].object_list]


def _residents(client, lookup=None, **params) -> list[int]:
    """The residents the list shows for the GET ``params``; with ``lookup``, a person looked up
    by POST (the look-up box), the filters still in the address."""
    if lookup is None:
        resp = client.get(RESIDENTS, params)
    else:
        resp = client.post(f"{RESIDENTS}?{urlencode(params, doseq=True)}", {"lookup": lookup})
        assert "no-store" in resp["Cache-Control"]
    assert resp.status_code == 200
    return [r.pk for r in resp.context["page"].object_list]


def _other_grid(users, village=XINHU):
    """A grid of the village other than grid_xinhu1's own."""
    return (Area.objects.filter(parent__code=village, level="grid").exclude(pk=users.grid_xinhu1.area_id)
            .order_by("code").first())


def _elsewhere(house, users, **kw):
    """A house in 健中居委会 (健跳镇), registered by its town."""
    return house(area=JIANZHONG, address="健跳镇中街1号", by=users.town_jiantiao, caretaker=users.grid_jianzhong1, **kw)


def _views_personal() -> int:
    return AuditRecord.objects.filter(action="view_personal").count()


# ---------------------------------------------------------------- four ways


def test_anonymous_is_sent_to_login(client, house, resident):
    h = house()
    r = resident(house=h)
    gets = (HOUSES, HOUSE_NEW, _house_url(h), RESIDENTS, RESIDENT_NEW, _resident_url(r))
    for url in gets:
        resp = client.get(url)
        assert resp.status_code == 302 and resp["Location"].startswith(LOGIN), url
    posts = {HOUSE_NEW: {"address": "心湖路1号", "area": XINHU, "kind": "whole", "rooms": "1"},
             RESIDENT_NEW: {"name": "张三", "kind": "floating", "id_number": id_number(), "house": str(h.pk)},
             **_house_posts(h), **_resident_posts(r)}
    for url, body in posts.items():
        resp = client.post(url, body)
        assert resp.status_code == 302 and resp["Location"].startswith(LOGIN), url
    assert _house_unchanged(h) and _resident_unchanged(r)
    assert RentalHouse.objects.count() == 1 and Resident.objects.count() == 1


@pytest.mark.parametrize("username", ["dept_police", "auditor", "admin", "mediator"])
def test_wrong_role_is_403(client, users, house, resident, username):
    h = house()
    r = resident(house=h)
    client.force_login(getattr(users, username))
    for url in (HOUSES, HOUSE_NEW, _house_url(h), f"{_house_url(h)}?unmask=1", RESIDENTS, RESIDENT_NEW,
                _resident_url(r), f"{_resident_url(r)}?unmask=1"):
        assert client.get(url).status_code == 403, url
    posts = {HOUSE_NEW: {"address": "心湖路1号", "area": XINHU, "kind": "whole", "rooms": "1"},
             RESIDENT_NEW: {"name": "张三", "kind": "floating", "id_number": id_number(), "house": str(h.pk)},
             **_house_posts(h), **_resident_posts(r)}
    for url, body in posts.items():
        assert client.post(url, body).status_code == 403, url
    assert _house_unchanged(h) and _resident_unchanged(r) and Resident.objects.count() == 1
    assert _views_personal() == 0


def test_a_leader_reads_but_does_not_register(client, users, house, resident):
    h = house()
    r = resident(house=h)
    client.force_login(users.leader)
    for url in (HOUSES, RESIDENTS):
        resp = client.get(url)
        assert resp.status_code == 200 and 'id="register-link"' not in _html(resp), url
    for url in (HOUSE_NEW, RESIDENT_NEW):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {}).status_code == 403, url
    html = _html(client.get(_house_url(h)))
    assert 'id="edit-form"' not in html and 'id="remove-form"' not in html and 'id="register-tenant-link"' not in html
    html = _html(client.get(_resident_url(r)))
    assert 'id="edit-form"' not in html and 'id="move-out-form"' not in html
    resp = client.post(f"{_house_url(h)}edit/", {"rooms": "4", "version": str(h.version)})
    assert resp.status_code == 403 and "您的角色不能修改出租房屋" in _html(resp)
    resp = client.post(f"{_resident_url(r)}move-out/", {"reason": "left", "version": str(r.version)})
    assert resp.status_code == 403 and "您的角色不能注销实有人口" in _html(resp)
    assert _house_unchanged(h) and _resident_unchanged(r)


@pytest.mark.parametrize("username", ["town_jiantiao", "cadre_jianzhong", "grid_jianzhong1"])
def test_right_role_outside_the_jurisdiction_is_404(client, users, house, resident, username):
    h = house()
    r = resident(house=h)
    client.force_login(getattr(users, username))
    resp = client.get(HOUSES, {"active": "all"})
    assert resp.status_code == 200 and f'data-house="{h.pk}"' not in _html(resp)
    assert resp.context["counts"] == {"total": 0, "tenants": 0, "crowded": 0}
    resp = client.get(RESIDENTS, {"active": "all"})
    assert resp.status_code == 200 and f'data-resident="{r.pk}"' not in _html(resp)
    assert resp.context["counts"]["total"] == 0
    for url in (_house_url(h), f"{_house_url(h)}?unmask=1", _resident_url(r), f"{_resident_url(r)}?unmask=1"):
        assert client.get(url).status_code == 404, url
    for url, body in {**_house_posts(h), **_resident_posts(r)}.items():
        assert client.post(url, body).status_code == 404, url
    assert _house_unchanged(h) and _resident_unchanged(r) and _views_personal() == 0


def test_a_number_that_is_no_entry_is_404(client, users):
    client.force_login(users.county_op)
    for base in ("/population/houses/", "/population/residents/"):
        assert client.get(f"{base}999999999/").status_code == 404
        assert client.get(f"{base}99999999999999999999999/").status_code == 404
    assert client.post("/population/houses/999999999/edit/", {"rooms": "2"}).status_code == 404
    assert client.post("/population/residents/999999999/move-out/", {"reason": "left"}).status_code == 404


@pytest.mark.parametrize("username", ["county_op", "town_haiyou", "leader", "leader_haiyou", "cadre_xinhu",
                                      "grid_xinhu1"])
def test_right_role_inside_the_jurisdiction_is_200(client, users, house, resident, username):
    h = house()
    r = resident(house=h)
    client.force_login(getattr(users, username))
    assert f'data-house="{h.pk}"' in _html(client.get(HOUSES))
    assert f'data-resident="{r.pk}"' in _html(client.get(RESIDENTS))
    resp = client.get(_house_url(h))
    assert resp.status_code == 200 and "三门县海游街道心湖路1号" in _html(resp)
    resp = client.get(_resident_url(r))
    assert resp.status_code == 200 and "李*" in _html(resp)


def test_a_grid_worker_sees_the_houses_in_their_care_and_their_tenants(client, users, house, resident):
    grid = _other_grid(users)
    cared = house(area=grid.code)  # another grid of the village, in grid_xinhu1's care
    other = house(area=grid.code, caretaker=None)
    village = house(area=XINHU, caretaker=None)  # the village's, not the grid's
    own = house(area=XINHU_GRID, caretaker=None)
    tenant = resident(house=cared)
    elsewhere = resident(house=other)
    neighbour = resident()  # at an address of the village
    client.force_login(users.grid_xinhu1)
    assert set(_houses(client)) == {cared.pk, own.pk}
    assert _residents(client) == [tenant.pk]
    assert client.get(_house_url(cared)).status_code == 200
    for url in (_house_url(other), _house_url(village), _resident_url(elsewhere), _resident_url(neighbour)):
        assert client.get(url).status_code == 404, url
    # a grid worker registers at the door: a tenant in the house in their care
    resp = client.post(RESIDENT_NEW, {"name": "赵六", "kind": "floating", "id_number": id_number(),
                                      "house": str(cared.pk)})
    assert resp.status_code == 302 and resp["Location"] == _house_url(cared)
    assert RentalHouse.objects.get(pk=cared.pk).tenants_count == 2


# ---------------------------------------------------------------- the menu and the phone page


def test_the_menu_offers_the_registry_to_those_who_read_it(client, users):
    for username, shown in (("county_op", True), ("cadre_xinhu", True), ("grid_xinhu1", True), ("leader", True),
                            ("dept_police", False), ("mediator", False)):
        client.force_login(getattr(users, username))
        html = _html(client.get("/matters/" if username != "mediator" else "/mediation/disputes/"))
        assert ('id="nav-residents"' in html) is shown, username
        assert ('id="nav-rental-houses"' in html) is shown, username


def test_the_phone_page_links_to_the_registration_of_a_floating_resident(client, users):
    client.force_login(users.grid_xinhu1)
    html = _html(client.get("/m/", **EN))
    link = re.search(r'<a href="([^"]+)" id="register-resident-link">([^<]*)</a>', html)
    assert link and link.group(1) == "/population/residents/new/?kind=floating"
    assert link.group(2) == "Register a floating resident"
    resp = client.get(link.group(1))
    assert resp.status_code == 200 and '<option value="floating" selected>' in _html(resp)


# ---------------------------------------------------------------- rental houses: the list


def test_the_house_list_masks_the_landlord_and_shows_the_entry(client, users, house, resident):
    h = house(landlord_name="欧阳德福", landlord_phone="13805761234")
    resident(house=h)
    for username in ("county_op", "town_haiyou", "cadre_xinhu"):  # whether or not the role may unmask
        client.force_login(getattr(users, username))
        html = _html(client.get(HOUSES, {"unmask": "1"}, **EN))
        assert "欧阳德福" not in html and "13805761234" not in html and LANDLORD_ID not in html
        row = _row(html, "house", h.pk)
        assert f'href="{_house_url(h)}">三门县海游街道心湖路1号</a>' in row
        assert "欧***" in row and "Let room by room" in row and "3 rooms" in row and "心湖社区" in row
        assert '<span class="tenants">1</span> / 6' in row and "吴晓" in row and "Crowded" not in row
    assert _views_personal() == 0


def test_house_counters_and_the_crowded_ones(client, users, house, resident):
    crowded = house(max_occupants=1)
    resident(house=crowded)
    resident(house=crowded)
    roomy = house()
    resident(house=roomy)
    house(max_occupants="")  # no limit set: never crowded
    removed = house()
    actions.remove_house(removed, by=users.cadre_xinhu, reason="已拆除")
    _elsewhere(house, users)
    client.force_login(users.cadre_xinhu)
    resp = client.get(HOUSES, **EN)
    assert resp.context["counts"] == {"total": 3, "tenants": 3, "crowded": 1}
    assert resp.context["counts"]["crowded"] == RentalHouse.objects.restrict(users.cadre_xinhu).crowded().count()
    html = _html(resp)
    assert 'id="count-total" data-count="3"' in html and 'id="count-tenants" data-count="3"' in html
    assert 'id="count-crowded" data-count="1"' in html
    assert 'class="crowded"' in html and "Crowded" in _row(html, "house", crowded.pk)
    assert f'data-house="{removed.pk}"' not in html
    assert _houses(client, crowded="1") == [crowded.pk]  # the counter's old link
    assert f'href="{HOUSES}?crowded=true" id="count-crowded"' in html
    assert _houses(client, crowded="true") == [crowded.pk]
    client.force_login(users.county_op)
    assert client.get(HOUSES).context["counts"] == {"total": 4, "tenants": 3, "crowded": 1}


def test_house_list_filters(client, users, house):
    grid = _other_grid(users)
    in_grid = house(area=grid.code, kind="whole", address="湖滨路2号")
    dormitory = house(kind="dormitory", caretaker=None, address="心湖路工业区宿舍")
    shop = house(kind="shop_home", address="心湖路沿街18号")
    elsewhere = _elsewhere(house, users, kind="dormitory")
    gone = house(address="心湖路旧房")
    actions.remove_house(gone, by=users.cadre_xinhu, reason="已拆除")

    client.force_login(users.county_op)
    assert set(_houses(client)) == {in_grid.pk, dormitory.pk, shop.pk, elsewhere.pk}
    assert set(_houses(client, kind="dormitory")) == {dormitory.pk, elsewhere.pk}
    # several kinds: any of them (an empty one, as the old "any" box sent, is no kind)
    assert set(_houses(client, kind=["dormitory", "shop_home", ""])) == {dormitory.pk, shop.pk, elsewhere.pk}
    assert set(_houses(client, kind="")) == set(_houses(client))
    assert _houses(client, area=JIANTIAO) == [elsewhere.pk]
    assert set(_houses(client, area=XINHU)) == {in_grid.pk, dormitory.pk, shop.pk}
    assert _houses(client, area=grid.code) == [in_grid.pk]
    assert set(_houses(client, caretaker="grid_xinhu1")) == {in_grid.pk, shop.pk}
    assert _houses(client, caretaker="grid_jianzhong1") == [elsewhere.pk]
    assert set(_houses(client, q="心湖路")) == {dormitory.pk, shop.pk}
    assert _houses(client, q="宿舍", kind="dormitory") == [dormitory.pk]
    # the address word by word: each word in it, anywhere
    assert _houses(client, q="宿舍  心湖路") == [dormitory.pk] and _houses(client, q="心湖路 湖滨路") == []
    assert _houses(client, q="心湖路" + " 路" * 5 + " 不在") == _houses(client, q="心湖路")  # five words count
    assert _houses(client, active="removed") == [gone.pk]
    assert _houses(client, active="false") == [gone.pk]  # the API's word for it
    assert len(_houses(client, active="all")) == 5
    assert _houses(client, active="true") == _houses(client)
    # crowded: true or false (1/0, yes/no, on/off as the API reads them)
    roomy = {in_grid.pk, dormitory.pk, shop.pk, elsewhere.pk}
    for word in ("true", "1", "yes", "ON"):
        assert _houses(client, crowded=word) == [], word
    for word in ("false", "0", "no", "off"):
        assert set(_houses(client, crowded=word)) == roomy, word

    client.force_login(users.town_haiyou)
    assert set(_houses(client)) == {in_grid.pk, dormitory.pk, shop.pk}
    resp = client.get(HOUSES, {"area": JIANTIAO}, **EN)  # another town: said, never widened
    assert not resp.context["page"].object_list and "Unknown area or outside your jurisdiction: 331022105" in _html(resp)
    for bad, said in (({"kind": "castle"}, "Unknown way of letting: castle"),
                      ({"kind": ["whole", "castle", "tent"]}, "Unknown way of letting: castle, tent"),
                      ({"active": "maybe"}, "Unknown registry status: maybe"),
                      ({"active": "moved_out"}, "Unknown registry status: moved_out"),
                      ({"crowded": "maybe"}, "Unknown crowded status: maybe"),
                      ({"caretaker": "g" * 151}, "Unknown responsible grid worker: ggg"),
                      ({"q": "a\x00b"}, "Invalid characters."), ({"kind": ["whole", "a\x00"]}, "Invalid characters.")):
        resp = client.get(HOUSES, bad, **EN)
        assert resp.status_code == 200 and not resp.context["page"].object_list, bad
        assert said in _html(resp), bad
    assert "Invalid characters." not in _html(client.get(HOUSES, {"q": "长" * 150}, **EN))  # cut, not refused
    # the filter boxes keep what was chosen (the API's words shown as the console's)
    html = _html(client.get(HOUSES, {"kind": ["dormitory", "whole"], "q": "宿舍", "crowded": "1",
                                     "caretaker": "grid_xinhu1", "active": "false"}))
    assert 'name="kind" value="dormitory" checked>' in html and 'name="kind" value="whole" checked>' in html
    assert 'name="kind" value="rooms">' in html and 'value="宿舍"' in html
    assert '<option value="true" selected>' in html and '<option value="grid_xinhu1" selected>' in html
    assert '<option value="removed" selected>' in html
    assert '<option value="false" selected>' in _html(client.get(HOUSES, {"crowded": "no"}))


def test_the_house_list_is_paginated_with_its_filters(client, users, house):
    for _i in range(32):
        house(kind="whole")
    house(kind="dormitory")
    client.force_login(users.town_haiyou)
    resp = client.get(HOUSES, {"kind": "whole"})
    assert len(resp.context["page"].object_list) == 30 and resp.context["page"].paginator.count == 32
    assert "kind=whole&amp;page=2" in _html(resp)
    assert len(_houses(client, kind="whole", page="2")) == 2
    resp = client.get(HOUSES, {"kind": ["whole", "dormitory"], "crowded": "0"})  # several kinds: each in the links
    assert resp.context["page"].paginator.count == 33
    assert "kind=whole&amp;kind=dormitory&amp;crowded=false&amp;page=2" in _html(resp)
    assert len(_houses(client, kind=["whole", "dormitory"], crowded="false", page="2")) == 3


def _queries(client, url, params=None, *, method="get") -> int:
    send = getattr(client, method)
    send(url, params or {})  # the session and the like, once
    with CaptureQueriesContext(connection) as ctx:
        assert send(url, params or {}).status_code == 200
    return len(ctx.captured_queries)


def _post_queries(client, url, data) -> int:
    return _queries(client, url, data, method="post")


def test_the_pages_run_as_many_queries_for_20_rows_as_for_2(client, users, house, resident):
    client.force_login(users.town_haiyou)
    counted = {}
    for n in (2, 20):
        Resident.objects.all().delete()
        RentalHouse.objects.all().delete()
        houses = [house(max_occupants=1) for _i in range(n)]
        for i in range(n):
            resident(house=houses[0], permit_expires_on=(_today() + dt.timedelta(days=i)).isoformat())
        counted[n] = {"houses": _queries(client, HOUSES), "residents": _queries(client, RESIDENTS),
                      "house": _queries(client, _house_url(houses[0])),
                      "resident": _queries(client, _resident_url(Resident.objects.first())),
                      "search": _queries(client, RESIDENTS, {"permit": "soon"}),
                      "lookup": _post_queries(client, RESIDENTS, {"lookup": "李娜"})}
    assert counted[2] == counted[20]
    assert max(counted[20].values()) <= 16, counted[20]


# ---------------------------------------------------------------- rental houses: one house


def test_the_house_page_is_masked_by_default(client, users, house):
    h = house(landlord_name="欧阳德福")
    client.force_login(users.county_op)
    html = _html(client.get(_house_url(h)))
    assert "欧阳德福" not in html and LANDLORD_ID not in html and "13805761234" not in html
    assert '<dd id="landlord-name">欧***</dd>' in html and "138****1234" in html
    assert LANDLORD_ID[:6] + "********" + LANDLORD_ID[-4:] in html
    assert 'id="unmask-link"' in html and _views_personal() == 0


@pytest.mark.parametrize("username", ["county_op", "town_haiyou"])
def test_a_role_that_may_unmask_sees_the_landlord_in_full_and_it_is_audited(client, users, house, username):
    h = house(landlord_name="欧阳德福")
    user = getattr(users, username)
    client.force_login(user)
    resp = client.get(_house_url(h), {"unmask": "1"})
    html = _html(resp)
    assert '<dd id="landlord-name">欧阳德福</dd>' in html
    assert f'<dd id="landlord-id-number">{LANDLORD_ID}</dd>' in html and '<dd id="landlord-phone">13805761234</dd>' in html
    assert 'id="unmasked-note"' in html and "no-store" in resp["Cache-Control"]
    # the edit form never carries them in full
    form = html.split('id="edit-form"')[1].split("</form>")[0]
    assert "欧阳德福" not in form and LANDLORD_ID not in form
    rec = AuditRecord.objects.get(action="view_personal")
    assert (rec.object_type, rec.object_id, rec.actor_id) == ("population.rentalhouse", str(h.pk), user.pk)
    assert rec.after == {"fields": ["landlord_name", "landlord_id_number", "landlord_phone"]}
    assert "欧阳德福" not in rec.object_repr and LANDLORD_ID not in str(rec.after)


@pytest.mark.parametrize("username", ["cadre_xinhu", "leader", "grid_xinhu1"])
def test_other_roles_cannot_unmask_the_landlord(client, users, house, username):
    h = house(landlord_name="欧阳德福")
    client.force_login(getattr(users, username))
    html = _html(client.get(_house_url(h), {"unmask": "1"}))
    assert "欧阳德福" not in html and LANDLORD_ID not in html and 'id="unmask-link"' not in html
    assert _views_personal() == 0


def test_the_house_page_lists_its_tenants_masked_with_their_permit(client, users, house, resident):
    h = house()
    expired = resident(house=h, name="欧阳娜", permit_expires_on=(_today() - dt.timedelta(days=3)).isoformat())
    fine = resident(house=h, name="张伟", permit_expires_on=(_today() + dt.timedelta(days=200)).isoformat())
    moved = resident(house=h, name="王五")
    actions.move_out_resident(moved, by=users.cadre_xinhu, reason="left")
    other = resident()  # not here
    client.force_login(users.county_op)
    resp = client.get(_house_url(h), {"unmask": "1"}, **EN)  # unmasks the landlord, not the tenants
    html = _html(resp)
    assert [t["resident"].pk for t in resp.context["tenant_rows"]] == [expired.pk, fine.pk]
    assert f'data-resident="{moved.pk}"' not in html and f'data-resident="{other.pk}"' not in html
    assert "欧阳娜" not in html and "欧**" in html and "张*" in html
    assert re.search(rf'<tr data-resident="{expired.pk}" class="permit-red">.*?data-permit="expired">Expired<', html,
                     re.S)
    assert '<span id="tenants-count">2</span>' in html
    assert f'href="/population/residents/new/?house={h.pk}" id="register-tenant-link"' in html
    link = re.search(r'href="([^"]+)" id="all-tenants-link"', html).group(1).replace("&amp;", "&")
    assert [r.pk for r in client.get(link).context["page"].object_list] == [expired.pk, fine.pk, moved.pk]


# ---------------------------------------------------------------- rental houses: registration


def test_register_a_house_through_the_form(client, users):
    client.force_login(users.cadre_xinhu)
    resp = client.get(HOUSE_NEW)
    assert resp.status_code == 200 and 'name="csrfmiddlewaretoken"' in _html(resp)
    assert {u.username for u in resp.context["caretakers"]} >= {"grid_xinhu1"}
    assert "grid_jianzhong1" not in {u.username for u in resp.context["caretakers"]}
    codes = {a.code for a in resp.context["places"]}
    assert XINHU in codes and JIANZHONG not in codes and all(c.startswith(XINHU) for c in codes)
    resp = client.post(HOUSE_NEW, {"area": XINHU, "address": " 心湖路 5号 ", "kind": "rooms", "rooms": "4",
                                   "max_occupants": "8", "landlord_name": "王德福", "landlord_id_number": LANDLORD_ID,
                                   "landlord_phone": "13805761234", "caretaker": "grid_xinhu1",
                                   "note": "一楼沿街\r\n二楼出租"}, follow=True, **EN)
    h = RentalHouse.objects.get()
    assert resp.redirect_chain == [(_house_url(h), 302)] and "Rental house registered." in _html(resp)
    assert (h.address, h.area.code, h.kind, h.rooms, h.max_occupants) == ("心湖路 5号", XINHU, "rooms", 4, 8)
    assert (h.landlord_name, h.landlord_id_number, h.landlord_phone) == ("王德福", LANDLORD_ID, "13805761234")
    assert h.caretaker == users.grid_xinhu1 and h.registered_by == users.cadre_xinhu and h.note == "一楼沿街\n二楼出租"
    assert AuditRecord.objects.filter(action="rental_house_register", object_id=str(h.pk)).exists()
    html = _html(resp)
    assert "王德福" not in html and "王**" in html


def test_house_registration_errors_re_show_the_form_with_what_was_typed(client, users, house):
    client.force_login(users.cadre_xinhu)
    body = {"area": XINHU, "address": "心湖路5号", "kind": "dormitory", "rooms": "0", "max_occupants": "8",
            "landlord_name": "王德福", "landlord_phone": "13805761234", "caretaker": "grid_xinhu1", "note": "备注"}
    resp = client.post(HOUSE_NEW, body)
    assert resp.status_code == 400
    html = _html(resp)
    assert "出租间数应为 1 到 500 之间的整数" in html and 'data-field="rooms"' in html
    assert 'value="心湖路5号"' in html and 'value="0"' in html and 'value="8"' in html and 'value="王德福"' in html
    assert '<option value="dormitory" selected>' in html and f'<option value="{XINHU}" selected>' in html
    assert '<option value="grid_xinhu1" selected>' in html and "备注</textarea>" in html
    for change, message in (({"address": " "}, "请填写地址"), ({"kind": "castle"}, "出租方式"),
                            ({"rooms": "x"}, "出租间数"), ({"max_occupants": "0"}, "核定居住人数"),
                            ({"area": JIANZHONG}, "区域不存在或不在您的管辖范围内"),
                            ({"caretaker": "grid_jianzhong1"}, "责任网格员"),
                            ({"landlord_id_number": LANDLORD_ID[:17] + "0" if LANDLORD_ID[17] != "0" else "1"},
                             "身份证号码校验位错误"),
                            ({"landlord_phone": "12345"}, "电话号码格式不正确")):
        resp = client.post(HOUSE_NEW, {**body, "rooms": "3", **change})
        assert resp.status_code == 400 and message in _html(resp), change
    resp = client.post(HOUSE_NEW, {**body, "address": ""}, **EN)
    assert resp.status_code == 400 and "the address" in _html(resp)
    assert not RentalHouse.objects.exists()
    # the same address twice: a 409
    existing = house(address="心湖路5号")
    resp = client.post(HOUSE_NEW, {**body, "rooms": "3"})
    assert resp.status_code == 409 and "该地址的出租房屋已登记" in _html(resp)
    assert list(RentalHouse.objects.all()) == [existing]


def test_a_grid_worker_registers_a_house_in_their_grid(client, users):
    client.force_login(users.grid_xinhu1)
    codes = {a.code for a in client.get(HOUSE_NEW).context["places"]}
    assert codes and all(c.startswith(XINHU_GRID) for c in codes)
    resp = client.post(HOUSE_NEW, {"area": XINHU_GRID, "address": "心湖路9号", "kind": "whole", "rooms": "1"})
    assert resp.status_code == 302
    resp = client.post(HOUSE_NEW, {"area": XINHU, "address": "心湖路10号", "kind": "whole", "rooms": "1"})
    assert resp.status_code == 400 and "区域不存在或不在您的管辖范围内" in _html(resp)
    assert RentalHouse.objects.count() == 1


# ---------------------------------------------------------------- rental houses: change and removal


def _house_edit_body(h, **kw) -> dict:
    """The edit form as the page sends it: every box back, the landlord's empty."""
    return {"version": str(h.version), "address": h.address, "area": h.area.code, "kind": h.kind, "rooms": str(h.rooms),
            "max_occupants": "" if h.max_occupants is None else str(h.max_occupants),
            "caretaker": h.caretaker.username if h.caretaker else "", "note": h.note,
            "landlord_name": "", "landlord_id_number": "", "landlord_phone": "", **kw}


def test_change_a_house_through_the_form(client, users, house, resident):
    h = house()
    tenant = resident(house=h)
    client.force_login(users.cadre_xinhu)
    html = _html(client.get(_house_url(h)))
    assert f'name="version" value="{h.version}"' in html and 'placeholder="王**"' in html
    resp = client.post(f"{_house_url(h)}edit/", _house_edit_body(h, address="心湖路1号之一", rooms="5",
                                                                 max_occupants="10", landlord_phone="13905760000",
                                                                 note="房东已签治安责任书"), follow=True, **EN)
    assert "Changes saved." in _html(resp)
    fresh = RentalHouse.objects.get(pk=h.pk)
    assert (fresh.address, fresh.rooms, fresh.max_occupants, fresh.note) == ("心湖路1号之一", 5, 10, "房东已签治安责任书")
    assert fresh.landlord_phone == "13905760000" and fresh.landlord_name == "王德福"  # the empty box kept it
    assert fresh.landlord_id_number == LANDLORD_ID and fresh.version == h.version + 1
    assert Resident.objects.get(pk=tenant.pk).address == "心湖路1号之一"  # the tenant's address follows
    # the form sent again unchanged changes nothing
    resp = client.post(f"{_house_url(h)}edit/", _house_edit_body(fresh), follow=True)
    assert "没有修改任何内容" in _html(resp) and RentalHouse.objects.get(pk=h.pk).version == fresh.version


def test_a_house_edit_with_a_stale_version_is_a_409_and_keeps_what_was_typed(client, users, house):
    h = house()
    seen = _house_edit_body(h)
    actions.update_house(h, by=users.town_haiyou, note="他人先改")
    client.force_login(users.cadre_xinhu)
    resp = client.post(f"{_house_url(h)}edit/", {**seen, "rooms": "7", "note": "改为七间"})
    assert resp.status_code == 409
    html = _html(resp)
    assert "记录已被他人更新" in html and '<details class="action" open data-action="edit">' in html
    assert 'value="7"' in html and "改为七间</textarea>" in html
    fresh = RentalHouse.objects.get(pk=h.pk)
    assert fresh.rooms == 3 and fresh.note == "他人先改"
    resp = client.post(f"{_house_url(h)}remove/", {"version": seen["version"], "reason": "不再出租"})
    assert resp.status_code == 409 and RentalHouse.objects.get(pk=h.pk).is_active


def test_house_change_errors_are_4xx(client, users, house):
    h = house()
    url = f"{_house_url(h)}edit/"
    client.force_login(users.town_haiyou)
    for kw, message in (({"rooms": "501"}, "出租间数应为 1 到 500"), ({"kind": "castle"}, "出租方式"),
                        ({"caretaker": "grid_jianzhong1"}, "责任网格员"), ({"address": ""}, "请填写地址"),
                        ({"area": JIANZHONG}, "区域不存在或不在您的管辖范围内"), ({"landlord_phone": "123"}, "电话号码格式不正确")):
        resp = client.post(url, _house_edit_body(h, **kw))
        assert resp.status_code == 400 and message in _html(resp), kw
        assert f'data-field="{next(iter(kw))}"' in _html(resp), kw
    assert RentalHouse.objects.get(pk=h.pk).version == h.version


def test_remove_a_house_is_refused_while_tenants_live_there(client, users, house, resident):
    h = house()
    tenant = resident(house=h)
    url = f"{_house_url(h)}remove/"
    client.force_login(users.cadre_xinhu)
    assert 'id="remove-tenants-hint"' in _html(client.get(_house_url(h)))
    resp = client.post(url, {"version": str(h.version), "reason": "不再出租"})
    assert resp.status_code == 409
    html = _html(resp)
    assert "该房屋还有 1 名在册租住人员" in html and '<details class="action" open data-action="remove">' in html
    assert "不再出租</textarea>" in html and RentalHouse.objects.get(pk=h.pk).is_active
    resp = client.post(url, {"version": str(h.version), "reason": "不再出租"}, **EN)
    assert resp.status_code == 409 and "1 registered tenants still live here" in _html(resp)
    actions.move_out_resident(tenant, by=users.cadre_xinhu, reason="left")
    resp = client.post(url, {"version": str(h.version), "reason": " "})
    assert resp.status_code == 400 and "请填写移出理由" in _html(resp)
    resp = client.post(url, {"version": str(h.version), "reason": "房屋已拆除"})
    assert resp.status_code == 302
    fresh = RentalHouse.objects.get(pk=h.pk)
    assert not fresh.is_active and fresh.removal_reason == "房屋已拆除"
    html = _html(client.get(_house_url(h)))
    assert 'id="house-removed"' in html and "房屋已拆除" in html
    assert 'id="edit-form"' not in html and 'id="remove-form"' not in html and 'id="register-tenant-link"' not in html
    assert f'data-house="{h.pk}"' not in _html(client.get(HOUSES))
    assert _houses(client, active="removed") == [h.pk]
    # a second click: the form is gone, the refusal is said above the actions
    resp = client.post(url, {"version": str(fresh.version), "reason": "再次移出"})
    assert resp.status_code == 409 and 'id="action-error"' in _html(resp)


# ---------------------------------------------------------------- residents: the list


def test_the_resident_list_masks_names_id_numbers_and_phones(client, users, house, resident):
    h = house()
    number = id_number()
    r = resident(name="欧阳娜", id_number=number, phone="13912348765", house=h)
    for username in ("county_op", "town_haiyou", "cadre_xinhu"):
        client.force_login(getattr(users, username))
        html = _html(client.get(RESIDENTS, {"unmask": "1"}, **EN))
        assert "欧阳娜" not in html and number not in html and "13912348765" not in html
        row = _row(html, "resident", r.pk)
        assert f'href="{_resident_url(r)}">欧**</a>' in row and "Floating population" in row
        assert number[:6] + "********" + number[-4:] in row and "139****8765" in row
        assert f'href="{_house_url(h)}">三门县海游街道心湖路1号</a>' in row and "Tenant" in row
    assert _views_personal() == 0


def test_resident_counters_and_permit_marks(client, users, resident):
    today = _today()
    expired = resident(permit_expires_on=(today - dt.timedelta(days=1)).isoformat())
    soon = resident(permit_expires_on=(today + dt.timedelta(days=29)).isoformat())
    later = resident(permit_expires_on=(today + dt.timedelta(days=30)).isoformat())
    missing = resident(arrived_on=(today - dt.timedelta(days=200)).isoformat())
    registered = resident(name="张伟", kind="registered")
    resident(kind="foreign", id_number="", origin="越南")
    gone = resident(permit_expires_on=(today - dt.timedelta(days=1)).isoformat())
    actions.move_out_resident(gone, by=users.cadre_xinhu, reason="left")
    client.force_login(users.cadre_xinhu)
    resp = client.get(RESIDENTS, **EN)
    assert resp.context["counts"] == {"total": 6, "floating": 4, "expired": 1, "soon": 1}
    html = _html(resp)
    for name, n in (("total", 6), ("floating", 4), ("expired", 1), ("soon", 1)):
        assert f'id="count-{name}" data-count="{n}"' in html, name
    assert 'data-permit="expired">Expired<' in _row(html, "resident", expired.pk)
    assert 'data-permit="soon">Expires within 30 days<' in _row(html, "resident", soon.pk)
    assert 'data-permit="missing">No permit after 6 months<' in _row(html, "resident", missing.pk)
    assert "data-permit" not in _row(html, "resident", later.pk) and "data-permit" not in _row(
        html, "resident", registered.pk)
    assert f'data-resident="{gone.pk}"' not in html
    assert _residents(client, permit="expired") == [expired.pk]
    assert _residents(client, permit="soon") == [soon.pk]
    assert _residents(client, permit="missing") == [missing.pk]


def test_resident_list_filters(client, users, house, resident):
    grid = _other_grid(users)
    h = house()
    tenant = resident(house=h, name="李娜")
    in_grid = resident(area=grid.code, name="张伟", kind="registered")
    number = id_number()
    by_id = resident(name="王芳", id_number=number, phone="13700001111")
    foreign = resident(kind="foreign", id_number="", name="NGUYEN VAN A", phone="")
    elsewhere = resident(area=JIANZHONG, address="健跳镇中街", name="李娜", by=users.town_jiantiao)
    gone = resident(name="赵七")
    actions.move_out_resident(gone, by=users.cadre_xinhu, reason="died")

    client.force_login(users.county_op)
    assert set(_residents(client)) == {tenant.pk, in_grid.pk, by_id.pk, foreign.pk, elsewhere.pk}
    assert _residents(client, kind="registered") == [in_grid.pk]
    assert _residents(client, kind="foreign") == [foreign.pk]
    assert set(_residents(client, kind=["registered", "foreign"])) == {in_grid.pk, foreign.pk}
    assert _residents(client, area=JIANTIAO) == [elsewhere.pk]
    assert _residents(client, area=grid.code) == [in_grid.pk]
    assert _residents(client, house=str(h.pk)) == [tenant.pk]
    # the search box looks a person up by the exact name, ID number or phone number
    assert set(_residents(client, lookup="李娜")) == {tenant.pk, elsewhere.pk}
    assert _residents(client, lookup=number) == [by_id.pk]
    assert _residents(client, lookup=number.lower()[:-1] + number[-1].lower()) == [by_id.pk]
    assert _residents(client, lookup="137 0000 1111") == [by_id.pk]
    assert _residents(client, lookup="nguyen  van a".upper()) == [foreign.pk]
    assert _residents(client, lookup="李") == [] and _residents(client, lookup="1370000") == []
    assert _residents(client, lookup="赵七") == [] and _residents(client, lookup="赵七", active="moved_out") == [gone.pk]
    # a look-up among the filtered entries
    assert _residents(client, lookup="李娜", kind=["floating", "registered"], area=XINHU) == [tenant.pk]
    assert _residents(client, lookup="李娜", kind="registered") == []
    assert _residents(client, active="moved_out") == [gone.pk]
    assert _residents(client, active="false") == [gone.pk]
    assert len(_residents(client, active="all")) == 6

    client.force_login(users.town_haiyou)
    assert _residents(client, lookup="李娜") == [tenant.pk]  # the other 李娜 lies outside the town
    for bad, said in (({"kind": "alien"}, "Unknown kind of resident: alien"),
                      ({"kind": ["floating", "alien"]}, "Unknown kind of resident: alien"),
                      ({"permit": "someday"}, "Unknown residence permit status: someday"),
                      ({"house": "abc"}, "Unknown rental house: abc"),
                      ({"house": "1.5"}, "Unknown rental house: 1.5"),
                      ({"active": "maybe"}, "Unknown registry status: maybe"),
                      ({"active": "removed"}, "Unknown registry status: removed"),
                      ({"area": JIANTIAO}, "Unknown area or outside your jurisdiction"),
                      ({"kind": "a\x00b"}, "Invalid characters.")):
        resp = client.get(RESIDENTS, bad, **EN)
        assert resp.status_code == 200 and not resp.context["page"].object_list, bad
        assert said in _html(resp), bad
    resp = client.post(RESIDENTS, {"lookup": "李\x00娜"}, **EN)  # refused before the page reads it
    assert resp.status_code == 400 and "the form holds a NUL character" in _html(resp)
    # what was looked up stays out of the page's links (and of the address: it was posted)
    number = by_id.id_number
    resp = client.post(RESIDENTS, {"lookup": number})
    assert [r.pk for r in resp.context["page"].object_list] == [by_id.pk]
    assert number not in resp.context["querystring"]
    assert all(number not in link for link in re.findall(r'href="([^"]*)"', _html(resp)))
    everyone = client.get(RESIDENTS).context["page"].paginator.count
    for key in ("q", "lookup", "name", "id_number"):  # no GET look-up
        assert client.get(RESIDENTS, {key: number}).context["page"].paginator.count == everyone, key
    html = _html(client.get(RESIDENTS, {"kind": ["floating", "foreign"], "permit": "soon", "active": "false"}))
    assert 'name="kind" value="floating" checked>' in html and 'name="kind" value="foreign" checked>' in html
    assert 'name="kind" value="registered">' in html and '<option value="soon" selected>' in html
    assert '<option value="moved_out" selected>' in html


def test_the_resident_list_is_paginated_with_its_filters(client, users, resident):
    for _i in range(32):
        resident()
    resident(kind="registered")
    client.force_login(users.cadre_xinhu)
    resp = client.get(RESIDENTS, {"kind": "floating"})
    assert len(resp.context["page"].object_list) == 30 and resp.context["page"].paginator.count == 32
    assert "kind=floating&amp;page=2" in _html(resp)
    assert len(_residents(client, kind="floating", page="2")) == 2


# ---------------------------------------------------------------- the lists and the API: one meaning

#: the users the console and the API are compared for: the county, a town, a grid worker (whose
#: reach is their grid and the houses in their care elsewhere in the town, with their tenants)
COMPARED_USERS = ("county_op", "town_haiyou", "grid_xinhu1")


def _registry(users, house, resident) -> dict:
    """Houses and residents for every filter: crowded, full, with no limit and no caretaker, in
    another grid of 心湖社区, in 健跳镇, removed; residents of each kind, permit state and place,
    a tenant, one moved out. Their primary keys by name."""
    today = _today()
    grid = _other_grid(users)
    crowded = house(address="三门县海游街道心湖路1号", max_occupants=1)
    full = house(address="三门县海游街道心湖路2号", max_occupants=1, kind="whole")
    unlimited = house(address="三门县海游街道东门路3号", max_occupants=None, kind="dormitory", caretaker=None)
    in_grid = house(area=grid.code, address="三门县海游街道湖滨路5号", kind="shop_home")
    elsewhere = _elsewhere(house, users, kind="dormitory")
    removed = house(address="三门县海游街道心湖路4号")
    actions.remove_house(removed, by=users.cadre_xinhu, reason="已拆除")
    day = dt.timedelta(days=1)
    entries = {
        "expired": resident(house=crowded.pk, permit_expires_on=(today - day).isoformat()),
        "soon": resident(house=crowded.pk, permit_expires_on=(today + 29 * day).isoformat()),
        "tenant": resident(house=full.pk),
        "missing": resident(house=unlimited.pk, arrived_on=(today - 200 * day).isoformat()),
        "registered": resident(kind="registered", area=grid.code, address="湖滨路6号"),
        "foreign": resident(kind="foreign", id_number="", origin="越南", area=XINHU_GRID),
        "resident_elsewhere": resident(area=JIANZHONG, address="健跳镇中街2号", by=users.town_jiantiao),
        "tenant_elsewhere": resident(house=elsewhere.pk, by=users.town_jiantiao),
        "gone": resident(permit_expires_on=(today - day).isoformat()),
    }
    actions.move_out_resident(entries["gone"], by=users.cadre_xinhu, reason="left")
    houses = {"crowded": crowded, "full": full, "unlimited": unlimited, "in_grid": in_grid, "elsewhere": elsewhere,
              "removed": removed}
    return {**{k: h.pk for k, h in houses.items()}, **{k: r.pk for k, r in entries.items()}, "grid": grid.code}


def _filled(params: dict, names: dict) -> dict:
    """``params`` with ``{name}`` standing for an entry's primary key or the other grid's code."""
    return {k: [v.format(**names) for v in value] if isinstance(value, list) else value.format(**names)
            for k, value in params.items()}


#: each filter of the house list: the console's parameters and, where the console's words differ
#: from the API's, the API's (``None``: the same)
HOUSE_CASES = [
    ({}, None),
    ({"kind": "dormitory"}, None),
    ({"kind": ["dormitory", "whole"]}, None),
    ({"kind": ["whole", ""]}, {"kind": "whole"}),
    ({"area": HAIYOU}, None),
    ({"area": XINHU}, None),
    ({"area": "{grid}"}, None),
    ({"area": JIANTIAO}, None),
    ({"caretaker": "grid_xinhu1"}, None),
    ({"caretaker": "grid_jianzhong1"}, None),
    ({"caretaker": "nobody"}, None),
    ({"crowded": "1"}, None),
    ({"crowded": "true"}, None),
    ({"crowded": "false"}, None),
    ({"crowded": "0"}, None),
    ({"q": "心湖路"}, None),
    ({"q": "海游 心湖路"}, None),
    ({"q": "心湖路 湖滨路"}, None),
    ({"q": "心湖路4号"}, None),
    ({"active": "removed"}, {"active": "false"}),
    ({"active": "false"}, None),
    ({"active": "all"}, None),
    ({"active": "true"}, None),
    ({"q": "心湖路4号", "active": "all"}, None),
    ({"kind": ["rooms", "whole"], "crowded": "false", "area": XINHU, "q": "心湖路"}, None),
]

RESIDENT_CASES = [
    ({}, None),
    ({"kind": "floating"}, None),
    ({"kind": ["registered", "foreign"]}, None),
    ({"area": XINHU}, None),
    ({"area": XINHU_GRID}, None),
    ({"area": "{grid}"}, None),
    ({"area": JIANZHONG}, None),
    ({"permit": "expired"}, None),
    ({"permit": "soon"}, None),
    ({"permit": "missing"}, None),
    ({"house": "{crowded}"}, None),
    ({"house": "{elsewhere}"}, None),
    ({"house": "999999999"}, None),
    ({"house": str(2**63 - 1)}, None),
    ({"house": "-1"}, None),
    ({"active": "moved_out"}, {"active": "false"}),
    ({"active": "false"}, None),
    ({"active": "all"}, None),
    ({"kind": ["floating", "foreign"], "permit": "expired", "active": "all"}, None),
]


def _compared(client, api, users, names, url, params, api_params) -> None:
    """The console's list and the API's, for the same filters and the same user: the same rows in
    the same order."""
    params = _filled(params, names)
    api_params = params if api_params is None else _filled(api_params, names)
    for username in COMPARED_USERS:
        user = getattr(users, username)
        client.force_login(user)
        resp = client.get(url, params)
        assert resp.status_code == 200
        console = [e.pk for e in resp.context["page"].object_list]
        assert not (resp.context["errors"] and console)  # an area out of reach is said, and nothing listed
        answer = api(user).get(f"/api/v1/{'rental-houses' if url == HOUSES else 'residents'}/", api_params)
        assert answer.status_code == 200, answer.content
        assert console == [row["id"] for row in answer.json()["results"]], (username, params)


@pytest.mark.parametrize(("params", "api_params"), HOUSE_CASES, ids=lambda v: urlencode(v or {}, doseq=True))
def test_each_house_filter_gives_the_api_s_rows(client, api, users, house, resident, params, api_params):
    _compared(client, api, users, _registry(users, house, resident), HOUSES, params, api_params)


@pytest.mark.parametrize(("params", "api_params"), RESIDENT_CASES, ids=lambda v: urlencode(v or {}, doseq=True))
def test_each_resident_filter_gives_the_api_s_rows(client, api, users, house, resident, params, api_params):
    _compared(client, api, users, _registry(users, house, resident), RESIDENTS, params, api_params)


def test_the_compared_filters_find_something(client, users, house, resident):
    """The comparisons above are not of empty lists: each filter finds some of the entries."""
    names = _registry(users, house, resident)
    client.force_login(users.county_op)
    empty = {(url, urlencode(params, doseq=True)) for url, cases in ((HOUSES, HOUSE_CASES), (RESIDENTS, RESIDENT_CASES))
             for params, _api in cases if not client.get(url, _filled(params, names)).context["page"].object_list}
    assert empty == {(HOUSES, "caretaker=nobody"), (HOUSES, urlencode({"q": "心湖路 湖滨路"})),
                     (HOUSES, urlencode({"q": "心湖路4号"})), (RESIDENTS, "house=999999999"),
                     (RESIDENTS, f"house={2**63 - 1}"), (RESIDENTS, "house=-1")}


#: values each list refuses, in the console's words and the API's, with what the console says
HOUSE_REFUSED = [
    ({"kind": "castle"}, None, "Unknown way of letting: castle"),
    ({"kind": ["whole", "castle"]}, None, "Unknown way of letting: castle"),
    ({"crowded": "maybe"}, None, "Unknown crowded status: maybe"),
    ({"active": "maybe"}, None, "Unknown registry status: maybe"),
    ({"caretaker": "g" * 151}, None, "Unknown responsible grid worker: " + "g" * 151),
    ({"area": "33\x00"}, None, "Invalid characters."),
    ({"q": "心\x00"}, None, "Invalid characters."),
]
RESIDENT_REFUSED = [
    ({"kind": "tourist"}, None, "Unknown kind of resident: tourist"),
    ({"kind": ["floating", "tourist"]}, None, "Unknown kind of resident: tourist"),
    ({"permit": "late"}, None, "Unknown residence permit status: late"),
    ({"house": "abc"}, None, "Unknown rental house: abc"),
    ({"house": "1.5"}, None, "Unknown rental house: 1.5"),
    ({"house": "9" * 30}, None, "Unknown rental house: " + "9" * 30),  # beyond any column: the API's out_of_range
    ({"house": "-" + "9" * 19}, None, "Unknown rental house: -" + "9" * 19),
    ({"active": "maybe"}, None, "Unknown registry status: maybe"),
    ({"area": "3\x00"}, None, "Invalid characters."),
]


@pytest.mark.parametrize(("url", "params", "api_params", "said"),
                         [(HOUSES, *case) for case in HOUSE_REFUSED] + [(RESIDENTS, *case) for case in RESIDENT_REFUSED],
                         ids=lambda v: v if isinstance(v, str) and v.startswith("/") else None)
def test_a_value_the_api_refuses_is_said_on_the_page(client, api, users, house, resident, url, params, api_params,
                                                      said):
    """What the API answers with a 400, the page says in words (in either language) with an
    empty list: never a 500, never the list unfiltered."""
    house()
    resident()
    client.force_login(users.town_haiyou)
    endpoint = f"/api/v1/{'rental-houses' if url == HOUSES else 'residents'}/"
    assert api(users.town_haiyou).get(endpoint, api_params or params).status_code == 400
    resp = client.get(url, params, **EN)
    assert resp.status_code == 200 and resp.context["page"].paginator.count == 0
    assert said in _html(resp) and resp.context["errors"]
    resp = client.get(url, params, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert resp.status_code == 200 and resp.context["page"].paginator.count == 0 and resp.context["errors"]


# ---------------------------------------------------------------- residents: registration


def test_register_a_resident_at_an_address_through_the_form(client, users):
    client.force_login(users.cadre_xinhu)
    resp = client.get(RESIDENT_NEW)
    assert resp.status_code == 200 and resp.context["preset"] is None
    number = id_number()
    arrived = (_today() - dt.timedelta(days=40)).isoformat()
    permit = (_today() + dt.timedelta(days=300)).isoformat()
    resp = client.post(RESIDENT_NEW, {"name": " 刘 洋 ", "kind": "floating", "id_number": number, "phone": "13912340000",
                                      "area": XINHU, "address": "心湖路20号", "house": "", "origin": "河南省三门峡市",
                                      "reason": "work", "arrived_on": arrived, "permit_expires_on": permit,
                                      "note": "在工业区务工"}, follow=True, **EN)
    r = Resident.objects.get()
    assert resp.redirect_chain == [(_resident_url(r), 302)] and "Resident registered." in _html(resp)
    assert "earlier entry" not in _html(resp)
    assert (r.name, r.id_number, r.phone, r.kind, r.area.code, r.address) == (
        "刘 洋", number, "13912340000", "floating", XINHU, "心湖路20号")
    assert (r.origin, r.reason, r.arrived_on.isoformat(), r.permit_expires_on.isoformat()) == (
        "河南省三门峡市", "work", arrived, permit)
    assert r.house is None and r.registered_by == users.cadre_xinhu
    html = _html(resp)
    assert "刘 洋" not in html and number not in html and '<dd id="resident-name">刘**</dd>' in html


def test_register_a_tenant_from_the_house_page(client, users, house):
    h = house()
    client.force_login(users.cadre_xinhu)
    link = re.search(r'href="([^"]+)" id="register-tenant-link"', _html(client.get(_house_url(h)))).group(1)
    resp = client.get(link.replace("&amp;", "&"))
    assert resp.context["preset"] == h
    html = _html(resp)
    assert f'<option value="{h.pk}" selected>' in html and 'id="preset-house-link"' in html
    resp = client.post(f"{RESIDENT_NEW}?house={h.pk}", {"name": "李娜", "kind": "floating", "id_number": id_number(),
                                                         "house": str(h.pk), "area": "", "address": ""}, follow=True)
    r = Resident.objects.get()
    assert resp.redirect_chain == [(_house_url(h), 302)]  # back to the house, for the next tenant
    assert (r.house, r.area, r.address) == (h, h.area, h.address)
    assert RentalHouse.objects.get(pk=h.pk).tenants_count == 1
    html = _html(resp)
    assert '<span id="tenants-count">1</span>' in html and f'data-resident="{r.pk}"' in html
    # a house the user does not reach, or removed, is not preset
    elsewhere = _elsewhere(house, users)
    assert client.get(RESIDENT_NEW, {"house": str(elsewhere.pk)}).context["preset"] is None
    assert client.get(RESIDENT_NEW, {"house": "abc"}).context["preset"] is None


def test_resident_registration_errors_re_show_the_form_with_what_was_typed(client, users, house):
    h = house()
    elsewhere = _elsewhere(house, users)
    client.force_login(users.cadre_xinhu)
    future = (_today() + dt.timedelta(days=3)).isoformat()
    body = {"name": "刘洋", "kind": "floating", "id_number": id_number(), "phone": "13912340000", "area": XINHU,
            "address": "心湖路20号", "house": "", "origin": "河南", "reason": "business", "arrived_on": future,
            "permit_expires_on": "", "note": "备注"}
    resp = client.post(RESIDENT_NEW, body)
    assert resp.status_code == 400
    html = _html(resp)
    assert "来本地日期不在合理范围内" in html and 'data-field="arrived_on"' in html
    assert 'value="刘洋"' in html and f'value="{body["id_number"]}"' in html and 'value="心湖路20号"' in html
    assert f'value="{future}"' in html and '<option value="business" selected>' in html
    assert '<option value="floating" selected>' in html and f'<option value="{XINHU}" selected>' in html
    body["arrived_on"] = ""
    wrong = body["id_number"][:17] + ("0" if body["id_number"][17] != "0" else "1")
    for change, message in (({"id_number": ""}, "请填写身份证号"), ({"id_number": wrong}, "身份证号码校验位错误"),
                            ({"name": ""}, "请填写姓名"), ({"kind": "alien"}, "人员类型"),
                            ({"phone": "12345"}, "电话号码格式不正确"),
                            ({"arrived_on": "2026-02-30"}, "来本地日期格式不正确"),
                            ({"permit_expires_on": "tomorrow"}, "居住证有效期格式不正确"),
                            ({"reason": "holiday"}, "来本地事由"),
                            ({"area": JIANZHONG}, "区域不存在或不在您的管辖范围内"), ({"area": "", "address": ""}, "区域"),
                            ({"house": str(elsewhere.pk)}, "出租房屋不存在或不在您的管辖范围内")):
        resp = client.post(RESIDENT_NEW, {**body, **change})
        assert resp.status_code == 400 and message in _html(resp), change
    resp = client.post(RESIDENT_NEW, {**body, "id_number": ""}, **EN)
    assert resp.status_code == 400 and "the ID number is required" in _html(resp)
    actions.remove_house(h, by=users.cadre_xinhu, reason="不再出租")
    resp = client.post(RESIDENT_NEW, {**body, "house": str(h.pk)})
    assert resp.status_code == 400 and "该出租房屋已移出台账" in _html(resp)
    assert not Resident.objects.exists()


def test_a_foreign_national_needs_no_id_number(client, users):
    client.force_login(users.cadre_xinhu)
    resp = client.post(RESIDENT_NEW, {"name": "NGUYEN VAN A", "kind": "foreign", "area": XINHU, "address": "心湖路3号",
                                      "origin": "越南"})
    assert resp.status_code == 302 and Resident.objects.get().kind == "foreign"


def test_a_person_registered_in_the_area_already_is_a_409(client, users, resident):
    number = id_number()
    resident(id_number=number)
    client.force_login(users.cadre_xinhu)
    resp = client.post(RESIDENT_NEW, {"name": "李娜", "kind": "floating", "id_number": number, "area": XINHU,
                                      "address": "心湖路2号"})
    assert resp.status_code == 409 and "该身份证号的人员已在本辖区登记" in _html(resp)
    assert Resident.objects.count() == 1


def test_a_person_registered_elsewhere_in_the_county_moves_here(client, users, house, resident):
    """来登去销: the entry in 健跳镇 is closed and the registrar is told so, not where it was."""
    number = id_number()
    earlier_house = _elsewhere(house, users)
    earlier = resident(id_number=number, house=earlier_house, by=users.town_jiantiao)
    client.force_login(users.cadre_xinhu)
    resp = client.post(RESIDENT_NEW, {"name": "李娜", "kind": "floating", "id_number": number, "area": XINHU,
                                      "address": "心湖路2号"}, follow=True, **EN)
    assert resp.status_code == 200
    html = _html(resp)
    assert "This person&#x27;s earlier entry elsewhere in the county was closed" in html
    assert "健跳" not in html and "健中" not in html and earlier_house.address not in html
    fresh = Resident.objects.get(pk=earlier.pk)
    assert not fresh.is_active and fresh.move_out_reason == "moved"
    assert RentalHouse.objects.get(pk=earlier_house.pk).tenants_count == 0
    assert Resident.objects.get(is_active=True).area.code == XINHU


# ---------------------------------------------------------------- residents: one person


def test_the_resident_page_is_masked_by_default(client, users, house, resident):
    h = house()
    number = id_number()
    r = resident(name="欧阳娜", id_number=number, phone="13912348765", house=h,
                 permit_expires_on=(_today() - dt.timedelta(days=2)).isoformat())
    client.force_login(users.county_op)
    html = _html(client.get(_resident_url(r), **EN))
    assert "欧阳娜" not in html and number not in html and "13912348765" not in html
    assert '<dd id="resident-name">欧**</dd>' in html and number[:6] + "********" + number[-4:] in html
    assert "139****8765" in html and 'id="unmask-link"' in html and _views_personal() == 0
    assert 'id="resident-permit-mark" data-permit="expired">Expired<' in html
    assert f'<a href="{_house_url(h)}" id="resident-house-link">{h.address}</a>' in html
    # the edit form carries no personal data in full, and offers no 'moved' reason
    form = html.split('id="edit-form"')[1].split("</form>")[0]
    assert 'name="phone" maxlength="20" value="" placeholder="139****8765"' in form
    move_out = html.split('id="move-out-form"')[1].split("</form>")[0]
    assert 'value="left"' in move_out and 'value="moved"' not in move_out


@pytest.mark.parametrize("username", ["county_op", "town_haiyou"])
def test_a_role_that_may_unmask_sees_a_resident_in_full_and_it_is_audited(client, users, resident, username):
    number = id_number()
    r = resident(name="欧阳娜", id_number=number, phone="13912348765")
    user = getattr(users, username)
    client.force_login(user)
    resp = client.get(_resident_url(r), {"unmask": "1"})
    html = _html(resp)
    assert '<dd id="resident-name">欧阳娜</dd>' in html and f'<dd id="resident-id-number">{number}</dd>' in html
    assert '<dd id="resident-phone">13912348765</dd>' in html and 'id="unmasked-note"' in html
    assert "no-store" in resp["Cache-Control"]
    rec = AuditRecord.objects.get(action="view_personal")
    assert (rec.object_type, rec.object_id, rec.actor_id) == ("population.resident", str(r.pk), user.pk)
    assert rec.after == {"fields": ["name", "id_number", "phone"]}
    assert "欧阳娜" not in rec.object_repr and number not in str(rec.after)


@pytest.mark.parametrize("username", ["cadre_xinhu", "leader", "leader_haiyou"])
def test_other_roles_cannot_unmask_a_resident(client, users, resident, username):
    number = id_number()
    r = resident(name="欧阳娜", id_number=number)
    client.force_login(getattr(users, username))
    html = _html(client.get(_resident_url(r), {"unmask": "1"}))
    assert "欧阳娜" not in html and number not in html and 'id="unmask-link"' not in html
    assert _views_personal() == 0


# ---------------------------------------------------------------- residents: change and move out


def _resident_edit_body(r, **kw) -> dict:
    """The edit form as the page sends it: every box back, the phone empty."""
    return {"version": str(r.version), "kind": r.kind, "house": str(r.house_id or ""), "area": r.area.code,
            "address": r.address, "phone": "", "origin": r.origin, "reason": r.reason,
            "arrived_on": r.arrived_on.isoformat() if r.arrived_on else "",
            "permit_expires_on": r.permit_expires_on.isoformat() if r.permit_expires_on else "", "note": r.note, **kw}


def test_change_a_resident_through_the_form(client, users, resident):
    r = resident()
    client.force_login(users.cadre_xinhu)
    permit = (_today() + dt.timedelta(days=365)).isoformat()
    resp = client.post(f"{_resident_url(r)}edit/", _resident_edit_body(r, permit_expires_on=permit, reason="business",
                                                                       note="已办居住证\r\n在菜场经营"),
                       follow=True, **EN)
    assert "Changes saved." in _html(resp)
    fresh = Resident.objects.get(pk=r.pk)
    assert fresh.permit_expires_on.isoformat() == permit and fresh.reason == "business"
    assert fresh.note == "已办居住证\n在菜场经营" and fresh.phone == "13912345678"  # the empty box kept the phone
    assert fresh.version == r.version + 1
    resp = client.post(f"{_resident_url(r)}edit/", _resident_edit_body(fresh, phone="13600001111"))
    assert resp.status_code == 302 and Resident.objects.get(pk=r.pk).phone == "13600001111"
    fresh = Resident.objects.get(pk=r.pk)
    resp = client.post(f"{_resident_url(r)}edit/", _resident_edit_body(fresh), follow=True)
    assert "没有修改任何内容" in _html(resp) and Resident.objects.get(pk=r.pk).version == fresh.version


def test_move_a_resident_into_a_house_and_out_of_it(client, users, house, resident):
    h = house()
    r = resident()
    client.force_login(users.cadre_xinhu)
    assert h in client.get(_resident_url(r)).context["houses"]
    resp = client.post(f"{_resident_url(r)}edit/", _resident_edit_body(r, house=str(h.pk)))
    assert resp.status_code == 302
    fresh = Resident.objects.get(pk=r.pk)
    assert (fresh.house, fresh.address) == (h, h.address) and RentalHouse.objects.get(pk=h.pk).tenants_count == 1
    resp = client.post(f"{_resident_url(r)}edit/", _resident_edit_body(fresh, house="", address="心湖路99号"))
    assert resp.status_code == 302
    fresh = Resident.objects.get(pk=r.pk)
    assert fresh.house is None and fresh.address == "心湖路99号" and RentalHouse.objects.get(pk=h.pk).tenants_count == 0


def test_a_resident_edit_with_a_stale_version_is_a_409_and_keeps_what_was_typed(client, users, resident):
    r = resident()
    seen = _resident_edit_body(r)
    actions.update_resident(r, by=users.town_haiyou, note="他人先改")
    client.force_login(users.cadre_xinhu)
    resp = client.post(f"{_resident_url(r)}edit/", {**seen, "origin": "河南省郑州市", "note": "我的修改"})
    assert resp.status_code == 409
    html = _html(resp)
    assert "记录已被他人更新" in html and '<details class="action" open data-action="edit">' in html
    assert 'value="河南省郑州市"' in html and "我的修改</textarea>" in html
    fresh = Resident.objects.get(pk=r.pk)
    assert fresh.origin == "河南省三门峡市" and fresh.note == "他人先改"
    resp = client.post(f"{_resident_url(r)}move-out/", {"version": seen["version"], "reason": "left"})
    assert resp.status_code == 409 and Resident.objects.get(pk=r.pk).is_active


def test_resident_change_errors_are_4xx(client, users, resident):
    r = resident()
    url = f"{_resident_url(r)}edit/"
    client.force_login(users.cadre_xinhu)
    for kw, message in (({"phone": "123"}, "电话号码格式不正确"), ({"kind": "alien"}, "人员类型"),
                        ({"permit_expires_on": "2026-13-01"}, "居住证有效期格式不正确"),
                        ({"arrived_on": (_today() + dt.timedelta(days=1)).isoformat()}, "来本地日期不在合理范围内"),
                        ({"area": JIANZHONG}, "区域不存在或不在您的管辖范围内")):
        resp = client.post(url, _resident_edit_body(r, **kw))
        assert resp.status_code == 400 and message in _html(resp), kw
    assert Resident.objects.get(pk=r.pk).version == r.version


def test_move_a_resident_out_of_the_registry(client, users, house, resident):
    h = house()
    r = resident(house=h)
    url = f"{_resident_url(r)}move-out/"
    client.force_login(users.cadre_xinhu)
    for reason, message in (("moved", "注销原因无效"), ("fled", "注销原因无效"), ("", "请选择注销原因")):
        resp = client.post(url, {"version": str(r.version), "reason": reason, "note": "说明"})
        assert resp.status_code == 400 and message in _html(resp), reason  # 'moved': only by an entry elsewhere
        assert '<details class="action" open data-action="move-out">' in _html(resp) and "说明</textarea>" in _html(resp)
    resp = client.post(url, {"version": str(r.version), "reason": "left", "note": "回原籍\r\n"}, follow=True, **EN)
    assert "Moved out of the registry." in _html(resp)
    fresh = Resident.objects.get(pk=r.pk)
    assert not fresh.is_active and fresh.move_out_reason == "left" and fresh.moved_out_at is not None
    assert RentalHouse.objects.get(pk=h.pk).tenants_count == 0
    html = _html(resp)
    assert 'id="resident-moved-out"' in html and '<span id="move-out-reason">Left the area</span>' in html
    assert 'id="edit-form"' not in html and 'id="move-out-form"' not in html
    assert f'data-resident="{r.pk}"' not in _html(client.get(RESIDENTS))
    assert _residents(client, active="moved_out") == [r.pk]
    resp = client.post(url, {"version": str(fresh.version), "reason": "left"})
    assert resp.status_code == 409 and 'id="action-error"' in _html(resp) and "该人员已注销" in _html(resp)


# ---------------------------------------------------------------- CSRF and the language


def test_the_forms_need_their_csrf_token(users, house):
    h = house()
    client = Client(enforce_csrf_checks=True)
    client.force_login(users.cadre_xinhu)
    html = _html(client.get(_house_url(h)))
    assert html.count('name="csrfmiddlewaretoken"') >= 3  # the edit and remove forms, the language switch
    assert client.post(HOUSE_NEW, {"area": XINHU, "address": "心湖路7号", "kind": "whole", "rooms": "1"}).status_code == 403
    assert client.post(f"{_house_url(h)}edit/", {"rooms": "4", "version": str(h.version)}).status_code == 403
    assert RentalHouse.objects.count() == 1 and _house_unchanged(h)


def test_the_language_switch_changes_the_pages_and_the_messages(client, users, house):
    house()
    client.force_login(users.cadre_xinhu)
    resp = client.post(HOUSE_NEW, {"area": XINHU, "address": "", "kind": "whole", "rooms": "1"})
    assert resp.status_code == 400 and "请填写地址" in _html(resp)  # Chinese by default
    client.post("/i18n/setlang/", {"language": "en", "next": HOUSES})
    html = _html(client.get(HOUSES))
    assert 'lang="en"' in html and "Rental houses in the registry" in html and "Let room by room" in html
    resp = client.post(HOUSE_NEW, {"area": XINHU, "address": "", "kind": "whole", "rooms": "1"})
    assert resp.status_code == 400 and "the address is required" in _html(resp) and "请填写地址" not in _html(resp)


# ---------------------------------------------------------------- in a real browser


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_cadre_registers_a_house_and_a_tenant_in_it(chromium_ready, live_server, demo_county, users,  # noqa: F811
                                                      screenshot_dir):
    number = id_number()

    def steps(page, seen):
        browser_fixtures.login(page, live_server.url, "cadre_xinhu")
        page.goto(f"{live_server.url}/matters/")
        with page.expect_navigation():
            page.click("#nav-rental-houses")
        with page.expect_navigation():
            page.click("#register-link")
        page.select_option("#id_area", XINHU)
        page.fill("#id_address", "三门县海游街道心湖路66号")
        page.select_option("#id_kind", "rooms")
        page.fill("#id_rooms", "2")
        page.fill("#id_max_occupants", "1")
        page.fill("#id_landlord_name", "王德福")
        page.fill("#id_landlord_phone", "13805761234")
        page.select_option("#id_caretaker", "grid_xinhu1")
        page.screenshot(path=str(screenshot_dir / "rental-house-register.png"), full_page=True)
        with page.expect_navigation():
            page.click("#register-form button[type=submit]")
        seen["house_url"] = page.url
        seen["landlord"] = page.locator("#landlord-name").inner_text()
        seen["count_before"] = page.locator("#tenants-count").inner_text()
        with page.expect_navigation():
            page.click("#register-tenant-link")
        seen["address_hidden"] = page.locator(".address-fields").is_hidden()
        page.fill("#id_name", "李娜")
        page.select_option("#id_kind", "floating")
        page.fill("#id_id_number", number)
        page.fill("#id_phone", "13912345678")
        page.fill("#id_origin", "河南省三门峡市")
        page.select_option("#id_reason", "work")
        page.screenshot(path=str(screenshot_dir / "resident-register.png"), full_page=True)
        with page.expect_navigation():
            page.click("#register-form button[type=submit]")
        seen["back_url"] = page.url
        seen["count_after"] = page.locator("#tenants-count").inner_text()
        seen["tenants"] = page.locator("#tenants tbody tr[data-resident]").all_inner_texts()
        page.screenshot(path=str(screenshot_dir / "rental-house-tenant.png"), full_page=True)
        page.goto(f"{live_server.url}/population/houses/")
        seen["list_tenants"] = page.locator("#count-tenants").get_attribute("data-count")
        page.screenshot(path=str(screenshot_dir / "rental-houses-list.png"), full_page=True)
        # two ways of letting ticked, the crowded ones, words of the address: the API's filters
        page.check("#filter-kind input[value=rooms]")
        page.check("#filter-kind input[value=whole]")
        page.select_option("#filter-crowded", "false")
        page.fill("#house-filters input[name=q]", "心湖路 66号")
        with page.expect_navigation():
            page.click("#house-filters button[type=submit]")
        seen["filtered_url"] = page.url
        seen["filtered"] = page.locator("#house-rows tbody tr[data-house]").count()
        seen["ticked"] = [page.locator(f"#filter-kind input[value={v}]").is_checked() for v in ("rooms", "whole",
                                                                                                 "dormitory")]
        page.screenshot(path=str(screenshot_dir / "rental-houses-filtered.png"), full_page=True)
        with page.expect_navigation():
            page.click("#tab-residents")
        seen["floating"] = page.locator("#count-floating").get_attribute("data-count")
        page.screenshot(path=str(screenshot_dir / "residents-list.png"), full_page=True)

    seen = _browser(steps).drive()
    h = RentalHouse.objects.get()
    r = Resident.objects.get()
    assert seen["house_url"].endswith(_house_url(h)) and seen["back_url"].endswith(_house_url(h))
    assert seen["landlord"] == "王**" and seen["count_before"] == "0" and seen["count_after"] == "1"
    assert seen["address_hidden"] and seen["list_tenants"] == "1" and seen["floating"] == "1"
    assert "kind=whole&kind=rooms" in seen["filtered_url"] and "crowded=false" in seen["filtered_url"]
    assert seen["filtered"] == 1 and seen["ticked"] == [True, True, False]
    assert (r.house, r.name, r.id_number, r.registered_by) == (h, "李娜", number, users.cadre_xinhu)
    assert len(seen["tenants"]) == 1 and "李*" in seen["tenants"][0] and "李娜" not in seen["tenants"][0]
    assert h.tenants_count == 1 and h.caretaker == users.grid_xinhu1
