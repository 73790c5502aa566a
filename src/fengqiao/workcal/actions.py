"""Writes to the working calendar (工作日历): seeding, entering and removing special days.

Every function runs in one transaction and writes its own audit record. The first manual
edit of a database that was never seeded seeds it from the package first, so entering next
year's announcement never loses the years the package knows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from fengqiao.core import audit, context
from fengqiao.core.cli import bilingual
from fengqiao.core.errors import UserError, shown
from fengqiao.core.inputs import has_control
from fengqiao.core.sheets import read_text_file
from fengqiao.core.validators import FIRST_YEAR, LAST_YEAR

from . import seed
from .models import CalendarDay, CalendarYear, DayKind, Source

__all__ = [
    "ImportReport",
    "SeedReport",
    "import_days",
    "mark_year_complete",
    "parse_date",
    "parse_kind",
    "read_days_csv",
    "remove_day",
    "seed_from_package",
    "set_day",
]

# Accepted spellings of the two kinds, English and Chinese (as in announcements and Excel sheets).
KIND_ALIASES = {
    "holiday": DayKind.HOLIDAY,
    "off": DayKind.HOLIDAY,
    "休": DayKind.HOLIDAY,
    "假": DayKind.HOLIDAY,
    "放假": DayKind.HOLIDAY,
    "休息": DayKind.HOLIDAY,
    "节假日": DayKind.HOLIDAY,
    "workday": DayKind.WORKDAY,
    "work": DayKind.WORKDAY,
    "班": DayKind.WORKDAY,
    "上班": DayKind.WORKDAY,
    "补班": DayKind.WORKDAY,
    "调休上班": DayKind.WORKDAY,
    "工作日": DayKind.WORKDAY,
}

_DATE_RE = re.compile(r"^\s*(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?\s*$")


#: Years a working calendar can hold (marking a year complete checks the same range; the admin's
#: forms too, through ``core.validators.calendar_year``).
MIN_YEAR, MAX_YEAR = FIRST_YEAR, LAST_YEAR


def parse_date(value: str | dt.date) -> dt.date:
    """A date from ``2025-10-01``, ``2025/10/1`` or ``2025年10月1日`` (or a date object) in
    :data:`MIN_YEAR`–:data:`MAX_YEAR`; ``UserError`` otherwise."""
    if isinstance(value, dt.date):  # the admin's form gives a date: the same year range holds
        year = value.year
    else:
        m = _DATE_RE.match(str(value))
        year = int(m[1]) if m else MIN_YEAR
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise UserError("bad_year", f"年份超出范围 {MIN_YEAR}–{MAX_YEAR}: {value!r}",
                        f"year outside {MIN_YEAR}–{MAX_YEAR}: {value!r}")
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if m:
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            pass
    raise UserError(
        "bad_date",
        f"日期无效: {value!r}，应为 YYYY-MM-DD",
        f"invalid date: {value!r}, expected YYYY-MM-DD",
        field="date",
    )


def parse_kind(value: str) -> str:
    """``"holiday"`` or ``"workday"`` from English or Chinese spellings; ``UserError`` otherwise."""
    kind = KIND_ALIASES.get(str(value).strip().lower())
    if kind is None:
        raise UserError(
            "bad_kind",
            f"类型无效: {value!r}，应为 holiday（放假）或 workday（调休上班）",
            f"invalid kind: {value!r}, expected holiday (day off) or workday (make-up working day)",
            field="kind",
        )
    return str(kind)


#: the longest name of a day (``CalendarDay.name``): a longer one is refused, not cut
MAX_NAME = CalendarDay._meta.get_field("name").max_length
def check_name(name: str) -> str:
    """A day's name (国庆节), stripped: one line of at most :data:`MAX_NAME` characters with no
    control character; ``UserError`` otherwise."""
    name = (name or "").strip()
    if len(name) > MAX_NAME:
        raise UserError("bad_name", f"名称超过 {MAX_NAME} 字({len(name)} 字): {shown(name)!r}",
                        f"the name is longer than {MAX_NAME} characters ({len(name)}): {shown(name)!r}",
                        field="name")
    if has_control(name):
        raise UserError("bad_name", f"名称含有换行或不可见的控制字符: {shown(name)!r}",
                        f"the name holds a line break or an invisible control character: {shown(name)!r}",
                        field="name")
    return name


def _check_note(note: str) -> str:
    if has_control(note, lines=True):
        raise UserError("bad_note", f"备注含有不可见的控制字符: {shown(note)!r}",
                        f"the note holds an invisible control character: {shown(note)!r}", field="note")
    return note


def _username(by) -> str:
    user = by if by is not None else context.current().user
    return (getattr(user, "username", "") or "")[:150]


# --------------------------------------------------------------------------- seeding


@dataclass
class SeedReport:
    years_created: list[int] = field(default_factory=list)
    days_created: int = 0
    years_skipped: int = 0
    days_skipped: int = 0

    def summary(self) -> str:
        """One line, 中文 / English."""
        years = self.years_created
        span = f"{years[0]}–{years[-1]}" if years else "-"
        return bilingual(
            f"已导入 {len(years)} 年({span})共 {self.days_created} 天；"
            f"{self.years_skipped} 年已有，保留原录入的 {self.days_skipped} 天",
            f"seeded {self.days_created} days in {len(years)} years ({span}); "
            f"{self.years_skipped} years already present, {self.days_skipped} days kept as entered",
        )


@transaction.atomic
def seed_from_package(*, by=None) -> SeedReport:
    """Seed holidays and make-up workdays from ``chinese_calendar`` (从日历包导入). Idempotent.

    Only years without a ``CalendarYear`` row are seeded, so edits to a seeded year (days
    removed or changed by hand) survive a second run; days already in the table are kept.
    """
    report = SeedReport()
    present = set(CalendarYear.objects.select_for_update().values_list("year", flat=True))
    years = [y for y in seed.package_years() if y not in present]
    report.years_skipped = len(seed.package_years()) - len(years)
    if not years:
        return report
    wanted = set(years)
    days = [d for d in seed.package_days() if d.date.year in wanted]
    existing = set(CalendarDay.objects.filter(date__year__in=years).values_list("date", flat=True))
    note = f"chinesecalendar {seed.package_version()}"
    who = _username(by)
    new_days = [
        CalendarDay(date=d.date, kind=d.kind, name=d.name, source=Source.SEED, updated_by=who)
        for d in days
        if d.date not in existing
    ]
    report.days_skipped = len(days) - len(new_days)
    with context.explicit_audit():
        CalendarYear.objects.bulk_create(
            [CalendarYear(year=y, source=Source.SEED, complete=True, note=note) for y in years]
        )
        CalendarDay.objects.bulk_create(new_days, batch_size=500)
    report.years_created = years
    report.days_created = len(new_days)
    audit.record(
        "workcal.seed",
        actor=by,
        object_type="workcal.calendaryear",
        object_repr=f"{years[0]}–{years[-1]}",
        after={"years": years, "days": len(new_days), "package": note},
    )
    _changed()
    return report


def _ensure_seeded(by) -> None:
    """Before the first manual edit of an empty calendar, keep what the package knows."""
    if not CalendarYear.objects.exists() and not CalendarDay.objects.exists():
        seed_from_package(by=by)


def _changed() -> None:
    """After bulk writes (no model signals); single saves and deletes are covered by signals.py."""
    from .services import clear_calendar_cache

    clear_calendar_cache()
    transaction.on_commit(clear_calendar_cache)


# --------------------------------------------------------------------------- single days


@transaction.atomic
def set_day(
    date: dt.date | str,
    kind: str,
    name: str = "",
    note: str = "",
    *,
    by=None,
) -> CalendarDay:
    """Enter or change one special day (设置节假日/调休日) by hand.

    ``kind`` is ``"holiday"`` (off) or ``"workday"`` (a weekend day that is worked); Chinese
    spellings such as 休/班 are accepted. The day's source becomes ``manual``. A name longer
    than :data:`MAX_NAME` or holding a control character, or a note holding one other than a
    tab or a line break, is refused (:func:`check_name`).
    """
    day = parse_date(date)
    kind = parse_kind(kind)
    name = check_name(name)
    note = _check_note(note or "")
    _ensure_seeded(by)
    obj = CalendarDay.objects.select_for_update().filter(date=day).first()
    before = audit.snapshot(obj) if obj is not None else None
    with context.explicit_audit():
        if obj is None:
            obj = CalendarDay(date=day)
        obj.kind = kind
        obj.name = name
        obj.note = note
        obj.source = Source.MANUAL
        obj.updated_by = _username(by)
        obj.save()
    audit.record("workcal.set_day", obj, before=before, after=audit.snapshot(obj), actor=by)
    return obj


@transaction.atomic
def remove_day(date: dt.date | str, *, by=None) -> None:
    """Remove a special day (删除节假日/调休日): the date follows the weekday rule again."""
    day = parse_date(date)
    _ensure_seeded(by)
    obj = CalendarDay.objects.select_for_update().filter(date=day).first()
    if obj is None:
        raise UserError(
            "day_not_found",
            f"{day.isoformat()} 不是已登记的节假日或调休日",
            f"{day.isoformat()} is not an entered holiday or make-up working day",
            status=404,
            field="date",
        )
    before = audit.snapshot(obj)
    with context.explicit_audit():
        obj.delete()
    audit.record(
        "workcal.remove_day",
        actor=by,
        object_type="workcal.calendarday",
        object_id=str(before.get("id", "")),
        object_repr=day.isoformat(),
        before=before,
    )


@transaction.atomic
def mark_year_complete(
    year: int, complete: bool = True, note: str | None = None, *, by=None
) -> CalendarYear:
    """Mark that ``year``'s official announcement is fully entered (年度安排已录入), or not.

    A complete year stops the Monday–Friday fallback warning for that year.
    """
    year = int(year)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise UserError("bad_year", f"年份无效: {year}", f"invalid year: {year}", field="year")
    _ensure_seeded(by)
    obj = CalendarYear.objects.select_for_update().filter(year=year).first()
    before = audit.snapshot(obj) if obj is not None else None
    with context.explicit_audit():
        if obj is None:
            obj = CalendarYear(year=year, source=Source.MANUAL)
        obj.complete = bool(complete)
        if note is not None:
            obj.note = note
        obj.save()
    audit.record("workcal.mark_year", obj, before=before, after=audit.snapshot(obj), actor=by)
    return obj


# --------------------------------------------------------------------------- CSV import


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    years: list[int] = field(default_factory=list)
    completed: list[int] = field(default_factory=list)

    def summary(self) -> str:
        """One line, 中文 / English."""
        years = ", ".join(map(str, self.years)) or "-"
        zh = f"{years} 年: 新增 {self.created} 天，修改 {self.updated} 天，未变 {self.unchanged} 天"
        en = (f"imported {self.created} new, {self.updated} changed, {self.unchanged} unchanged "
              f"days for {years}")
        if self.completed:
            done = ", ".join(map(str, self.completed))
            zh += f"；已标记录入完整: {done}"
            en += f"; marked complete: {done}"
        return bilingual(zh, en)


def read_days_csv(path: Path | str) -> list[tuple[dt.date, str, str]]:
    """Rows ``(date, kind, name)`` of a CSV ``date,kind,name`` (header optional; UTF-8 with or
    without a BOM, or GB18030/GBK as Excel on a Chinese Windows saves it).

    Every row is checked before anything is written; errors name the line a row starts on. A
    missing file, a directory or an unreadable one is refused as such
    (:func:`~fengqiao.core.sheets.read_text_file`).
    """
    path = Path(path)
    if not path.exists():
        raise UserError("file_not_found", f"文件不存在: {path}", f"file not found: {path}")
    reader = csv.reader(io.StringIO(read_text_file(path), newline=""))
    rows: list[tuple[dt.date, str, str]] = []
    seen: dict[dt.date, int] = {}
    for lineno, cells in _numbered(reader):
        cells = [c.strip() for c in cells]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if lineno == 1 and cells[0].lower() in {"date", "日期"}:
            continue
        if len(cells) < 2:
            raise UserError(
                "bad_row",
                f"第 {lineno} 行: 至少需要日期和类型两列",
                f"line {lineno}: needs at least the date and kind columns",
            )
        try:
            day = parse_date(cells[0])
            kind = parse_kind(cells[1])
            name = check_name(cells[2] if len(cells) > 2 else "")
        except UserError as exc:
            raise UserError(
                exc.code, f"第 {lineno} 行: {exc.zh}", f"line {lineno}: {exc.en}"
            ) from exc
        if day in seen:
            raise UserError(
                "duplicate_date",
                f"第 {lineno} 行: {day} 与第 {seen[day]} 行重复",
                f"line {lineno}: {day} repeats line {seen[day]}",
            )
        seen[day] = lineno
        rows.append((day, kind, name))
    if not rows:
        raise UserError("empty_file", "文件中没有日期", "the file contains no dates")
    return rows


def _numbered(reader):
    """``(line, cells)`` for each record of a CSV ``reader``: the text line it starts on (a
    quoted cell may hold a line break, so records and lines are not counted alike)."""
    end = 0
    try:
        for cells in reader:
            start, end = end + 1, reader.line_num
            yield start, cells
    except csv.Error as exc:
        raise UserError("bad_csv", f"第 {end + 1} 行: CSV 格式错误: {exc}",
                        f"line {end + 1}: malformed CSV: {exc}") from exc


@transaction.atomic
def import_days(
    rows: list[tuple[dt.date, str, str]], *, mark_complete: bool = False, by=None
) -> ImportReport:
    """Enter a year's announcement (导入年度节假日安排) from parsed rows, all or nothing.

    With ``mark_complete`` the years in the rows are marked complete afterwards.
    """
    report = ImportReport()
    _ensure_seeded(by)
    existing = {
        d.date: d
        for d in CalendarDay.objects.select_for_update().filter(date__in=[r[0] for r in rows])
    }
    for day, kind, name in rows:
        kind = parse_kind(kind)
        old = existing.get(day)
        if old is not None and (old.kind, old.name) == (kind, name[:64]):
            report.unchanged += 1
            continue
        set_day(day, kind, name, by=by)
        if old is None:
            report.created += 1
        else:
            report.updated += 1
    report.years = sorted({r[0].year for r in rows})
    if mark_complete:
        for year in report.years:
            mark_year_complete(year, True, by=by)
        report.completed = list(report.years)
    return report
