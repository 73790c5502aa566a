"""The closed loop (受理 → 流转 → 办结 → 反馈 → 核实 → 归档): one function per action."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from fengqiao.accounts.models import User
from fengqiao.areas.models import Area, Department, Level
from fengqiao.core import roles
from fengqiao.core.errors import Conflict, UserError

from .. import sla
from ..choices import Feedback, SlaColor, State
from ..models import Event, TimelineEntry
from ._base import (
    actor_name,
    apply,
    attachments_of,
    centre_ids,
    handler_ids,
    require,
    running_clock,
    stale,
    unit_member_ids,
)

HANDLING_LEVELS = {Level.TOWN, Level.VILLAGE, Level.GRID, Level.MICROGRID}


def accept_event(event: Event, *, by, note: str = "") -> Event:
    """受理."""
    return apply(event, "accept", by, changes={"accepted_at": sla.now()}, reason=note)


def reject_event(event: Event, *, by, reason: str) -> Event:
    """不予受理 (reason required)."""
    reason = require(reason, "reason", "理由", "a reason")
    return apply(event, "reject", by, changes={"closed_at": sla.now()}, reason=reason)


def cancel_event(event: Event, *, by, reason: str) -> Event:
    """撤销 (e.g. the citizen withdrew it)."""
    reason = require(reason, "reason", "理由", "a reason")
    return apply(event, "cancel", by, changes={"closed_at": sla.now()}, reason=reason)


#: states a matter cannot be merged into (it has ended)
MERGE_CLOSED = (State.REJECTED, State.MERGED, State.CANCELLED, State.CLOSED)


def merge_event(event: Event, *, by, into: Event, reason: str = "") -> Event:
    """合并: a duplicate joins the matter ``into`` (which must be open and another matter)."""
    if into is None or into.pk == event.pk:
        raise UserError("bad_merge_target", "不能合并到自身", "a matter cannot be merged into itself", field="into")
    closed = MERGE_CLOSED
    if into.state in closed:
        raise Conflict("merge_target_closed", "目标事件已结束,不能合并", "the target matter is no longer open")
    with transaction.atomic():
        # Both rows are locked in id order before either is written (PostgreSQL; SQLite has one
        # writer at a time): A→B and B→A at once would otherwise each hold one row and wait for
        # the other's, a deadlock the database ends with an error.
        list(Event.objects.select_for_update().filter(pk__in=[event.pk, into.pk]).order_by("pk").values_list("pk"))
        # Claim the target too: two operators merging A→B and B→A at once cannot both win, and a
        # target that closed in the meantime does not receive the merge.
        claimed = Event.objects.filter(pk=into.pk, version=into.version).exclude(state__in=closed).update(
            version=F("version") + 1)
        if claimed != 1:
            raise stale()
        apply(event, "merge", by, changes={"merged_into": into, "closed_at": sla.now()}, reason=reason,
              data={"into": into.pk, "into_number": into.number})
        TimelineEntry.objects.create(event=into, at=sla.now(), actor=by, actor_name=actor_name(by),
                                     action="merged_in", from_state=into.state, to_state=into.state, reason=reason,
                                     data={"from": event.pk, "from_number": event.number})
    return event


def _unit_fields(to_unit) -> dict:
    if isinstance(to_unit, Area):
        if to_unit.level not in HANDLING_LEVELS:
            raise UserError("bad_unit", "只能派发到乡镇、村社区、网格或部门", "dispatch to a town, village, grid or department",
                            field="to_unit")
        return {"handling_area": to_unit, "handling_department": None, "assignee": None, "handling_path": to_unit.path}
    if isinstance(to_unit, Department):
        return {"handling_area": None, "handling_department": to_unit, "assignee": None, "handling_path": ""}
    if isinstance(to_unit, User):
        if to_unit.role not in {roles.MEDIATOR, roles.LEADER}:
            raise UserError("bad_unit", "只能指派给调解员或包案领导", "only a mediator or a leader in charge can be assigned",
                            field="to_unit")
        return {"handling_area": None, "handling_department": None, "assignee": to_unit,
                "handling_path": to_unit.area.path if to_unit.area_id else ""}
    raise UserError("bad_unit", "承办单位无效", "not a valid handling unit", field="to_unit")


def _check_dispatch_target(event: Event, by, to_unit) -> None:
    if isinstance(to_unit, Area):
        home = by.area
        if home is None or not to_unit.path.startswith(home.path) or to_unit.pk == home.pk:
            raise UserError("unit_outside", "承办单位不在您的管辖范围内", "the handling unit is outside your jurisdiction",
                            field="to_unit")
    elif isinstance(to_unit, Department):
        county = (by.area.path.strip("/").split("/")[0]) if by.area_id else None
        if county is None or to_unit.county.code != county or not to_unit.is_active:
            raise UserError("unit_outside", "该部门不在本县", "the department is not one of this county", field="to_unit")
    elif isinstance(to_unit, User) and to_unit.area_id and by.area_id and not to_unit.area.path.startswith(
            by.area.path) and not by.area.path.startswith(to_unit.area.path):
        raise UserError("unit_outside", "该人员不在您的管辖范围内", "that person is outside your jurisdiction", field="to_unit")


def dispatch_event(event: Event, *, to_unit, by, note: str = "") -> Event:
    """派发 to a town/village/grid, a department, or a person (mediator, leader in charge).

    Starts the sign-for clock; from ``accepted`` it also starts the handling clock. A town
    that signed may dispatch on (二次派发): the handling clock keeps running.
    """
    from .. import transitions

    transitions.check(event, "dispatch", by)
    require(to_unit, "to_unit", "承办单位", "a handling unit")
    _check_dispatch_target(event, by, to_unit)
    unit = _unit_fields(to_unit)
    now = sla.now()
    cal = sla.calendar()
    limits = sla.limits_for(event.channel, event.category, event.urgency)
    sign_warn, sign_due = sla.start_clock(cal, now, limits.sign)
    changes = {**unit, "dispatched_at": now, "dispatched_by_area": by.area, "signed_at": None,
               "sign_limit": limits.sign.amount, "sign_unit": limits.sign.unit,
               "sign_warn_at": sign_warn, "sign_due_at": sign_due, "escalation_pending": False}
    if event.state == State.ACCEPTED or event.handle_started_at is None:
        handle_warn, handle_due = sla.start_clock(cal, now, limits.handle)
        changes.update(handle_limit=limits.handle.amount, handle_unit=limits.handle.unit, handle_started_at=now,
                       handle_warn_at=handle_warn, handle_due_at=handle_due, paused_at=None, pause_reason="")
    values = {"paused_at": changes.get("paused_at", event.paused_at), "sign_warn_at": sign_warn, "sign_due_at": sign_due}
    warn, due = running_clock(State.DISPATCHED, values)
    changes.update(sla_warn_at=warn, sla_due_at=due, sla_color=sla.color_at(now, warn, due) if due else SlaColor.GREEN)
    label = str(to_unit.name if hasattr(to_unit, "name") and not isinstance(to_unit, User) else to_unit)
    return apply(event, "dispatch", by, changes=changes, reason=note, checked=True,
                 data={"to_unit": label, "policy": limits.policy, "sign_due_at": sign_due,
                       "handle_due_at": changes.get("handle_due_at", event.handle_due_at)},
                 notify_ids=unit_member_ids(area=unit["handling_area"], department=unit["handling_department"],
                                            user=unit["assignee"]),
                 notify_title=f"新派发事件: {event.title}")


def sign_event(event: Event, *, by) -> Event:
    """签收: stops the sign-for clock, the handling clock becomes the running one.

    Signed while paused, the sign-for limit is first moved on by the pause so far (what was left
    at the pause, from now), as a resolution moves the handling limit; the pause goes on for
    the handling clock."""
    now = sla.now()
    sign_warn, sign_due = event.sign_warn_at, event.sign_due_at
    if event.paused_at is not None:
        cal, unit = sla.calendar(), event.sign_unit or "natural_hours"
        sign_warn = sla.shift(cal, sign_warn, event.paused_at, now, unit)
        sign_due = sla.shift(cal, sign_due, event.paused_at, now, unit)
    late = bool(sign_due and now > sign_due)
    values = {"paused_at": event.paused_at, "handle_warn_at": event.handle_warn_at, "handle_due_at": event.handle_due_at}
    warn, due = running_clock(State.SIGNED, values)
    changes = {"signed_at": now, "sign_overdue": late, "sign_warn_at": sign_warn, "sign_due_at": sign_due,
               "sla_warn_at": warn, "sla_due_at": due,
               "sla_color": sla.color_at(now, warn, due) if due else event.sla_color}
    return apply(event, "sign", by, changes=changes, data={"late": late})


def return_event(event: Event, *, by, reason: str) -> Event:
    """退回: the handling unit sends it back to the centre that dispatched it; clocks stop."""
    reason = require(reason, "reason", "退回理由", "a reason")
    notify_ids = centre_ids(event.dispatched_by_area) if event.dispatched_by_area_id else []
    changes = {"handling_area": None, "handling_department": None, "assignee": None, "handling_path": "",
               "handle_started_at": None, "sla_warn_at": None, "sla_due_at": None, "sla_color": SlaColor.GREEN,
               "paused_at": None, "pause_reason": "", "extension_pending": False, "return_count": event.return_count + 1}
    return apply(event, "return", by, changes=changes, reason=reason, notify_ids=notify_ids,
                 notify_title=f"事件被退回: {event.title}")


def start_event(event: Event, *, by, note: str = "") -> Event:
    """开始处置."""
    return apply(event, "start", by, reason=note)


def resolve_event(event: Event, *, by, result: str, evidence=()) -> Event:
    """办结 with the result (and evidence attachments); the handling clock stops."""
    result = require(result, "result", "办理结果", "the result")
    ids = attachments_of(event, evidence)
    now = sla.now()
    due = event.handle_due_at
    changes = {"resolved_at": now, "result": result, "sla_warn_at": None, "sla_due_at": None,
               "extension_pending": False}
    if event.paused_at is not None:
        cal = sla.calendar()
        due = sla.shift(cal, due, event.paused_at, now, event.handle_unit or "natural_hours")
        changes.update(paused_at=None, pause_reason="", handle_due_at=due,
                       paused_seconds=event.paused_seconds + sla.paused_seconds(cal, event.paused_at, now,
                                                                                event.handle_unit or "natural_hours"))
    changes["handle_overdue"] = bool(due and now > due)
    notify_ids = centre_ids(event.dispatched_by_area) if event.dispatched_by_area_id else []
    return apply(event, "resolve", by, changes=changes, reason=result, attachment_ids=ids,
                 data={"evidence": ids, "late": changes["handle_overdue"]}, notify_ids=notify_ids,
                 notify_title=f"事件已办结待核实: {event.title}")


def verify_event(event: Event, *, by, feedback: str, note: str = "") -> Event:
    """核实回访 with the citizen's feedback (满意/基本满意/不满意)."""
    if feedback not in Feedback.values:
        zh = "满意、基本满意或不满意"
        raise UserError("bad_feedback", f"请选择回访结果({zh})" if not feedback else f"回访结果无效: {feedback};应为{zh}",
                        f"choose the citizen's feedback: one of {', '.join(Feedback.values)}", field="feedback")
    return apply(event, "verify", by, changes={"verified_at": sla.now(), "feedback": feedback, "feedback_note": note},
                 reason=note, data={"feedback": feedback})


def reopen_event(event: Event, *, by, reason: str) -> Event:
    """重新办理 (citizen unsatisfied): back to the handling unit with a fresh handling clock."""
    reason = require(reason, "reason", "理由", "a reason")
    now = sla.now()
    cal = sla.calendar()
    clock = sla.Clock(event.handle_limit or 5, event.handle_unit or "working_days")
    warn, due = sla.start_clock(cal, now, clock)
    changes = {"reopen_count": event.reopen_count + 1, "feedback": "", "resolved_at": None, "verified_at": None,
               "handle_started_at": now, "handle_warn_at": warn, "handle_due_at": due, "sla_warn_at": warn,
               "sla_due_at": due, "sla_color": SlaColor.GREEN, "handle_overdue": False, "escalation_pending": False}
    return apply(event, "reopen", by, changes=changes, reason=reason, data={"previous_feedback": event.feedback},
                 notify_ids=handler_ids(event), notify_title=f"事件重新办理: {event.title}")


def close_event(event: Event, *, by, reason: str = "") -> Event:
    """归档. Closing a matter the citizen was unsatisfied with needs a reason."""
    if event.feedback == Feedback.UNSATISFIED and not (reason or "").strip():
        raise UserError("reason_required", "群众不满意的事件归档须说明理由", "closing an unsatisfied matter needs a reason",
                        field="reason")
    return apply(event, "close", by, changes={"closed_at": sla.now()}, reason=reason)
