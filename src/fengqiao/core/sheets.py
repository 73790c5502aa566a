"""Spreadsheet files shared by every app: exports (Excel/CSV) and the text of uploaded CSVs."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

#: what a county's CSV comes in: UTF-8 (with or without the BOM Excel writes) or GB18030, which
#: Excel on a Chinese Windows saves ("CSV (逗号分隔)") and which covers GBK and GB2312
TEXT_ENCODINGS = ("utf-8-sig", "gb18030")
XLSX_MAGIC = b"PK\x03\x04"  # an .xlsx file is a zip
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
    from fengqiao.core.errors import UserError

    text = decode_text(read_file_bytes(path))
    if text is None:
        raise UserError("bad_encoding", f"文件不是 UTF-8 或 GB18030/GBK 编码的文本: {path}",
                        f"the file is not UTF-8 or GB18030/GBK text: {path}")
    return text


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
