"""Writes of the population registry, each one function in one transaction with its audit record
(field names only, never the personal data): register, change and remove a rental house;
register, change and move out a resident (来登去销). A tenant's house keeps the count of its
residents, so an over-crowded house (超员) is one query. Times come from the platform's clock
(``events.sla.now``), which the demo and the tests may fix."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.dateparse import parse_date

from fengqiao.areas.models import subtree_q
from fengqiao.core import audit, context
from fengqiao.core.errors import Conflict, NotFound, UserError
from fengqiao.core.fields import digest_for
from fengqiao.core.inputs import has_control, whole_number
from fengqiao.events.sla import now as clock_now
from fengqiao.grid import inputs
from fengqiao.grid.models import town_path, village_path

from .addresses import address_key
from .choices import HouseKind, MoveOutReason, ResidentKind, StayReason
from .models import REGISTRARS, RentalHouse, Resident

__all__ = ["move_out_resident", "register_house", "register_resident", "remove_house", "update_house",
           "update_resident"]

MAX_ADDRESS = 200
MAX_ORIGIN = 100
#: the earliest arrival or permit date accepted (a typo such as 0202 is refused, not stored)
EARLIEST = dt.date(1900, 1, 1)
#: a residence permit runs at most this long ahead (居住证 are valid for one year, some for more)
MAX_PERMIT_AHEAD = dt.timedelta(days=366 * 10)

#: the reasons a user moves a person out for; ``moved`` is set only by a registration elsewhere
MOVE_OUT_REASONS = frozenset(MoveOutReason.values) - {MoveOutReason.MOVED}
HOUSE_FIELDS = ("address", "area", "kind", "rooms", "max_occupants", "landlord_name", "landlord_id_number",
                "landlord_phone", "caretaker", "note")
RESIDENT_FIELDS = ("kind", "area", "address", "house", "phone", "origin", "reason", "arrived_on",
                   "permit_expires_on", "note")


# -- checks ------------------------------------------------------------------------------------

def _address(value) -> str:
    """An address, each run of white space one space (a tab or line break pasted in too); any
    other control character is refused (:func:`grid.inputs.text`)."""
    if isinstance(value, str) and not has_control(value, lines=True):
        value = " ".join(value.split())
    return inputs.text(value, "address", "地址", "the address", required=True, max_len=MAX_ADDRESS, lines=False)


def _count(value, field: str, zh: str, en: str, *, top: int, optional: bool = False) -> int | None:
    if optional and value in (None, ""):
        return None
    try:
        n = whole_number(value, field)
    except UserError:
        n = -1
    if not 1 <= n <= top:
        raise UserError("bad_number", f"{zh}应为 1 到 {top} 之间的整数", f"{en}: a whole number from 1 to {top}",
                        field=field)
    return n


def _rooms(value) -> int:
    return _count(value, "rooms", "出租间数", "rooms let", top=500)


def _max_occupants(value) -> int | None:
    return _count(value, "max_occupants", "核定居住人数", "people it may house", top=2000, optional=True)


def _day(value, field: str, zh: str, en: str, *, future: bool) -> dt.date | None:
    """A date (YYYY-MM-DD) or nothing; ``future`` says whether it may lie ahead of today."""
    if value in (None, ""):
        return None
    try:
        day = value if isinstance(value, dt.date) and not isinstance(value, dt.datetime) else \
            parse_date(value.strip()) if isinstance(value, str) else None
    except ValueError:  # well formed but impossible (2026-02-30)
        day = None
    if day is None:
        raise UserError("bad_date", f"{zh}格式不正确,应为 年-月-日", f"{en}: not a date (YYYY-MM-DD)", field=field)
    today = timezone.localdate(clock_now())
    if day < EARLIEST or (not future and day > today) or day > today + MAX_PERMIT_AHEAD:
        raise UserError("date_out_of_range", f"{zh}不在合理范围内", f"{en} is out of range", field=field)
    return day


def _arrived(value):
    return _day(value, "arrived_on", "来本地日期", "the arrival date", future=False)


def _permit(value):
    return _day(value, "permit_expires_on", "居住证有效期", "the permit's end date", future=True)


def _reason(value) -> str:
    return "" if value in (None, "") else inputs.choice(value, StayReason, "reason", "来本地事由", "reason")


def _origin(value) -> str:
    return inputs.text(value, "origin", "户籍地(国籍)", "where the person comes from", max_len=MAX_ORIGIN,
                       lines=False)


def _note(value) -> str:
    return inputs.text(value, "note", "备注", "the note")


def _house(value, by) -> RentalHouse | None:
    """A rental house in the registry that ``by`` reaches (by its number), or none."""
    if value in (None, ""):
        return None
    pk = _house_pk(value)
    house = (RentalHouse.objects.restrict(by, "view").select_related("area").filter(pk=pk).first()
             if pk is not None else None)
    if house is None:
        raise UserError("bad_house", "出租房屋不存在或不在您的管辖范围内", "unknown rental house, or outside your jurisdiction",
                        field="house")
    if not house.is_active:
        raise UserError("house_removed", "该出租房屋已移出台账", "the rental house was removed from the registry",
                        field="house")
    return house


def _house_pk(value) -> int | None:
    """The number a house is given by (a house, or digits), or None (read and refused later)."""
    if isinstance(value, RentalHouse):
        return value.pk
    try:
        return whole_number(value, "house") if value not in (None, "") else None
    except UserError:
        return None


def _filled(entry, fields) -> list[str]:
    return sorted(f for f in fields if getattr(entry, f) not in (None, ""))


# -- rental houses -----------------------------------------------------------------------------

def _address_taken(area, address: str, exclude=None) -> None:
    """One house per address in a village (community), compared on the address's key
    (:func:`.addresses.address_key`: 测试路９９号 and 测试路 99 号 are 测试路99号): the same address
    typed at the village and at one of its grids is one house. Another village's 1幢101室 is
    another house. (The unique index on the key, per place, settles two registrations of the
    same place at once.) A house registered twice before the key existed holds the key followed
    by ``:<its id>`` (migration 0002): it is found too."""
    key = address_key(address)
    taken = RentalHouse.objects.filter(subtree_q(village_path(area.path), "area_path"),
                                       Q(address_key=key) | Q(address_key__startswith=f"{key}:"), is_active=True)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise Conflict("address_registered", "该地址的出租房屋已登记", "a rental house at this address is already registered",
                       field="address")


def register_house(*, by, area, address, kind, rooms, max_occupants=None, landlord_name="", landlord_id_number="",
                   landlord_phone="", caretaker=None, note="") -> RentalHouse:
    """登记出租房屋 at ``address`` in a village or grid of the registrar's jurisdiction."""
    inputs.may(by, REGISTRARS, "登记出租房屋", "register rental houses")
    place = inputs.place(area, by)
    values = {
        "address": _address(address),
        "kind": inputs.choice(kind, HouseKind, "kind", "出租方式", "way of letting"),
        "rooms": _rooms(rooms),
        "max_occupants": _max_occupants(max_occupants),
        "landlord_name": inputs.personal("name", landlord_name, "landlord_name"),
        "landlord_id_number": inputs.personal("id_number", landlord_id_number, "landlord_id_number"),
        "landlord_phone": inputs.personal("phone", landlord_phone, "landlord_phone"),
        "caretaker": inputs.caretaker(caretaker, place),
        "note": _note(note),
    }
    _address_taken(place, values["address"])
    with transaction.atomic(), context.explicit_audit():
        house = RentalHouse(area=place, registered_at=clock_now(), registered_by=by,
                            address_key=address_key(values["address"]), **values)
        try:
            with transaction.atomic():
                house.save()
        except IntegrityError:  # the same address registered a moment ago by someone else
            _address_taken(place, values["address"])
            raise
        audit.record("rental_house_register", house, actor=by, object_repr="rental house",
                     after={"area": place.code, "fields": _filled(house, HOUSE_FIELDS)})
    return house


def _locked_house(house: RentalHouse, by, version) -> RentalHouse:
    """The house, locked, if ``by`` may change it (else 404), read with its area and grid worker."""
    locked = (RentalHouse.objects.restrict(by, "change").select_related("area", "caretaker")
              .select_for_update(of=("self",)).filter(pk=house.pk).first())
    if locked is None:
        raise NotFound("出租房屋", "rental house")
    inputs.current(version, locked)
    if not locked.is_active:
        raise Conflict("removed", "该出租房屋已移出台账", "the rental house was removed from the registry")
    return locked


def update_house(house: RentalHouse, *, by, version=None, **changes) -> RentalHouse:
    """修改: any field of the entry. A house moved to another place (a corrected village or grid)
    takes its tenants along: their area and address follow the house's. A value given as the
    entry holds it is no change; an edit that changes nothing writes nothing."""
    inputs.may(by, REGISTRARS, "修改出租房屋", "change rental houses")
    inputs.only(changes, HOUSE_FIELDS)
    readers = {"rooms": _rooms, "max_occupants": _max_occupants, "address": _address,
               "landlord_name": lambda v: inputs.personal("name", v, "landlord_name"),
               "landlord_id_number": lambda v: inputs.personal("id_number", v, "landlord_id_number"),
               "landlord_phone": lambda v: inputs.personal("phone", v, "landlord_phone")}
    with transaction.atomic(), context.explicit_audit():
        h = _locked_house(house, by, version)
        changes = {f: v for f, v in changes.items() if not inputs.unchanged(h, f, v, readers=readers)}
        before = {f: getattr(h, f) for f in HOUSE_FIELDS}
        if "area" in changes:
            h.area = inputs.place(changes["area"], by)
        if "kind" in changes:
            h.kind = inputs.choice(changes["kind"], HouseKind, "kind", "出租方式", "way of letting")
        if "note" in changes:
            h.note = _note(changes["note"])
        for field, read in readers.items():
            if field in changes:
                setattr(h, field, read(changes[field]))
        if "caretaker" in changes:
            h.caretaker = inputs.caretaker(changes["caretaker"], h.area)
        elif "area" in changes and h.caretaker is not None and town_path(h.area.path) != town_path(before["area"].path):
            # another town: its own grid worker, whom the registrar names with the move, or none
            h.caretaker = inputs.caretaker(h.caretaker, h.area)
        changed = sorted(f for f in HOUSE_FIELDS if getattr(h, f) != before[f])
        if not changed:
            return h
        if "address" in changed and address_key(h.address) != address_key(before["address"]):
            h.address_key = address_key(h.address)  # another address (not the same one typed anew)
        if {"area", "address"} & set(changed):
            _address_taken(h.area, h.address, exclude=h)
        h.version += 1
        try:
            with transaction.atomic():
                h.save()
        except IntegrityError:
            _address_taken(h.area, h.address, exclude=h)
            raise
        if {"area", "address"} & set(changed):
            Resident.objects.filter(house=h, is_active=True).update(
                area=h.area, area_path=h.area.path, address=h.address, version=F("version") + 1)
        audit.record("rental_house_update", h, actor=by, object_repr="rental house",
                     after={"area": h.area.code, "changed": changed})
    return h


def remove_house(house: RentalHouse, *, by, reason, version=None) -> RentalHouse:
    """移出台账 (no longer let, demolished): only a house nobody lives in; its tenants move out
    or to another house first, so no resident is left at a house that is not in the registry."""
    inputs.may(by, REGISTRARS, "移出出租房屋", "remove rental houses")
    reason = inputs.text(reason, "reason", "移出理由", "a reason", required=True, max_len=200)
    with transaction.atomic(), context.explicit_audit():
        h = _locked_house(house, by, version)
        # the residents themselves, not only the kept count: no entry is left at a removed house
        living = Resident.objects.filter(house=h, is_active=True).count()
        if living:
            raise Conflict("has_tenants", f"该房屋还有 {living} 名在册租住人员,请先办理迁出或变更住址",
                           f"{living} registered tenants still live here; move them out or elsewhere first")
        h.is_active, h.removed_at, h.removal_reason = False, clock_now(), reason
        h.version += 1
        h.save()
        audit.record("rental_house_remove", h, actor=by, object_repr="rental house", after={"area": h.area.code})
    return h


def _move_tenant(old_id: int | None, new_id: int | None) -> None:
    """Keep the houses' tenant counts: one fewer in the house left, one more in the house entered."""
    if old_id == new_id:
        return
    if old_id is not None:
        RentalHouse.objects.filter(pk=old_id, tenants_count__gt=0).update(tenants_count=F("tenants_count") - 1)
    if new_id is not None and not RentalHouse.objects.filter(pk=new_id, is_active=True).update(
            tenants_count=F("tenants_count") + 1):  # removed meanwhile: the whole write is undone
        raise Conflict("house_removed", "该出租房屋已移出台账", "the rental house was removed from the registry",
                       field="house")


# -- residents ---------------------------------------------------------------------------------

def _where(by, *, area, address, house) -> tuple:
    """The resident's area, address and house: a tenant lives where the house is; anyone else
    needs a village or grid and an address."""
    house = _house(house, by)
    if house is not None:
        return house.area, house.address, house
    return inputs.place(area, by), _address(address), None


def register_resident(*, by, name, kind, id_number="", phone="", area=None, address="", house=None, origin="",
                      reason="", arrived_on=None, permit_expires_on=None, note="") -> Resident:
    """登记实有人口. One entry per ID number in the county: a person already registered in the
    registrar's jurisdiction is refused (change that entry); one registered elsewhere has moved
    here, so that entry is moved out in the same transaction (来登去销) and the registrar is told
    only that an earlier entry was closed, not where."""
    inputs.may(by, REGISTRARS, "登记实有人口", "register residents")
    kind = inputs.choice(kind, ResidentKind, "kind", "人员类型", "kind of resident")
    values = {
        "name": inputs.personal("name", name, "name", required=True),
        "id_number": inputs.personal("id_number", id_number, "id_number"),
        "phone": inputs.personal("phone", phone, "phone"),
        "origin": _origin(origin),
        "reason": _reason(reason),
        "arrived_on": _arrived(arrived_on),
        "permit_expires_on": _permit(permit_expires_on),
        "note": _note(note),
    }
    if kind != ResidentKind.FOREIGN and not values["id_number"]:
        raise UserError("required", "请填写身份证号", "the ID number is required", field="id_number")
    place, address, house = _where(by, area=area, address=address, house=house)
    now = clock_now()
    digest = digest_for("id_number", values["id_number"]) if values["id_number"] else ""
    with transaction.atomic(), context.explicit_audit():
        # houses first, then residents (as every write of the registry): the house entered and
        # the house an earlier entry leaves, read again under the lock
        earlier_house = (Resident.objects.filter(id_number_digest=digest, is_active=True)
                         .values_list("house_id", flat=True).first() if digest else None)
        locked = _lock_houses(house.pk if house else None, earlier_house)
        if house is not None:
            house = _still_active(locked.get(house.pk))
            place, address = house.area, house.address
        earlier = _earlier_entry(by, digest, earlier_house, values["name"])
        resident = Resident(kind=kind, area=place, address=address, house=house, registered_at=now,
                            registered_by=by, **values)
        try:
            with transaction.atomic():
                resident.save()
        except IntegrityError:  # registered by someone else a moment ago
            raise Conflict("already_registered", "该身份证号的人员刚刚已被登记,请刷新后查看",
                           "a person with this ID number was registered a moment ago; reload",
                           field="id_number") from None
        _move_tenant(None, resident.house_id)
        audit.record("resident_register", resident, actor=by, object_repr="resident",
                     after={"area": place.code, "kind": kind, "fields": _filled(resident, ("id_number", "phone",
                            "house", "origin", "reason", "arrived_on", "permit_expires_on", "note")),
                            **({"moved_from": earlier.pk} if earlier is not None else {})})
    resident.moved_from_elsewhere = earlier is not None
    return resident


def _earlier_entry(by, digest: str, house_id: int | None, name: str) -> Resident | None:
    """The person's entry elsewhere in the county (ID number ``digest``), moved out here
    (locked), or none; an entry in the registrar's own jurisdiction is a refusal, and so is one
    under another ``name``: a mistyped ID number that happens to be valid would otherwise close
    a stranger's entry in another town. ``house_id`` is the house it was read in before its
    house was locked: moved since, it is a conflict."""
    if not digest:
        return None
    earlier = (Resident.objects.select_related("area", "house").select_for_update(of=("self",))
               .filter(id_number_digest=digest, is_active=True).first())
    if earlier is None:
        return None
    if earlier.house_id != house_id:
        raise Conflict("stale_version", "记录已被他人更新,请刷新后重试", "someone else changed this record; reload and try again")
    if Resident.objects.restrict(by, "view").filter(pk=earlier.pk).exists():
        raise Conflict("already_registered", "该身份证号的人员已在本辖区登记,请修改原登记信息",
                       "a person with this ID number is already registered in your area; change that entry",
                       field="id_number")
    if earlier.name != name:
        raise Conflict("id_number_of_another", "该身份证号已在县内其他地方以另一姓名登记,请核对身份证号与姓名",
                       "this ID number is registered elsewhere in the county under another name; check the ID "
                       "number and the name", field="id_number")
    earlier.is_active, earlier.moved_out_at = False, clock_now()
    earlier.move_out_reason, earlier.move_out_note = MoveOutReason.MOVED, ""
    earlier.version += 1
    earlier.save(update_fields=["is_active", "moved_out_at", "move_out_reason", "move_out_note", "version"])
    _move_tenant(earlier.house_id, None)
    audit.record("resident_move_out", earlier, actor=by, object_repr="resident",
                 after={"area": earlier.area.code, "reason": MoveOutReason.MOVED})
    _tell_the_old_place(earlier, by)
    return earlier


def _tell_the_old_place(earlier: Resident, by) -> None:
    """The people who keep the registry where the person lived are told the entry was closed
    (县内迁移): the town's command room, the village's cadres and the house's grid worker. A
    notice may leave the machine (a webhook): it holds the masked name and ID number and the
    entry's number, not the address, and not where the person went."""
    from fengqiao.accounts.models import User
    from fengqiao.core import roles
    from fengqiao.events.notify import notify_on_commit

    town, village = town_path(earlier.area_path), village_path(earlier.area_path)
    keepers = set(User.objects.filter(is_active=True).filter(
        Q(role=roles.TOWN_OPERATOR, area__path=town) | Q(role=roles.VILLAGE_CADRE, area__path=village))
        .exclude(pk=by.pk).values_list("pk", flat=True))
    if earlier.house is not None and earlier.house.caretaker_id not in (None, by.pk):
        keepers.add(earlier.house.caretaker_id)
    notify_on_commit(sorted(keepers), "resident_moved_away", f"实有人口县内迁移:{earlier.masked('name')}",
                     f"{earlier.masked('name')}(身份证号 {earlier.masked('id_number')})已在本县其他地方登记,"
                     f"本辖区的原登记(编号 {earlier.pk})已自动注销(来登去销)。")


def _lock_houses(*ids) -> dict[int, RentalHouse]:
    """Lock the rental houses ``ids`` (None skipped) in the order of their numbers, before any
    resident: an edit of a house updates its tenants' rows, a move of a tenant its houses' counts,
    and one order for every write means no two of them wait on each other (no deadlock)."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    return {h.pk: h for h in RentalHouse.objects.select_related("area").select_for_update(of=("self",))
            .filter(pk__in=wanted).order_by("pk")}


def _still_active(house: RentalHouse | None) -> RentalHouse:
    if house is None or not house.is_active:
        raise Conflict("house_removed", "该出租房屋已移出台账", "the rental house was removed from the registry",
                       field="house")
    return house


def _locked_resident(resident: Resident, by, version, *also_houses) -> Resident:
    """The resident, locked, if ``by`` may change them (else 404), after their house and
    ``also_houses`` (a house they move to) were locked; moved by someone else between the two
    reads, it is a conflict."""
    peek = Resident.objects.filter(pk=resident.pk).values_list("house_id", flat=True).first()
    _lock_houses(peek, *also_houses)
    locked = (Resident.objects.restrict(by, "change").select_related("area", "house")
              .select_for_update(of=("self",)).filter(pk=resident.pk).first())
    if locked is None:
        raise NotFound("人员", "resident")
    inputs.current(version, locked)
    if locked.house_id != peek:
        raise Conflict("stale_version", "记录已被他人更新,请刷新后重试", "someone else changed this record; reload and try again")
    if not locked.is_active:
        raise Conflict("moved_out", "该人员已注销", "the person has moved out of the registry")
    return locked


def update_resident(resident: Resident, *, by, version=None, **changes) -> Resident:
    """修改: kind, place (an address, or a rental house, or from one house to another), phone,
    origin, reason, dates, note. The name and ID number are who the entry is: a wrong one is
    moved out as registered by mistake and the person registered again."""
    inputs.may(by, REGISTRARS, "修改实有人口信息", "change residents")
    inputs.only(changes, RESIDENT_FIELDS)
    readers = {"phone": lambda v: inputs.personal("phone", v, "phone"), "origin": _origin, "reason": _reason,
               "arrived_on": _arrived, "permit_expires_on": _permit, "note": _note}
    with transaction.atomic(), context.explicit_audit():
        # a house moved to is locked with the one left, before the resident (see _lock_houses);
        # it is read, checked and taken from after the lock, by _where
        r = _locked_resident(resident, by, version, _house_pk(changes.get("house")))
        changes = {f: v for f, v in changes.items() if not _same(r, f, v, readers.get(f))}
        before = {f: getattr(r, f) for f in RESIDENT_FIELDS}
        if "kind" in changes:
            r.kind = inputs.choice(changes["kind"], ResidentKind, "kind", "人员类型", "kind of resident")
            if r.kind != ResidentKind.FOREIGN and not r.id_number:
                raise UserError("required", "请填写身份证号", "the ID number is required", field="id_number")
        for field in ("phone", "origin", "reason", "arrived_on", "permit_expires_on", "note"):
            if field in changes:
                setattr(r, field, readers[field](changes[field]))
        if r.house is not None and "house" not in changes and {"area", "address"} & set(changes):
            raise UserError("tenant_place", "租住人员的住址随出租房屋;如已搬离,请先变更或清空所住出租房屋",
                            "a tenant lives where the rental house is; change or clear the house first",
                            field="house")
        if {"house", "area", "address"} & set(changes):
            house = changes["house"] if "house" in changes else r.house
            if "house" in changes or house is None:
                area = changes.get("area", r.area)
                address = changes.get("address", r.address)
                r.area, r.address, r.house = _where(by, area=area, address=address, house=house)
        changed = sorted(f for f in RESIDENT_FIELDS if getattr(r, f) != before[f])
        if not changed:
            return r
        _move_tenant(before["house"].pk if before["house"] else None, r.house_id)
        r.version += 1
        r.save()
        audit.record("resident_update", r, actor=by, object_repr="resident",
                     after={"area": r.area.code, "changed": changed})
    return r


def _same(entry: Resident, field: str, value, read) -> bool:
    """Whether ``value`` is what ``entry`` holds already (:func:`grid.inputs.unchanged`; a house
    compares by its number, ``read`` reads other values as the action would)."""
    if field == "house":
        if value in (None, ""):
            return entry.house_id is None
        pk = value.pk if isinstance(value, RentalHouse) else inputs.code(value)
        return entry.house_id is not None and str(pk) == str(entry.house_id)
    return inputs.unchanged(entry, field, value, readers={field: read} if read else None)


def move_out_resident(resident: Resident, *, by, reason, note="", version=None) -> Resident:
    """注销 (去销): the person left the area, died, or was registered by mistake. The entry is
    kept, out of the registry; a tenant's house counts one fewer."""
    inputs.may(by, REGISTRARS, "注销实有人口", "move residents out")
    if reason in (None, ""):
        raise UserError("required", "请选择注销原因", "a reason is required", field="reason")
    if reason not in MOVE_OUT_REASONS:  # MOVED is set by a new entry only
        raise UserError("bad_choice", f"注销原因无效: {str(reason)[:40]}", f"not a valid reason: {str(reason)[:40]}",
                        field="reason")
    note = inputs.text(note, "note", "注销说明", "the note", max_len=200)
    with transaction.atomic(), context.explicit_audit():
        r = _locked_resident(resident, by, version)
        r.is_active, r.moved_out_at, r.move_out_reason, r.move_out_note = False, clock_now(), reason, note
        r.version += 1
        r.save()
        _move_tenant(r.house_id, None)
        audit.record("resident_move_out", r, actor=by, object_repr="resident",
                     after={"area": r.area.code, "reason": reason})
    return r
