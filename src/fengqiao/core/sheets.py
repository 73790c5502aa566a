"""Spreadsheet exports (Excel/CSV) shared by every app."""

from __future__ import annotations

from collections.abc import Iterable


def safe_cell(value):
    """A cell never starts with a formula character: text typed by citizens (titles,
    addresses) must not run as a formula when an operator opens the export (CSV/Excel injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def safe_row(values: Iterable) -> list:
    return [safe_cell(v) for v in values]
