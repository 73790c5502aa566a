"""Writes of the key-person registry (重点人员台账), each one function in one transaction with its
audit record (personal data masked in it): register, change, remove from the registry, and
record a visit (走访), which moves the person's next visit due. Times come from the platform's
clock (``events.sla.now``), which the demo and the tests may fix."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from fengqiao.accounts.models import User
from fengqiao.areas.models import Area, Level
from fengqiao.core import audit, context, roles
from fengqiao.core.errors import Conflict, Forbidden, NotFound, UserError
from fengqiao.core.fields import digest_for
from fengqiao.core.inputs import whole_number
from fengqiao.core.personal import NORMALIZERS, PersonalDataError
from fengqiao.events.actions._base import actor_name
from fengqiao.events.sla import now as clock_now

from .choices import DEFAULT_VISIT_EVERY_DAYS, Condition, KeyPersonCategory, VisitMethod
from .models import REGISTRARS, VISITORS, KeyPerson, Visit, town_path

MAX_NOTE = 2000
#: a visit may be recorded this long after it happened (the grid worker types it in at night)
MAX_BACKDATE = dt.timedelta(days=30)
FUTURE_SLACK = dt.timedelta(minutes=5)


MAX_NAME = 50


def _personal(kind: str, value, field: str, *, required: bool = False) -> str:
    value = value.strip() if isinstance(value, str) else ""
    if not value:
        if required:
            raise UserError("required", "请填写姓名", "the name is required", field=field)  # only the name is
        return ""
    if "\x00" in value or len(value) > MAX_NAME:
        raise UserError("bad_value", f"{field} 格式不正确(不超过 {MAX_NAME} 字,不含控制字符)",
                        f"{field}: at most {MAX_NAME} characters, no control characters", field=field)
    try:
        return NORMALIZERS[kind](value)
    except PersonalDataError as exc:
        raise UserError(exc.code, exc.message_zh, exc.message_en, field=field) from exc


def _text(value, field: str, zh: str, en: str, *, required: bool = False, max_len: int = MAX_NOTE) -> str:
    value = value.strip() if isinstance(value, str) else ""
    if required and not value:
        raise UserError("required", f"请填写{zh}", f"{en} is required", field=field)
    if len(value) > max_len:
        raise UserError("too_long", f"{zh}不能超过 {max_len} 字", f"{en}: at most {max_len} characters", field=field)
    if "\x00" in value:
        raise UserError("bad_text", f"{zh}含有不可见的控制字符", f"{en} holds a NUL character", field=field)
    return value


def _choice(value, choices, field: str, zh: str, en: str) -> str:
    if value not in choices.values:
        shown = str(value)[:40]  # a long value is not echoed back whole
        raise UserError("bad_choice", f"{zh}无效: {shown}", f"not a valid {en}: {shown}", field=field)
    return value


def _filled(person: KeyPerson) -> list[str]:
    return sorted(f for f in ("name", "id_number", "phone", "address", "note", "caretaker") if getattr(person, f))


def _days(value) -> int:
    try:
        days = whole_number(value, "visit_every_days")
    except UserError:
        days = -1
    if not 1 <= days <= 365:
        raise UserError("bad_frequency", "走访周期应为 1 到 365 天", "visit every 1 to 365 days", field="visit_every_days")
    return days


#: where a key person lives: a village or community, or a grid in it
PERSON_LEVELS = frozenset({Level.VILLAGE, Level.GRID, Level.MICROGRID})


def _code(value) -> str:
    """A code typed or posted: NUL would be refused by PostgreSQL (a 500), so it is no code."""
    code = str(value or "").strip()
    return "" if "\x00" in code else code


def _area(value, by) -> Area:
    area = value if isinstance(value, Area) else Area.objects.filter(code=_code(value)).first() if _code(value) \
        else None
    if area is None or by.area_id is None or not area.path.startswith(by.area.path):
        raise UserError("bad_area", "区域不存在或不在您的管辖范围内", "unknown area, or outside your jurisdiction",
                        field="area")
    if not area.is_active:
        raise UserError("inactive_area", "该区域已停用", "the area is no longer in use", field="area")
    if area.level not in PERSON_LEVELS:
        raise UserError("bad_area_level", "请选择村(社区)或网格", "choose a village/community or a grid", field="area")
    return area


def _caretaker(value, area: Area) -> User | None:
    if value in (None, ""):
        return None
    user = value if isinstance(value, User) else User.objects.filter(username=_code(value)).first() if _code(value) \
        else None
    # the responsible grid worker works in the person's town
    town = town_path(area.path)
    if (user is None or user.role != roles.GRID_WORKER or not user.is_active or user.area_id is None
            or not user.area.path.startswith(town)):
        raise UserError("bad_caretaker", "责任网格员应为本乡镇(街道)在岗的网格员",
                        "the responsible person must be an active grid worker of the same town", field="caretaker")
    return user


def _may(by, allowed: frozenset, zh: str, en: str) -> None:
    if by is None or by.role not in allowed:
        raise Forbidden("role_not_allowed", f"您的角色不能{zh}", f"your role may not {en}")


def register_key_person(*, by, name, category, area, id_number="", phone="", address="", caretaker=None,
                        visit_every_days=None, note="") -> KeyPerson:
    """登记重点人员. The first visit is due one interval after registration."""
    _may(by, REGISTRARS, "登记重点人员", "register key persons")
    category = _choice(category, KeyPersonCategory, "category", "人员类别", "category")
    place = _area(area, by)
    values = {
        "name": _personal("name", name, "name", required=True),
        "id_number": _personal("id_number", id_number, "id_number"),
        "phone": _personal("phone", phone, "phone"),
        "address": _text(address, "address", "住址", "the address", max_len=200),
        "note": _text(note, "note", "备注", "the note"),
        "caretaker": _caretaker(caretaker, place),
        "visit_every_days": DEFAULT_VISIT_EVERY_DAYS[category] if visit_every_days in (None, "")
        else _days(visit_every_days),
    }
    now = clock_now()
    if values["id_number"]:
        _refuse_a_second_entry(by, digest_for("id_number", values["id_number"]))
    with transaction.atomic(), context.explicit_audit():
        person = KeyPerson(category=category, area=place, registered_at=now, registered_by=by, **values)
        person.next_visit_due = person.due_after(now)
        try:
            with transaction.atomic():
                person.save()
        except IntegrityError:  # registered by someone else a moment ago: refused below
            if not person.id_number_digest:  # no ID number, so no clash: not the user's error
                raise
            clash = person.id_number_digest
        else:
            clash = ""
            # names of fields only: the category, address and note are sensitive too, and the
            # audit trail is read by more people than the registry (DOMAIN.md: no silent access)
            audit.record("key_person_register", person, actor=by, object_repr="key person",
                         after={"area": place.code, "fields": _filled(person)})
    if clash:  # after the transaction, so the refusal's audit record is kept
        _refuse_a_second_entry(by, clash, clash=True)
    return person


def _refuse_a_second_entry(by, digest: str, *, clash: bool = False) -> None:
    """One entry per ID number. Inside the registrar's jurisdiction they are told the person is
    there; outside it the refusal names nothing (the registry of another town is not theirs to
    probe), and the attempt is recorded for the county centre to follow up."""
    existing = KeyPerson.objects.filter(id_number_digest=digest, is_active=True).first()
    if existing is None and not clash:
        return
    if existing is not None and KeyPerson.objects.restrict(by, "view").filter(pk=existing.pk).exists():
        raise Conflict("already_registered", "该身份证号的人员已在本辖区重点人员台账中",
                       "a person with this ID number is already in your registry", field="id_number")
    if existing is not None:  # outside any transaction of the caller: the record stays though the refusal
        audit.record("key_person_register_refused", None, actor=by, object_type="grid.keyperson",
                     object_id=str(existing.pk), object_repr="key person")
    raise Conflict("cannot_register", "该身份证号暂不能登记,请联系县社会治理中心核实",
                   "this ID number cannot be registered now; ask the county centre", field="id_number")


def _locked(person: KeyPerson, by, version, action: str = "change") -> KeyPerson:
    """The person, locked, if ``by`` may reach them (else 404: outside, they do not exist), read
    with their area, responsible grid worker and registrar (only the person's row is locked)."""
    locked = (KeyPerson.objects.restrict(by, action).select_related("area", "caretaker", "registered_by")
              .select_for_update(of=("self",)).filter(pk=person.pk).first())
    if locked is None:
        raise NotFound("重点人员", "key person")
    if version not in (None, "") and whole_number(version, "version") != locked.version:
        raise Conflict("stale_version", "记录已被他人更新,请刷新后重试", "someone else changed this record; reload and try again")
    return locked


def _unchanged(p: KeyPerson, field: str, value) -> bool:
    """Whether ``value`` given for ``field`` is what the entry holds already (a form sends every
    box back, a client may send the whole entry)."""
    if field == "caretaker":
        if isinstance(value, User):
            return value.pk == p.caretaker_id
        if value in (None, ""):
            return p.caretaker_id is None
        return p.caretaker is not None and _code(value) == p.caretaker.username
    if field == "area":
        return value.pk == p.area_id if isinstance(value, Area) else _code(value) == p.area.code
    if field == "visit_every_days":
        try:
            return whole_number(value, field) == p.visit_every_days
        except UserError:
            return False
    return isinstance(value, str) and value.strip() == getattr(p, field)


def update_key_person(person: KeyPerson, *, by, version=None, **changes) -> KeyPerson:
    """修改: category, area, address, phone, responsible grid worker, visit interval, note. A
    person moved to another town needs a responsible grid worker of that town (or none).

    The action decides what changed: a value given as the entry holds it is no change and is
    not checked again (a responsible grid worker who has since left the town, an area since
    retired, stay until someone chooses another); an edit that changes nothing writes nothing
    and leaves the version as it was. Either way a stale ``version`` or a removed person is
    refused."""
    _may(by, REGISTRARS, "修改重点人员信息", "change key persons")
    allowed = {"category", "area", "address", "caretaker", "visit_every_days", "note", "phone"}
    unknown = set(changes) - allowed
    if unknown:
        raise UserError("unknown_field", f"不能修改: {', '.join(sorted(unknown))}",
                        f"cannot change: {', '.join(sorted(unknown))}")
    with transaction.atomic(), context.explicit_audit():
        p = _locked(person, by, version)
        if not p.is_active:
            raise Conflict("removed", "该人员已移出台账", "the person was removed from the registry")
        changes = {f: value for f, value in changes.items() if not _unchanged(p, f, value)}
        before_values = {f: getattr(p, f) for f in allowed}
        before_area = p.area
        if "category" in changes:
            p.category = _choice(changes["category"], KeyPersonCategory, "category", "人员类别", "category")
        if "area" in changes:
            p.area = _area(changes["area"], by)
        if "address" in changes:
            p.address = _text(changes["address"], "address", "住址", "the address", max_len=200)
        if "note" in changes:
            p.note = _text(changes["note"], "note", "备注", "the note")
        if "phone" in changes:
            p.phone = _personal("phone", changes["phone"], "phone")
        if "caretaker" in changes:
            p.caretaker = _caretaker(changes["caretaker"], p.area)
        elif "area" in changes and p.caretaker is not None and town_path(p.area.path) != town_path(before_area.path):
            p.caretaker = _caretaker(p.caretaker, p.area)  # moved to another town: theirs or none
        if "visit_every_days" in changes:
            p.visit_every_days = _days(changes["visit_every_days"])
            p.next_visit_due = p.due_after(p.last_visit_at or p.registered_at)
        changed = sorted(f for f in allowed if getattr(p, f) != before_values[f])
        if not changed:  # the same values again: nothing to write, nothing to audit
            return p
        p.version += 1
        p.save()
        audit.record("key_person_update", p, actor=by, object_repr="key person",
                     after={"area": p.area.code, "changed": changed})
    return p


def remove_key_person(person: KeyPerson, *, by, reason, version=None) -> KeyPerson:
    """移出台账 (e.g. correction ended): kept with its visits, no longer visited or counted."""
    _may(by, REGISTRARS, "移出重点人员", "remove key persons")
    reason = _text(reason, "reason", "移出理由", "a reason", required=True, max_len=200)
    with transaction.atomic(), context.explicit_audit():
        p = _locked(person, by, version)
        if not p.is_active:
            raise Conflict("removed", "该人员已移出台账", "the person was removed from the registry")
        p.is_active, p.removed_at, p.removal_reason = False, clock_now(), reason
        p.version += 1
        p.save()
        audit.record("key_person_remove", p, actor=by, object_repr="key person", after={"area": p.area.code})
    return p


def _when(value) -> dt.datetime:
    now = clock_now()
    if value in (None, ""):
        return now
    try:
        when = value if isinstance(value, dt.datetime) else parse_datetime(value.strip()) if isinstance(
            value, str) else None
    except ValueError:  # well formed but impossible (2026-02-30T10:00)
        when = None
    if when is None:
        raise UserError("bad_time", "走访时间格式不正确", "the visit time is not a date and time", field="visited_at")
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    if when > now + FUTURE_SLACK:
        raise UserError("future_time", "走访时间不能晚于现在", "the visit cannot be in the future", field="visited_at")
    if when < now - MAX_BACKDATE:
        raise UserError("too_old", "只能补录30天内的走访", "visits older than 30 days cannot be recorded",
                        field="visited_at")
    return when


def record_visit(person: KeyPerson, *, by, method=VisitMethod.HOME, condition=Condition.STABLE, note="",
                 visited_at=None) -> Visit:
    """走访: a visit of ``person``; the next one is due one interval after the latest visit. A
    condition other than stable needs a note (what was found); the risk scan raises an alert on
    an abnormal one."""
    _may(by, VISITORS, "登记走访", "record visits")
    method = _choice(method, VisitMethod, "method", "走访方式", "visit method")
    condition = _choice(condition, Condition, "condition", "走访情况", "condition")
    note = _text(note, "note", "走访情况说明", "what was found", required=condition != Condition.STABLE)
    when = _when(visited_at)
    with transaction.atomic(), context.explicit_audit():
        p = _locked(person, by, None, "visit")
        if not p.is_active:
            raise Conflict("removed", "该人员已移出台账", "the person was removed from the registry")
        visit = Visit.objects.create(person=p, visited_at=when, by=by, by_name=actor_name(by),
                                     method=method, condition=condition, note=note, recorded_at=clock_now())
        if p.last_visit_at is None or when > p.last_visit_at:
            p.last_visit_at = when
            p.next_visit_due = p.due_after(when)
            # the version is for edits of the entry: a visit leaves an open edit form valid
            p.save(update_fields=["last_visit_at", "next_visit_due"])
        audit.record("key_person_visit", visit, actor=by, object_repr="key person visit",
                     after={"person": p.pk, "visited_at": when.isoformat()})
    return visit
