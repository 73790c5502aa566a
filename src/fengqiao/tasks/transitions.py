"""The transition tables of top-down publishing (统一发布), one for the publisher's task and one for
each receiving unit's receipt: state × action → new state, who may act, what the action needs.
Actions, the API and the console ask this module; the console shows only what it allows.

Task (the publisher's side)::

    published 已发布 ─close→ closed 已结束
        └─withdraw(reason)→ withdrawn 已撤回
    side action: remind 催办 (tells the units that still owe something)

Receipt (one receiving unit)::

    pending 待签收 ─acknowledge→ acknowledged 已签收 ─report(text)→ reported 已反馈 ─accept→ done 已完成
        └──────────────report(text)───────────────┘    ▲                │
                                                       └──return(reason)┘ 退回重办

A notice (通知) ends at ``acknowledged``; only a task (任务) is reported and accepted. Receipts
move only while their task is published. Relations: ``publisher`` — a county or town operator
whose area holds the publishing unit; ``recipient`` — the receiving unit's own command room
(town), cadre (village) or grid worker (grid).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from fengqiao.core.transitions import Rules, Transition

from .choices import Kind, ReceiptState, State
from .models import PUBLISHERS, RESPONDER_ROLE

S, R = State, ReceiptState
RESPONDERS = frozenset(RESPONDER_ROLE.values())

TASK_STATE_ZH = {S.PUBLISHED: "已发布", S.CLOSED: "已结束", S.WITHDRAWN: "已撤回"}
RECEIPT_STATE_ZH = {R.PENDING: "待签收", R.ACKNOWLEDGED: "已签收", R.REPORTED: "已反馈", R.DONE: "已完成"}


def _published(receipt, user):
    if receipt.task.state != S.PUBLISHED:
        zh = TASK_STATE_ZH.get(receipt.task.state, receipt.task.state)
        return ("task_not_published", f"该任务{zh},不能再办理", f"the task is {receipt.task.state}")
    return None


def _a_task(receipt, user):
    if receipt.task.kind != Kind.TASK:
        return ("notice_not_reported", "通知只需签收,无需反馈", "a notice is acknowledged, not reported on")
    return None


def _someone_owes(task, user):
    if not task.receipts.filter(task.owing_q()).exists():
        return ("nothing_owing", "所有单位均已签收或反馈,无需催办", "every unit has already answered")
    return None


TASK_TABLE: dict[str, Transition] = {t.action: t for t in [
    Transition("remind", "催办", _("Remind"), frozenset({S.PUBLISHED}), None, PUBLISHERS, "publisher",
               guards=(_someone_owes,)),
    Transition("close", "结束", _("End the task"), frozenset({S.PUBLISHED}), S.CLOSED, PUBLISHERS, "publisher"),
    Transition("withdraw", "撤回", _("Withdraw"), frozenset({S.PUBLISHED}), S.WITHDRAWN, PUBLISHERS, "publisher",
               ("text",)),
]}

RECEIPT_TABLE: dict[str, Transition] = {t.action: t for t in [
    Transition("acknowledge", "签收", _("Acknowledge"), frozenset({R.PENDING}), R.ACKNOWLEDGED, RESPONDERS,
               "recipient", guards=(_published,)),
    Transition("report", "反馈完成情况", _("Report completion"), frozenset({R.PENDING, R.ACKNOWLEDGED}), R.REPORTED,
               RESPONDERS, "recipient", ("text",), guards=(_published, _a_task)),
    Transition("accept", "确认完成", _("Accept as done"), frozenset({R.REPORTED}), R.DONE, PUBLISHERS, "publisher",
               guards=(_published,)),
    Transition("return", "退回重办", _("Send back"), frozenset({R.REPORTED}), R.ACKNOWLEDGED, PUBLISHERS, "publisher",
               ("text",), guards=(_published,)),
]}

TASK_ACTIONS = tuple(TASK_TABLE)
RECEIPT_ACTIONS = tuple(RECEIPT_TABLE)

#: what the ``text`` field is called in each action's form and error messages
TEXT_LABELS = {
    "close": ("结束说明", _("Closing note")),
    "withdraw": ("撤回理由", _("Why it is withdrawn")),
    "report": ("完成情况", _("What was done")),
    "return": ("退回理由", _("Why it is sent back")),
}


def _publisher(task, user) -> bool:
    return user.role in PUBLISHERS and task.published_under(user.area if user.area_id else None)


def _recipient(receipt, user) -> bool:
    return (user.area_id is not None and user.area_id == receipt.area_id
            and RESPONDER_ROLE.get(receipt.area.level) == user.role)


TASK_RULES = Rules(
    TASK_TABLE, state_zh=TASK_STATE_ZH, relations={"publisher": _publisher},
    relation_text={"publisher": ("只有发布单位可以执行此操作", "only the publishing centre may do this")},
    noun_zh="任务", noun_en="task")

RECEIPT_RULES = Rules(
    RECEIPT_TABLE, state_zh=RECEIPT_STATE_ZH,
    relations={"publisher": lambda r, u: _publisher(r.task, u), "recipient": _recipient},
    relation_text={"publisher": ("只有发布单位可以执行此操作", "only the publishing centre may do this"),
                   "recipient": ("只有接收单位本身可以签收或反馈", "only the receiving unit itself may do this")},
    noun_zh="签收单", noun_en="receipt")
