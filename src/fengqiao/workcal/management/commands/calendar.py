"""``calendar``: the working calendar (工作日历) from the command line."""

from __future__ import annotations

import warnings

from django.core.management.base import BaseCommand
from django.db import DatabaseError, OperationalError, ProgrammingError

from fengqiao.core import context
from fengqiao.core.cli import bilingual, command_error, from_user_error
from fengqiao.core.errors import UserError, shown
from fengqiao.workcal import actions, services
from fengqiao.workcal.calendar import UnknownYearWarning

_WEEKDAYS_ZH = "一二三四五六日"
#: where a year's holiday arrangement came from (``CalendarYear.source``), ``(中文, English)``
_SOURCES = {
    "seed": ("由 chinese-calendar 导入", "seeded from chinese-calendar"),
    "package": ("chinese-calendar 日历包", "chinese-calendar package"),
    "manual": ("手工录入", "entered by hand"),
}


#: PostgreSQL's SQLSTATE for a table that is not there (``undefined_table``)
_UNDEFINED_TABLE = "42P01"


def _missing_table(exc: DatabaseError) -> bool:
    """Whether ``exc`` says a table is not there (``migrate`` not run): SQLite's "no such
    table", PostgreSQL's undefined_table (by its SQLSTATE, whatever language the server speaks)."""
    cause = exc.__cause__
    state = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    text = str(exc)
    return isinstance(exc, (OperationalError, ProgrammingError)) and (
        state == _UNDEFINED_TABLE or "no such table" in text or ("relation" in text and "does not exist" in text))


def database_error(exc: DatabaseError):
    """The command's error for a database error: ``migrate`` when a table is missing, else
    what the database said (its first line). Every write of the calendar is one transaction,
    so nothing of it was written either way."""
    if _missing_table(exc):
        return command_error("数据库缺少数据表，请先运行 migrate", "the database lacks tables; run 'migrate' first")
    said = shown(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__, 200)
    return command_error(f"数据库出错，未写入任何数据: {said}", f"database error, nothing was written: {said}")


def _int(value: str, what_zh: str, what_en: str, minimum: int = 0) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise command_error(
            f"{what_zh}应为整数: {value!r}", f"{what_en} must be a whole number: {value!r}"
        ) from None
    if n < minimum:
        raise command_error(
            f"{what_zh}不能小于 {minimum}: {n}", f"{what_en} must be at least {minimum}: {n}"
        )
    return n


class Command(BaseCommand):
    help = (
        "Working calendar (工作日历): add-working-days, seed, set, remove, show, complete, import."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="sub", required=True, metavar="SUBCOMMAND")
        p = sub.add_parser("add-working-days", help="print the date N working days after DATE")
        p.add_argument("date", metavar="DATE", help="YYYY-MM-DD; counting starts the next day")
        p.add_argument("n", metavar="N", help="number of working days (0 or more)")
        sub.add_parser("seed", help="seed holidays and make-up workdays from chinese-calendar")
        p = sub.add_parser("set", help="enter a holiday or a make-up working day")
        p.add_argument("date", metavar="DATE")
        p.add_argument("kind", metavar="KIND", help="holiday (放假) or workday (调休上班)")
        p.add_argument("--name", default="", help="e.g. 国庆节")
        p.add_argument("--note", default="")
        p = sub.add_parser("remove", help="remove an entered day (it follows Mon–Fri again)")
        p.add_argument("date", metavar="DATE")
        p = sub.add_parser("show", help="list a year's special days and whether it is known")
        p.add_argument("year", metavar="YEAR")
        p = sub.add_parser("complete", help="mark a year's announcement as entered (or --undo)")
        p.add_argument("year", metavar="YEAR")
        p.add_argument("--undo", action="store_true", help="mark it as not entered")
        p = sub.add_parser(
            "import", help="import a CSV 'date,kind,name' (next year's announcement)"
        )
        p.add_argument("file", metavar="FILE")
        p.add_argument(
            "--complete", action="store_true", help="mark the years in the file as entered"
        )

    def handle(self, *args, sub=None, **opts):
        handler = getattr(self, "do_" + sub.replace("-", "_"))
        try:
            with context.acting(channel="cli"):
                handler(**opts)
        except UserError as exc:
            raise from_user_error(exc) from None
        except DatabaseError as exc:
            raise database_error(exc) from None

    # ------------------------------------------------------------------ subcommands

    def _warn_unknown(self, calendar, first: int, last: int) -> None:
        for year in range(first, last + 1):
            if not calendar.is_year_known(year):
                self.stderr.write(bilingual(
                    f"注意: {year} 年节假日安排未录入，按周一至周五计算",
                    f"note: {year}'s holiday arrangement is not entered; Monday–Friday assumed",
                ))

    def do_add_working_days(self, date, n, **_):
        day = actions.parse_date(date)
        count = _int(n, "工作日数", "N")
        calendar = services.get_calendar()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnknownYearWarning)
            try:
                result = calendar.add_working_days(day, count)
            except (ValueError, OverflowError):
                raise command_error("日期超出支持范围", "date out of the supported range") from None
        self._warn_unknown(calendar, day.year, result.year)
        self.stdout.write(result.isoformat())

    def do_seed(self, **_):
        report = actions.seed_from_package()
        self.stdout.write(report.summary())

    def do_set(self, date, kind, name="", note="", **_):
        day = actions.set_day(date, kind, name, note)
        self.stdout.write(f"{day.date.isoformat()} {day.kind} {day.name}".rstrip())

    def do_remove(self, date, **_):
        day = actions.parse_date(date)
        actions.remove_day(day)
        self.stdout.write(bilingual(f"已删除 {day.isoformat()}", f"removed {day.isoformat()}"))

    def do_complete(self, year, undo=False, **_):
        y = _int(year, "年份", "YEAR", minimum=1)
        obj = actions.mark_year_complete(y, not undo)
        if obj.complete:
            self.stdout.write(bilingual(f"{obj.year} 年节假日安排已录入", f"{obj.year}: announcement entered"))
        else:
            self.stdout.write(bilingual(f"{obj.year} 年节假日安排未录入", f"{obj.year}: announcement not entered"))

    def do_show(self, year, **_):
        y = _int(year, "年份", "YEAR", minimum=1)
        if not 1 <= y <= 9999:
            raise command_error(f"年份无效: {y}", f"invalid year: {y}")
        status = services.year_status(y)
        if status.known:
            zh, en = _SOURCES.get(status.source, (status.source, status.source))
            self.stdout.write(bilingual(
                f"{y} 年节假日安排已录入({zh})", f"{y}: holiday arrangement entered ({en})"
            ))
        else:
            self.stdout.write(bilingual(
                f"{y} 年节假日安排未录入，按周一至周五计算",
                f"{y}: holiday arrangement NOT entered, falls back to Monday–Friday",
            ))
        if not status.days:
            self.stdout.write("  " + bilingual("无节假日或调休记录", "no special days"))
        for day, kind, name in status.days:
            label = "放假 holiday" if kind == "holiday" else "上班 workday"
            wd = f"周{_WEEKDAYS_ZH[day.weekday()]} {day:%a}"
            self.stdout.write(f"  {day.isoformat()}  {wd}  {label}  {name}".rstrip())
        holidays = sum(1 for d in status.days if d[1] == "holiday")
        workdays = len(status.days) - holidays
        self.stdout.write(bilingual(
            f"{holidays} 天放假，{workdays} 天调休上班",
            f"{holidays} holidays, {workdays} make-up working days",
        ))

    def do_import(self, file, complete=False, **_):
        rows = actions.read_days_csv(file)
        report = actions.import_days(rows, mark_complete=complete)
        self.stdout.write(report.summary())
