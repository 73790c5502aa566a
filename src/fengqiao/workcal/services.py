"""Loading the working calendar (工作日历) from the database, cached in-process.

SLA code calls :func:`get_calendar` (once per request or per sweep, then reuses the object)
and the :class:`~fengqiao.workcal.calendar.WorkingCalendar` methods, or the thin wrappers
:func:`due_at`, :func:`add_working_days` and :func:`working_seconds_between` here.

Caching: the built calendar is kept per process. A save or delete of a ``CalendarDay`` or
``CalendarYear`` in this process drops it at once (signals). Other processes notice a change
through a cheap fingerprint query (row counts, last update, last id) at most every
``RECHECK_SECONDS``; a calendar built inside a transaction is re-checked on every call, so a
rolled-back edit (tests, failed imports) never leaks into later work.

When both tables are empty (a database that was never seeded, or tests) the calendar comes
straight from the ``chinese_calendar`` package; if the tables do not exist yet (migrations not
run) the same fallback applies and a warning is logged.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass

from django.db import DatabaseError, connection, transaction
from django.db.models import Count, Max

from . import seed
from .calendar import Unit, WorkingCalendar

__all__ = [
    "RECHECK_SECONDS",
    "YearStatus",
    "add_working_days",
    "clear_calendar_cache",
    "due_at",
    "get_calendar",
    "year_status",
    "working_seconds_between",
]

logger = logging.getLogger(__name__)

RECHECK_SECONDS = 5.0


@dataclass(frozen=True)
class _Entry:
    calendar: WorkingCalendar
    fingerprint: tuple | None
    checked_at: float
    tentative: bool  # built inside a transaction that may still roll back


_lock = threading.Lock()
_entry: _Entry | None = None


def clear_calendar_cache() -> None:
    """Forget the cached calendar; the next :func:`get_calendar` rebuilds it."""
    global _entry
    _entry = None


def _fingerprint() -> tuple:
    from .models import CalendarDay, CalendarYear

    d = CalendarDay.objects.aggregate(n=Count("id"), m=Max("updated_at"), i=Max("id"))
    y = CalendarYear.objects.aggregate(n=Count("id"), m=Max("updated_at"), i=Max("id"))
    return (d["n"], d["m"], d["i"], y["n"], y["m"], y["i"])


def _build(fingerprint: tuple) -> WorkingCalendar:
    from .models import CalendarDay, CalendarYear, DayKind

    if fingerprint[0] == 0 and fingerprint[3] == 0:
        return seed.package_calendar()
    holidays: dict[dt.date, str] = {}
    workdays: dict[dt.date, str] = {}
    for day, kind, name in CalendarDay.objects.values_list("date", "kind", "name"):
        (holidays if kind == DayKind.HOLIDAY else workdays)[day] = name
    known = CalendarYear.objects.filter(complete=True).values_list("year", flat=True)
    return WorkingCalendar(holidays, workdays, known)


def get_calendar() -> WorkingCalendar:
    """The current working calendar: database tables, or the package when they are empty.

    Cheap to call (a cached object; at most one small query every few seconds). Never raises
    for a missing table: it falls back to the package calendar.
    """
    global _entry
    entry = _entry
    now = time.monotonic()
    if entry is not None and not entry.tentative and now - entry.checked_at < RECHECK_SECONDS:
        return entry.calendar
    in_tx = connection.in_atomic_block
    try:
        # A savepoint keeps an outer transaction usable if the table is missing (PostgreSQL).
        with transaction.atomic():
            fp = _fingerprint()
            if entry is not None and entry.fingerprint == fp:
                calendar = entry.calendar
            else:
                calendar = _build(fp)
    except DatabaseError as exc:
        logger.warning("working calendar tables unavailable (%s); using the package data", exc)
        return seed.package_calendar()
    with _lock:
        _entry = _Entry(calendar, fp, now, tentative=in_tx)
    return calendar


@dataclass(frozen=True)
class YearStatus:
    """Whether a year's holiday arrangement (节假日安排) is entered, for the UI and the CLI."""

    year: int
    known: bool
    source: str  # "seed", "manual", "package" (tables empty) or "" (no row)
    days: list[tuple[dt.date, str, str]]  # (date, kind, name), from the calendar in use

    @property
    def fallback(self) -> bool:
        """True when the year is computed as Monday–Friday (plus any days entered)."""
        return not self.known


def year_status(year: int) -> YearStatus:
    """Status and special days of ``year`` in the calendar currently in use."""
    from .models import CalendarYear

    calendar = get_calendar()
    if calendar is seed.package_calendar():
        source = "package" if calendar.is_year_known(year) else ""
    else:
        row = CalendarYear.objects.filter(year=year).first()
        source = row.source if row is not None else ""
    return YearStatus(year, calendar.is_year_known(year), source, calendar.special_days(year))


def due_at(start: dt.datetime, amount: float, unit: Unit | str) -> dt.datetime:
    """Due time of a limit (see :meth:`WorkingCalendar.due_at`) with the current calendar."""
    return get_calendar().due_at(start, amount, unit)


def add_working_days(day: dt.date, n: int) -> dt.date:
    """``n`` working days after ``day`` (see :meth:`WorkingCalendar.add_working_days`)."""
    return get_calendar().add_working_days(day, n)


def working_seconds_between(start: dt.datetime, end: dt.datetime) -> float:
    """Working seconds between two instants with the current calendar."""
    return get_calendar().working_seconds_between(start, end)
