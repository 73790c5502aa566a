"""Every write to a matter is one function here (see ``transitions`` for who may call which).

``perform(event, action, by=user, version=None, **data)`` dispatches by action name (the API
and the console use it); ``action_parameters(action)`` lists the inputs an action takes.
"""

from __future__ import annotations

import inspect

from fengqiao.core.errors import UserError

from ._base import stale
from .intake import create_event
from .side import (
    add_cohandler,
    approve_extension,
    comment_event,
    delist_event,
    escalate_event,
    list_event,
    pause_event,
    relocate_event,
    request_extension,
    resume_event,
    supervise_event,
)
from .workflow import (
    accept_event,
    cancel_event,
    close_event,
    dispatch_event,
    merge_event,
    reject_event,
    reopen_event,
    resolve_event,
    return_event,
    sign_event,
    start_event,
    verify_event,
)

FUNCTIONS = {
    "accept": accept_event,
    "reject": reject_event,
    "merge": merge_event,
    "cancel": cancel_event,
    "relocate": relocate_event,
    "dispatch": dispatch_event,
    "sign": sign_event,
    "return": return_event,
    "start": start_event,
    "resolve": resolve_event,
    "verify": verify_event,
    "reopen": reopen_event,
    "close": close_event,
    "escalate": escalate_event,
    "request_extension": request_extension,
    "approve_extension": approve_extension,
    "pause": pause_event,
    "resume": resume_event,
    "supervise": supervise_event,
    "list": list_event,
    "delist": delist_event,
    "add_cohandler": add_cohandler,
    "comment": comment_event,
}


#: keywords of :func:`perform` itself (and of the API's action body): no action may take one
RESERVED_PARAMETERS = frozenset({"action", "by", "version"})


def action_parameters(action: str) -> list[inspect.Parameter]:
    """The inputs of the action called ``action``: its keyword-only parameters but ``by``. The
    API's body (and its schema) and the console's action forms are both built from them."""
    fn = FUNCTIONS[action]
    return [p for p in inspect.signature(fn).parameters.values() if p.kind == p.KEYWORD_ONLY and p.name != "by"]


def perform(event, action: str, *, by, version: int | None = None, **data):
    """Run the action called ``action`` with keyword arguments ``data``.

    ``version`` is the version of the matter the caller last saw (the API's body, a console
    form); when given and the matter has moved on since, nothing is done: :class:`Conflict`
    "stale" (409). The comparison here is with the row as loaded, and every action writes
    through :func:`._base.apply`, whose ``UPDATE … WHERE id=? AND state=? AND version=?`` uses
    that same loaded version: a write landing after this check still makes the UPDATE match
    no row, so the caller gets "stale" and nothing of the action is kept.
    """
    from ..transitions import get

    get(action)  # unknown name → 400
    if version is not None:
        if isinstance(version, bool) or not isinstance(version, int):
            raise UserError("invalid", "version 应为整数", "version must be a whole number", field="version")
        if version != event.version:
            raise stale()
    return FUNCTIONS[action](event, by=by, **data)


__all__ = ["FUNCTIONS", "RESERVED_PARAMETERS", "action_parameters", "create_event", "perform",
           *[f.__name__ for f in FUNCTIONS.values()]]
