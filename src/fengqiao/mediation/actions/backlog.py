"""Backlog cases (积案) with a leader in charge (包案) and public hearings (阳光听证)."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from fengqiao.core import audit, context, roles
from fengqiao.core.errors import Conflict, UserError
from fengqiao.core.inputs import optional_version
from fengqiao.core.personal import mask_free_text

from ..choices import BacklogReason, BacklogStatus, HearingOutcome, HearingStatus
from ..models import BacklogCase, Hearing
from ..notify import notify_on_commit, staff_ids
from . import _common as c


def open_backlog_case(*, dispute=None, event=None, reason: str, by=None, leader=None, plan: str = "",
                      at: dt.datetime | None = None, _nested: bool = False) -> BacklogCase:
    """列为积案: one open backlog case per dispute or matter (a second is a 409)."""
    if reason not in BacklogReason.values:
        raise UserError("bad_reason", f"未知积案原因: {reason}", f"unknown backlog reason: {reason}")
    if (dispute is None) == (event is None):
        raise UserError("invalid", "积案须对应一件纠纷或一件信访事项", "a backlog case needs one dispute or one matter")
    at = at or c.now()
    src = dispute if dispute is not None else event
    area = src.area
    if area is None:
        raise UserError("no_area", "事项没有所在区域", "the matter has no area")
    title = f"{getattr(src, 'number', '') or src.pk} {mask_free_text(src.title)}"[:200]
    with transaction.atomic(), context.explicit_audit():
        try:
            with transaction.atomic():
                case = BacklogCase.objects.create(
                    dispute=dispute, event=event, title=title, area=area, reason=reason, plan=plan, opened_at=at,
                    leader=leader, assigned_at=at if leader else None,
                    status=BacklogStatus.IN_CHARGE if leader else BacklogStatus.OPEN)
        except IntegrityError:
            raise Conflict("already_backlog", "已列为积案", "already a backlog case") from None
        audit.record("backlog_open", case, after=audit.snapshot(case), actor=by)
    notify_on_commit([leader.pk] if leader else staff_ids(case.area_path), "mediation_backlog", f"积案 {case.title}")
    return case


def _lock(case: BacklogCase, expected_version: int | None) -> BacklogCase:
    expected_version = optional_version(expected_version)  # a whole number, else 400 bad_version
    locked = BacklogCase.objects.select_for_update().get(pk=case.pk)
    if expected_version is not None and expected_version != locked.version:
        raise Conflict("stale_version", "该积案已被他人更新,请刷新后重试", "the case was changed by someone else")
    return locked


def _save(case: BacklogCase, by, action: str, before: dict) -> None:
    old = case.version
    case.version = old + 1
    if BacklogCase.objects.filter(pk=case.pk, version=old).update(
            status=case.status, leader=case.leader, plan=case.plan, progress=case.progress,
            assigned_at=case.assigned_at, closed_at=case.closed_at, result=case.result, version=case.version) != 1:
        raise Conflict("stale_version", "该积案已被他人更新,请刷新后重试", "the case was changed by someone else")
    audit.record(f"backlog_{action}", case, before=before, after=audit.snapshot(case), actor=by)


@transaction.atomic
def assign_leader(case: BacklogCase, *, leader, plan: str = "", by, expected_version: int | None = None) -> BacklogCase:
    """包案: a leader takes personal charge, with a plan."""
    if by.role not in {roles.COUNTY_OPERATOR, roles.TOWN_OPERATOR, roles.LEADER}:
        raise Conflict("role_not_allowed", "您的角色不能指定包案领导", "your role may not assign a leader")
    if leader is None or leader.role != roles.LEADER or not leader.is_active:
        raise UserError("unknown_leader", "包案领导须为领导角色", "the person in charge must be a leader", field="leader")
    with context.explicit_audit():
        case = _lock(case, expected_version)
        if case.status in {BacklogStatus.RESOLVED, BacklogStatus.CLOSED}:
            raise Conflict("backlog_closed", "积案已化解或销号", "the backlog case is already resolved or closed")
        before = audit.snapshot(case)
        case.leader, case.assigned_at, case.status = leader, c.now(), BacklogStatus.IN_CHARGE
        case.plan = c.text({"plan": plan}, "plan", max_len=10000) or case.plan
        _save(case, by, "assign_leader", before)
    notify_on_commit([leader.pk], "mediation_backlog_leader", f"您包案的积案:{case.title}", case.plan)
    return case


@transaction.atomic
def report_progress(case: BacklogCase, *, text: str, by, resolved: bool = False,
                    expected_version: int | None = None) -> BacklogCase:
    """进展报告 by the leader in charge (or the centre); ``resolved`` (a yes or a no, see
    ``_common.boolean``) marks it 已化解. The report's ``at`` is local time, as every instant the
    API shows."""
    resolved = c.boolean(resolved, "resolved")
    with context.explicit_audit():
        case = _lock(case, expected_version)
        if case.status in {BacklogStatus.RESOLVED, BacklogStatus.CLOSED}:
            raise Conflict("backlog_closed", "积案已化解或销号", "the backlog case is already resolved or closed")
        if not (case.leader_id == by.pk or by.role in {roles.COUNTY_OPERATOR, roles.TOWN_OPERATOR}):
            raise Conflict("not_in_charge", "只有包案领导或矛调中心可以报告进展",
                           "only the leader in charge or the centre may report progress")
        body = c.text({"text": text}, "text", required=True, max_len=10000)
        before = audit.snapshot(case)
        case.progress = [*case.progress, {"at": timezone.localtime(c.now()).isoformat(),
                                          "by": by.get_full_name() or by.username, "text": body}]
        if resolved:
            case.status, case.result = BacklogStatus.RESOLVED, body
        _save(case, by, "progress", before)
    return case


@transaction.atomic
def close_case(case: BacklogCase, *, result: str, by, expected_version: int | None = None) -> BacklogCase:
    """销号: close a backlog case with its result (county centre or a leader)."""
    if by.role not in {roles.COUNTY_OPERATOR, roles.LEADER}:
        raise Conflict("role_not_allowed", "只有县矛调中心或领导可以销号", "only the county centre or a leader may close it")
    with context.explicit_audit():
        case = _lock(case, expected_version)
        if case.status == BacklogStatus.CLOSED:
            raise Conflict("backlog_closed", "积案已销号", "the backlog case is already closed")
        before = audit.snapshot(case)
        case.status, case.closed_at = BacklogStatus.CLOSED, c.now()
        case.result = c.text({"result": result}, "result", required=True, max_len=10000)
        _save(case, by, "close", before)
    return case


@transaction.atomic
def schedule_hearing(*, by, scheduled_at, place: str, participants: list[str], backlog_case: BacklogCase | None = None,
                     dispute=None) -> Hearing:
    """阳光听证: schedule a public hearing with its participants."""
    if by.role not in {roles.COUNTY_OPERATOR, roles.TOWN_OPERATOR, roles.LEADER}:
        raise Conflict("role_not_allowed", "您的角色不能安排听证", "your role may not schedule a hearing")
    if backlog_case is None and dispute is None:
        raise UserError("invalid", "听证须对应一件积案或纠纷", "a hearing needs a backlog case or a dispute")
    if backlog_case is not None and backlog_case.status == BacklogStatus.CLOSED:
        raise Conflict("backlog_closed", "积案已销号", "the backlog case is already closed")
    params = {"scheduled_at": scheduled_at, "place": place, "participants": participants}
    when = c.when(params, "scheduled_at", required=True)
    people = c.string_list(params, "participants")
    if not people:
        raise UserError("required", "请填写听证参加人员", "list the hearing's participants", field="participants")
    if dispute is None and backlog_case is not None:
        dispute = backlog_case.dispute
    area_path = backlog_case.area_path if backlog_case is not None else dispute.area_path
    with context.explicit_audit():
        h = Hearing.objects.create(backlog_case=backlog_case, dispute=dispute, area_path=area_path, scheduled_at=when,
                                   place=c.text(params, "place", required=True, max_len=200), participants=people,
                                   created_by=by)
        audit.record("hearing_schedule", h, after=audit.snapshot(h), actor=by)
    return h


@transaction.atomic
def record_hearing(h: Hearing, *, outcome: str, summary: str, by, expected_version: int | None = None) -> Hearing:
    """Record a hearing's outcome (当场停访息诉 …)."""
    if by.role not in {roles.COUNTY_OPERATOR, roles.TOWN_OPERATOR, roles.LEADER}:
        raise Conflict("role_not_allowed", "您的角色不能登记听证结果", "your role may not record a hearing")
    if outcome not in HearingOutcome.values or not outcome:
        raise UserError("bad_outcome", "听证结果应为 settled/partly/not_settled",
                        "outcome must be settled, partly or not_settled", field="outcome")
    expected_version = optional_version(expected_version)  # a whole number, else 400 bad_version
    with context.explicit_audit():
        locked = Hearing.objects.select_for_update().get(pk=h.pk)
        if expected_version is not None and expected_version != locked.version:
            raise Conflict("stale_version", "该听证已被他人更新", "the hearing was changed by someone else")
        if locked.status != HearingStatus.SCHEDULED:
            raise Conflict("hearing_recorded", "该听证已登记结果或已取消", "the hearing is already recorded or cancelled")
        before = audit.snapshot(locked)
        updated = Hearing.objects.filter(pk=h.pk, version=locked.version, status=HearingStatus.SCHEDULED).update(
            status=HearingStatus.HELD, outcome=outcome,
            summary=c.text({"summary": summary}, "summary", max_len=20000), version=locked.version + 1)
        if updated != 1:
            raise Conflict("stale_version", "该听证已被他人更新", "the hearing was changed by someone else")
        locked.refresh_from_db()
        audit.record("hearing_record", locked, before=before, after=audit.snapshot(locked), actor=by)
    return locked
