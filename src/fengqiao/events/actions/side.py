"""Side actions at any open state: escalate, extensions, clock pause, supervise, list/delist,
co-handlers, comments."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F

from fengqiao.areas.models import Area, Department, Level
from fengqiao.core.errors import UserError

from .. import sla, transitions
from ..escalation import supervising_area
from ..models import Cohandler, Event
from ._base import (
    apply,
    attachments_of,
    centre_ids,
    handler_ids,
    require,
    running_clock,
    unit_member_ids,
)

MAX_EXTENSION_DAYS = 60
#: the levels a matter may be moved to (更正地点)
PLACE_LEVELS = frozenset({Level.TOWN, Level.VILLAGE, Level.GRID, Level.MICROGRID})


def place_refusal(event: Event, place: Area, by) -> UserError | None:
    """Why ``by`` may not move ``event`` to ``place`` (更正地点), or ``None``: the place must be a
    town, village, grid or micro-grid of ``by``'s jurisdiction, and not the matter's own. The
    console offers only the places this lets through."""
    from .intake import home_root

    if place.level not in PLACE_LEVELS:  # the county (or a city) would leave it where no town sees it
        return UserError("place_too_coarse", "请选择乡镇(街道)、村(社区)或网格", "choose a town, village or grid",
                         field="place")
    root = home_root(by)
    if root is not None and not place.path.startswith(root.path):
        return UserError("place_outside", "该地点不在您的管辖范围内", "the place is outside your jurisdiction",
                         field="place")
    if place.pk == event.area_id:
        return UserError("same_place", "事件已在该地点", "the matter is already at this place", field="place")
    return None


def relocate_event(event: Event, *, by, place: Area, reason: str = "") -> Event:
    """更正地点: the centre in charge moves a matter it has not dispatched yet to another place of
    its own jurisdiction (the place triage read from the text or the coordinates, or one it
    chose). The matter's area, and so who sees it, follows."""
    transitions.check(event, "relocate", by)
    if not isinstance(place, Area):
        raise UserError("required", "请选择地点", "choose a place", field="place")
    refused = place_refusal(event, place, by)
    if refused is not None:
        raise refused
    from fengqiao.triage.service import remember, reroute

    before = event.area
    with transaction.atomic():
        # the one who took it in (a grid worker's report) may no longer see it there: told where it went
        apply(event, "relocate", by, changes={"area": place, "area_path": place.path}, reason=reason,
              data={"from": before.code if before else "", "from_name": before.name if before else "",
                    "to": place.code, "to_name": place.name}, checked=True,
              notify_ids=[event.created_by_id] if event.created_by_id else [],
              notify_title=f"事件更正地点: {event.title} → {place.full_name()}")
        reroute(event)  # the suggested route follows the place the person chose
        # repeats of it in its new town find it from now on (the old town's index no longer offers it)
        transaction.on_commit(lambda: remember(event))
    return event


def escalate_event(event: Event, *, by, reason: str) -> Event:
    """上报 to the supervising level's centre (village/grid → town → county)."""
    transitions.check(event, "escalate", by)
    reason = require(reason, "reason", "上报理由", "a reason")
    target = supervising_area(event)
    return apply(event, "escalate", by, changes={"escalated": True, "escalated_to": target}, reason=reason,
                 data={"to": target.code if target else ""}, checked=True,
                 notify_ids=centre_ids(target), notify_title=f"事件上报: {event.title}")


def _clock_values(event: Event, changes: dict) -> dict:
    names = ("paused_at", "sign_warn_at", "sign_due_at", "handle_warn_at", "handle_due_at")
    values = {n: getattr(event, n) for n in names}
    values.update({k: v for k, v in changes.items() if k in names})
    return values


def _pause_changes(event: Event, reason: str) -> dict:
    return {"paused_at": sla.now(), "pause_reason": reason[:200], "sla_warn_at": None, "sla_due_at": None}


def _resume_changes(event: Event) -> dict:
    """Re-add what was left at the pause to the due and warning instants (a limit that had run
    out at the pause stays where it was, ``sla.shift``); the running clock restarts."""
    now = sla.now()
    cal = sla.calendar()
    p = event.paused_at
    changes = {"paused_at": None, "pause_reason": ""}
    if p is None:
        return changes
    for prefix in ("sign", "handle"):
        unit = getattr(event, f"{prefix}_unit") or "natural_hours"
        if prefix == "sign" and event.signed_at is not None:
            continue
        for name in (f"{prefix}_warn_at", f"{prefix}_due_at"):
            changes[name] = sla.shift(cal, getattr(event, name), p, now, unit)
    changes["paused_seconds"] = event.paused_seconds + sla.paused_seconds(cal, p, now, event.handle_unit or "natural_hours")
    warn, due = running_clock(event.state, _clock_values(event, changes))
    changes.update(sla_warn_at=warn, sla_due_at=due, sla_color=sla.color_at(now, warn, due) if due else event.sla_color)
    return changes


def pause_event(event: Event, *, by, reason: str) -> Event:
    """暂停计时 while waiting for the citizen (补充材料, 联系不上 …)."""
    reason = require(reason, "reason", "暂停理由", "a reason")
    return apply(event, "pause", by, changes=_pause_changes(event, reason), reason=reason)


def resume_event(event: Event, *, by, note: str = "") -> Event:
    """恢复计时: what was left at the pause runs on from now; a missed limit stays missed."""
    transitions.check(event, "resume", by)
    changes = _resume_changes(event)
    return apply(event, "resume", by, changes=changes, reason=note, checked=True,
                 data={"handle_due_at": changes.get("handle_due_at")})


def request_extension(event: Event, *, by, days, reason: str) -> Event:
    """申请延期: the clock pauses until the decision."""
    reason = require(reason, "reason", "延期理由", "a reason")
    try:
        if isinstance(days, bool) or (isinstance(days, float) and not days.is_integer()):
            raise ValueError(days)
        days = int(days)
    except (TypeError, ValueError) as exc:  # a JSON 1e400 is inf, which is no integer
        raise UserError("bad_days", "延期天数应为整数", "days must be a whole number", field="days") from exc
    if not 1 <= days <= MAX_EXTENSION_DAYS:
        raise UserError("bad_days", f"延期天数应在1到{MAX_EXTENSION_DAYS}之间",
                        f"days must be between 1 and {MAX_EXTENSION_DAYS}", field="days")
    transitions.check(event, "request_extension", by)
    changes = {"extension_pending": True,
               "extension_request": {"days": days, "reason": reason, "by": by.pk, "at": sla.now().isoformat()}}
    if event.paused_at is None:
        changes.update(_pause_changes(event, "extension"))
    notify_ids = centre_ids(event.dispatched_by_area) if event.dispatched_by_area_id else []
    return apply(event, "request_extension", by, changes=changes, reason=reason, data={"days": days}, checked=True,
                 notify_ids=notify_ids, notify_title=f"延期申请待审批: {event.title}")


def approve_extension(event: Event, *, by, approve: bool, note: str = "") -> Event:
    """审批延期: approve (the handling limit grows by the days asked) or deny; the clock resumes.

    The days are added to the limit as the resumption leaves it: moved on by the pause when it
    had time left, else the limit that ran out (not the decision's date)."""
    if not isinstance(approve, bool):
        raise UserError("bad_approve", "approve 应为 true 或 false", "approve must be true or false", field="approve")
    transitions.check(event, "approve_extension", by)
    changes = _resume_changes(event)
    days = int((event.extension_request or {}).get("days") or 0)
    if approve and days:
        cal = sla.calendar()
        due = changes.get("handle_due_at", event.handle_due_at)
        unit = event.handle_unit or "working_days"
        new_due = cal.due_at(due, days * 24, "natural_hours") if unit == "natural_hours" else cal.due_at(
            due, days, "working_days")
        start = event.handle_started_at or sla.now()
        changes.update(handle_due_at=new_due, handle_warn_at=sla.warn_at(cal, start, new_due, unit))
        now = sla.now()
        warn, due2 = running_clock(event.state, _clock_values(event, changes))
        changes.update(sla_warn_at=warn, sla_due_at=due2,
                       sla_color=sla.color_at(now, warn, due2) if due2 else event.sla_color)
    changes.update(extension_pending=False)
    return apply(event, "approve_extension", by, changes=changes, reason=note, checked=True,
                 data={"approve": approve, "days": days, "handle_due_at": changes.get("handle_due_at")},
                 notify_ids=handler_ids(event),
                 notify_title=f"延期申请{'已批准' if approve else '未批准'}: {event.title}")


def supervise_event(event: Event, *, by, reason: str) -> Event:
    """督办: a comment with a flag; the handling unit is told."""
    reason = require(reason, "reason", "督办意见", "a supervision note")
    return apply(event, "supervise", by, changes={"supervised": True, "supervise_count": F("supervise_count") + 1},
                 reason=reason, notify_ids=handler_ids(event), notify_title=f"督办: {event.title}", versioned=False)


def list_event(event: Event, *, by, reason: str) -> Event:
    """挂牌督办."""
    reason = require(reason, "reason", "挂牌理由", "a reason")
    return apply(event, "list", by, changes={"listed": True, "listed_at": sla.now()}, reason=reason,
                 notify_ids=handler_ids(event), notify_title=f"挂牌督办: {event.title}")


def delist_event(event: Event, *, by, evidence, reason: str = "") -> Event:
    """销号: only with evidence (attachments of the matter showing the rectification)."""
    require(evidence, "evidence", "销号佐证材料", "evidence (attachments)")
    ids = attachments_of(event, evidence)
    return apply(event, "delist", by, changes={"listed": False}, reason=reason, attachment_ids=ids,
                 data={"evidence": ids})


def _county_code(user) -> str | None:
    """The county a user works in: from its home area, else from its department."""
    if user.area_id:
        return user.area.path.strip("/").split("/")[0]
    if user.department_id:
        return user.department.county.code
    return None


def add_cohandler(event: Event, *, by, unit, note: str = "") -> Event:
    """协办: another area node or department helps (and can see the matter)."""
    transitions.check(event, "add_cohandler", by)
    require(unit, "unit", "协办单位", "a co-handling unit")
    if isinstance(unit, Area):
        fields = {"area": unit, "area_path": unit.path}
    elif isinstance(unit, Department):
        fields = {"department": unit}
    else:
        raise UserError("bad_unit", "协办单位应为区域或部门", "a co-handler is an area node or a department", field="unit")
    # a co-handler sees the matter (reporter included): only units of the caller's own county
    county = _county_code(by)
    inside = (unit.path.startswith(f"/{county}/") if isinstance(unit, Area)
              else unit.is_active and unit.county.code == county) if county else False
    if not inside:
        raise UserError("unit_outside", "协办单位不在本县", "the co-handling unit is not one of this county", field="unit")
    with transaction.atomic():
        try:
            with transaction.atomic():
                Cohandler.objects.create(event=event, added_by=by, **fields)
        except IntegrityError as exc:
            raise UserError("duplicate_cohandler", "该单位已是协办单位", "that unit is already a co-handler",
                            field="unit") from exc
        return apply(event, "add_cohandler", by, reason=note, checked=True, data={"unit": unit.name},
                     notify_ids=unit_member_ids(area=fields.get("area"), department=fields.get("department")),
                     notify_title=f"协办事件: {event.title}")


def comment_event(event: Event, *, by, text: str, attachments=()) -> Event:
    """备注 (any state, anyone who can see the matter)."""
    text = require(text, "text", "备注内容", "the text")
    ids = attachments_of(event, attachments)
    return apply(event, "comment", by, reason=text, attachment_ids=ids, data={"attachments": ids}, versioned=False)


__all__ = [
    "add_cohandler", "approve_extension", "comment_event", "delist_event", "escalate_event",
    "list_event", "pause_event", "request_extension", "resume_event", "supervise_event",
]
