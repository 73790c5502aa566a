"""The population registry's writes (出租房屋, 实有人口): who may, what is refused, how tenants
move between houses and are counted, and how a person registered in one town and then in
another is moved out of the first (来登去销)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from fengqiao.areas.models import Area
from fengqiao.core.errors import Conflict, Forbidden, NotFound, UserError
from fengqiao.core.fields import digest_for
from fengqiao.core.models import AuditRecord
from fengqiao.population import actions
from fengqiao.population.models import PERMIT_AFTER, RentalHouse, Resident, permit_q

from .conftest import HAIYOU, JIANZHONG, XINHU, XINHU_GRID, id_number

pytestmark = pytest.mark.django_db


def _today() -> dt.date:
    return timezone.localdate()


# -- rental houses -----------------------------------------------------------------------------

def test_register_a_house_stores_the_landlord_encrypted_and_audits_field_names_only(house):
    h = house(address="  三门县海游街道   心湖路 3号 ")
    assert h.address == "三门县海游街道 心湖路 3号" and h.area_path.endswith("/331022001001/")
    assert h.tenants_count == 0 and not h.is_crowded and h.masked("landlord_name") == "王**"
    assert h.landlord_id_number_digest == digest_for("id_number", h.landlord_id_number)
    with connection.cursor() as cur:  # encrypted at rest
        cur.execute("SELECT landlord_name, landlord_phone FROM population_rentalhouse WHERE id = %s", [h.pk])
        stored = cur.fetchone()
    assert "王德福" not in stored[0] and "13805761234" not in stored[1]
    rec = AuditRecord.objects.get(action="rental_house_register", object_id=str(h.pk))
    assert "王德福" not in str(rec.after) and "landlord_name" in rec.after["fields"]


@pytest.mark.parametrize("bad", [
    {"address": " "}, {"address": "地" * 201}, {"address": "a\x00b"}, {"kind": "hotel"}, {"rooms": "0"},
    {"rooms": "501"}, {"rooms": "x"}, {"rooms": None}, {"max_occupants": "0"}, {"max_occupants": "2001"},
    {"max_occupants": "1.5"}, {"landlord_phone": "12345"}, {"landlord_id_number": "331022196503020010"},
    {"landlord_name": "名" * 51}, {"caretaker": "county_op"}, {"caretaker": "grid_jianzhong1"},
    {"area": "331022001"}, {"area": "999"}, {"area": None}, {"note": "a\x00b"},
])
def test_bad_house_input_is_refused_before_anything_is_written(house, bad):
    with pytest.raises(UserError) as exc:
        house(**bad)
    assert exc.value.status == 400 and exc.value.zh and exc.value.en and exc.value.field
    assert not RentalHouse.objects.exists() and not AuditRecord.objects.filter(action="rental_house_register").exists()


def test_one_entry_per_address_in_a_town(house, users):
    house(address="心湖路1号")
    with pytest.raises(Conflict) as exc:
        house(address=" 心湖路1号")
    assert exc.value.code == "address_registered" and exc.value.status == 409
    with pytest.raises(Conflict):  # typed at one of the village's grids: the same house
        house(address="心湖路1号", area=XINHU_GRID)
    other_town = house(by=users.town_jiantiao, address="心湖路1号", area=JIANZHONG, caretaker=None)
    assert other_town.area.code == JIANZHONG  # another town's street of the same name
    neighbour = Area.objects.filter(parent__code=HAIYOU, level="village").exclude(code=XINHU).first()
    assert house(by=users.town_haiyou, address="心湖路1号", area=neighbour, caretaker=None).area == neighbour


def test_who_may_register_a_house_and_where(house, users):
    with pytest.raises(Forbidden):
        house(by=users.leader)
    with pytest.raises(Forbidden):
        house(by=users.dept_zhifa)
    with pytest.raises(UserError) as exc:
        house(by=users.cadre_xinhu, area=JIANZHONG, caretaker=None)  # another town's village
    assert exc.value.field == "area"
    with pytest.raises(UserError):
        house(by=users.grid_xinhu1, area=XINHU)  # a grid worker registers in their own grid
    assert house(by=users.grid_xinhu1, area=XINHU_GRID).registered_by == users.grid_xinhu1


def test_edit_a_house_checks_only_what_changed_and_keeps_the_version_for_no_change(house, users):
    h = house()
    same = actions.update_house(h, by=users.cadre_xinhu, version=0, address=h.address, rooms="3",
                                landlord_phone=" 13805761234 ", caretaker="grid_xinhu1", area=XINHU)
    assert same.version == 0 and not AuditRecord.objects.filter(action="rental_house_update").exists()
    h = actions.update_house(h, by=users.cadre_xinhu, version=0, rooms="4", max_occupants="", landlord_name="王德贵")
    assert (h.version, h.rooms, h.max_occupants, h.landlord_name) == (1, 4, None, "王德贵")
    rec = AuditRecord.objects.get(action="rental_house_update")
    assert rec.after["changed"] == ["landlord_name", "max_occupants", "rooms"] and "王德贵" not in str(rec.after)
    with pytest.raises(Conflict) as exc:
        actions.update_house(h, by=users.cadre_xinhu, version=0, rooms="5")
    assert exc.value.code == "stale_version"
    with pytest.raises(UserError) as exc:
        actions.update_house(h, by=users.cadre_xinhu, tenants_count=0)
    assert exc.value.code == "unknown_field"
    with pytest.raises(NotFound):
        actions.update_house(h, by=users.town_jiantiao, rooms="5")  # outside: it does not exist
    with pytest.raises(Forbidden):
        actions.update_house(h, by=users.leader, rooms="5")


def test_a_house_moved_takes_its_tenants_and_refuses_an_address_taken(house, resident, users):
    h, other = house(), house()
    tenant = resident(house=h.pk)
    h = actions.update_house(h, by=users.cadre_xinhu, area=XINHU_GRID, address="心湖路100号")
    tenant.refresh_from_db()
    assert (tenant.area.code, tenant.address, tenant.version) == (XINHU_GRID, "心湖路100号", 1)
    actions.update_house(other, by=users.cadre_xinhu, area=XINHU_GRID)
    with pytest.raises(Conflict) as exc:
        actions.update_house(other, by=users.cadre_xinhu, address="心湖路100号")
    assert exc.value.code == "address_registered"


def test_a_house_with_tenants_cannot_be_removed(house, resident, users):
    h = house()
    tenant = resident(house=h.pk)
    with pytest.raises(Conflict) as exc:
        actions.remove_house(h, by=users.cadre_xinhu, reason="不再出租")
    assert exc.value.code == "has_tenants" and "1" in exc.value.zh
    actions.move_out_resident(tenant, by=users.cadre_xinhu, reason="left")
    with pytest.raises(UserError):
        actions.remove_house(h, by=users.cadre_xinhu, reason=" ")
    h = actions.remove_house(h, by=users.cadre_xinhu, reason="不再出租")
    assert not h.is_active and h.removed_at and h.removal_reason == "不再出租"
    with pytest.raises(Conflict) as exc:
        actions.update_house(h, by=users.cadre_xinhu, rooms="2")
    assert exc.value.code == "removed"
    # the address is free again for a new letting
    assert house(address=h.address).is_active


def test_crowded_houses_are_one_query(house, resident):
    small, roomy, unset = house(max_occupants=1), house(max_occupants=5), house(max_occupants=None)
    for h in (small, small, roomy, unset, unset):
        resident(house=h.pk)
    crowded = RentalHouse.objects.crowded()
    assert list(crowded) == [small] and RentalHouse.objects.get(pk=small.pk).is_crowded
    assert RentalHouse.objects.get(pk=unset.pk).tenants_count == 2


# -- residents ---------------------------------------------------------------------------------

def test_register_a_tenant_lives_where_the_house_is(house, resident, users):
    h = house()
    r = resident(house=str(h.pk), area=JIANZHONG, address="ignored for a tenant")
    assert (r.area_id, r.address, r.house_id) == (h.area_id, h.address, h.pk)
    assert RentalHouse.objects.get(pk=h.pk).tenants_count == 1
    rec = AuditRecord.objects.get(action="resident_register", object_id=str(r.pk))
    assert rec.after["kind"] == "floating" and "house" in rec.after["fields"] and "李娜" not in str(rec.after)
    assert r.masked("name") == "李*" and r.masked("phone") == "139****5678"


@pytest.mark.parametrize("bad", [
    {"name": " "}, {"name": "名" * 51}, {"kind": "tourist"}, {"id_number": ""}, {"id_number": "411202199001010010"},
    {"phone": "1391234567"}, {"reason": "holiday"}, {"origin": "地" * 101}, {"arrived_on": "2026-02-30"},
    {"arrived_on": "tomorrow"}, {"arrived_on": "1899-12-31"}, {"permit_expires_on": "2099-01-01"},
    {"permit_expires_on": "01/02/2027"}, {"area": "331022001"}, {"area": JIANZHONG}, {"address": ""},
    {"house": "999999"}, {"house": "x"}, {"note": "a\x00b"},
])
def test_bad_resident_input_is_refused_before_anything_is_written(resident, bad):
    with pytest.raises(UserError) as exc:
        resident(**bad)
    assert exc.value.status == 400 and exc.value.zh and exc.value.en and exc.value.field
    assert not Resident.objects.exists()


def test_arrival_cannot_be_in_the_future_but_a_permit_can(resident):
    tomorrow = (_today() + dt.timedelta(days=1)).isoformat()
    with pytest.raises(UserError) as exc:
        resident(arrived_on=tomorrow)
    assert exc.value.code == "date_out_of_range"
    r = resident(arrived_on=_today().isoformat(), permit_expires_on=tomorrow)
    assert r.permit_expires_on == _today() + dt.timedelta(days=1)


def test_a_foreign_national_may_have_no_id_number(resident):
    r = resident(kind="foreign", id_number="", origin="越南", reason="")
    assert r.id_number == "" and r.id_number_digest == ""
    resident(kind="foreign", id_number="", origin="越南")  # two without: no clash


def test_a_tenant_cannot_move_into_a_house_outside_the_registrar_s_reach_or_removed(house, resident, users):
    theirs = house(by=users.town_jiantiao, area=JIANZHONG, caretaker=None)
    with pytest.raises(UserError) as exc:
        resident(house=theirs.pk)
    assert exc.value.code == "bad_house"
    gone = house()
    actions.remove_house(gone, by=users.cadre_xinhu, reason="拆除")
    with pytest.raises(UserError) as exc:
        resident(house=gone.pk)
    assert exc.value.code == "house_removed" and not Resident.objects.exists()


def test_a_second_entry_in_the_same_reach_is_refused(resident):
    ident = id_number()
    resident(id_number=ident)
    with pytest.raises(Conflict) as exc:
        resident(id_number=ident, name="李娜")
    assert exc.value.code == "already_registered" and exc.value.field == "id_number"
    assert Resident.objects.filter(is_active=True).count() == 1


def test_registered_in_another_town_moves_the_earlier_entry_out(house, resident, users):
    ident = id_number()
    h = house()
    first = resident(id_number=ident, house=h.pk)
    second = resident(by=users.town_jiantiao, id_number=ident, area=JIANZHONG, address="健跳镇健中路5号")
    first.refresh_from_db()
    assert second.moved_from_elsewhere and second.is_active and not first.is_active
    assert first.move_out_reason == "moved" and first.moved_out_at and first.version == 1
    assert RentalHouse.objects.get(pk=h.pk).tenants_count == 0  # the old house counts one fewer
    closed = AuditRecord.objects.get(action="resident_move_out", object_id=str(first.pk))
    assert closed.actor_id == users.town_jiantiao.pk and closed.after["reason"] == "moved"
    reg = AuditRecord.objects.get(action="resident_register", object_id=str(second.pk))
    assert reg.after["moved_from"] == first.pk
    assert not resident(id_number=id_number()).moved_from_elsewhere


def test_the_unique_index_settles_two_registrations_at_once(resident, monkeypatch):
    """A second registrar whose check ran before the first one's entry was saved meets the index."""
    ident = id_number()
    real = actions._earlier_entry

    def racing(by, digest, house_id, name):
        found = real(by, digest, house_id, name)
        if not racing.done:
            racing.done = True
            Resident.objects.create(name="李娜", kind="floating", id_number=ident, area=by.area.children.first(),
                                    address="同时登记的地址")
        return found

    racing.done = False
    monkeypatch.setattr(actions, "_earlier_entry", racing)
    with pytest.raises(Conflict) as exc:
        resident(id_number=ident)
    assert exc.value.code == "already_registered" and exc.value.status == 409
    # the stand-in for the other registrar's entry shares the refused transaction here, so it is
    # undone with it; what matters is that the refused registration left nothing behind
    assert not Resident.objects.exists() and not AuditRecord.objects.filter(action="resident_register").exists()


def test_move_between_houses_and_out_of_renting_keeps_the_counts(house, resident, users):
    a, b = house(), house()
    r = resident(house=a.pk)
    r = actions.update_resident(r, by=users.cadre_xinhu, version=0, house=str(b.pk))
    assert (r.house_id, r.address, r.version) == (b.pk, b.address, 1)
    assert [RentalHouse.objects.get(pk=x.pk).tenants_count for x in (a, b)] == [0, 1]
    r = actions.update_resident(r, by=users.cadre_xinhu, house="", area=XINHU, address="心湖路自购房8号")
    assert r.house is None and r.address == "心湖路自购房8号"
    assert RentalHouse.objects.get(pk=b.pk).tenants_count == 0
    with pytest.raises(UserError) as exc:  # a tenant's address is the house's
        actions.update_resident(r, by=users.cadre_xinhu, house=str(a.pk))
        actions.update_resident(r, by=users.cadre_xinhu, address="别处1号")
    assert exc.value.code == "tenant_place" and RentalHouse.objects.get(pk=a.pk).tenants_count == 1
    r = actions.update_resident(r, by=users.cadre_xinhu, house="", area=XINHU, address="心湖路自购房8号")
    with pytest.raises(UserError) as exc:  # leaving a house needs an address of one's own
        tenant = resident(house=a.pk)
        actions.update_resident(tenant, by=users.cadre_xinhu, house="", address="")
    assert exc.value.field == "address" and RentalHouse.objects.get(pk=a.pk).tenants_count == 1


def test_edit_a_resident_what_changed_only(resident, users):
    r = resident(arrived_on="2026-01-05")
    same = actions.update_resident(r, by=users.cadre_xinhu, version=0, kind="floating", phone="139 1234 5678",
                                   arrived_on="2026-01-05", reason="work", house="", area=XINHU,
                                   address=r.address, origin="河南省三门峡市", permit_expires_on="")
    assert same.version == 0 and not AuditRecord.objects.filter(action="resident_update").exists()
    r = actions.update_resident(r, by=users.cadre_xinhu, version=0, permit_expires_on="2027-06-30", reason="business")
    assert r.version == 1 and r.permit_expires_on == dt.date(2027, 6, 30)
    assert AuditRecord.objects.get(action="resident_update").after["changed"] == ["permit_expires_on", "reason"]
    for bad in ({"name": "王五"}, {"id_number": id_number()}):
        with pytest.raises(UserError) as exc:
            actions.update_resident(r, by=users.cadre_xinhu, **bad)
        assert exc.value.code == "unknown_field"
    foreign = resident(kind="foreign", id_number="")
    with pytest.raises(UserError) as exc:
        actions.update_resident(foreign, by=users.cadre_xinhu, kind="floating")
    assert exc.value.field == "id_number"


def test_grid_worker_registers_in_their_grid_and_reaches_the_tenants_of_houses_in_their_care(house, resident,
                                                                                          users):
    grid = users.grid_xinhu1
    own = resident(by=grid, area=XINHU_GRID, address="网格内1号")
    cared = house(area=XINHU)  # the village level, in grid_xinhu1's care
    tenant = resident(house=cared.pk)
    elsewhere = resident(area=XINHU, address="村里别处2号")
    seen = set(Resident.objects.restrict(grid).values_list("pk", flat=True))
    assert seen == {own.pk, tenant.pk}
    assert set(RentalHouse.objects.restrict(grid).values_list("pk", flat=True)) == {cared.pk}
    actions.update_resident(tenant, by=grid, phone="13700001111")
    with pytest.raises(NotFound):
        actions.update_resident(elsewhere, by=grid, phone="13700001111")
    assert not Resident.objects.restrict(users.dept_zhifa).exists()
    assert Resident.objects.restrict(users.leader).count() == 3


def test_move_out(resident, users):
    r = resident()
    for bad, code in (("moved", "bad_choice"), ("gone", "bad_choice"), ("", "required"), (None, "required")):
        with pytest.raises(UserError) as exc:
            actions.move_out_resident(r, by=users.cadre_xinhu, reason=bad)
        assert exc.value.code == code and exc.value.field == "reason"
    with pytest.raises(UserError):
        actions.move_out_resident(r, by=users.cadre_xinhu, reason="left", note="注" * 201)
    r = actions.move_out_resident(r, by=users.cadre_xinhu, reason="left", note="回老家", version=0)
    assert not r.is_active and (r.move_out_reason, r.move_out_note, r.version) == ("left", "回老家", 1)
    with pytest.raises(Conflict) as exc:
        actions.move_out_resident(r, by=users.cadre_xinhu, reason="left")
    assert exc.value.code == "moved_out"
    # the ID number is free for a new registration, here or elsewhere
    assert resident(id_number=r.id_number).is_active


def test_permit_marks_and_the_list_rule_agree(resident):
    today = _today()
    rows = {
        "expired": resident(permit_expires_on=None, arrived_on=(today - dt.timedelta(days=400)).isoformat()),
        "soon": resident(permit_expires_on=(today + dt.timedelta(days=10)).isoformat()),
        "missing": resident(arrived_on=(today - PERMIT_AFTER).isoformat()),
        "": resident(arrived_on=(today - dt.timedelta(days=30)).isoformat()),
        "fine": resident(permit_expires_on=(today + dt.timedelta(days=200)).isoformat()),
        "registered": resident(kind="registered", arrived_on=(today - dt.timedelta(days=900)).isoformat()),
        "unknown arrival": resident(),
        "unknown arrival, registered long ago": resident(),
    }
    Resident.objects.filter(pk=rows["unknown arrival, registered long ago"].pk).update(
        registered_at=timezone.now() - PERMIT_AFTER - dt.timedelta(days=1))
    Resident.objects.filter(pk=rows["expired"].pk).update(permit_expires_on=today - dt.timedelta(days=1))
    for r in Resident.objects.all():
        mark = r.permit_mark(today)
        for which in ("expired", "soon", "missing"):
            assert Resident.objects.filter(permit_q(which, today), pk=r.pk).exists() == (mark == which)
    marks = {key: Resident.objects.get(pk=r.pk).permit_mark(today) for key, r in rows.items()}
    assert marks == {"expired": "expired", "soon": "soon", "missing": "missing", "": "", "fine": "",
                     "registered": "", "unknown arrival": "", "unknown arrival, registered long ago": "missing"}


def test_a_tenant_moved_by_someone_else_between_the_reads_is_a_conflict(house, resident, users, monkeypatch):
    """Houses are locked before residents (one order for every write, so no deadlock): a tenant
    moved to another house between the first read and the locks is refused, not miscounted."""
    a, b = house(), house()
    r = resident(house=a.pk)
    real = actions._lock_houses

    def meanwhile(*ids):
        Resident.objects.filter(pk=r.pk).update(house=b)  # someone else's move, committed
        return real(*ids)

    monkeypatch.setattr(actions, "_lock_houses", meanwhile)
    with pytest.raises(Conflict) as exc:
        actions.move_out_resident(r, by=users.cadre_xinhu, reason="left")
    assert exc.value.code == "stale_version" and Resident.objects.get(pk=r.pk).is_active


def test_a_house_removed_while_a_tenant_is_registered_takes_nobody(house, users, resident, monkeypatch):
    h = house()
    real = actions._lock_houses

    def meanwhile(*ids):
        RentalHouse.objects.filter(pk=h.pk).update(is_active=False)  # removed a moment ago
        return real(*ids)

    monkeypatch.setattr(actions, "_lock_houses", meanwhile)
    with pytest.raises(Conflict) as exc:
        resident(house=h.pk)
    assert exc.value.code == "house_removed" and not Resident.objects.exists()
    assert RentalHouse.objects.get(pk=h.pk).tenants_count == 0


def test_a_new_tenant_takes_the_house_s_place_as_it_is_under_the_lock(house, resident, monkeypatch):
    h = house()
    real = actions._lock_houses

    def meanwhile(*ids):
        RentalHouse.objects.filter(pk=h.pk).update(address="心湖路1号(门牌已更正)")
        return real(*ids)

    monkeypatch.setattr(actions, "_lock_houses", meanwhile)
    assert resident(house=h.pk).address == "心湖路1号(门牌已更正)"


def test_the_old_place_is_told_when_a_registration_elsewhere_closes_its_entry(house, resident, users):
    from fengqiao.events.models import Notification

    ident = id_number()
    h = house()
    first = resident(id_number=ident, house=h.pk, name="李娜")
    resident(by=users.town_jiantiao, id_number=ident, area=JIANZHONG, address="健跳镇健中路5号", name="李娜")
    told = Notification.objects.filter(kind="resident_moved_away")
    assert set(told.values_list("user__username", flat=True)) == {"town_haiyou", "cadre_xinhu", "grid_xinhu1"}
    note = told.first()
    assert note.title == "实有人口县内迁移:李*" and str(first.pk) in note.body
    assert ident not in note.body and first.masked("id_number") in note.body
    for said in ("健跳", "健中路", "心湖路", "李娜"):  # neither where they went nor where they lived, no full name
        assert said not in note.title + note.body
    # a registration with no earlier entry tells nobody
    resident(id_number=id_number())
    assert told.count() == 3


def test_an_id_number_registered_elsewhere_under_another_name_closes_nothing(resident, users):
    ident = id_number()
    first = resident(id_number=ident, name="陈国平")
    with pytest.raises(Conflict) as exc:  # a mistyped, valid ID number: a stranger in another town
        resident(by=users.town_jiantiao, id_number=ident, name="某某", area=JIANZHONG, address="健跳镇健中路5号")
    assert exc.value.code == "id_number_of_another" and exc.value.field == "id_number"
    first.refresh_from_db()
    assert first.is_active and first.version == 0
    assert Resident.objects.filter(is_active=True).count() == 1
    moved = resident(by=users.town_jiantiao, id_number=ident, name=" 陈国平 ", area=JIANZHONG, address="健跳镇健中路5号")
    assert moved.moved_from_elsewhere  # the same person (name as typed, spaces aside): moved here
