"""The evaluation's periods: one day (日晾晒) or one calendar month (月比拼), and the same period
a year earlier (同比). Written ``YYYY-MM-DD`` or ``YYYY-MM`` everywhere (page, exports,
publications); anything else is a bilingual :class:`~fengqiao.core.errors.UserError` (400)."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from fengqiao.core.errors import UserError
from fengqiao.workcal.calendar import SHANGHAI

DAY, MONTH = "day", "month"
#: the zone of a period's local days, whatever the server's: the matter list's date filters use
#: it too (events.api.filter_instant), so a count's link selects the same matters
TZ = SHANGHAI
#: the first year a period may be in: its year-on-year period must exist too, and year 1 at
#: +08:00 would be year 0 in UTC
MIN_YEAR = 1901
_DAY_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$", re.ASCII)
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$", re.ASCII)


@dataclass(frozen=True)
class Period:
    kind: str  # DAY | MONTH
    start: dt.date

    @property
    def last(self) -> dt.date:
        """The last day of the period (inclusive)."""
        if self.kind == DAY:
            return self.start
        return self.start.replace(day=calendar.monthrange(self.start.year, self.start.month)[1])

    @property
    def end(self) -> dt.date:
        """The day after the period."""
        return self.last + dt.timedelta(days=1)

    @property
    def key(self) -> str:
        return self.start.isoformat() if self.kind == DAY else self.start.strftime("%Y-%m")

    def __str__(self) -> str:
        return self.key

    def bounds(self, tz) -> tuple[dt.datetime, dt.datetime]:
        """``[lo, hi)``: local midnight of the first day and of the day after the last."""
        return (dt.datetime.combine(self.start, dt.time(), tzinfo=tz),
                dt.datetime.combine(self.end, dt.time(), tzinfo=tz))

    def previous_year(self) -> Period:
        """The same day or month a year earlier (29 February: 28 February)."""
        year = self.start.year - 1
        day = min(self.start.day, calendar.monthrange(year, self.start.month)[1])
        return Period(self.kind, self.start.replace(year=year, day=day))

    def is_over(self, today: dt.date) -> bool:
        return self.last < today


def today(now: dt.datetime) -> dt.date:
    """The county's date at the instant ``now`` (a day of :data:`TZ`)."""
    return now.astimezone(TZ).date()


def parse_period(value: str | None, today: dt.date) -> Period:
    """``YYYY-MM-DD`` (a day) or ``YYYY-MM`` (a month); empty: the current month. A period that
    has not begun, or before :data:`MIN_YEAR`, is refused."""
    text = (value or "").strip()
    if not text:
        return Period(MONTH, today.replace(day=1))
    m = _DAY_RE.match(text) or _MONTH_RE.match(text)
    try:
        if m is None:
            raise ValueError(text)
        year, month = int(m[1]), int(m[2])
        day = int(m[3]) if m.re is _DAY_RE else 1
        start = dt.date(year, month, day)
    except ValueError:
        raise UserError("bad_period", f"期间格式不正确: {text[:40]};应为 YYYY-MM-DD(某日)或 YYYY-MM(某月)",
                        f"not a period: {text[:40]}; write YYYY-MM-DD (a day) or YYYY-MM (a month)",
                        field="period") from None
    period = Period(DAY if m.re is _DAY_RE else MONTH, start)
    if year < MIN_YEAR:
        raise UserError("bad_period", f"期间须在 {MIN_YEAR} 年及以后", f"the period must be in {MIN_YEAR} or later",
                        field="period")
    if period.start > today:
        raise UserError("future_period", f"期间 {period.key} 尚未开始", f"the period {period.key} has not begun yet",
                        field="period")
    return period
