"""Spreadsheet files shared by every app: exports (Excel/CSV), the text of uploaded CSVs and the
rows of a CSV or Excel file an operator hands in (:func:`read_sheet`)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

#: what a county's CSV comes in: UTF-8 (with or without the BOM Excel writes) or GB18030, which
#: Excel on a Chinese Windows saves ("CSV (逗号分隔)") and which covers GBK and GB2312
TEXT_ENCODINGS = ("utf-8-sig", "gb18030")
XLSX_MAGIC = b"PK\x03\x04"  # an .xlsx file is a zip
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # a legacy .xls is an OLE compound file
#: one cell may hold a whole pasted document; the csv module's default limit is 128 KiB
CSV_FIELD_LIMIT = 64 * 2**20
csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))


def read_file_bytes(path: str | Path) -> bytes:
    """The bytes of a file an operator named; a bilingual :class:`UserError` when it is missing
    (``file_not_found``), a directory (``not_a_file``) or unreadable (``unreadable_file``)."""
    from fengqiao.core.errors import UserError

    path = Path(path)
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise UserError("file_not_found", f"文件不存在: {path}", f"no such file: {path}") from exc
    except IsADirectoryError as exc:
        raise UserError("not_a_file", f"这是一个目录，不是文件: {path}", f"this is a directory, not a file: {path}") from exc
    except OSError as exc:
        raise UserError("unreadable_file", f"无法读取文件: {path}: {exc.strerror}",
                        f"cannot read the file: {path}: {exc.strerror}") from exc


def read_text_file(path: str | Path) -> str:
    """The text of a CSV file an operator named, in one of :data:`TEXT_ENCODINGS`; a bilingual
    :class:`UserError` when it cannot be read or is in another encoding."""
    text = decode_text(read_file_bytes(path))
    if text is None:
        raise _bad_encoding(path)
    return text


def _bad_encoding(path: str | Path):
    from fengqiao.core.errors import UserError

    return UserError("bad_encoding", f"文件不是 UTF-8 或 GB18030/GBK 编码的文本: {path}",
                     f"the file is not UTF-8 or GB18030/GBK text: {path}")


@dataclass
class SheetRow:
    """One record of a CSV or Excel sheet: its row number as a spreadsheet shows it (the first
    row is 1, blank rows count), the CSV text line it starts on (0 for Excel) and its cells as
    text with the spaces around them taken off."""

    number: int
    line: int
    cells: list[str]


def read_sheet(path: str | Path) -> tuple[list[str], list[SheetRow]]:
    """The header and the data rows of a CSV file (UTF-8 with or without BOM, or GB18030/GBK;
    comma- or tab-separated, see :func:`delimiter`) or of the first worksheet of an .xlsx file
    (also when it is named .csv).

    The header is the first row that is not blank; blank rows (no cell with anything but
    spaces) are left out but keep their numbers, so a row error can name the row a spreadsheet
    shows. A file with no non-blank row gives ``([], [])``; what that means is the caller's to
    say. Excel dates and times read as ``YYYY-MM-DD HH:MM:SS``, numbers as Python writes them.
    A file that cannot be read is a bilingual :class:`~fengqiao.core.errors.UserError`:
    ``file_not_found``, ``not_a_file``, ``unreadable_file`` (see :func:`read_file_bytes`),
    ``bad_encoding``, ``bad_file`` (a damaged Excel file or malformed CSV)."""
    path = Path(path)
    raw = read_file_bytes(path)
    if raw.startswith(XLS_MAGIC):
        from fengqiao.core.errors import UserError

        raise UserError("bad_file", f"旧版 Excel(.xls)文件不能读取,请另存为 .xlsx 或 CSV: {path.name}",
                        f"a legacy Excel (.xls) file cannot be read; save it as .xlsx or CSV: {path.name}")
    if raw.startswith(XLSX_MAGIC):  # by its content: an .xlsx named .csv, a CSV named .xlsx
        records = _xlsx_records(raw, path)
    else:
        records = _csv_records(raw, path)
    rows = [r for r in records if any(r.cells)]
    if not rows:
        return [], []
    header, *rows = rows
    return header.cells, rows


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value).strip()


def _xlsx_records(raw: bytes, path: Path) -> list[SheetRow]:
    import openpyxl

    from fengqiao.core.errors import UserError

    try:  # read-only mode parses lazily, so a damaged sheet can fail while iterating
        # from the bytes: openpyxl goes by the name and refuses an .xlsx saved as .csv
        wb = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        try:
            # openpyxl yields every row from row 1, empty ones too: enumerate gives Excel's row number
            return [SheetRow(n, 0, [_cell_text(v) for v in r])
                    for n, r in enumerate(wb.worksheets[0].iter_rows(values_only=True), start=1)]
        finally:
            wb.close()
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise UserError("bad_file", f"无法读取 Excel 文件 {path}: {exc}",
                        f"cannot read the Excel file {path}: {exc}") from exc


def _csv_records(raw: bytes, path: Path) -> list[SheetRow]:
    from fengqiao.core.errors import UserError

    text = decode_text(raw)
    if text is None:
        raise _bad_encoding(path)
    # newline="": the csv module sees \r\n, \n and \r line ends and quoted line breaks as they are
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter(text, path.name))
    records: list[SheetRow] = []
    end = 0  # the text line the previous record ended on
    try:
        for cells in reader:  # a blank line is an empty record: it still counts as a row
            records.append(SheetRow(len(records) + 1, end + 1, [c.strip() for c in cells]))
            end = reader.line_num
    except csv.Error as exc:
        line = reader.line_num
        raise UserError("bad_file", f"CSV 格式错误 ({path} 文本第 {line} 行): {exc}",
                        f"malformed CSV ({path}, text line {line}): {exc}") from exc
    return records


def decode_text(raw: bytes) -> str | None:
    """The text of an uploaded CSV in the first of :data:`TEXT_ENCODINGS` that reads it, or
    ``None`` when none does."""
    for enc in TEXT_ENCODINGS:
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return None


def delimiter(text: str, name: str = "") -> str:
    """A tab for a .tsv file or one whose header line has tabs and no commas; else a comma."""
    end = text.find("\n")
    first = text if end < 0 else text[:end]  # the header line only, not a copy of the whole file
    if name.lower().endswith((".tsv", ".tab")) or ("\t" in first and "," not in first):
        return "\t"
    return ","


def safe_cell(value):
    """A value every export can write and nobody can be harmed by opening.

    * Control characters (C0 except tab, newline and carriage return) are dropped: text pasted
      from other systems carries them (a bell, a vertical tab), they show as nothing, and
      openpyxl refuses to write them, so one such matter would break the export of the whole
      jurisdiction.
    * A cell never starts with a formula character: text typed by citizens (titles, addresses)
      must not run as a formula when an operator opens the export (CSV/Excel injection)."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
            return "'" + value
    return value


def safe_row(values: Iterable) -> list:
    return [safe_cell(v) for v in values]
