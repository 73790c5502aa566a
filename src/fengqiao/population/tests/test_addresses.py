"""One rental house per address in a village (community), whatever way it is typed: full-width
digits and letters (what a Chinese input method types), spaces inside, upper or lower case are
one address. The address is kept as typed (its runs of white space made one space) and compared
on its key (:func:`fengqiao.population.addresses.address_key`), which the unique index holds too,
so two registrations at once are settled as one. Migration 0002 gives the houses registered
before it their keys."""

from __future__ import annotations

import pytest

from fengqiao.core.errors import Conflict
from fengqiao.core.tests.api_checks import assert_error
from fengqiao.core.tests.migrating import migrate_to, migrate_to_the_end
from fengqiao.population import actions
from fengqiao.population.addresses import address_key
from fengqiao.population.models import RentalHouse

from .conftest import JIANZHONG, XINHU, XINHU_GRID

HOUSES = "/api/v1/rental-houses/"


@pytest.mark.parametrize("typed", ["测试路99号", "测试路 99号", "测试路99 号", "测 试 路 9 9 号", "测试路\u300099号",
                                   "测试路\t99号", " 测试路99号 "])
def test_the_key_of_an_address_is_the_same_however_it_is_typed(typed):
    assert address_key(typed) == address_key("测试路99号")


def test_the_key_folds_width_and_case_but_not_what_differs():
    assert address_key("ＡＢ栋1０1室") == address_key("ab栋 101室") == address_key("Ab 栋101室")
    assert address_key("测试路99号") != address_key("测试路98号")
    assert address_key("测试路99号") != address_key("测试路99号1幢")
    assert len(address_key("㍿" * 200)) == len(address_key("x")) <= 64  # however long the text becomes


@pytest.mark.django_db
def test_an_address_typed_another_way_is_the_house_registered_already(api, users):
    client = api(users.cadre_xinhu)
    body = {"area": XINHU, "kind": "whole", "rooms": 2}
    first = client.post(HOUSES, {**body, "address": "测试路99号"}, format="json")
    assert first.status_code == 201
    for typed in ("测试路９９号", "测试路 99号", "测试路99 号", "测试路\u300099号"):
        resp = client.post(HOUSES, {**body, "address": typed}, format="json")
        assert assert_error(resp, 409, "address_registered")["field"] == "address"
    # typed at one of the village's grids: the same house
    resp = client.post(HOUSES, {**body, "area": XINHU_GRID, "address": "测试路９９号"}, format="json")
    assert assert_error(resp, 409, "address_registered")["field"] == "address"
    assert RentalHouse.objects.count() == 1
    # another town's street of the same name is another house
    assert api(users.town_jiantiao).post(HOUSES, {**body, "area": JIANZHONG, "address": "测试路９９号"},
                                         format="json").status_code == 201


@pytest.mark.django_db
def test_the_address_is_kept_as_typed(house):
    h = house(address="  测试路  ９９号 ")
    assert h.address == "测试路 ９９号" and h.address_key == address_key("测试路99号")


@pytest.mark.django_db
def test_an_edit_to_an_address_typed_another_way_is_refused_and_one_s_own_is_a_correction(house, users):
    first, second = house(address="心湖路1号"), house(address="心湖路2号")
    with pytest.raises(Conflict) as exc:
        actions.update_house(second, by=users.cadre_xinhu, address="心湖路 １ 号")
    assert exc.value.code == "address_registered"
    assert RentalHouse.objects.get(pk=second.pk).address == "心湖路2号"
    # the house's own address written another way: kept as now typed, the same key
    fixed = actions.update_house(first, by=users.cadre_xinhu, address="心湖路１号")
    assert (fixed.address, fixed.address_key, fixed.version) == ("心湖路１号", address_key("心湖路1号"), 1)
    moved = actions.update_house(second, by=users.cadre_xinhu, address="心湖路 3 号")
    assert moved.address_key == address_key("心湖路3号")
    # free again once the house leaves the registry
    actions.remove_house(moved, by=users.cadre_xinhu, reason="不再出租")
    assert house(address="心湖路３号").is_active


@pytest.mark.django_db
def test_two_registrations_at_once_of_one_address_typed_two_ways_leave_one_house(house, users, monkeypatch):
    """The second registration's check runs before the first is written (two registrars at the
    same moment): the unique index on the key refuses it, and it is told the address is taken."""
    real, started = actions._address_taken, []

    def racing(area, address, exclude=None):
        if not started:
            started.append(address)
            real(area, address, exclude)  # nobody yet
            monkeypatch.setattr(actions, "_address_taken", real)
            house(address="测试路99号")  # the other registrar's, written now
            return
        real(area, address, exclude)

    monkeypatch.setattr(actions, "_address_taken", racing)
    with pytest.raises(Conflict) as exc:
        house(address="测试路 ９９号")
    assert exc.value.code == "address_registered" and RentalHouse.objects.count() == 1


# -- migration 0002: the keys of the houses registered before it --------------------------------

BEFORE = ("population", "0001_initial")
AFTER = ("population", "0002_rental_house_address_key")


@pytest.fixture
def at_0001(transactional_db, demo_county):
    try:
        yield migrate_to(BEFORE)
    finally:
        migrate_to_the_end()


def test_the_migration_keys_the_houses_and_keeps_those_that_clash(at_0001):
    apps = at_0001
    House, Area = apps.get_model("population", "RentalHouse"), apps.get_model("areas", "Area")
    xinhu, grid = Area.objects.get(code=XINHU), Area.objects.get(code=XINHU_GRID)

    def make(area, address, active=True):
        return House.objects.create(area=area, area_path=area.path, address=address, kind="whole", rooms=1,
                                    is_active=active).pk

    one = make(xinhu, "测试路99号")
    same = make(xinhu, "测试路 ９９号")  # let in through the old comparison
    gone = make(xinhu, "测试路99 号", active=False)
    at_grid = make(grid, "测试路９９号")
    other = make(xinhu, "心湖路1号")
    apps = migrate_to(AFTER)
    keys = dict(apps.get_model("population", "RentalHouse").objects.values_list("pk", "address_key"))
    key = address_key("测试路99号")
    assert keys[one] == keys[gone] == keys[at_grid] == key and keys[other] == address_key("心湖路1号")
    # the second house of one address at one place is kept, with a key of its own, and still found
    assert keys[same] != key and keys[same].startswith(key)
    assert RentalHouse.objects.get(pk=same).address == "测试路 ９９号" and RentalHouse.objects.get(pk=same).is_active
    from fengqiao.population.actions import _address_taken

    RentalHouse.objects.filter(pk=one).update(is_active=False)
    with pytest.raises(Conflict):
        _address_taken(RentalHouse.objects.get(pk=same).area, "测试路99号")


@pytest.mark.django_db
def test_a_search_finds_an_address_whichever_width_its_digits_were_typed_in(api, house, users):
    full, half = house(address="测试路９９号"), house(address="测试路88号Ａ座")
    client = api(users.cadre_xinhu)

    def found(q):
        return {r["id"] for r in client.get(HOUSES, {"q": q}).json()["results"]}

    assert found("99号") == {full.pk} and found("９９号") == {full.pk}
    assert found("88号") == {half.pk} and found("８８号") == {half.pk} and found("a座") == {half.pk}
    assert found("77号") == set()


@pytest.mark.django_db
def test_a_check_point_search_finds_either_width(api, users):
    from fengqiao.grid import points

    p = points.register_point(by=users.cadre_xinhu, name="心湖社区幼儿园", kind="school", area=XINHU,
                              address="心湖路８号", caretaker=users.grid_xinhu1)
    resp = api(users.cadre_xinhu).get("/api/v1/check-points/", {"q": "8号"})
    assert [r["id"] for r in resp.json()["results"]] == [p.pk]
