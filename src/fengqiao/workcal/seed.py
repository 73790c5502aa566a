"""Seed data for the working calendar (工作日历) from the ``chinese_calendar`` package.

Pure module (no Django imports). The package knows the State Council's holiday arrangements
(国务院办公厅关于节假日安排的通知) from 2004 up to the year it was released; for other years it
raises ``NotImplementedError``, which is why the database table exists for next year's
announcement.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

from .calendar import WorkingCalendar

__all__ = ["SeedDay", "package_calendar", "package_days", "package_version", "package_years"]


@dataclass(frozen=True, order=True)
class SeedDay:
    """One special day: ``kind`` is ``"holiday"`` (放假) or ``"workday"`` (调休上班)."""

    date: dt.date
    kind: str
    name: str


def package_version() -> str:
    try:
        from importlib.metadata import version

        return version("chinesecalendar")
    except Exception:  # pragma: no cover - metadata missing in odd installs
        return "unknown"


@cache
def package_years() -> tuple[int, ...]:
    """Years the package has data for (every year in ``[min, max]`` of its holiday table).

    Determined the same way the package validates dates, and confirmed by probing its public
    ``is_workday`` (which raises ``NotImplementedError`` for unknown years).
    """
    import chinese_calendar
    from chinese_calendar.constants import holidays

    first, last = min(holidays).year, max(holidays).year
    years = []
    for year in range(first, last + 1):
        try:
            chinese_calendar.is_workday(dt.date(year, 7, 1))
        except NotImplementedError:
            continue
        years.append(year)
    return tuple(years)


def _chinese_names() -> dict[str, str]:
    from chinese_calendar.constants import Holiday

    return {h.value: h.chinese for h in Holiday}


@cache
def package_days() -> tuple[SeedDay, ...]:
    """Holidays and make-up working days from the package, with Chinese names (e.g. 国庆节)."""
    from chinese_calendar.constants import holidays, workdays

    names = _chinese_names()
    years = set(package_years())
    days = [
        SeedDay(d, "holiday", names.get(n, n or "")) for d, n in holidays.items() if d.year in years
    ]
    days += [
        SeedDay(d, "workday", names.get(n, n or "")) for d, n in workdays.items() if d.year in years
    ]
    return tuple(sorted(days))


@cache
def package_calendar() -> WorkingCalendar:
    """A :class:`WorkingCalendar` straight from the package (the fallback when no table data)."""
    days = package_days()
    return WorkingCalendar(
        holidays={d.date: d.name for d in days if d.kind == "holiday"},
        workdays={d.date: d.name for d in days if d.kind == "workday"},
        known_years=package_years(),
    )
