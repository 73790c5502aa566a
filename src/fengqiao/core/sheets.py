"""Spreadsheet files shared by every app: exports (Excel/CSV) and the text of uploaded CSVs."""

from __future__ import annotations

import csv
from collections.abc import Iterable

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

#: what a county's CSV comes in: UTF-8 (with or without the BOM Excel writes) or GB18030, which
#: Excel on a Chinese Windows saves ("CSV (逗号分隔)") and which covers GBK and GB2312
TEXT_ENCODINGS = ("utf-8-sig", "gb18030")
XLSX_MAGIC = b"PK\x03\x04"  # an .xlsx file is a zip
#: one cell may hold a whole pasted document; the csv module's default limit is 128 KiB
CSV_FIELD_LIMIT = 64 * 2**20
csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))


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
