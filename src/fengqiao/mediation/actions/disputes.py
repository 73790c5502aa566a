"""Writes to disputes: register, and every step of the transition table.

Each public function is one transaction: the dispute row is locked (``select_for_update``) and
saved through a version-guarded update, so two people acting at once cannot both win (the
second gets a 409); it writes one timeline entry and one audit record; notifications go out
only after commit. :func:`act` dispatches ``{"action": …}`` from the API and the console.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from fengqiao.areas.models import Area
from fengqiao.core import audit, context
from fengqiao.core.api import small_id
from fengqiao.core.errors import Conflict, UserError
from fengqiao.core.personal import PersonalDataError

from .. import sla, transitions
from ..choices import (
    AssignmentResult,
    AssignmentRole,
    ConfirmationStatus,
    Honoured,
    Outcome,
    PartyKind,
    PartySide,
    Referral,
    SessionStatus,
    SlaColor,
    Source,
    State,
    TicketStatus,
)
from ..models import (
    Agreement,
    AgreementTemplate,
    Assignment,
    Dispute,
    DisputeType,
    Mediator,
    NumberCounter,
    Organisation,
    Party,
    Session,
    Ticket,
)
from ..notify import mediator_user_ids, notify_on_commit, staff_ids
from . import _common as c

MAX_PARTIES = 200


# One yearly series for every dispute, however it came in (console, API, demo loader):
# TJ2026-000123 (调解); its agreement is XY2026-000123 (协议).
NUMBER_PREFIX = "TJ"
AGREEMENT_PREFIX = "XY"


def reserve_numbers(year: int, count: int = 1, prefix: str = NUMBER_PREFIX) -> list[str]:
    """``count`` consecutive numbers of the year's series, taken under a row lock."""
    key = f"{prefix}{year}"
    counter, _created = NumberCounter.objects.get_or_create(key=key)
    counter = NumberCounter.objects.select_for_update().get(pk=counter.pk)
    first = counter.last + 1
    counter.last += count
    counter.save(update_fields=["last"])
    return [f"{key}-{n:06d}" for n in range(first, counter.last + 1)]


def next_number(prefix: str, at: dt.datetime) -> str:
    """TJ2026-000123: the next number of the year (local calendar year) of ``at``."""
    return reserve_numbers(timezone.localtime(at).year, 1, prefix)[0]


def agreement_number(dispute_number: str) -> str:
    """XY2026-000123 for dispute TJ2026-000123."""
    if dispute_number.startswith(NUMBER_PREFIX):
        return AGREEMENT_PREFIX + dispute_number[len(NUMBER_PREFIX):]
    return f"{AGREEMENT_PREFIX}-{dispute_number}"


def _party(d: Dispute, data: dict, order: int) -> Party:
    if not isinstance(data, dict):
        raise UserError("bad_party", "当事人格式不正确", "a party must be an object", field="parties")
    side = data.get("side") or PartySide.APPLICANT
    kind = data.get("kind") or PartyKind.PERSON
    if side not in PartySide.values:
        raise UserError("bad_party", f"当事人身份不正确: {side}", f"unknown party side: {side}", field="parties")
    if kind not in PartyKind.values:
        raise UserError("bad_party", f"当事人类别不正确: {kind}", f"unknown party kind: {kind}", field="parties")
    name = c.text(data, "name", max_len=60)
    org_name = c.text(data, "org_name", max_len=120)
    if kind == PartyKind.ORGANISATION and not (org_name or name):
        raise UserError("bad_party", "单位当事人须填写单位名称", "an organisation party needs its name", field="parties")
    if kind == PartyKind.PERSON and not name:
        raise UserError("bad_party", "当事人姓名必填", "a party's name is required", field="parties")
    p = Party(dispute=d, side=side, kind=kind, name=name or org_name, org_name=org_name,
              phone=c.text(data, "phone", max_len=30), id_number=c.text(data, "id_number", max_len=30),
              household_code=c.text(data, "household_code", max_len=40), credit_code=c.text(data, "credit_code", max_len=18),
              address=c.text(data, "address", max_len=200), order=order)
    try:
        for f in ("name", "phone", "id_number"):
            p._meta.get_field(f).pre_save(p, True)
    except PersonalDataError as exc:
        raise UserError(exc.code, exc.message_zh, exc.message_en, field="parties") from exc
    return p


@transaction.atomic
def register_dispute(*, by, type: DisputeType, title: str, facts: str, area: Area, parties: list[dict],
                     source: str = Source.WALK_IN, claims: str = "", amount_in_dispute=None, address: str = "",
                     source_ref: str = "", event=None, ticket: Ticket | None = None,
                     organisation: Organisation | None = None, centre: Organisation | None = None,
                     is_hard: bool = False, at: dt.datetime | None = None) -> Dispute:
    """登记: a dispute from a walk-in ticket, screening, a matter, a court or a petition."""
    at = at or c.now()
    if source not in Source.values:
        raise UserError("bad_source", f"未知来源: {source}", f"unknown source: {source}", field="source")
    if not isinstance(parties, list) or not parties:
        raise UserError("no_parties", "至少需要一名当事人", "at least one party is required", field="parties")
    if len(parties) > MAX_PARTIES:
        raise UserError("too_many_parties", "当事人过多", "too many parties", field="parties")
    sides = {(p or {}).get("side", "applicant") if isinstance(p, dict) else None for p in parties}
    if "applicant" not in sides:
        raise UserError("no_applicant", "至少需要一名申请人", "at least one applicant is required", field="parties")
    title = c.text({"title": title}, "title", required=True, max_len=200)
    facts = c.text({"facts": facts}, "facts", required=True, max_len=20000)
    claims = c.text({"claims": claims}, "claims", max_len=20000)
    address = c.text({"address": address}, "address", max_len=300)
    source_ref = c.text({"source_ref": source_ref}, "source_ref", max_len=64)
    amount = c.money({"amount_in_dispute": amount_in_dispute}, "amount_in_dispute", Decimal("0"))
    if event is not None and source == Source.WALK_IN:
        source = Source.MATTER
    with context.explicit_audit():
        if ticket is not None:
            updated = Ticket.objects.filter(pk=ticket.pk, status__in=[TicketStatus.CALLED, TicketStatus.WAITING],
                                            dispute__isnull=True).update(status=TicketStatus.REGISTERED,
                                                                         finished_at=at)
            if updated != 1:
                raise Conflict("ticket_used", "该号已登记或已办结", "this ticket is already registered or finished")
            ticket.refresh_from_db()
            centre = centre or ticket.centre
        taker = registering_mediator(by)
        if taker is not None and organisation is None:
            organisation = taker.organisation  # may be None: an expert without an organisation
        d = Dispute(number=next_number(NUMBER_PREFIX, at), type=type, title=title, facts=facts,
                    claims=claims, amount_in_dispute=amount, area=area,
                    address=address, source=source, source_ref=source_ref, event=event,
                    organisation=organisation, centre=centre, registered_by=by, registered_at=at, updated_at=at,
                    is_hard=bool(is_hard))
        d.save()
        for i, p in enumerate(parties):
            _party(d, p, i).save()
        if ticket is not None:
            Ticket.objects.filter(pk=ticket.pk).update(dispute=d)
        c.timeline(d, by, "register", "", State.REGISTERED, data={"source": source, "ticket": ticket.label if ticket else ""},
                   at=at)
        audit.record("dispute_register", d, after=audit.snapshot(d), actor=by)
        if taker is not None:
            _take_on(d, taker, by, at)
    notify_on_commit(staff_ids(d.area_path), "mediation_registered", f"新登记纠纷 {d.number}", d.title)
    return d


def registering_mediator(by) -> Mediator | None:
    """The mediator profile of a user with the mediator role, if active (else None)."""
    from fengqiao.core import roles

    if getattr(by, "role", None) != roles.MEDIATOR or not getattr(by, "pk", None):
        return None
    return Mediator.objects.filter(user_id=by.pk, is_active=True).select_related("organisation").first()


def _take_on(d: Dispute, mediator: Mediator, by, at: dt.datetime) -> None:
    """A mediator who registers a dispute takes it on: their organisation handles it (set at
    registration) and they lead it, unless they must stand aside (回避): then the organisation
    or the centre assigns someone else. Decision recorded in docs/mediation.md."""
    if _standing_aside(d, [mediator]) is not None:
        return
    team = _put_on_case(d, [mediator], at)
    c.timeline(d, by, "assign", "", "", mediator.name, {**team, "registered_by_mediator": True}, at)
    audit.record("dispute_assign", d, after=team, actor=by)


def _standing_aside(d: Dispute, mediators) -> tuple[Mediator, list] | None:
    """The first of ``mediators`` who must stand aside on ``d`` (回避: a party, a declared
    relative, same household…) with the reasons, or None. Registering (:func:`_take_on`: the
    mediator just does not take the case) and ``assign`` (refused) share this one check."""
    from ..services import case_facts, conflicts_for

    facts = case_facts(d)
    for m in mediators:
        problems = conflicts_for(m, facts)
        if problems:
            return m, problems
    return None


def _put_on_case(d: Dispute, team: list[Mediator], at: dt.datetime, scores: dict | None = None) -> dict:
    """Make ``team`` the dispute's mediators, the first as lead (the current team is released);
    ``scores`` are the matching scores by mediator id (str). Returns the timeline/audit data
    ``{"mediators": [ids], "lead": id}``."""
    _close_assignments(d, AssignmentResult.RELEASED, at)
    scores = scores or {}
    for i, m in enumerate(team):
        Assignment.objects.create(dispute=d, mediator=m, role=AssignmentRole.LEAD if i == 0 else AssignmentRole.MEMBER,
                                  assigned_at=at, match_score=scores.get(str(m.pk)))
    return {"mediators": [m.pk for m in team], "lead": team[0].pk}


# ------------------------------------------------------------------ the transition table's actions

def act(dispute, action: str, *, by, params: dict | None = None, expected_version: int | None = None,
        at: dt.datetime | None = None) -> Dispute:
    """Take ``action`` on ``dispute`` (the API's ``POST …/actions/``)."""
    params = params or {}
    if not isinstance(params, dict):
        raise UserError("invalid", "参数格式不正确", "parameters must be an object")
    transitions.get(action)
    handler = HANDLERS[action]
    return handler(dispute, by=by, params=params, expected_version=expected_version, at=at)


def _step(dispute, action, by, params, expected_version, at, apply, *, notify_kind: str = "", notify_to=None):
    """The frame every action shares: lock, check the table, apply, timeline, audit, notify."""
    at = at or c.now()
    with transaction.atomic(), context.explicit_audit():
        d = c.lock(dispute, expected_version)
        t = transitions.check(d, action, by)
        before = audit.snapshot(d)
        from_state = d.state
        reason, data = apply(d, t, params, at, by) or ("", {})
        if t.target is not None:
            d.state = t.target
        c.bump(d, at)
        c.timeline(d, by, action, from_state, d.state if t.target else "", reason, data, at)
        audit.record(f"dispute_{action}", d, before=before, after=audit.snapshot(d), actor=by)
        if notify_kind:
            ids = notify_to(d) if notify_to else mediator_user_ids(d) + staff_ids(d.area_path)
            notify_on_commit([i for i in ids if i != getattr(by, "pk", None)], notify_kind,
                             f"{d.number} {t.zh}", reason)
    if isinstance(dispute, Dispute):
        dispute.refresh_from_db()
        return dispute
    return d


def _accept(d, t, params, at, by=None):
    d.accepted_at = at
    warn, due = sla.start_clock(at)
    d.warn_at, d.due_at, d.sla_color, d.overdue = warn, due, SlaColor.GREEN, False
    org_id = params.get("organisation")
    if org_id not in (None, ""):
        orgs = Organisation.objects.restrict(by, "view") if by is not None else Organisation.objects
        org = orgs.filter(pk=_int(org_id, "organisation"), is_active=True).first()
        if org is None:
            raise UserError("unknown_organisation", "调解组织不存在", "unknown organisation", field="organisation")
        d.organisation = org
    return c.text(params, "note", max_len=2000), {"due_at": due.isoformat()}


def _decline(d, t, params, at, by=None):
    d.declined_reason = c.text(params, "reason", required=True)
    d.concluded_at = at
    return d.declined_reason, {}


def _int(value, field: str) -> int:
    """An id as a client sends it (``core.api.small_id``: a larger one overflowed the query)."""
    try:
        if not small_id(value):
            raise ValueError(value)
        return int(value)
    except (TypeError, ValueError):
        zh, en = c.label(field)
        raise UserError("invalid", f"{zh}无效:应为编号(整数)", f"{en} is not valid: an id (whole number) is expected",
                        field=field) from None


def _assign(d, t, params, at, by=None):
    """Assign the lead mediator (first) and task-force members; conflicts of interest refused."""
    ids = params.get("mediators")
    if isinstance(ids, (int, str)):
        ids = [ids]
    if not isinstance(ids, list) or not ids or len(ids) > 5:
        raise UserError("bad_mediators", "请指定1至5名调解员(第一名为主调解员)",
                        "name 1 to 5 mediators (the first one leads)", field="mediators")
    ids = [_int(i, "mediators") for i in ids]
    if len(set(ids)) != len(ids):
        raise UserError("bad_mediators", "调解员重复", "a mediator is named twice", field="mediators")
    # Only mediators the acting user may see in the registry (a mediator named here can read the case).
    pool = Mediator.objects.restrict(by, "view") if by is not None else Mediator.objects
    found = {m.pk: m for m in pool.filter(pk__in=ids, is_active=True)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise UserError("unknown_mediator", f"调解员不存在: {missing}", f"unknown mediators: {missing}", field="mediators")
    conflicted = _standing_aside(d, found.values())
    if conflicted is not None:
        m, problems = conflicted
        raise Conflict("conflict_of_interest", f"{m.name} 需回避:" + ";".join(p.zh for p in problems),
                       f"{m.name} must stand aside: " + "; ".join(p.en for p in problems))
    from ..services import scores_for

    team = [found[i] for i in ids]
    data = _put_on_case(d, team, at, scores_for(d, team))  # the proposal's scores, not the client's
    lead = team[0]
    if d.organisation_id is None and lead.organisation_id is not None:
        d.organisation = lead.organisation
    if len(ids) > 1:
        d.is_hard = True
    names = "、".join(m.name for m in team)
    return c.text(params, "note", max_len=2000) or names, data


def _start(d, t, params, at, by=None):
    d.mediation_started_at = d.mediation_started_at or at
    return c.text(params, "note", max_len=2000), {}


#: how far ahead a session may be scheduled
SESSION_AHEAD = dt.timedelta(days=366)


def _schedule_session(d, t, params, at, by=None):
    held_at = c.when(params, "held_at", required=True)
    place = c.text(params, "place", required=True, max_len=200)
    if timezone.localtime(held_at).date() < timezone.localtime(at).date():
        raise UserError("session_in_past", "不能把调解安排在今天之前", "a session cannot be scheduled before today",
                        field="held_at")
    if held_at > at + SESSION_AHEAD:  # a dispute has 30 days; a year ahead is a typing slip (9999-12-31)
        raise UserError("session_too_far", "调解最多安排在一年之内", "a session can be scheduled at most a year ahead",
                        field="held_at")
    seq = (d.sessions.order_by("-seq").values_list("seq", flat=True).first() or 0) + 1
    s = Session.objects.create(dispute=d, seq=seq, held_at=held_at, place=place,
                               attendees=c.string_list(params, "attendees"), status=SessionStatus.SCHEDULED)
    return f"第{seq}次调解 {held_at:%Y-%m-%d %H:%M} {place}", {"session": s.pk, "seq": seq}


def _record_session(d, t, params, at, by=None):
    minutes = c.text(params, "minutes", required=True, max_len=50000)
    sid = params.get("session")
    if sid not in (None, ""):
        s = d.sessions.filter(pk=_int(sid, "session")).first()
        if s is None:
            raise UserError("unknown_session", "调解会议不存在", "unknown session", field="session")
        if s.status != SessionStatus.SCHEDULED:
            raise Conflict("session_recorded", "该次调解已记录", "this session is already recorded")
        s.held_at = c.when(params, "held_at", default=s.held_at)
        s.place = c.text(params, "place", max_len=200) or s.place
        s.attendees = c.string_list(params, "attendees") or s.attendees
    else:
        seq = (d.sessions.order_by("-seq").values_list("seq", flat=True).first() or 0) + 1
        s = Session(dispute=d, seq=seq, held_at=c.when(params, "held_at", default=at),
                    place=c.text(params, "place", required=True, max_len=200),
                    attendees=c.string_list(params, "attendees"))
    if s.held_at > at + dt.timedelta(minutes=5):
        raise UserError("session_in_future", "不能记录尚未召开的调解", "a session in the future cannot be recorded",
                        field="held_at")
    s.minutes, s.status, s.recorded_by = minutes, SessionStatus.HELD, by if getattr(by, "pk", None) else None
    s.save()
    return f"第{s.seq}次调解记录", {"session": s.pk, "seq": s.seq}


def _close_assignments(d, result: str, at):
    Assignment.objects.filter(dispute=d, result="").update(result=result, ended_at=at)


def _succeed(d, t, params, at, by=None):
    terms = c.text(params, "terms", required=True, max_len=20000)
    d.amount_recovered = c.money(params, "amount_recovered", d.amount_recovered)
    signed_at = c.when(params, "signed_at", default=at)
    d.outcome, d.concluded_at = Outcome.SUCCEEDED, at
    d.confirmation_deadline = signed_at + sla.CONFIRMATION_WINDOW
    d.warn_at = d.due_at if d.sla_color == SlaColor.GREEN else d.warn_at
    _close_assignments(d, AssignmentResult.SUCCEEDED, at)
    template = AgreementTemplate.objects.filter(is_active=True).order_by("-id").first()
    agreement = Agreement.objects.create(dispute=d, number=agreement_number(d.number), terms=terms,
                                         signed_at=signed_at, template=template)
    if not params.get("_skip_pdf"):
        _generate_pdf(d, agreement, template)
    return f"达成协议 {agreement.number}", {"agreement": agreement.number, "amount_recovered": str(d.amount_recovered)}


def _generate_pdf(d, agreement: Agreement, template) -> None:
    from ..pdf import render_agreement

    # The stored copy masks the parties' names (storage is not encrypted); the unmasked copy is
    # rendered on request, for users allowed to see it, and audited then.
    data = render_agreement(d, agreement, template, unmask=False)
    old = agreement.file.name if agreement.file else ""
    agreement.version += 1
    agreement.sha256 = hashlib.sha256(data).hexdigest()
    agreement.template = template
    agreement.generated_at = c.now()
    agreement.file.save(f"{d.number}.pdf", ContentFile(data), save=False)
    agreement.save()
    if old and old != agreement.file.name:
        transaction.on_commit(lambda: agreement.file.storage.delete(old))


def _regenerate(d, t, params, at, by=None):
    agreement = Agreement.objects.filter(dispute=d).first()
    if agreement is None:
        raise Conflict("no_agreement", "没有调解协议", "there is no agreement")
    template = AgreementTemplate.objects.filter(is_active=True).order_by("-id").first()
    _generate_pdf(d, agreement, template)
    return f"协议书第{agreement.version}版", {"version": agreement.version}


def _referral(d, params):
    kind = params.get("referral")
    if kind not in Referral.values:
        raise UserError("bad_referral", "转处去向应为诉讼、仲裁或行政处理(litigation/arbitration/administrative)",
                        "referral must be litigation, arbitration or administrative", field="referral")
    d.referral = kind
    d.referral_body = c.text(params, "referral_body", max_len=120)
    d.referral_note = c.text(params, "referral_note", max_len=5000)


def _fail(d, t, params, at, by=None):
    d.failure_reason = c.text(params, "reason", required=True)
    d.outcome, d.concluded_at = Outcome.FAILED, at
    d.failed_count += 1
    _close_assignments(d, AssignmentResult.FAILED, at)
    data = {"failed_count": d.failed_count}
    if params.get("referral"):
        _referral(d, params)
        d.referred_at = at
        data["referral"] = d.referral
    return d.failure_reason, data


def _refer(d, t, params, at, by=None):
    _referral(d, params)
    d.referred_at = at
    return f"{d.get_referral_display()} {d.referral_body}".strip(), {"referral": d.referral, "body": d.referral_body}


def _retry(d, t, params, at, by=None):
    reason = c.text(params, "reason", required=True)
    d.outcome, d.concluded_at, d.failure_reason = Outcome.NONE, None, ""
    warn, due = sla.start_clock(at)
    d.warn_at, d.due_at, d.sla_color, d.overdue = warn, due, SlaColor.GREEN, False
    return reason, {"due_at": due.isoformat()}


def _follow_up(d, t, params, at, by=None):
    honoured = params.get("honoured")
    if honoured not in Honoured.values:
        raise UserError("bad_honoured", "请选择协议履行情况:已履行、部分履行、未履行或不适用",
                        "choose whether the agreement was honoured: honoured, partly, not honoured or not applicable",
                        field="honoured")
    if d.state == State.SUCCEEDED and honoured == Honoured.NOT_APPLICABLE:
        raise UserError("bad_honoured", "调解成功的纠纷须回访协议履行情况", "say whether the agreement was honoured",
                        field="honoured")
    d.honoured = honoured
    d.follow_up_note = c.text(params, "note", max_len=5000)
    d.followed_up_at = c.when(params, "visited_at", default=at)
    return d.follow_up_note, {"honoured": honoured}


def _archive(d, t, params, at, by=None):
    d.archived_at = at
    d.sla_color = SlaColor.GREEN if not d.overdue else d.sla_color
    return c.text(params, "note", max_len=2000), {}


def _withdraw(d, t, params, at, by=None):
    reason = c.text(params, "reason", required=True)
    d.concluded_at = at
    _close_assignments(d, AssignmentResult.RELEASED, at)
    return reason, {}


def _apply_confirmation(d, t, params, at, by=None):
    d.confirmation_court = c.text(params, "court", required=True, max_len=100)
    d.confirmation_status = ConfirmationStatus.APPLIED
    d.confirmation_applied_at = at
    return d.confirmation_court, {"deadline": d.confirmation_deadline.isoformat() if d.confirmation_deadline else ""}


def _decide_confirmation(d, t, params, at, by=None):
    confirmed = c.flag(params, "confirmed")
    d.confirmation_status = ConfirmationStatus.CONFIRMED if confirmed else ConfirmationStatus.REJECTED
    d.confirmation_decided_at = at
    d.confirmation_note = c.text(params, "note", max_len=5000)
    return d.confirmation_note, {"confirmed": confirmed}


def _escalate(d, t, params, at, by=None):
    target = sla.supervising_area(d)
    d.escalated_to = target
    return c.text(params, "reason", required=True), {"to": target.code}


def _supervise(d, t, params, at, by=None):
    d.supervised = True
    return c.text(params, "reason", required=True), {}


def _mark_backlog(d, t, params, at, by=None):
    from .backlog import open_backlog_case

    leader = None
    if params.get("leader") not in (None, ""):
        from fengqiao.accounts.models import User
        from fengqiao.core import roles

        leaders = User.objects.restrict(by, "view") if by is not None else User.objects
        leader = leaders.filter(pk=_int(params["leader"], "leader"), role=roles.LEADER, is_active=True).first()
        if leader is None:
            raise UserError("unknown_leader", "包案领导不存在", "unknown leader", field="leader")
    reason = c.text(params, "reason", required=True)
    try:
        with transaction.atomic():
            case = open_backlog_case(dispute=d, reason="manual", by=by, leader=leader, plan=c.text(params, "plan"),
                                     _nested=True, at=at)
    except IntegrityError:
        raise Conflict("already_backlog", "已列为积案", "the dispute is already a backlog case") from None
    return reason, {"backlog_case": case.pk}


def _comment(d, t, params, at, by=None):
    return c.text(params, "text", required=True), {}


def _handler(apply, notify_kind: str = ""):
    def run(dispute, *, by, params, expected_version=None, at=None):
        return _step(dispute, action_name[run], by, params, expected_version, at, apply, notify_kind=notify_kind)
    return run


action_name: dict = {}
HANDLERS = {}
for _name, _apply, _kind in [
    ("accept", _accept, "mediation_accepted"), ("decline", _decline, ""), ("assign", _assign, "mediation_assigned"),
    ("start", _start, ""), ("schedule_session", _schedule_session, "mediation_session"),
    ("record_session", _record_session, ""), ("succeed", _succeed, "mediation_succeeded"),
    ("fail", _fail, "mediation_failed"), ("refer", _refer, ""), ("retry", _retry, "mediation_retry"),
    ("follow_up", _follow_up, ""), ("archive", _archive, ""), ("withdraw", _withdraw, ""),
    ("apply_confirmation", _apply_confirmation, ""), ("decide_confirmation", _decide_confirmation, ""),
    ("regenerate_agreement", _regenerate, ""), ("escalate", _escalate, "mediation_escalated"),
    ("supervise", _supervise, "mediation_supervised"), ("mark_backlog", _mark_backlog, "mediation_backlog"),
    ("comment", _comment, ""),
]:
    _fn = _handler(_apply, _kind)
    action_name[_fn] = _name
    HANDLERS[_name] = _fn

assert set(HANDLERS) == set(transitions.ACTIONS), "every transition needs a handler"

#: the parameters each action takes (its handler reads no others): the API refuses any other
#: key of an action's body (400 ``unknown_field``), so a misspelt one is said, never ignored
PARAMETERS: dict[str, frozenset[str]] = {name: frozenset(keys) for name, keys in {
    "accept": ("organisation", "note"),
    "decline": ("reason",),
    "assign": ("mediators", "note"),
    "start": ("note",),
    "schedule_session": ("held_at", "place", "attendees"),
    "record_session": ("minutes", "session", "held_at", "place", "attendees"),
    "succeed": ("terms", "amount_recovered", "signed_at"),
    "fail": ("reason", "referral", "referral_body", "referral_note"),
    "refer": ("referral", "referral_body", "referral_note"),
    "retry": ("reason",),
    "follow_up": ("honoured", "note", "visited_at"),
    "archive": ("note",),
    "withdraw": ("reason",),
    "apply_confirmation": ("court",),
    "decide_confirmation": ("confirmed", "note"),
    "regenerate_agreement": (),
    "escalate": ("reason",),
    "supervise": ("reason",),
    "mark_backlog": ("leader", "reason", "plan"),
    "comment": ("text",),
}.items()}

assert set(PARAMETERS) == set(transitions.ACTIONS), "every transition names its parameters"


def unknown_parameters(action: str, params) -> list[str]:
    """The keys of ``params`` that ``action`` does not take, sorted (none for an unknown action:
    :func:`act` refuses that)."""
    taken = PARAMETERS.get(action, frozenset())
    return sorted(str(k) for k in params if k not in taken)

# Named functions for callers that prefer them to ``act(…, "name")``.
accept = HANDLERS["accept"]
decline = HANDLERS["decline"]
assign = HANDLERS["assign"]
start = HANDLERS["start"]
schedule_session = HANDLERS["schedule_session"]
record_session = HANDLERS["record_session"]
succeed = HANDLERS["succeed"]
fail = HANDLERS["fail"]
refer = HANDLERS["refer"]
retry = HANDLERS["retry"]
follow_up = HANDLERS["follow_up"]
archive = HANDLERS["archive"]
withdraw = HANDLERS["withdraw"]
