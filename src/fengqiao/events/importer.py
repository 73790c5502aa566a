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
nothing new.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from fengqiao.core.errors import UserError
from fengqiao.core.sheets import decode_text, delimiter
from fengqiao.workcal.calendar import SHANGHAI

from .actions import create_event
from .choices import Channel, State, Urgency
from .models import Event

FIELDS = {"channel_ref", "title", "content", "category", "channel", "address", "reporter_name", "reporter_phone",
          "reporter_id_number", "received_at", "occurred_at", "state", "urgency", "longitude", "latitude", "area"}
IMPORTABLE_STATES = {State.RECEIVED, State.ACCEPTED, State.REJECTED, State.CANCELLED, State.CLOSED}
DEFAULT_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d",
                   "%Y/%m/%d", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日"]


@dataclass
class RowError:
    row: int
    column: str
    zh: str
    en: str

    def __str__(self) -> str:
        col = f", {self.column}" if self.column else ""
        return f"row {self.row}{col}: {self.zh} ({self.en})"


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    existing: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    committed: bool = False

    def summary(self) -> str:
        mode = "dry run" if self.dry_run else ("committed" if self.committed else "nothing written")
        return (f"{self.rows} rows: {self.created} new, {self.existing} already imported, "
                f"{len(self.errors)} errors ({mode})")


class _Rollback(Exception):
    pass


def load_mapping(path: str | Path) -> dict:
    try:
        mapping = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError("bad_mapping", f"映射文件无法读取: {exc}", f"cannot read the mapping file: {exc}") from exc
    columns = mapping.get("columns")
    if not isinstance(columns, dict) or not columns:
        raise UserError("bad_mapping", "映射文件缺少 columns", "the mapping has no 'columns'")
    unknown = sorted(set(columns.values()) - FIELDS)
    if unknown:
        raise UserError("bad_mapping", f"映射到未知字段: {unknown}", f"columns mapped to unknown fields: {unknown}")
    return mapping


def read_rows(path: str | Path) -> tuple[list[str], list[list[str]]]:
    """Headers and data rows (as text) of a CSV (UTF-8 or GB18030) or .xlsx file."""
    path = Path(path)
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        import openpyxl

        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise UserError("bad_file", f"无法读取Excel文件: {exc}", f"cannot read the Excel file: {exc}") from exc
        ws = wb.worksheets[0]
        rows = [["" if v is None else (v.strftime("%Y-%m-%d %H:%M:%S") if isinstance(v, dt.datetime) else str(v))
                 for v in r] for r in ws.iter_rows(values_only=True)]
        wb.close()
    else:
        text = decode_text(path.read_bytes())
        if text is None:
            raise UserError("bad_file", "文件编码无法识别", "the file is neither UTF-8 nor GB18030")
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter(text, path.name)))
    rows = [r for r in rows if any(str(c).strip() for c in r)]
    if not rows:
        raise UserError("bad_file", "文件为空", "the file is empty")
    return [str(h).strip() for h in rows[0]], [[str(c).strip() for c in r] for r in rows[1:]]


def _parse_time(value: str, formats: list[str]):
    for fmt in formats:
        try:
            return dt.datetime.strptime(value, fmt).replace(tzinfo=SHANGHAI)
        except ValueError:
            continue
    return None


def _row_fields(values: dict[str, str], mapping: dict, header_of: dict[str, str], rownum: int) -> tuple[dict, list]:
    errors = []
    vmaps = mapping.get("values", {})
    formats = mapping.get("datetime_formats") or DEFAULT_FORMATS
    data = {"channel": mapping.get("channel", ""), "title": "", "content": ""}
    for fname, raw in values.items():
        if raw == "":
            continue
        vmap = vmaps.get(fname) or {}
        value = vmap.get(raw, raw)
        if fname in ("received_at", "occurred_at"):
            parsed = _parse_time(value, formats)
            if parsed is None:
                errors.append(RowError(rownum, header_of[fname], f"时间格式无法识别: {raw}", f"not a date/time: {raw}"))
                continue
            value = parsed
        elif fname == "channel" and value not in Channel.values:
            errors.append(RowError(rownum, header_of[fname], f"未知的来源渠道: {raw}", f"unknown channel: {raw}"))
            continue
        elif fname == "state" and value not in IMPORTABLE_STATES:
            errors.append(RowError(rownum, header_of[fname], f"无法导入的办理状态: {raw}",
                                   f"state '{raw}' cannot be imported (map it to one of "
                                   f"{', '.join(sorted(IMPORTABLE_STATES))})"))
            continue
        elif fname == "urgency" and value not in Urgency.values:
            errors.append(RowError(rownum, header_of[fname], f"未知的紧急程度: {raw}", f"unknown urgency: {raw}"))
            continue
        data[fname] = value
    if not data.get("channel_ref"):
        errors.append(RowError(rownum, header_of.get("channel_ref", ""), "缺少工单编号", "the order number is missing"))
    return data, errors


def import_file(path: str | Path, mapping: dict, *, by, dry_run: bool = False) -> ImportReport:
    headers, rows = read_rows(path)
    columns: dict[str, str] = mapping["columns"]
    report = ImportReport(dry_run=dry_run)
    missing = [h for h in columns if h not in headers]
    if missing:
        report.errors.append(RowError(1, ", ".join(missing), f"文件缺少列: {'、'.join(missing)}",
                                      f"columns missing from the file: {', '.join(missing)}"))
        return report
    index = {columns[h]: headers.index(h) for h in columns}
    header_of = {f: h for h, f in columns.items()}
    try:
        with transaction.atomic():
            for n, row in enumerate(rows, start=2):
                report.rows += 1
                values = {f: (row[i] if i < len(row) else "") for f, i in index.items()}
                data, errors = _row_fields(values, mapping, header_of, n)
                if errors:
                    report.errors += errors
                    continue
                if Event.objects.filter(channel=data["channel"], channel_ref=data["channel_ref"]).exists():
                    report.existing += 1
                    continue
                try:  # create_event writes under its own savepoint
                    _event, created = create_event(by=by, notify_centre=False, note="批量导入 (bulk import)", **data)
                except UserError as exc:
                    report.errors.append(RowError(n, header_of.get(exc.field or "", exc.field or ""), exc.zh, exc.en))
                    continue
                if created:
                    report.created += 1
                else:
                    report.existing += 1
            if dry_run or report.errors:
                raise _Rollback
            report.committed = True
    except _Rollback:
        pass
    return report
