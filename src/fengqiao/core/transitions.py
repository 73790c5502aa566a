"""What every transition table shares (matters, disputes, alerts): look an action up, check it
for a record and a user — the record's state, the user's role, the user's relation to the
record, the action's guards — and list what a user may do now. Each app declares its own table,
relations and words in its ``transitions`` module and binds them with :class:`Rules`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.utils import translation

from .errors import Conflict, UserError

#: a transition's extra condition: ``guard(record, user)`` is ``None`` or ``(code, zh, en)``
Guard = Callable[[object, object], "tuple[str, str, str] | None"]


@dataclass(frozen=True)
class Transition:
    """One row of a transition table: ``action`` from any state in ``sources`` to ``target``
    (``None``: a side action, the state does not change), for ``roles`` whose ``relation`` to the
    record holds, needing the fields in ``required`` and passing every guard."""

    action: str
    zh: str
    label: object  # lazy English source string, translated in the UI
    sources: frozenset
    target: str | None
    roles: frozenset
    relation: str
    required: tuple[str, ...] = ()
    guards: tuple[Guard, ...] = field(default=())


class Rules:
    """One app's table bound to its relations and words. ``table`` maps an action name to a
    :class:`Transition` (or a subclass with more fields)."""

    def __init__(self, table: Mapping, *, state_zh: Mapping[str, str], relations: Mapping[str, Callable],
                 relation_text: Mapping[str, tuple[str, str]], noun_zh: str, noun_en: str):
        self.table = table
        self.state_zh = state_zh
        self.relations = relations
        self.relation_text = relation_text
        self.noun_zh, self.noun_en = noun_zh, noun_en

    def get(self, action: str):
        t = self.table.get(action) if isinstance(action, str) else None
        if t is None:
            shown = str(action)[:40]  # a long value is not echoed back whole
            raise UserError("unknown_action", f"未知操作: {shown}", f"unknown action: {shown}", field="action")
        return t

    def check(self, record, action: str, user):
        """Return the transition if ``user`` may take ``action`` on ``record`` now, else raise 409."""
        t = self.get(action)
        if record.state not in t.sources:
            with translation.override("en"):  # the action's and the state's words, not their codes
                label = str(t.label)
            raise Conflict(
                "transition_not_allowed",
                f"{self.noun_zh}当前状态为「{self.state_zh.get(record.state, record.state)}」,不能{t.zh}",
                f"cannot {label[:1].lower()}{label[1:]} while the {self.noun_en} is {record.state.replace('_', ' ')}",
            )
        self.check_role(t, user)
        if not self.relations[t.relation](record, user):
            zh, en = self.relation_text[t.relation]
            raise Conflict("not_in_charge", zh, en)
        for guard in getattr(t, "guards", ()):
            problem = guard(record, user)
            if problem is not None:
                raise Conflict(*problem)
        return t

    def check_role(self, t, user) -> None:
        """Raise 409 if ``user``'s role may never take transition ``t`` (whatever the record's state)."""
        if user is None or user.role not in t.roles:
            raise Conflict("role_not_allowed", f"您的角色不能执行「{t.zh}」", f"your role may not {t.action} a {self.noun_en}")

    def allowed_actions(self, record, user) -> list[str]:
        """The actions ``user`` may take on ``record`` now, in table order (the UI shows only these)."""
        allowed = []
        for name in self.table:
            try:
                self.check(record, name, user)
            except UserError:
                continue
            allowed.append(name)
        return allowed
