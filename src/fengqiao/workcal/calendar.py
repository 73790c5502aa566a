"""Working-calendar arithmetic (工作日历): working days, office hours and due times.

Pure module: no Django imports, so the SLA code, sweeps and benchmarks can use it directly.

Model
-----
* A day is a **working day** (工作日) when it is a make-up working day (调休上班), or when it is
  Monday–Friday and not a public holiday (法定节假日/休息日). Entries always win over the
  weekday rule, in every year.
* A year is **known** when its official announcement has been entered (``known_years``). For an
  unknown year the calendar applies whatever entries exist and otherwise Monday–Friday; the first
  time a computation touches such a year it emits :class:`UnknownYearWarning` (once per year and
  calendar) and records the year in :attr:`WorkingCalendar.unknown_years_used`. It never raises.
* **Office hours** (办公时间) are the same on every working day, by default 08:30–12:00 and
  13:30–17:30 (7.5 hours). Working time only runs during office hours on working days.
* All times are interpreted in Asia/Shanghai local time (北京时间). Aware datetimes are
  converted; naive datetimes are taken as Asia/Shanghai local time. Returned datetimes are aware
  and in Asia/Shanghai.

Speed
-----
The calendar keeps one contiguous table over a range of years: a status byte per day, the
prefix count of working days and the ordinal numbers of the working days. Every query is a
few index look-ups (microseconds); the table grows on demand when a date outside it is used.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
import warnings
from array import array
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

__all__ = [
    "DEFAULT_OFFICE_HOURS",
    "SHANGHAI",
    "UNITS",
    "OfficeHours",
    "UnknownYearWarning",
    "WorkingCalendar",
]

logger = logging.getLogger(__name__)

SHANGHAI = ZoneInfo("Asia/Shanghai")

Unit = Literal["natural_hours", "working_hours", "working_days"]
UNITS: tuple[str, ...] = ("natural_hours", "working_hours", "working_days")

_US_PER_SECOND = 1_000_000
_US_PER_DAY = 86_400 * _US_PER_SECOND
_MIN_YEAR = 2
_MAX_YEAR = 9997  # keep a year of headroom on both sides of date.min/date.max


class UnknownYearWarning(UserWarning):
    """The official holiday arrangement of a year is not entered; Monday–Friday is assumed."""


def _time_us(t: dt.time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * _US_PER_SECOND + t.microsecond


def _us_time(us: int) -> dt.time:
    s, micro = divmod(us, _US_PER_SECOND)
    m, sec = divmod(s, 60)
    h, minute = divmod(m, 60)
    return dt.time(h, minute, sec, micro)


@dataclass(frozen=True)
class OfficeHours:
    """Office hours (办公时间) of a working day: ordered, non-overlapping periods.

    The default is 08:30–12:00 and 13:30–17:30 (lunch break 12:00–13:30), 7.5 hours a day.
    """

    periods: tuple[tuple[dt.time, dt.time], ...] = (
        (dt.time(8, 30), dt.time(12, 0)),
        (dt.time(13, 30), dt.time(17, 30)),
    )

    def __post_init__(self) -> None:
        if not self.periods:
            raise ValueError("office hours need at least one period")
        last_end = -1
        for start, end in self.periods:
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError("office hours are local wall-clock times without tzinfo")
            s, e = _time_us(start), _time_us(end)
            if not s < e:
                raise ValueError(f"office period {start}–{end} must end after it starts")
            if s < last_end:
                raise ValueError("office periods must be in order and must not overlap")
            last_end = e

    @property
    def seconds_per_day(self) -> float:
        """Working seconds in one working day (27 000 for the default)."""
        return sum(_time_us(e) - _time_us(s) for s, e in self.periods) / _US_PER_SECOND

    @property
    def end_of_day(self) -> dt.time:
        """When the last office period ends (17:30 by default): the due time of day limits."""
        return self.periods[-1][1]


DEFAULT_OFFICE_HOURS = OfficeHours()


class _Table:
    """Immutable snapshot of the per-day tables over ``[first_year, last_year]``."""

    __slots__ = ("base", "cum", "end", "first_year", "last_year", "status", "work")

    def __init__(self, first_year: int, last_year: int, holidays: set[int], workdays: set[int]):
        base = dt.date(first_year, 1, 1).toordinal()
        end = dt.date(last_year, 12, 31).toordinal() + 1  # exclusive
        status = bytearray(end - base)
        cum = array("q", bytes(8 * (end - base + 1)))  # cum[i] = working days in [base, base+i)
        work = array("q")
        count = 0
        # date(…).weekday() of base; ordinal 1 (0001-01-01) is a Monday.
        weekday = (base - 1) % 7
        for i in range(end - base):
            o = base + i
            if o in workdays:
                w = 1
            elif o in holidays:
                w = 0
            else:
                w = 1 if weekday < 5 else 0
            if w:
                status[i] = 1
                work.append(o)
                count += 1
            cum[i + 1] = count
            weekday = 0 if weekday == 6 else weekday + 1
        self.base = base
        self.end = end
        self.status = status
        self.cum = cum
        self.work = work
        self.first_year = first_year
        self.last_year = last_year


class WorkingCalendar:
    """A working calendar (工作日历) built from holidays, make-up workdays and known years.

    :param holidays: dates that are off (法定节假日, including the weekend days inside a
        holiday block); a mapping ``date -> name`` keeps the names (e.g. ``国庆节``).
    :param workdays: make-up working days (调休上班), usually a Saturday or Sunday; a mapping
        ``date -> name`` keeps the names.
    :param known_years: years whose official arrangement is entered. Other years fall back to
        Monday–Friday (plus any entries given for them) and warn once.
    :param office_hours: office periods of a working day, default 08:30–12:00, 13:30–17:30.
    :param tz: local time zone of the calendar, default Asia/Shanghai.

    A date may not be both a holiday and a make-up working day (``ValueError``).
    Instances are safe to share between threads; build a new one to change the data.
    """

    def __init__(
        self,
        holidays: Iterable[dt.date] | Mapping[dt.date, str] = (),
        workdays: Iterable[dt.date] | Mapping[dt.date, str] = (),
        known_years: Iterable[int] = (),
        *,
        office_hours: OfficeHours = DEFAULT_OFFICE_HOURS,
        tz: dt.tzinfo = SHANGHAI,
    ) -> None:
        self._names: dict[dt.date, str] = {}
        for source in (holidays, workdays):
            if isinstance(source, Mapping):
                self._names.update({d: n for d, n in source.items() if n})
        self._holidays = frozenset(_as_date(d) for d in holidays)
        self._workdays = frozenset(_as_date(d) for d in workdays)
        both = self._holidays & self._workdays
        if both:
            raise ValueError(f"dates cannot be both holiday and working day: {sorted(both)[:5]}")
        self._hol_ords = {d.toordinal() for d in self._holidays}
        self._work_ords = {d.toordinal() for d in self._workdays}
        self.known_years: frozenset[int] = frozenset(int(y) for y in known_years)
        self.office_hours = office_hours
        self.tz = tz
        # Office periods in microseconds after midnight, and working time before each period.
        self._p_start: tuple[int, ...] = tuple(_time_us(s) for s, _ in office_hours.periods)
        self._p_end: tuple[int, ...] = tuple(_time_us(e) for _, e in office_hours.periods)
        before, acc = [], 0
        for s, e in zip(self._p_start, self._p_end, strict=True):
            before.append(acc)
            acc += e - s
        self._p_before: tuple[int, ...] = tuple(before)
        self._day_us: int = acc
        self._unknown_used: set[int] = set()
        self._lock = threading.Lock()
        today_year = dt.date.today().year
        years = [*self.known_years, today_year]
        years += [d.year for d in self._holidays | self._workdays]
        first = max(_MIN_YEAR, min(years) - 1)
        last = min(_MAX_YEAR, max(years) + 2)
        self._table = _Table(first, last, self._hol_ords, self._work_ords)

    # ------------------------------------------------------------------ introspection

    def __repr__(self) -> str:
        known = sorted(self.known_years)
        span = f"{known[0]}–{known[-1]}" if known else "none"
        return (
            f"<WorkingCalendar known years {span}, {len(self._holidays)} holidays, "
            f"{len(self._workdays)} make-up workdays>"
        )

    @property
    def unknown_years_used(self) -> frozenset[int]:
        """Years without an entered arrangement that computations have used so far."""
        return frozenset(self._unknown_used)

    @property
    def holidays(self) -> frozenset[dt.date]:
        """Holiday dates (法定节假日) of this calendar."""
        return self._holidays

    @property
    def workdays(self) -> frozenset[dt.date]:
        """Make-up working days (调休上班) of this calendar."""
        return self._workdays

    def is_year_known(self, year: int) -> bool:
        """Whether the official arrangement of ``year`` is entered (otherwise Mon–Fri)."""
        return year in self.known_years

    def name_of(self, day: dt.date) -> str:
        """Name of a holiday or make-up working day (e.g. ``国庆节``), ``""`` for other days."""
        return self._names.get(_as_date(day), "")

    def special_days(self, year: int) -> list[tuple[dt.date, str, str]]:
        """``(date, kind, name)`` of the year's entries, kind ``"holiday"`` or ``"workday"``."""
        rows = [(d, "holiday", self._names.get(d, "")) for d in self._holidays if d.year == year]
        rows += [(d, "workday", self._names.get(d, "")) for d in self._workdays if d.year == year]
        return sorted(rows)

    # ------------------------------------------------------------------ table upkeep

    def _note_years(self, first: int, last: int, stacklevel: int = 3) -> None:
        """Record and warn about unknown years in ``[first, last]`` (first use only)."""
        known = self.known_years
        for year in range(first, last + 1):
            if year not in known and year not in self._unknown_used:
                with self._lock:
                    if year in self._unknown_used:
                        continue
                    self._unknown_used.add(year)
                message = (
                    f"working calendar: the holiday arrangement of {year} is not entered; "
                    f"assuming Monday–Friday (工作日历未录入{year}年节假日安排，按周一至周五计算)"
                )
                logger.warning(message)
                warnings.warn(message, UnknownYearWarning, stacklevel=stacklevel)

    def _grow(self, first_year: int, last_year: int) -> _Table:
        """Return a table covering ``[first_year, last_year]``, rebuilding it if needed."""
        if first_year < _MIN_YEAR or last_year > _MAX_YEAR:
            raise ValueError(f"date out of the supported range ({_MIN_YEAR}–{_MAX_YEAR})")
        with self._lock:
            t = self._table
            if t.first_year <= first_year and last_year <= t.last_year:
                return t
            # Grow in larger steps so a drifting caller does not rebuild every time.
            first = t.first_year if first_year >= t.first_year else max(_MIN_YEAR, first_year - 5)
            last = t.last_year if last_year <= t.last_year else min(_MAX_YEAR, last_year + 5)
            t = _Table(first, last, self._hol_ords, self._work_ords)
            self._table = t
            return t

    def _table_for(self, ordinal: int) -> _Table:
        t = self._table
        if t.base <= ordinal < t.end:
            return t
        year = dt.date.fromordinal(ordinal).year
        return self._grow(year, year)

    # ------------------------------------------------------------------ days

    def is_working_day(self, day: dt.date | dt.datetime) -> bool:
        """Whether ``day`` is a working day (工作日). A datetime is taken at its local date."""
        d = self._local_date(day)
        if d.year not in self.known_years:
            self._note_years(d.year, d.year)
        o = d.toordinal()
        t = self._table_for(o)
        return t.status[o - t.base] == 1

    def add_working_days(self, day: dt.date | dt.datetime, n: int) -> dt.date:
        """The date that is ``n`` working days after ``day`` (n 个工作日后).

        Counting starts the day after ``day`` (期间开始之日不计算在内): the result is the n-th
        working day strictly after ``day``, whether or not ``day`` itself is a working day.
        ``n == 0`` returns ``day`` unchanged. Example: 2025-09-30 + 3 = 2025-10-11, because
        1–8 October 2025 are holidays and Saturday 11 October is a make-up working day.
        """
        d = self._local_date(day)
        if n < 0:
            raise ValueError("n must be zero or more")
        n = int(n)
        if n == 0:
            if d.year not in self.known_years:
                self._note_years(d.year, d.year)
            return d
        o = d.toordinal()
        t = self._table_for(o)
        idx = t.cum[o - t.base + 1] + n - 1  # index in t.work of the n-th working day after d
        while idx >= len(t.work):
            t = self._grow(t.first_year, t.last_year + n // 200 + 1)
            idx = t.cum[o - t.base + 1] + n - 1
        result = dt.date.fromordinal(t.work[idx])
        y0, y1 = d.year, result.year
        known = self.known_years
        if y0 not in known or y1 not in known or y1 - y0 > 1:
            self._note_years(y0, y1)
        return result

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Number of working days in ``(start, end]`` — the inverse of :meth:`add_working_days`.

        Negative when ``end`` is before ``start``.
        """
        a, b = self._local_date(start), self._local_date(end)
        if b < a:
            return -self.working_days_between(b, a)
        t = self._table
        if not (t.base <= a.toordinal() and b.toordinal() < t.end):
            t = self._grow(a.year, b.year)
        self._check_span(a.year, b.year)
        return t.cum[b.toordinal() - t.base + 1] - t.cum[a.toordinal() - t.base + 1]

    # ------------------------------------------------------------------ hours

    def _local(self, value: dt.datetime) -> dt.datetime:
        if not isinstance(value, dt.datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None:
            return value.replace(tzinfo=self.tz)
        return value.astimezone(self.tz)

    def _local_date(self, value: dt.date | dt.datetime) -> dt.date:
        if isinstance(value, dt.datetime):
            return self._local(value).date()
        if isinstance(value, dt.date):
            return value
        raise TypeError(f"expected a date, got {type(value).__name__}")

    def _check_span(self, y0: int, y1: int) -> None:
        known = self.known_years
        if y0 not in known or y1 not in known or y1 - y0 > 1:
            self._note_years(y0, y1, stacklevel=4)

    def _within_day(self, tod_us: int) -> int:
        """Working microseconds of a working day elapsed at time of day ``tod_us``."""
        acc = 0
        for s, e in zip(self._p_start, self._p_end, strict=True):
            if tod_us <= s:
                break
            acc += (tod_us if tod_us < e else e) - s
        return acc

    def _position(self, local: dt.datetime, t: _Table) -> int:
        """Working microseconds from ``t.base`` 00:00 to ``local``."""
        o = local.toordinal()
        i = o - t.base
        pos = t.cum[i] * self._day_us
        if t.status[i]:
            tod = (
                (local.hour * 60 + local.minute) * 60 + local.second
            ) * _US_PER_SECOND + local.microsecond
            pos += self._within_day(tod)
        return pos

    def _at_position(self, pos: int, t: _Table) -> dt.datetime:
        """Earliest local instant whose working position is ``pos`` (``pos > 0``)."""
        k, rem = divmod(pos, self._day_us)
        if rem == 0:  # exactly the end of a working day: report its close, not next morning
            k -= 1
            rem = self._day_us
        o = t.work[k]
        for s, e, before in zip(self._p_start, self._p_end, self._p_before, strict=True):
            if rem <= before + (e - s):
                tod = s + rem - before
                break
        return dt.datetime.combine(dt.date.fromordinal(o), _us_time(tod), tzinfo=self.tz)

    def working_seconds_between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Working seconds (工作时长) between two instants: office time on working days only.

        Returns 0.0 when ``end`` is not after ``start``. Consistent with
        :meth:`add_working_seconds`: ``working_seconds_between(s, add_working_seconds(s, x))``
        equals ``x`` (to the microsecond).
        """
        a, b = self._local(start), self._local(end)
        if b <= a:
            return 0.0
        t = self._table
        oa, ob = a.toordinal(), b.toordinal()
        if not (t.base <= oa and ob < t.end):
            t = self._grow(a.year, b.year)
        self._check_span(a.year, b.year)
        return (self._position(b, t) - self._position(a, t)) / _US_PER_SECOND

    def add_working_seconds(self, start: dt.datetime, seconds: float) -> dt.datetime:
        """The earliest instant at which ``seconds`` of working time have passed since ``start``.

        Working time runs only during office hours of working days. A limit that ends exactly
        at the close of a period ends then (e.g. 12:00, not 13:30). ``seconds == 0`` returns
        ``start`` (in local time). Negative amounts raise ``ValueError``.
        """
        if seconds < 0:
            raise ValueError("seconds must be zero or more")
        a = self._local(start)
        amount = round(seconds * _US_PER_SECOND)
        if amount == 0:
            return a
        t = self._table
        oa = a.toordinal()
        if not (t.base <= oa < t.end):
            t = self._grow(a.year, a.year)
        pos = self._position(a, t) + amount
        while (pos - 1) // self._day_us >= len(t.work):
            t = self._grow(t.first_year, t.last_year + amount // (self._day_us * 200) + 1)
            pos = self._position(a, t) + amount
        result = self._at_position(pos, t)
        self._check_span(a.year, result.year)
        return result

    def add_working_hours(self, start: dt.datetime, hours: float) -> dt.datetime:
        """``hours`` working hours (工作小时) after ``start``; see :meth:`add_working_seconds`.

        Example with default office hours: Friday 16:30 + 2 working hours = Monday 09:30
        (if Monday is a working day); Tuesday 11:00 + 2 = Tuesday 14:30 (across lunch).
        """
        return self.add_working_seconds(start, hours * 3600)

    def next_working_instant(self, start: dt.datetime) -> dt.datetime:
        """``start`` if it is within office hours of a working day, else when they next begin."""
        a = self._local(start)
        if self.is_working_day(a.date()):
            tod = _time_us(a.timetz().replace(tzinfo=None))
            for s, e in zip(self._p_start, self._p_end, strict=True):
                if tod < s:
                    return dt.datetime.combine(a.date(), _us_time(s), tzinfo=self.tz)
                if tod < e:
                    return a
        d = self.add_working_days(a.date(), 1)
        return dt.datetime.combine(d, self.office_hours.periods[0][0], tzinfo=self.tz)

    # ------------------------------------------------------------------ limits

    def due_at(self, start: dt.datetime, amount: float, unit: Unit | str) -> dt.datetime:
        """Due time (到期时间) of a limit of ``amount`` ``unit`` starting at ``start``.

        * ``natural_hours`` (自然小时): ``start + amount`` hours of wall-clock time.
        * ``working_hours`` (工作小时): :meth:`add_working_hours`.
        * ``working_days`` (工作日): the close of office hours (17:30 by default) on the
          ``amount``-th working day after the local date of ``start`` (the start day is not
          counted, see :meth:`add_working_days`); ``amount`` must be a whole number.

        The result is aware, in the calendar's time zone (Asia/Shanghai).
        """
        if amount < 0:
            raise ValueError("amount must be zero or more")
        if unit == "working_days":
            if amount != int(amount):
                raise ValueError("a working-day limit must be a whole number of days")
            d = self.add_working_days(self._local(start).date(), int(amount))
            return dt.datetime.combine(d, self.office_hours.end_of_day, tzinfo=self.tz)
        if unit == "working_hours":
            return self.add_working_seconds(start, amount * 3600)
        if unit == "natural_hours":
            if not math.isfinite(amount):
                raise ValueError("amount must be finite")
            return self._local(start) + dt.timedelta(hours=amount)
        raise ValueError(f"unknown unit {unit!r}; expected one of {', '.join(UNITS)}")

    def elapsed_seconds(self, start: dt.datetime, end: dt.datetime, unit: Unit | str) -> float:
        """Seconds between ``start`` and ``end`` on the clock that ``unit`` runs on (计时).

        Natural seconds for ``natural_hours``, working seconds for the working units; 0.0 when
        ``end`` is not after ``start``. With :meth:`add_seconds` this serves pausing (暂停计时)
        and the 75 % warning: ``elapsed(start, now) / elapsed(start, due)``.
        """
        if unit == "natural_hours":
            return max(0.0, (self._local(end) - self._local(start)).total_seconds())
        if unit in ("working_hours", "working_days"):
            return self.working_seconds_between(start, end)
        raise ValueError(f"unknown unit {unit!r}; expected one of {', '.join(UNITS)}")

    def add_seconds(self, start: dt.datetime, seconds: float, unit: Unit | str) -> dt.datetime:
        """``start`` plus ``seconds`` on the clock of ``unit`` (natural or working time).

        Used to move a due time after a pause: ``add_seconds(resume, remaining, unit)`` where
        ``remaining = elapsed_seconds(paused_at, old_due, unit)``.
        """
        if unit == "natural_hours":
            if seconds < 0:
                raise ValueError("seconds must be zero or more")
            return self._local(start) + dt.timedelta(seconds=seconds)
        if unit in ("working_hours", "working_days"):
            return self.add_working_seconds(start, seconds)
        raise ValueError(f"unknown unit {unit!r}; expected one of {', '.join(UNITS)}")


def _as_date(value: dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise TypeError(f"expected a date, got {type(value).__name__}")
