"""Codes in the reader's language: the actions and states a timeline or the audit trail stores."""

from __future__ import annotations

from collections.abc import Mapping


def action_label(code: str, table: Mapping, others: Mapping | None = None) -> str:
    """The label of an action of a transition ``table`` (entries with a ``label``), else of
    ``others`` (code → lazy label), else the code itself."""
    t = table.get(code)
    if t is not None:
        return str(t.label)
    return str((others or {}).get(code, code))


def choice_label(choices, value: str) -> str:
    """The label of a ``TextChoices`` value, or the value itself when it is not one."""
    return str(choices(value).label) if value in choices.values else value
