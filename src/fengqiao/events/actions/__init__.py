"""Every write to a matter is one function here (see ``transitions`` for who may call which).

``perform(event, action, by=user, **data)`` dispatches by action name (the API uses it).
"""

from __future__ import annotations

from .intake import create_event
from .side import (
    add_cohandler,
    approve_extension,
    comment_event,
    delist_event,
    escalate_event,
    list_event,
    pause_event,
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


def perform(event, action: str, *, by, **data):
    """Run the action called ``action`` with keyword arguments ``data``."""
    from ..transitions import get

    get(action)  # unknown name → 400
    return FUNCTIONS[action](event, by=by, **data)


__all__ = ["FUNCTIONS", "create_event", "perform", *[f.__name__ for f in FUNCTIONS.values()]]
