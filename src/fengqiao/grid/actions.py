"""Writes of the key-person registry (重点人员台账), each one function in one transaction with its
audit record (personal data masked in it): register, change, remove from the registry, and
record a visit (走访), which moves the person's next visit due. Times come from the platform's
clock (``events.sla.now``), which the demo and the tests may fix."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from fengqiao.core import audit, context
from fengqiao.core.errors import Conflict, NotFound
from fengqiao.core.fields import digest_for
from fengqiao.core.inputs import scoped_key, whole_number
from fengqiao.events.actions._base import actor_name
from fengqiao.events.sla import now as clock_now

from . import inputs
from .choices import DEFAULT_VISIT_EVERY_DAYS, Condition, KeyPersonCategory, VisitMethod
from .inputs import MAX_NAME, MAX_NOTE
from .models import REGISTRARS, VISITORS, KeyPerson, Visit, town_path

__all__ = ["MAX_NAME", "MAX_NOTE", "record_visit", "register_key_person", "remove_key_person", "update_key_person"]

def _days(value) -> int:
    return inputs.days(value, "visit_every_days", "走访", "visit")


def _filled(person: KeyPerson) -> list[str]:
    return sorted(f for f in ("name", "id_number", "phone", "address", "note", "caretaker") if getattr(person, f))


def register_key_person(*, by, name, category, area, id_number="", phone="", address="", caretaker=None,
                        visit_every_days=None, note="") -> KeyPerson:
    """登记重点人员. The first visit is due one interval after registration."""
    inputs.may(by, REGISTRARS, "登记重点人员", "register key persons")
    category = inputs.choice(category, KeyPersonCategory, "category", "人员类别", "category")
    place = inputs.place(area, by)
    values = {
        "name": inputs.personal("name", name, "name", required=True),
        "id_number": inputs.personal("id_number", id_number, "id_number"),
        "phone": inputs.personal("phone", phone, "phone"),
        "address": inputs.text(address, "address", "住址", "the address", max_len=200, lines=False),
        "note": inputs.text(note, "note", "备注", "the note"),
        "caretaker": inputs.caretaker(caretaker, place),
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
    inputs.current(version, locked)
    return locked


def update_key_person(person: KeyPerson, *, by, version=None, **changes) -> KeyPerson:
    """修改: category, area, address, phone, responsible grid worker, visit interval, note. A
    person moved to another town needs a responsible grid worker of that town (or none).

    The action decides what changed: a value given as the entry holds it is no change and is
    not checked again (a responsible grid worker who has since left the town, an area since
    retired, stay until someone chooses another); an edit that changes nothing writes nothing
    and leaves the version as it was. Either way a stale ``version`` or a removed person is
    refused."""
    inputs.may(by, REGISTRARS, "修改重点人员信息", "change key persons")
    allowed = {"category", "area", "address", "caretaker", "visit_every_days", "note", "phone"}
    inputs.only(changes, allowed)
    with transaction.atomic(), context.explicit_audit():
        p = _locked(person, by, version)
        if not p.is_active:
            raise Conflict("removed", "该人员已移出台账", "the person was removed from the registry")
        changes = {f: value for f, value in changes.items() if not inputs.unchanged(
            p, f, value, readers={"visit_every_days": lambda v: whole_number(v, "visit_every_days")})}
        before_values = {f: getattr(p, f) for f in allowed}
        before_area = p.area
        if "category" in changes:
            p.category = inputs.choice(changes["category"], KeyPersonCategory, "category", "人员类别", "category")
        if "area" in changes:
            p.area = inputs.place(changes["area"], by)
        if "address" in changes:
            p.address = inputs.text(changes["address"], "address", "住址", "the address", max_len=200,
                                    lines=False)
        if "note" in changes:
            p.note = inputs.text(changes["note"], "note", "备注", "the note")
        if "phone" in changes:
            p.phone = inputs.personal("phone", changes["phone"], "phone")
        if "caretaker" in changes:
            p.caretaker = inputs.caretaker(changes["caretaker"], p.area)
        elif "area" in changes and p.caretaker is not None and town_path(p.area.path) != town_path(before_area.path):
            p.caretaker = inputs.caretaker(p.caretaker, p.area)  # moved to another town: theirs or none
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
    inputs.may(by, REGISTRARS, "移出重点人员", "remove key persons")
    reason = inputs.text(reason, "reason", "移出理由", "a reason", required=True, max_len=200)
    with transaction.atomic(), context.explicit_audit():
        p = _locked(person, by, version)
        if not p.is_active:
            raise Conflict("removed", "该人员已移出台账", "the person was removed from the registry")
        p.is_active, p.removed_at, p.removal_reason = False, clock_now(), reason
        p.version += 1
        p.save()
        audit.record("key_person_remove", p, actor=by, object_repr="key person", after={"area": p.area.code})
    return p


def record_visit(person: KeyPerson, *, by, method=VisitMethod.HOME, condition=Condition.STABLE, note="",
                 visited_at=None, idempotency_key: str = "") -> Visit:
    """走访: a visit of ``person``; the next one is due one interval after the latest visit. A
    condition other than stable needs a note (what was found); the risk scan raises an alert on
    an abnormal one.

    ``idempotency_key`` (scoped to ``by``): a resent form or a retry with the same key and the
    same visit answers the visit recorded the first time, marked ``repeated``, and writes
    nothing; the same key with another visit (method, condition, note, or a time sent that
    differs) is refused, 422 ``idempotency_key_reused`` (ADR 0105), never answered with the first.
    Two identical requests at once are settled by the key's unique index."""
    inputs.may(by, VISITORS, "登记走访", "record visits")
    key = scoped_key(by, idempotency_key)
    sent = {"method": method, "condition": condition, "note": note, "visited_at": visited_at}
    if (done := _retried(_repeat(person, key), sent)) is not None:
        return done
    method = inputs.choice(method, VisitMethod, "method", "走访方式", "visit method")
    condition = inputs.choice(condition, Condition, "condition", "走访情况", "condition")
    note = inputs.text(note, "note", "走访情况说明", "what was found", required=condition != Condition.STABLE)
    when = inputs.past_time(visited_at, "visited_at", "走访", "visit")
    return inputs.written_once(lambda: _record_visit(person, by, method, condition, note, when, key),
                               lambda: _retried(_repeat(person, key), sent))


def _repeat(person: KeyPerson, key: str | None) -> Visit | None:
    """The visit recorded before with ``key`` (:func:`inputs.once`)."""
    return inputs.once(Visit, key, "person", person.pk, zh="人员的走访", en="person's visit")


def _retried(done: Visit | None, sent: dict) -> Visit | None:
    """``done``, the visit recorded first with the key, when ``sent`` (the request's values as
    given) is that visit again: the same method, condition and note, and the same time when one
    was sent; else 422 (:func:`inputs.retried`)."""
    def same(visit: Visit) -> bool:
        return (sent["method"] == visit.method and sent["condition"] == visit.condition
                and inputs.same_text(sent["note"], visit.note) and inputs.sent_time(sent["visited_at"], visit.visited_at))

    return inputs.retried(done, same, zh="走访", en="visit")


def _record_visit(person, by, method, condition, note, when, key) -> Visit:
    with transaction.atomic(), context.explicit_audit():
        p = _locked(person, by, None, "visit")
        if not p.is_active:
            raise Conflict("removed", "该人员已移出台账", "the person was removed from the registry")
        visit = Visit.objects.create(person=p, visited_at=when, by=by, by_name=actor_name(by), method=method,
                                     condition=condition, note=note, recorded_at=clock_now(), idempotency_key=key)
        if p.last_visit_at is None or when > p.last_visit_at:
            p.last_visit_at = when
            p.next_visit_due = p.due_after(when)
            # the version is for edits of the entry: a visit leaves an open edit form valid
            p.save(update_fields=["last_visit_at", "next_visit_due"])
        audit.record("key_person_visit", visit, actor=by, object_repr="key person visit",
                     after={"person": p.pk, "visited_at": when.isoformat()})
    visit.repeated = False
    return visit
