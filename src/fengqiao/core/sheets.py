"""Spreadsheet exports (Excel/CSV) shared by every app."""

from __future__ import annotations

from collections.abc import Iterable

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE


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
