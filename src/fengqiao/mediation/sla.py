"""The 30-day mediation limit (调解期限) on the working calendar, its 75 % warning and who
supervises the level that holds a dispute. Small functions; the sweep is in ``actions.sweep``.

The limit defaults to 30 working days from acceptance (setting ``FENGQIAO_MEDIATION_LIMIT``,
``(amount, unit)`` with a unit of :mod:`fengqiao.workcal`); the judicial-confirmation window
is 30 natural days from the agreement (民事诉讼法: 自调解协议生效之日起三十日内).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings

WARN_FRACTION = 0.75
CONFIRMATION_WINDOW = dt.timedelta(days=30)
# Backlog (积案) threshold: a dispute open longer than this many days (setting
# ``FENGQIAO_BACKLOG_DAYS``), or one that failed twice.
BACKLOG_DAYS_DEFAULT = 60


def limit() -> tuple[float, str]:
    amount, unit = getattr(settings, "FENGQIAO_MEDIATION_LIMIT", (30, "working_days"))
    return float(amount), str(unit)


def backlog_days() -> int:
    return int(getattr(settings, "FENGQIAO_BACKLOG_DAYS", BACKLOG_DAYS_DEFAULT))


def calendar():
    from fengqiao.workcal.services import get_calendar

    return get_calendar()


def start_clock(start: dt.datetime, cal=None) -> tuple[dt.datetime, dt.datetime]:
    """``(warn_at, due_at)`` of the mediation limit started at ``start``."""
    cal = cal or calendar()
    amount, unit = limit()
    due = cal.due_at(start, amount, unit)
    total = cal.elapsed_seconds(start, due, unit)
    warn = cal.add_seconds(start, total * WARN_FRACTION, unit) if total > 0 else due
    return warn, due


def color_at(at: dt.datetime, warn: dt.datetime | None, due: dt.datetime | None) -> str:
    if due is not None and at >= due:
        return "red"
    if warn is not None and at >= warn:
        return "yellow"
    return "green"


def current_level_path(dispute) -> str:
    """The area node that holds the dispute: where it was escalated to, else its town."""
    if dispute.escalated_to_id is not None:
        return dispute.escalated_to.path
    parts = [p for p in dispute.area_path.strip("/").split("/") if p]
    return "/" + "/".join(parts[:2]) + "/" if parts else ""


def supervising_code(path: str) -> str | None:
    parts = [p for p in path.strip("/").split("/") if p]
    if len(parts) <= 1:
        return None
    if len(parts) == 2:
        return parts[0]
    return parts[1]


def supervising_area(dispute):
    from fengqiao.areas.models import Area

    code = supervising_code(current_level_path(dispute))
    return Area.objects.filter(code=code).first() if code else None
