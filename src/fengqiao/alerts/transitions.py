"""The one transition table of a risk alert (预警闭环: 监测 → 预警 → 处置 → 反馈): state × action →
new state, who may act, which fields the action needs. Actions, the API and the console ask
this module; the console shows only the actions it allows.

::

    open 待处置 ─take_on→ handling 处置中 ─defuse(feedback)→ resolved 已化解
       │                      │
       └──────────────────────┴─dismiss(reason)→ dismissed 已排除 (误报)

Side actions: ``supervise`` 督办 (a leader or a centre above), ``comment`` 备注. The scan adds
evidence to an open alert and may raise its level (entries ``raised`` / ``grown``); it never
changes the state. A signal seen again after its alert closed raises a new alert, counting only
what came after the close.

Relations: ``staff`` — a county or town operator whose area contains the alert's area;
``supervisor`` — a leader or operator whose area contains it; ``viewer`` — anyone who can read it.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from fengqiao.core import roles
from fengqiao.core.transitions import Rules, Transition

from .choices import OPEN_STATES, State

S = State
OPS = frozenset({roles.COUNTY_OPERATOR, roles.TOWN_OPERATOR})
SUPERVISORS = OPS | {roles.LEADER}
VIEWERS = SUPERVISORS | {roles.VILLAGE_CADRE}
OPEN = OPEN_STATES
ALL = frozenset(State.values)

STATE_ZH = {S.OPEN: "待处置", S.HANDLING: "处置中", S.RESOLVED: "已化解", S.DISMISSED: "已排除"}


TABLE: dict[str, Transition] = {t.action: t for t in [
    Transition("take_on", "签收处置", _("Take on"), frozenset({S.OPEN}), S.HANDLING, OPS, "staff"),
    Transition("defuse", "化解反馈", _("Defused: report back"), OPEN, S.RESOLVED, OPS, "staff", ("text",)),
    Transition("dismiss", "排除", _("Dismiss (false alarm)"), OPEN, S.DISMISSED, OPS, "staff", ("text",)),
    Transition("supervise", "督办", _("Supervise"), OPEN, None, SUPERVISORS, "supervisor", ("text",)),
    Transition("comment", "备注", _("Comment"), ALL, None, VIEWERS, "viewer", ("text",)),
]}

ACTIONS = tuple(TABLE)

#: what the ``text`` field is called in each action's form and error messages
TEXT_LABELS = {
    "defuse": ("处置反馈", _("Feedback: what was done")),
    "dismiss": ("排除理由", _("Why it is not a risk")),
    "supervise": ("督办意见", _("Supervision note")),
    "comment": ("备注", _("Comment")),
}


def _in_area(alert, user) -> bool:
    return user.area_id is not None and alert.in_area(user.area)


RELATIONS = {
    "staff": lambda a, u: u.role in OPS and _in_area(a, u),
    "supervisor": lambda a, u: u.role in SUPERVISORS and _in_area(a, u),
    "viewer": lambda a, u: _in_area(a, u),
}

RELATION_TEXT = {
    "staff": ("只有管辖该预警的指挥中心可以执行此操作", "only the command centre in charge of the alert may do this"),
    "supervisor": ("只有管辖该预警的领导或指挥中心可以执行此操作", "only a leader or centre in charge may do this"),
    "viewer": ("该预警不在您的管辖范围内", "the alert is outside your jurisdiction"),
}


RULES = Rules(TABLE, state_zh=STATE_ZH, relations=RELATIONS, relation_text=RELATION_TEXT, noun_zh="预警",
              noun_en="alert")
#: ``get(action)``; ``check(alert, action, user)`` returns the transition or raises a 409;
#: ``allowed_actions(alert, user)`` lists what the user may do now, in table order
get, check, allowed_actions = RULES.get, RULES.check, RULES.allowed_actions
