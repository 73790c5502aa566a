"""Time limits (时限): due times, 75 % warnings, pausing. Small functions over the working
calendar (``fengqiao.workcal``), so the rules are testable without the rest of the app.

Two clocks run on a matter: the sign-for clock (签收时限) from dispatch to signing, and the
handling clock (办结时限) from dispatch to resolution. The *running* clock's warning and due
instants are copied to ``sla_warn_at``/``sla_due_at``: the sweep compares only those.
"""

from __future__ import annotations

import contextvars
import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass

from django.utils import timezone

WARN_FRACTION = 0.75

_now_override: contextvars.ContextVar[dt.datetime | None] = contextvars.ContextVar("events_now", default=None)


def now() -> dt.datetime:
    """The current time, or the time fixed by :func:`frozen_now` (demo data, tests)."""
    return _now_override.get() or timezone.now()


@contextmanager
def frozen_now(at: dt.datetime):
    token = _now_override.set(at)
    try:
        yield at
    finally:
        _now_override.reset(token)


@dataclass(frozen=True)
class Clock:
    amount: float
    unit: str  # natural_hours | working_hours | working_days


@dataclass(frozen=True)
class Limits:
    sign: Clock
    handle: Clock
    policy: str = "built-in"


# Built-in limits when no policy row matches (DOMAIN.md): sign for within 2 working hours;
# urgent matters 24/48/72 natural hours, normal ones 5 working days; petitions acknowledged
# within 15 days and concluded within 60 days (信访工作条例).
BUILTIN_SIGN = Clock(2, "working_hours")
BUILTIN_HANDLE = {
    "critical": Clock(24, "natural_hours"),
    "urgent": Clock(48, "natural_hours"),
    "priority": Clock(72, "natural_hours"),
    "normal": Clock(5, "working_days"),
}
PETITION = Limits(Clock(15 * 24, "natural_hours"), Clock(60 * 24, "natural_hours"), "petition")


def builtin_limits(channel: str, urgency: str) -> Limits:
    if channel == "petition":
        return PETITION
    return Limits(BUILTIN_SIGN, BUILTIN_HANDLE.get(urgency, BUILTIN_HANDLE["normal"]))


def policy_score(policy_channel: str, policy_category_depth: int | None, policy_urgency: str) -> int:
    """Specificity of a matching policy: channel beats urgency beats category depth."""
    score = 100 if policy_channel else 0
    score += 50 if policy_urgency else 0
    score += 0 if policy_category_depth is None else 10 * (policy_category_depth + 1)
    return score


def limits_for(channel: str, category, urgency: str) -> Limits:
    """The most specific active :class:`~fengqiao.events.models.SlaPolicy` (or the built-in)."""
    from django.db.models import Q

    from .models import SlaPolicy

    q = Q(category__isnull=True)
    if category is not None:
        q |= Q(category__code__in=category.ancestor_codes())
    best, best_score = None, -1
    for p in SlaPolicy.objects.filter(q, is_active=True, channel__in=[channel, ""], urgency__in=[urgency, ""]) \
            .select_related("category"):
        s = policy_score(p.channel, p.category.depth if p.category_id else None, p.urgency)
        if s > best_score:
            best, best_score = p, s
    if best is None:
        return builtin_limits(channel, urgency)
    return Limits(Clock(best.sign_amount, best.sign_unit), Clock(best.handle_amount, best.handle_unit), best.name)


def calendar():
    from fengqiao.workcal.services import get_calendar

    return get_calendar()


def due(cal, start: dt.datetime, clock: Clock) -> dt.datetime:
    return cal.due_at(start, clock.amount, clock.unit)


def warn_at(cal, start: dt.datetime, due_at: dt.datetime, unit: str, fraction: float = WARN_FRACTION) -> dt.datetime:
    """The instant when ``fraction`` of the limit between ``start`` and ``due_at`` is used."""
    total = cal.elapsed_seconds(start, due_at, unit)
    if total <= 0:
        return due_at
    return cal.add_seconds(start, total * fraction, unit)


def start_clock(cal, start: dt.datetime, clock: Clock) -> tuple[dt.datetime, dt.datetime]:
    """``(warn_at, due_at)`` of a clock started at ``start``."""
    d = due(cal, start, clock)
    return warn_at(cal, start, d, clock.unit), d


def color_at(at: dt.datetime, warn: dt.datetime | None, due_at: dt.datetime | None) -> str:
    if due_at is not None and at >= due_at:
        return "red"
    if warn is not None and at >= warn:
        return "yellow"
    return "green"


def shift(cal, instant: dt.datetime | None, paused_at: dt.datetime, resumed_at: dt.datetime,
          unit: str) -> dt.datetime | None:
    """Move an instant (due or warning) by the time a clock was paused (暂停计时).

    What was left at the pause is re-added from the resumption, on the clock's own kind of
    time: a matter paused over a weekend on a working-day clock loses nothing. An instant with
    nothing left at the pause (already reached) stays where it was: a limit that ran out before
    the pause stays missed, and its days of an extension count from it (ADR 0122).
    """
    if instant is None:
        return None
    remaining = cal.elapsed_seconds(paused_at, instant, unit)
    if remaining <= 0:
        return instant
    return cal.add_seconds(resumed_at, remaining, unit)


def paused_seconds(cal, paused_at: dt.datetime, resumed_at: dt.datetime, unit: str) -> float:
    return cal.elapsed_seconds(paused_at, resumed_at, unit)
