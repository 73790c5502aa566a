"""Writes of the check-point registry (平安点位), each one function in one transaction with its
audit record: register a check-point with its checklist, change it, remove it, and record an
inspection (巡查), which moves the next inspection due. Problems found are reported, in the same
transaction, as one hazard matter (安全隐患, channel 网格上报) that runs the closed loop like any
other; the inspection links to it. Times come from the platform's clock (``events.sla.now``)."""

from __future__ import annotations

import hashlib
import json
import unicodedata

from django.conf import settings
from django.db import transaction
from django.utils import translation

from fengqiao.core import audit, context
from fengqiao.core.errors import Conflict, NotFound, UserError
from fengqiao.core.inputs import scoped_key, whole_number
from fengqiao.events.actions._base import actor_name
from fengqiao.events.choices import Channel
from fengqiao.events.sla import now as clock_now

from . import inputs
from .choices import (
    DEFAULT_CHECKLISTS,
    DEFAULT_HAZARD_CATEGORY,
    DEFAULT_INSPECT_EVERY_DAYS,
    HAZARD_CATEGORIES,
    CheckPointKind,
    InspectionOutcome,
)
from .models import (
    MAX_CHECKLIST_ITEMS,
    MAX_ITEM,
    REGISTRARS,
    VISITORS,
    CheckPoint,
    Inspection,
    town_path,
)

MAX_POINT_NAME = 100
MAX_PROBLEM_NOTE = 200

#: what an edit may change
FIELDS = ("name", "kind", "area", "address", "caretaker", "inspect_every_days", "checklist", "note")


def clean_checklist(value) -> list[str]:
    """A checklist: a list of texts, or one text with an item per line. Items are trimmed, empty
    lines and repeats dropped; 1 to :data:`MAX_CHECKLIST_ITEMS` items of at most
    :data:`MAX_ITEM` characters."""
    if isinstance(value, str):
        value = value.splitlines()
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise UserError("bad_checklist", "检查项应为文字列表", "the checklist must be a list of texts", field="checklist")
    items = list(dict.fromkeys(v.strip() for v in value if v.strip()))
    if not items:
        raise UserError("required", "请至少填写一项检查内容", "the checklist needs at least one item", field="checklist")
    if len(items) > MAX_CHECKLIST_ITEMS:
        raise UserError("too_many_items", f"检查项不能超过 {MAX_CHECKLIST_ITEMS} 项",
                        f"at most {MAX_CHECKLIST_ITEMS} checklist items", field="checklist")
    for item in items:
        # a line break inside an item would split it in two on the console's next edit
        if len(item) > MAX_ITEM or any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in item):
            raise UserError("bad_item", f"每项检查内容不超过 {MAX_ITEM} 字,且不含控制字符",
                            f"each checklist item: at most {MAX_ITEM} characters, no control characters",
                            field="checklist")
    return items


def checklist_key(items: list[str]) -> str:
    """A short fingerprint of a checklist: a form (or client) sends back the one it showed, so
    item numbers are never read against a checklist changed meanwhile."""
    return hashlib.sha256(json.dumps(items, ensure_ascii=False).encode()).hexdigest()[:16]


def _days(value) -> int:
    return inputs.days(value, "inspect_every_days", "巡查", "inspect")


def _kind(value) -> str:
    return inputs.choice(value, CheckPointKind, "kind", "点位类别", "check-point kind")


def register_point(*, by, name, kind, area, address="", caretaker=None, inspect_every_days=None, checklist=None,
                   note="") -> CheckPoint:
    """登记平安点位. Without an interval or a checklist, those of its kind
    (:data:`~fengqiao.grid.choices.DEFAULT_INSPECT_EVERY_DAYS`, ``DEFAULT_CHECKLISTS``); the first
    inspection is due one interval after registration."""
    inputs.may(by, REGISTRARS, "登记平安点位", "register check-points")
    kind = _kind(kind)
    place = inputs.place(area, by)
    values = {
        "name": inputs.text(name, "name", "点位名称", "the name", required=True, max_len=MAX_POINT_NAME,
                            lines=False),
        "address": inputs.text(address, "address", "地址", "the address", max_len=200, lines=False),
        "note": inputs.text(note, "note", "备注", "the note"),
        "caretaker": inputs.caretaker(caretaker, place),
        "inspect_every_days": DEFAULT_INSPECT_EVERY_DAYS[kind] if inspect_every_days in (None, "")
        else _days(inspect_every_days),
        "checklist": list(DEFAULT_CHECKLISTS[kind]) if checklist in (None, "", []) else clean_checklist(checklist),
    }
    now = clock_now()
    with transaction.atomic(), context.explicit_audit():
        point = CheckPoint(kind=kind, area=place, registered_at=now, registered_by=by, **values)
        point.next_inspection_due = point.due_after(now)
        point.save()
        audit.record("check_point_register", point, actor=by, object_repr=point.name,
                     after={"area": place.code, "kind": kind, "items": len(point.checklist)})
    return point


def _locked(point: CheckPoint, by, version, action: str = "change") -> CheckPoint:
    """The check-point, locked, if ``by`` may reach it (else 404), read with its area, responsible
    grid worker and registrar (only the check-point's row is locked)."""
    locked = (CheckPoint.objects.restrict(by, action).select_related("area", "caretaker", "registered_by")
              .select_for_update(of=("self",)).filter(pk=point.pk).first())
    if locked is None:
        raise NotFound("平安点位", "check-point")
    inputs.current(version, locked)
    if not locked.is_active:
        raise Conflict("removed", "该点位已移出台账", "the check-point was removed from the registry")
    return locked


def update_point(point: CheckPoint, *, by, version=None, **changes) -> CheckPoint:
    """修改: name, kind, area, address, responsible grid worker, interval, checklist, note. A
    changed interval moves the next due from the last inspection. An edit that changes nothing
    writes nothing; a stale ``version`` or a removed check-point is refused."""
    inputs.may(by, REGISTRARS, "修改平安点位", "change check-points")
    inputs.only(changes, FIELDS)
    with transaction.atomic(), context.explicit_audit():
        p = _locked(point, by, version)
        changes = {f: value for f, value in changes.items() if not inputs.unchanged(
            p, f, value, readers={"inspect_every_days": lambda v: whole_number(v, "inspect_every_days"),
                                  "checklist": clean_checklist})}
        before = {f: getattr(p, f) for f in FIELDS}
        if "name" in changes:
            p.name = inputs.text(changes["name"], "name", "点位名称", "the name", required=True,
                                 max_len=MAX_POINT_NAME, lines=False)
        if "kind" in changes:
            p.kind = _kind(changes["kind"])
        if "area" in changes:
            p.area = inputs.place(changes["area"], by)
        if "address" in changes:
            p.address = inputs.text(changes["address"], "address", "地址", "the address", max_len=200,
                                    lines=False)
        if "note" in changes:
            p.note = inputs.text(changes["note"], "note", "备注", "the note")
        if "checklist" in changes:
            p.checklist = clean_checklist(changes["checklist"])
        if "caretaker" in changes:
            p.caretaker = inputs.caretaker(changes["caretaker"], p.area)
        elif "area" in changes and p.caretaker is not None and town_path(p.area.path) != town_path(
                before["area"].path):
            p.caretaker = inputs.caretaker(p.caretaker, p.area)  # moved to another town: theirs or none
        if "inspect_every_days" in changes:
            p.inspect_every_days = _days(changes["inspect_every_days"])
            p.next_inspection_due = p.due_after(p.last_inspected_at or p.registered_at)
        changed = sorted(f for f in FIELDS if getattr(p, f) != before[f])
        if not changed:
            return p
        p.version += 1
        p.save()
        audit.record("check_point_update", p, actor=by, object_repr=p.name,
                     after={"area": p.area.code, "changed": changed})
    return p


def remove_point(point: CheckPoint, *, by, reason, version=None) -> CheckPoint:
    """移出台账 (e.g. the shop closed): kept with its inspections, no longer due or counted."""
    inputs.may(by, REGISTRARS, "移出平安点位", "remove check-points")
    reason = inputs.text(reason, "reason", "移出理由", "a reason", required=True, max_len=200)
    with transaction.atomic(), context.explicit_audit():
        p = _locked(point, by, version)
        p.is_active, p.removed_at, p.removal_reason = False, clock_now(), reason
        p.version += 1
        p.save()
        audit.record("check_point_remove", p, actor=by, object_repr=p.name, after={"area": p.area.code})
    return p


def _problems(value, items: list[str]) -> dict[int, str]:
    """The items found wrong: index (0-based, in the checklist) → what was found. Given as a list
    of indexes or of ``{"item": index, "note": text}``."""
    if value in (None, ""):
        return {}
    if not isinstance(value, (list, tuple)):
        raise UserError("bad_problems", "问题项格式不正确", "problems must be a list", field="problems")
    out: dict[int, str] = {}
    for entry in value:
        index, note = (entry.get("item"), entry.get("note", "")) if isinstance(entry, dict) else (entry, "")
        try:
            i = whole_number(index, "problems")
        except UserError:
            i = -1
        if not 0 <= i < len(items):
            shown = str(index)[:20]
            raise UserError("bad_item", f"检查项不存在: {shown}", f"no such checklist item: {shown}", field="problems")
        if i in out:
            raise UserError("repeated_item", f"检查项重复: {items[i]}", f"a checklist item given twice: {items[i]}",
                            field="problems")
        if not isinstance(note, str):
            raise UserError("bad_problems", "问题说明应为文字", "what was found must be a text", field="problems")
        out[i] = inputs.text(note, "problems", "问题说明", "what was found", max_len=MAX_PROBLEM_NOTE, lines=False)
    return out


def _hazard_category(kind: str):
    """The active category a problem at ``kind`` is reported under: the kind's, else 安全隐患,
    else none (triage suggests one), so a category a county retired never blocks an inspection."""
    from fengqiao.events.actions.intake import category_by_code

    for code in (HAZARD_CATEGORIES.get(kind, DEFAULT_HAZARD_CATEGORY), "hazard"):
        try:
            return category_by_code(code, by_name=False)
        except UserError:
            continue
    return None


def _hazard_text(p: CheckPoint, results: list[dict], note: str) -> str:
    """The matter's text, stored once and read by everyone: in the deployment's language
    whatever the inspector's (the kind's label included)."""
    with translation.override(settings.LANGUAGE_CODE):
        kind = str(p.get_kind_display())
    lines = [f"平安点位「{p.name}」({kind})巡查发现以下问题:"]
    for n, r in enumerate((r for r in results if not r["ok"]), 1):
        lines.append(f"{n}. {r['item']}" + (f":{r['note']}" if r["note"] else ""))
    if note:
        lines.append(f"巡查说明:{note}")
    if p.address:
        lines.append(f"地址:{p.address}")
    return "\n".join(lines)


def _repeat(point: CheckPoint, key: str | None) -> Inspection | None:
    """The inspection recorded before with ``key`` (:func:`inputs.once`)."""
    return inputs.once(Inspection, key, "point", point.pk, zh="点位的巡查", en="check-point's inspection",
                       related=("hazard",))


def record_inspection(point: CheckPoint, *, by, problems=None, note="", inspected_at=None,
                      report: bool = True, shown_checklist: str = "", idempotency_key: str = "") -> Inspection:
    """巡查: an inspection of ``point`` against its checklist; ``problems`` name the items found
    wrong (each may say what was found). With problems, a note is required and, unless
    ``report`` is false (already reported, or put right on the spot), one hazard matter is taken
    in for them in the same transaction, at the check-point's place. The next inspection is due
    one interval after the latest one. ``shown_checklist`` (:func:`checklist_key` of the
    checklist the inspector was shown), when given, must still be the check-point's: a registrar
    may have changed the items meanwhile (409).

    ``idempotency_key`` (scoped to ``by``): a retry with the same key and the same inspection
    answers the inspection recorded the first time, marked ``repeated``, and writes nothing (no
    second hazard matter); the same key with another inspection (other problems, note or
    report, or a checklist fingerprint or time sent that differs) is refused, 422
    ``idempotency_key_reused`` (ADR 0105), never answered with the first. Two identical
    requests at once are settled by the key's unique index."""
    inputs.may(by, VISITORS, "登记巡查", "record inspections")
    key = scoped_key(by, idempotency_key)
    sent = {"problems": problems, "note": note, "inspected_at": inspected_at, "report": report,
            "shown_checklist": shown_checklist}
    if (done := _retried(_repeat(point, key), sent)) is not None:
        return done
    note = inputs.text(note, "note", "巡查说明", "a note")
    when = inputs.past_time(inspected_at, "inspected_at", "巡查", "inspection")
    return inputs.written_once(lambda: _record(point, by, problems, note, when, report, shown_checklist, key),
                               lambda: _retried(_repeat(point, key), sent))


def _retried(done: Inspection | None, sent: dict) -> Inspection | None:
    """``done``, the inspection recorded first with the key, when ``sent`` (the request's values
    as given) is that inspection again: the same items found wrong with what was found at each,
    read against the checklist it was recorded with (its items may have changed since); the
    same note; reported or not alike; the same checklist fingerprint and time when sent. Else
    422 (:func:`inputs.retried`)."""
    def same(inspection: Inspection) -> bool:
        items = [r["item"] for r in inspection.results]
        try:
            wrong = _problems(sent["problems"], items)
        except UserError:  # not even a valid inspection of that checklist
            return False
        found = {i: r["note"] for i, r in enumerate(inspection.results) if not r["ok"]}
        return (wrong == found and inputs.same_text(sent["note"], inspection.note)
                and (not wrong or bool(sent["report"]) == (inspection.hazard_id is not None))
                and (not sent["shown_checklist"] or sent["shown_checklist"] == checklist_key(items))
                and inputs.sent_time(sent["inspected_at"], inspection.inspected_at))

    return inputs.retried(done, same, zh="巡查", en="inspection")


def _record(point, by, problems, note, when, report, shown_checklist, key) -> Inspection:
    with transaction.atomic(), context.explicit_audit():
        p = _locked(point, by, None, "inspect")
        if shown_checklist and shown_checklist != checklist_key(p.checklist):
            raise Conflict("checklist_changed", "检查项已被他人修改,请核对后重新填写",
                           "the checklist was changed meanwhile; check the items again", field="checklist")
        wrong = _problems(problems, p.checklist)
        if wrong and not note:
            raise UserError("required", "发现问题时请填写巡查说明", "a note is required when problems are found",
                            field="note")
        results = [{"item": item, "ok": i not in wrong, "note": wrong.get(i, "")} for i, item in enumerate(p.checklist)]
        outcome = InspectionOutcome.PROBLEMS if wrong else InspectionOutcome.PASSED
        hazard = None
        if wrong and report:
            from fengqiao.events.actions import create_event

            hazard, _created = create_event(
                by=by, channel=Channel.GRID_REPORT, title=f"平安点位巡查发现隐患:{p.name}",
                content=_hazard_text(p, results, note), address=p.address or p.name, area=p.area,
                category=_hazard_category(p.kind), occurred_at=when,
                note="平安点位巡查", area_checked=True)  # the check-point was reached through restrict()
        inspection = Inspection.objects.create(point=p, inspected_at=when, by=by, by_name=actor_name(by),
                                               results=results, outcome=outcome, note=note, hazard=hazard,
                                               recorded_at=clock_now(), idempotency_key=key)
        if p.last_inspected_at is None or when > p.last_inspected_at:
            p.last_inspected_at, p.last_outcome = when, outcome
            p.next_inspection_due = p.due_after(when)
            # the version is for edits of the entry: an inspection leaves an open edit form valid
            p.save(update_fields=["last_inspected_at", "last_outcome", "next_inspection_due"])
        audit.record("check_point_inspect", inspection, actor=by, object_repr=p.name,
                     after={"point": p.pk, "inspected_at": when.isoformat(), "outcome": outcome,
                            "problems": len(wrong), "hazard": hazard.number if hazard else ""})
    inspection.repeated = False
    return inspection
