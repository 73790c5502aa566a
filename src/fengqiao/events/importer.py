"""Bulk import of exported work orders (CSV or Excel with Chinese headers).

A mapping file (JSON) says which header feeds which field and how values translate::

    {"channel": "hotline_12345",
     "columns": {"工单编号": "channel_ref", "诉求标题": "title", "诉求内容": "content", …},
     "values": {"state": {"已办结": "closed", …}, "category": {"噪音扰民": "noise", …}},
     "datetime_formats": ["%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M"]}

Every row goes through :func:`~fengqiao.events.actions.create_event`, so validation is the
same as for the API. The whole file runs in one transaction: a dry run always rolls back and
reports row-level errors; a real import commits only when no row has an error. A row whose
channel reference number is already known is skipped, so importing a file twice creates
nothing new. Within one file an order number may appear once: a second row with the same
number and the same cells is skipped (counted as a repeat), one with different cells is a row
error naming both rows.

Rows are numbered as a spreadsheet shows them: the physical record number, counting blank
rows (the header is row 1 when it is on the first line). A CSV cell may span several text
lines (a quoted line break); from such a record on, a row error also gives the text line the
record starts on, for a user who opens the CSV in a text editor.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from fengqiao.core.errors import UserError
from fengqiao.core.sheets import SheetRow, read_file_bytes, read_sheet
from fengqiao.workcal.calendar import SHANGHAI

from .actions import create_event
from .choices import Channel, State, Urgency
from .models import INTAKE_ROLES, Event

FIELDS = {"channel_ref", "title", "content", "category", "channel", "address", "reporter_name", "reporter_phone",
          "reporter_id_number", "received_at", "occurred_at", "state", "urgency", "longitude", "latitude", "area"}
IMPORTABLE_STATES = {State.RECEIVED, State.ACCEPTED, State.REJECTED, State.CANCELLED, State.CLOSED}
DEFAULT_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d",
                   "%Y/%m/%d", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日"]
#: the stored length of an order number; a longer one is refused, never cut (two different
#: long numbers would otherwise become one matter)
CHANNEL_REF_MAX = Event._meta.get_field("channel_ref").max_length


@dataclass
class RowError:
    row: int
    column: str
    zh: str
    en: str
    line: int = 0  # the CSV text line the record starts on; shown when it is not the row number

    def __str__(self) -> str:
        where = f"row {self.row}"
        if self.line and self.line != self.row:
            where += f" (文本第 {self.line} 行起 / starts on text line {self.line})"
        col = f", {self.column}" if self.column else ""
        return f"{where}{col}: {self.zh} / {self.en}"


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    existing: int = 0
    repeated: int = 0  # rows that repeat an earlier row of the same file cell for cell
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    committed: bool = False

    def summary(self) -> str:
        if self.dry_run:
            mode_zh, mode_en = "试运行，未写入", "dry run"
        elif self.committed:
            mode_zh, mode_en = "已提交", "committed"
        else:
            mode_zh, mode_en = "未写入任何数据", "nothing written"
        zh = f"共 {self.rows} 行: 新建 {self.created}，已导入过 {self.existing}，错误 {len(self.errors)}"
        en = (f"{self.rows} rows: {self.created} new, {self.existing} already imported, "
              f"{len(self.errors)} errors")
        if self.repeated:
            zh += f"，文件内重复行 {self.repeated} (已跳过)"
            en += f", {self.repeated} repeated rows skipped"
        return f"{zh} ({mode_zh}) / {en} ({mode_en})"


#: rows written per transaction (about a second of SQLite's write lock each)
IMPORT_CHUNK = 200


def _row_error(exc: UserError, header_of: dict, src: SheetRow) -> RowError:
    return RowError(src.number, header_of.get(exc.field or "", exc.field or ""), exc.zh, exc.en, src.line)


def _ragged(cells: list, width: int, src: SheetRow) -> RowError | None:
    """A row with fewer cells than the header, or with something in a cell past it: its cells
    would be read under the wrong columns, or lost. Empty cells past the header (a trailing
    comma) are nothing."""
    if len(cells) < width or any(str(c).strip() for c in cells[width:]):
        return RowError(src.number, "", f"该行有 {len(cells)} 个单元格，表头有 {width} 列",
                        f"the row has {len(cells)} cells but the header has {width} columns", src.line)
    return None


def _bad_mapping(zh: str, en: str) -> UserError:
    return UserError("bad_mapping", f"映射文件无效: {zh}", f"invalid mapping file: {en}")


def load_mapping(path: str | Path) -> dict:
    """The mapping as a dict, checked so that no shape of JSON can break the import later."""
    try:
        raw = read_file_bytes(path)  # missing, a directory, unreadable: said as for any file
    except UserError as exc:
        raise UserError("bad_mapping", f"映射文件: {exc.zh}", f"the mapping file: {exc.en}") from exc
    try:
        mapping = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise UserError("bad_mapping", "映射文件应为 UTF-8 编码的 JSON", "the mapping file must be JSON in UTF-8") from exc
    except json.JSONDecodeError as exc:
        raise UserError("bad_mapping", f"映射文件不是有效的 JSON: 第 {exc.lineno} 行第 {exc.colno} 列",
                        f"the mapping file is not valid JSON: line {exc.lineno}, column {exc.colno} ({exc.msg})") from exc
    if not isinstance(mapping, dict):
        raise _bad_mapping("应为 JSON 对象 {…}", "it must be a JSON object {…}")
    columns = mapping.get("columns")
    if not isinstance(columns, dict) or not columns:
        raise UserError("bad_mapping", "映射文件缺少 columns", "the mapping has no 'columns'")
    if not all(isinstance(f, str) for f in columns.values()):
        raise _bad_mapping("columns 的值应为字段名字符串", "the values of 'columns' must be field names (strings)")
    unknown = sorted(set(columns.values()) - FIELDS)
    if unknown:
        raise UserError("bad_mapping", f"映射到未知字段: {unknown}", f"columns mapped to unknown fields: {unknown}")
    if "channel_ref" not in columns.values():
        raise _bad_mapping("没有列映射到 channel_ref (工单编号)", "no column maps to channel_ref (the order number)")
    twice = sorted({f for f in columns.values() if list(columns.values()).count(f) > 1})
    if twice:
        raise _bad_mapping(f"多个列映射到同一字段: {twice}", f"several columns map to the same field: {twice}")
    values = mapping.get("values", {})
    if not isinstance(values, dict):
        raise _bad_mapping("values 应为对象 {字段: {原值: 新值}}", "'values' must be an object {field: {from: to}}")
    for fname, vmap in values.items():
        if fname not in FIELDS:
            raise _bad_mapping(f"values 中有未知字段: {fname}", f"'values' names an unknown field: {fname}")
        if not isinstance(vmap, dict) or not all(isinstance(v, str) for v in vmap.values()):
            raise _bad_mapping(f"values.{fname} 应为对象 {{原值: 新值}} (值为字符串)",
                               f"'values.{fname}' must be an object {{from: to}} of strings")
    formats = mapping.get("datetime_formats")
    if formats is not None and (not isinstance(formats, list) or not all(isinstance(f, str) for f in formats)):
        raise _bad_mapping("datetime_formats 应为字符串列表", "'datetime_formats' must be a list of strings")
    channel = mapping.get("channel", "")
    if channel and channel not in Channel.values:
        raise _bad_mapping(f"未知的来源渠道: {channel}", f"unknown channel: {channel}")
    if not channel and "channel" not in columns.values():
        raise _bad_mapping('没有给出来源渠道: 请设置 "channel" 或把某一列映射到 channel',
                           'no channel: set "channel" or map a column to channel')
    return mapping


def read_rows(path: str | Path) -> tuple[list[str], list[SheetRow]]:
    """Headers and data rows (as text, numbered like a spreadsheet) of a CSV (UTF-8 or
    GB18030) or .xlsx file: :func:`~fengqiao.core.sheets.read_sheet`, and a file with nothing
    in it is an error."""
    header, rows = read_sheet(path)
    if not header:
        raise UserError("bad_file", "文件为空", "the file is empty")
    return header, rows


#: Excel's day 0 (serial numbers count days from it; 1900's false leap day is before any
#: date a work order holds) and the serial numbers read as times: 1950-01-01 to 2099-12-31
EXCEL_EPOCH = dt.datetime(1899, 12, 30)
EXCEL_SERIALS = (18264.0, 73051.0)


def _parse_time(value: str, formats: list[str], *, excel: bool = False):
    """``value`` as an aware datetime (Shanghai time) by the first of ``formats`` that fits.

    In an Excel row (``excel``) a plain number in :data:`EXCEL_SERIALS` is also read: a time
    cell whose format was set to "General" holds the serial number (days since 1899-12-30, the
    fraction the time of day), and Excel shows it as such. A CSV cell holding a number stays
    an error: there the number could mean anything."""
    for fmt in formats:
        try:
            return dt.datetime.strptime(value, fmt).replace(tzinfo=SHANGHAI)
        except ValueError:
            continue
    if excel:
        try:
            serial = float(value)
        except ValueError:
            return None
        if EXCEL_SERIALS[0] <= serial <= EXCEL_SERIALS[1]:
            at = EXCEL_EPOCH + dt.timedelta(days=serial)
            # to the second: a serial's fraction rounds to microseconds off the time typed
            return (at + dt.timedelta(microseconds=500_000)).replace(microsecond=0, tzinfo=SHANGHAI)
    return None


def _row_fields(values: dict[str, str], mapping: dict, header_of: dict[str, str], src: SheetRow) -> tuple[dict, list]:
    errors = []

    def bad(fname: str, zh: str, en: str) -> None:
        errors.append(RowError(src.number, header_of.get(fname, ""), zh, en, src.line))

    vmaps = mapping.get("values") or {}
    formats = mapping.get("datetime_formats") or DEFAULT_FORMATS
    data = {"channel": mapping.get("channel", ""), "title": "", "content": ""}
    for fname, raw in values.items():
        if raw == "":
            continue
        if "\x00" in raw:  # PostgreSQL cannot store it, and it is never meant: refuse, do not guess
            bad(fname, "单元格含有空字符 (NUL, \\0)", "the cell contains a NUL character (\\0)")
            continue
        vmap = vmaps.get(fname) or {}
        value = vmap.get(raw, raw)
        if fname in ("received_at", "occurred_at"):
            parsed = _parse_time(value, formats, excel=src.line == 0)
            if parsed is None:
                bad(fname, f"时间格式无法识别: {raw}", f"not a date/time: {raw}")
                continue
            value = parsed
        elif fname == "channel_ref" and len(value) > CHANNEL_REF_MAX:
            bad(fname, f"工单编号超过 {CHANNEL_REF_MAX} 个字符 ({len(value)})",
                f"the order number is longer than {CHANNEL_REF_MAX} characters ({len(value)})")
            continue
        elif fname == "channel" and value not in Channel.values:
            bad(fname, f"未知的来源渠道: {raw}", f"unknown channel: {raw}")
            continue
        elif fname == "state" and value not in IMPORTABLE_STATES:
            bad(fname, f"无法导入的办理状态: {raw}",
                f"state '{raw}' cannot be imported (map it to one of {', '.join(sorted(IMPORTABLE_STATES))})")
            continue
        elif fname == "urgency" and value not in Urgency.values:
            bad(fname, f"未知的紧急程度: {raw}", f"unknown urgency: {raw}")
            continue
        data[fname] = value
    if not data.get("channel_ref") and not any(e.column == header_of["channel_ref"] for e in errors):
        bad("channel_ref", "缺少工单编号", "the order number is missing")
    return data, errors


def check_importer(by) -> None:
    """Only an active user whose role may take in matters (INTAKE_ROLES) may import them: the
    importer becomes the creator of every matter."""
    if by is None or not by.is_active:
        raise UserError("bad_user", "导入人不存在或已停用", "the importing user does not exist or is inactive")
    if by.role not in INTAKE_ROLES:
        allowed = ", ".join(sorted(INTAKE_ROLES))
        raise UserError("forbidden", f"用户 {by.username} 的角色 ({by.role}) 不能受理事件，不能导入; 可导入的角色: {allowed}",
                        f"user {by.username} (role {by.role}) may not take in matters, so may not import them; "
                        f"roles that may: {allowed}", status=403)


def import_file(path: str | Path, mapping: dict, *, by, dry_run: bool = False) -> ImportReport:
    check_importer(by)
    headers, rows = read_rows(path)
    columns: dict[str, str] = mapping["columns"]
    report = ImportReport(dry_run=dry_run)
    missing = [h for h in columns if h not in headers]
    if missing:
        report.errors.append(RowError(1, ", ".join(missing), f"文件缺少列: {'、'.join(missing)}",
                                      f"columns missing from the file: {', '.join(missing)}"))
        return report
    twice = [h for h in columns if headers.count(h) > 1]
    if twice:
        report.errors.append(RowError(1, ", ".join(twice), f"表头中列名重复: {'、'.join(twice)}",
                                      f"columns named twice in the header: {', '.join(twice)}"))
        return report
    if not rows:
        raise UserError("empty_file", "文件只有表头，没有数据行", "the file has a header but no data rows")
    index = {columns[h]: headers.index(h) for h in columns}
    header_of = {f: h for h, f in columns.items()}
    seen: dict[str, tuple[SheetRow, dict]] = {}  # order number → its first row in this file
    plan: list[tuple[SheetRow, dict]] = []
    # 1. Every row is read and checked (create_event's own checks included) without writing.
    for src in rows:
        report.rows += 1
        row = src.cells
        ragged = _ragged(row, len(headers), src)
        if ragged is not None:
            report.errors.append(ragged)
            continue
        values = {f: row[i] for f, i in index.items()}
        ref = values.get("channel_ref", "")
        if ref and ref in seen:
            first, first_values = seen[ref]
            if first_values == values:
                report.repeated += 1
            else:
                report.errors.append(RowError(
                    src.number, header_of["channel_ref"],
                    f"工单编号 {ref} 与第 {first.number} 行重复，但内容不同",
                    f"order number {ref} repeats row {first.number} with different content", src.line))
            continue
        if ref:
            seen[ref] = (src, values)
        data, errors = _row_fields(values, mapping, header_of, src)
        if errors:
            report.errors += errors
            continue
        if Event.objects.filter(channel=data["channel"], channel_ref=data["channel_ref"]).exists():
            report.existing += 1
            continue
        try:
            create_event(by=by, notify_centre=False, validate_only=True, **data)
        except UserError as exc:
            report.errors.append(_row_error(exc, header_of, src))
            continue
        plan.append((src, data))
    report.created = len(plan)
    if dry_run or report.errors:
        return report
    # 2. Written in chunks, each its own short transaction: on SQLite one transaction over a
    #    large file held the write lock for a minute, and every intake meanwhile failed. The
    #    rows were all checked above, and a run again skips what is in (by order number).
    from fengqiao.triage.service import on_intake

    report.created = 0
    for start in range(0, len(plan), IMPORT_CHUNK):
        made = []
        with transaction.atomic():
            for src, data in plan[start:start + IMPORT_CHUNK]:
                try:  # create_event writes under its own savepoint
                    event, created = create_event(by=by, notify_centre=False, note="批量导入 (bulk import)",
                                                  triage=False, **data)
                except UserError as exc:  # e.g. its order number was taken meanwhile
                    report.errors.append(_row_error(exc, header_of, src))
                    continue
                if created:
                    made.append(event)
                else:
                    report.existing += 1
        report.created += len(made)
        report.committed = True
        for event in made:  # after the commit, as for any intake
            on_intake(event, True)
    return report
