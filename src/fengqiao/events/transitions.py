"""The one transition table of a matter (流转规则): state × action → new state, who may act,
which fields the action needs. Actions, the API and the UI all ask this module.

``check(event, action, user)`` raises :class:`~fengqiao.core.errors.Conflict` (HTTP 409) with a
clear, bilingual reason when the action is not allowed; ``allowed_actions(event, user)`` lists
the actions a user may take now (the UI shows only those).

Relations (beyond the role):

- ``operator``: a command-centre operator (county or town) whose area contains the matter's
  place or its handling unit;
- ``handler``: a member of the handling unit (its area node, its department, or the assigned
  person);
- ``operator_or_handler``: either;
- ``supervisor``: a leader or operator whose area contains the matter;
- ``viewer``: anyone who can see the matter (reads are already restricted).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fengqiao.core import roles
from fengqiao.core.transitions import Rules, Transition

from .choices import Feedback, State

S = State
OPS = frozenset({roles.COUNTY_OPERATOR, roles.TOWN_OPERATOR})
HANDLER_ROLES = frozenset({
    roles.COUNTY_OPERATOR, roles.TOWN_OPERATOR, roles.VILLAGE_CADRE, roles.GRID_WORKER,
    roles.DEPARTMENT_HANDLER, roles.MEDIATOR, roles.LEADER,
})
SUPERVISORS = frozenset({roles.COUNTY_OPERATOR, roles.TOWN_OPERATOR, roles.LEADER})
VIEWERS = HANDLER_ROLES

OPEN = frozenset({S.RECEIVED, S.ACCEPTED, S.DISPATCHED, S.SIGNED, S.IN_PROGRESS})
WORKING = frozenset({S.DISPATCHED, S.SIGNED, S.IN_PROGRESS})
NOT_TERMINAL = OPEN | {S.RESOLVED, S.VERIFIED}
ALL = frozenset(State.values)

STATE_ZH = {
    S.RECEIVED: "待受理", S.ACCEPTED: "已受理", S.REJECTED: "不予受理", S.MERGED: "已合并",
    S.CANCELLED: "已撤销", S.DISPATCHED: "已派发", S.SIGNED: "已签收", S.IN_PROGRESS: "处置中",
    S.RESOLVED: "已办结", S.VERIFIED: "已核实", S.CLOSED: "已归档",
}


# ---------------------------------------------------------------- guards (event, user)

def _feedback_unsatisfied(event, user):
    if event.state == S.VERIFIED and event.feedback != Feedback.UNSATISFIED:
        return ("reopen_needs_unsatisfied", "群众满意或基本满意的事件不能重新办理,请归档",
                "only a matter the citizen was unsatisfied with can be reopened; close it instead")
    return None


def _no_pending_extension(event, user):
    if event.extension_pending:
        return ("extension_pending", "已有延期申请待审批", "an extension request is already waiting for a decision")
    return None


def _extension_pending(event, user):
    if not event.extension_pending:
        return ("no_extension_pending", "没有待审批的延期申请", "there is no extension request to decide")
    return None


def _not_own_extension(event, user):
    if user.role != roles.COUNTY_OPERATOR and is_handler(event, user):
        return ("own_extension", "承办单位不能审批自己的延期申请", "the handling unit cannot decide its own extension request")
    return None


def _not_paused(event, user):
    if event.paused_at is not None:
        return ("clock_paused", "计时已暂停", "the clock is already paused")
    return None


def _paused_for_citizen(event, user):
    if event.paused_at is None:
        return ("clock_running", "计时未暂停", "the clock is not paused")
    if event.extension_pending:
        return ("extension_pending", "延期审批期间由审批恢复计时", "the clock resumes when the extension is decided")
    return None


def _not_listed(event, user):
    if event.listed:
        return ("already_listed", "事件已挂牌督办", "the matter is already listed")
    return None


def _listed(event, user):
    if not event.listed:
        return ("not_listed", "事件未挂牌,无需销号", "the matter is not listed")
    return None


def _can_escalate(event, user):
    from .escalation import supervising_area

    if supervising_area(event) is None:
        return ("top_level", "已是最高层级,无法继续上报", "the matter is already at the top level")
    return None


def _dispatch_relation(event, user):
    # From "accepted" a centre dispatches; from "signed" the town that signed may dispatch on
    # down to a village, grid or department of its own (二次派发).
    if event.state == S.SIGNED and not (user.role == roles.TOWN_OPERATOR and is_handler(event, user)):
        return ("not_redispatcher", "只有签收的乡镇指挥室可以二次派发", "only the town centre that signed may dispatch it further")
    if event.state == S.ACCEPTED and not is_operator(event, user):
        return ("not_operator", "只有管辖该事件的指挥中心可以派发", "only the centre in charge of the matter may dispatch it")
    return None


TABLE: dict[str, Transition] = {t.action: t for t in [
    Transition("accept", "受理", _("Accept"), frozenset({S.RECEIVED}), S.ACCEPTED, OPS, "operator"),
    Transition("reject", "不予受理", _("Reject"), frozenset({S.RECEIVED}), S.REJECTED, OPS, "operator", ("reason",)),
    Transition("merge", "合并", _("Merge"), frozenset({S.RECEIVED, S.ACCEPTED}), S.MERGED, OPS, "operator", ("into",)),
    Transition("cancel", "撤销", _("Cancel"), frozenset({S.RECEIVED, S.ACCEPTED}), S.CANCELLED, OPS, "operator",
               ("reason",)),
    Transition("relocate", "更正地点", _("Correct the place"), frozenset({S.RECEIVED, S.ACCEPTED}), None, OPS,
               "operator", ("place",)),
    Transition("dispatch", "派发", _("Dispatch"), frozenset({S.ACCEPTED, S.SIGNED}), S.DISPATCHED, OPS, "any",
               ("to_unit",), (_dispatch_relation,)),
    Transition("sign", "签收", _("Sign for"), frozenset({S.DISPATCHED}), S.SIGNED, HANDLER_ROLES, "handler"),
    Transition("return", "退回", _("Return"), frozenset({S.DISPATCHED, S.SIGNED}), S.ACCEPTED, HANDLER_ROLES,
               "handler", ("reason",)),
    Transition("start", "开始处置", _("Start"), frozenset({S.SIGNED}), S.IN_PROGRESS, HANDLER_ROLES, "handler"),
    Transition("resolve", "办结", _("Resolve"), frozenset({S.SIGNED, S.IN_PROGRESS}), S.RESOLVED, HANDLER_ROLES,
               "handler", ("result",)),
    Transition("verify", "核实回访", _("Verify"), frozenset({S.RESOLVED}), S.VERIFIED, OPS, "operator", ("feedback",)),
    Transition("reopen", "重新办理", _("Reopen"), frozenset({S.RESOLVED, S.VERIFIED}), S.IN_PROGRESS, OPS, "operator",
               ("reason",), (_feedback_unsatisfied,)),
    # a context: Django's admin has its own "Close" (关闭), which this 归档 must not override
    Transition("close", "归档", pgettext_lazy("matter action", "Close"), frozenset({S.VERIFIED}), S.CLOSED, OPS, "operator"),
    Transition("escalate", "上报", _("Escalate"), OPEN, None, HANDLER_ROLES, "operator_or_handler", ("reason",),
               (_can_escalate,)),
    Transition("request_extension", "申请延期", _("Request an extension"), WORKING, None, HANDLER_ROLES, "handler",
               ("days", "reason"), (_no_pending_extension,)),
    Transition("approve_extension", "审批延期", _("Decide an extension"), WORKING, None, OPS | {roles.LEADER},
               "supervisor", ("approve",), (_extension_pending, _not_own_extension)),
    Transition("pause", "暂停计时", _("Pause the clock"), WORKING, None, HANDLER_ROLES, "operator_or_handler",
               ("reason",), (_not_paused, _no_pending_extension)),
    Transition("resume", "恢复计时", _("Resume the clock"), WORKING, None, HANDLER_ROLES, "operator_or_handler", (),
               (_paused_for_citizen,)),
    Transition("supervise", "督办", _("Supervise"), NOT_TERMINAL, None, SUPERVISORS, "supervisor", ("reason",)),
    Transition("list", "挂牌督办", _("List"), NOT_TERMINAL, None, frozenset({roles.COUNTY_OPERATOR, roles.LEADER}),
               "supervisor", ("reason",), (_not_listed,)),
    Transition("delist", "销号", _("Delist"), NOT_TERMINAL | {S.CLOSED}, None,
               frozenset({roles.COUNTY_OPERATOR, roles.LEADER}), "supervisor", ("evidence",), (_listed,)),
    Transition("add_cohandler", "增加协办单位", _("Add a co-handler"), frozenset({S.ACCEPTED}) | WORKING, None,
               HANDLER_ROLES, "operator_or_handler", ("unit",)),
    Transition("comment", "备注", _("Comment"), ALL, None, VIEWERS, "viewer", ("text",)),
]}

ACTIONS = tuple(TABLE)


# ---------------------------------------------------------------- relations

def is_operator(event, user) -> bool:
    return user.role in OPS and user.area_id is not None and event.in_area(user.area)


def is_handler(event, user) -> bool:
    if event.assignee_id is not None:
        return event.assignee_id == user.pk
    if event.handling_department_id is not None:
        return user.department_id == event.handling_department_id and user.role in {
            roles.DEPARTMENT_HANDLER, roles.LEADER}
    if event.handling_area_id is not None:
        return user.area_id == event.handling_area_id and user.role not in {roles.DEPARTMENT_HANDLER, roles.MEDIATOR}
    return False


def handler_q(user):
    """The query form of :func:`is_handler`: matters whose handling unit is ``user``."""
    from django.db.models import Q

    q = Q(assignee_id=user.pk)
    if user.department_id and user.role in {roles.DEPARTMENT_HANDLER, roles.LEADER}:
        q |= Q(assignee__isnull=True, handling_department_id=user.department_id)
    if user.area_id and user.role not in {roles.DEPARTMENT_HANDLER, roles.MEDIATOR}:
        q |= Q(assignee__isnull=True, handling_department__isnull=True, handling_area_id=user.area_id)
    return q


def is_supervisor(event, user) -> bool:
    return user.role in SUPERVISORS and user.area_id is not None and event.in_area(user.area)


RELATIONS = {
    "operator": is_operator,
    "handler": is_handler,
    "operator_or_handler": lambda e, u: is_operator(e, u) or is_handler(e, u),
    "supervisor": is_supervisor,
    "viewer": lambda e, u: True,
    "any": lambda e, u: True,
}

RELATION_TEXT = {
    "operator": ("只有管辖该事件的指挥中心可以执行此操作", "only the command centre in charge of the matter may do this"),
    "handler": ("只有承办单位可以执行此操作", "only the handling unit may do this"),
    "operator_or_handler": ("只有指挥中心或承办单位可以执行此操作", "only the command centre or the handling unit may do this"),
    "supervisor": ("只有管辖该事件的领导或指挥中心可以执行此操作", "only a leader or centre in charge of the matter may do this"),
}


RULES = Rules(TABLE, state_zh=STATE_ZH, relations=RELATIONS, relation_text=RELATION_TEXT, noun_zh="事件",
              noun_en="matter")
#: ``get(action)``; ``check(event, action, user)`` returns the transition or raises a 409;
#: ``allowed_actions(event, user)`` lists what the user may do now, in table order
get, check, allowed_actions = RULES.get, RULES.check, RULES.allowed_actions
