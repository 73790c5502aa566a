"""KPI formulas (pure): rates are None when there is nothing to divide by, never 0 %."""

from __future__ import annotations


def rate(numerator: int, denominator: int) -> float | None:
    if not denominator:
        return None
    return numerator / denominator


def percent(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value * 100, digits)
