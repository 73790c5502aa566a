"""The one transition table of a dispute (调处流程): state × action → new state, who may act,
which fields the action needs. Actions, the API and the console all ask this module.

::

    registered 已登记 ─accept→ accepted 已受理 ─start→ in_mediation 调解中 ─succeed(terms)→ succeeded 调解成功
       │ decline(reason)→ declined 不予受理          ▲        │                                   │
       │                                            │        └─fail(reason)→ failed 调解不成 ──refer→ (诉讼/仲裁/行政)
       │                                            └──retry(reason)──────────┘  │                 │
       └ withdraw(reason) → withdrawn 已撤回 (from any open state)                follow_up(honoured) ◄┘
                                                                                   → followed_up 已回访 ─archive→ archived 已归档

Side actions (no state change): ``assign`` mediators (conflicts of interest refused),
``schedule_session`` / ``record_session`` (调解记录), ``refer`` (转诉讼/仲裁/行政),
``apply_confirmation`` / ``decide_confirmation`` (司法确认, within 30 days of the agreement),
``regenerate_agreement``, ``escalate`` (上报), ``supervise`` (督办), ``mark_backlog`` (列为积案),
``comment``.

Relations (beyond the role): ``staff`` — a centre operator whose area contains the dispute's
place; ``mediator`` — a mediator assigned to the case, or a mediator of the organisation that
handles it; ``supervisor`` — a leader or operator whose area contains the place.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.core import roles
from fengqiao.core.transitions import Rules
from fengqiao.core.transitions import Transition as BaseTransition

from .choices import ConfirmationStatus, SessionStatus, State

S = State
OPS = frozenset({roles.COUNTY_OPERATOR, roles.TOWN_OPERATOR})
WORKERS = OPS | {roles.MEDIATOR, roles.DEPARTMENT_HANDLER}
SUPERVISORS = OPS | {roles.LEADER}
VIEWERS = frozenset({
    roles.COUNTY_OPERATOR, roles.TOWN_OPERATOR, roles.VILLAGE_CADRE, roles.GRID_WORKER,
    roles.DEPARTMENT_HANDLER, roles.MEDIATOR, roles.LEADER,
})

OPEN = frozenset({S.REGISTERED, S.ACCEPTED, S.IN_MEDIATION})
AGREED = frozenset({S.SUCCEEDED, S.FOLLOWED_UP, S.ARCHIVED})
ALL = frozenset(State.values)

STATE_ZH = {
    S.REGISTERED: "已登记", S.ACCEPTED: "已受理", S.DECLINED: "不予受理", S.IN_MEDIATION: "调解中",
    S.SUCCEEDED: "调解成功", S.FAILED: "调解不成", S.FOLLOWED_UP: "已回访", S.ARCHIVED: "已归档",
    S.WITHDRAWN: "已撤回",
}


@dataclass(frozen=True)
class Transition(BaseTransition):
    # The action writes the agreement the parties sign (人民调解协议书): whoever may take one of
    # these (role and relation) produces it and gets it with full names (services.may_produce_agreement).
    writes_agreement: bool = False

# ---------------------------------------------------------------- guards (dispute, user)

def _has_lead(d, u):
    if not d.assignments.filter(result="", role="lead").exists():
        return ("no_mediator", "请先指派主调解员", "assign a lead mediator first")
    return None


def _has_held_session(d, u):
    if not d.sessions.filter(status=SessionStatus.HELD).exists():
        return ("no_session", "尚无已召开并记录的调解会议", "no mediation session has been held and recorded yet")
    return None


def _not_referred(d, u):
    if d.referral:
        return ("already_referred", "已转诉讼/仲裁/行政处理", "the dispute has already been referred")
    return None


def _referred_if_failed(d, u):
    if d.state == S.FAILED and not d.referral:
        return ("referral_missing", "调解不成的纠纷须先登记转处去向(诉讼、仲裁或行政处理)再回访",
                "record where a failed dispute was referred (litigation, arbitration or administrative) before "
                "the follow-up")
    return None


def _confirmation_open(d, u):
    if d.confirmation_status:
        return ("confirmation_exists", "已申请司法确认", "judicial confirmation has already been applied for")
    if d.confirmation_deadline is None:
        return ("no_agreement", "没有调解协议", "there is no agreement to confirm")
    if timezone.now() > d.confirmation_deadline:
        return ("confirmation_window_closed", "已超过司法确认申请期限(协议生效后30日内)",
                "the 30-day window for judicial confirmation has passed")
    return None


def _confirmation_applied(d, u):
    if d.confirmation_status != ConfirmationStatus.APPLIED:
        return ("confirmation_not_applied", "尚未申请司法确认或已有结果",
                "judicial confirmation has not been applied for, or is already decided")
    return None


def _can_escalate(d, u):
    from .sla import supervising_area

    if supervising_area(d) is None:
        return ("top_level", "已是最高层级,无法继续上报", "the dispute is already at the top level")
    return None


def _no_open_backlog(d, u):
    if d.backlog_cases.exclude(status="closed").exists():
        return ("already_backlog", "已列为积案", "the dispute is already a backlog case")
    return None


TABLE: dict[str, Transition] = {t.action: t for t in [
    Transition("accept", "受理", _("Accept"), frozenset({S.REGISTERED}), S.ACCEPTED, OPS | {roles.MEDIATOR},
               "staff_or_mediator"),
    Transition("decline", "不予受理", _("Decline"), frozenset({S.REGISTERED}), S.DECLINED, OPS | {roles.MEDIATOR},
               "staff_or_mediator", ("reason",)),
    Transition("assign", "指派调解员", _("Assign mediators"), OPEN, None, OPS | {roles.MEDIATOR},
               "staff_or_mediator", ("mediators",)),
    Transition("start", "开始调解", _("Start mediation"), frozenset({S.ACCEPTED}), S.IN_MEDIATION, WORKERS,
               "staff_or_mediator", (), (_has_lead,)),
    Transition("schedule_session", "安排调解", _("Schedule a session"), frozenset({S.ACCEPTED, S.IN_MEDIATION}),
               None, WORKERS, "staff_or_mediator", ("held_at", "place")),
    Transition("record_session", "记录调解", _("Record a session"), frozenset({S.IN_MEDIATION}), None, WORKERS,
               "staff_or_mediator", ("minutes",)),
    Transition("succeed", "调解成功", _("Mediation succeeded"), frozenset({S.IN_MEDIATION}), S.SUCCEEDED, WORKERS,
               "staff_or_mediator", ("terms",), (_has_held_session,), writes_agreement=True),
    Transition("fail", "调解不成", _("Mediation failed"), frozenset({S.IN_MEDIATION}), S.FAILED, WORKERS,
               "staff_or_mediator", ("reason",), (_has_held_session,)),
    Transition("refer", "转处", _("Refer (court, arbitration, administration)"), frozenset({S.FAILED}), None,
               WORKERS, "staff_or_mediator", ("referral",), (_not_referred,)),
    Transition("retry", "再次调解", _("Mediate again"), frozenset({S.FAILED}), S.ACCEPTED, OPS, "staff",
               ("reason",), (_not_referred,)),
    Transition("follow_up", "回访", _("Follow up"), frozenset({S.SUCCEEDED, S.FAILED}), S.FOLLOWED_UP, WORKERS,
               "staff_or_mediator", ("honoured",), (_referred_if_failed,)),
    Transition("archive", "归档", _("Archive"), frozenset({S.FOLLOWED_UP}), S.ARCHIVED, OPS | {roles.MEDIATOR},
               "staff_or_mediator"),
    Transition("withdraw", "撤回", _("Withdraw"), OPEN, S.WITHDRAWN, OPS | {roles.MEDIATOR}, "staff_or_mediator",
               ("reason",)),
    Transition("apply_confirmation", "申请司法确认", _("Apply for judicial confirmation"), AGREED, None, WORKERS,
               "staff_or_mediator", ("court",), (_confirmation_open,)),
    Transition("decide_confirmation", "登记司法确认结果", _("Record the court's decision"), AGREED, None, WORKERS,
               "staff_or_mediator", ("confirmed",), (_confirmation_applied,)),
    Transition("regenerate_agreement", "重新生成协议书", _("Regenerate the agreement"), AGREED, None, WORKERS,
               "staff_or_mediator", writes_agreement=True),
    Transition("escalate", "上报", _("Escalate"), OPEN, None, WORKERS, "staff_or_mediator", ("reason",),
               (_can_escalate,)),
    Transition("supervise", "督办", _("Supervise"), OPEN | {S.FAILED}, None, SUPERVISORS, "supervisor",
               ("reason",)),
    Transition("mark_backlog", "列为积案", _("Make a backlog case"), OPEN | {S.FAILED}, None, SUPERVISORS,
               "supervisor", ("reason",), (_no_open_backlog,)),
    Transition("comment", "备注", _("Comment"), ALL, None, VIEWERS, "viewer", ("text",)),
]}

ACTIONS = tuple(TABLE)


# ---------------------------------------------------------------- relations

def is_staff(d, u) -> bool:
    return u.role in OPS and u.area_id is not None and d.in_area(u.area)


def is_mediator(d, u) -> bool:
    from .models import Mediator

    profile = Mediator.objects.filter(user_id=u.pk, is_active=True).first()
    if profile is None:
        return False
    if d.organisation_id is not None and profile.organisation_id == d.organisation_id:
        return True
    return d.assignments.filter(mediator=profile, result="").exists()


def is_supervisor(d, u) -> bool:
    return u.role in SUPERVISORS and u.area_id is not None and d.in_area(u.area)


RELATIONS = {
    "staff": is_staff,
    "staff_or_mediator": lambda d, u: is_staff(d, u) or is_mediator(d, u),
    "supervisor": is_supervisor,
    "viewer": lambda d, u: True,
}

RELATION_TEXT = {
    "staff": ("只有管辖该纠纷的矛调中心可以执行此操作", "only the centre in charge of the dispute may do this"),
    "staff_or_mediator": ("只有管辖该纠纷的矛调中心或承办调解员可以执行此操作",
                          "only the centre in charge or the dispute's mediators may do this"),
    "supervisor": ("只有管辖该纠纷的领导或指挥中心可以执行此操作", "only a leader or centre in charge may do this"),
}


RULES = Rules(TABLE, state_zh=STATE_ZH, relations=RELATIONS, relation_text=RELATION_TEXT, noun_zh="纠纷",
              noun_en="dispute")
#: ``get(action)``; ``check(dispute, action, user)`` returns the transition or raises a 409;
#: ``allowed_actions(dispute, user)`` lists what the user may do now, in table order
get, check, allowed_actions = RULES.get, RULES.check, RULES.allowed_actions
