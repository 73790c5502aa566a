"""Who is acting and from where, for the audit trail (set per request or per command)."""

from __future__ import annotations

import contextvars
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class ActorContext:
    user: object | None = None
    ip: str = ""
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    channel: str = "system"  # web, api, cli, worker, system


_current: contextvars.ContextVar[ActorContext | None] = contextvars.ContextVar("fengqiao_actor", default=None)
_auto_audit_suppressed: contextvars.ContextVar[int] = contextvars.ContextVar("fengqiao_auto_audit_off", default=0)


def current() -> ActorContext:
    ctx = _current.get()
    if ctx is None:
        ctx = ActorContext()
        _current.set(ctx)
    return ctx


@contextmanager
def acting(user=None, *, ip: str = "", channel: str = "system"):
    token = _current.set(ActorContext(user=user, ip=ip, channel=channel))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


@contextmanager
def explicit_audit():
    """Inside an action that writes its own audit record, skip the generic per-save record."""
    token = _auto_audit_suppressed.set(_auto_audit_suppressed.get() + 1)
    try:
        yield
    finally:
        _auto_audit_suppressed.reset(token)


def auto_audit_enabled() -> bool:
    return _auto_audit_suppressed.get() == 0
