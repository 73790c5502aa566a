"""Validators of configuration fields an administrator edits in the Django admin (time limits,
rule weights, coordinates, boundaries, calendar dates). The admin's forms run them; a value out
of range is said next to its field instead of being saved (or failing in the database).

Each message is bilingual: the admin shows it as it is, in either language."""

from __future__ import annotations

import datetime as dt
import math

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from shapely.errors import ShapelyError
from shapely.geometry import shape

#: Years the platform's dates may lie in: a working calendar's years, a statistics period
#: (nothing is recorded outside them, and a year 1 or 9999 date overflows a day's arithmetic)
FIRST_YEAR, LAST_YEAR = 1900, 2999


@deconstructible
class Between:
    """A number in ``[low, high]`` (``low`` excluded when ``open_low``); NaN and infinities are
    refused."""

    def __init__(self, low: float, high: float, *, open_low: bool = False):
        self.low, self.high, self.open_low = low, high, open_low

    def __call__(self, value) -> None:
        number = float(value)
        too_low = number <= self.low if self.open_low else number < self.low
        if not math.isfinite(number) or too_low or number > self.high:
            low = f"大于 {self.low:g}" if self.open_low else f"不小于 {self.low:g}"
            low_en = f"more than {self.low:g}" if self.open_low else f"at least {self.low:g}"
            raise ValidationError(f"应{low}且不大于 {self.high:g} / must be {low_en} and at most {self.high:g}",
                                  code="out_of_range")

    def __eq__(self, other) -> bool:
        return isinstance(other, Between) and (self.low, self.high, self.open_low) == (
            other.low, other.high, other.open_low)


def calendar_year(value) -> None:
    """A year the working calendar can hold (a date's year, or a year)."""
    year = value.year if isinstance(value, dt.date) else int(value)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationError(f"年份应在 {FIRST_YEAR}–{LAST_YEAR} 之间 / the year must lie in {FIRST_YEAR}–{LAST_YEAR}",
                              code="out_of_range")


def _holds_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


def json_without_nul(value) -> None:
    """A JSON value (aliases, keywords, a boundary) with no NUL in any of its texts: typed as
    ``\\u0000`` in the admin's box it is no NUL character to the form, and PostgreSQL's JSON
    column refuses it."""
    if _holds_nul(value):
        raise ValidationError("含有不可见的控制字符(NUL) / holds a NUL character", code="invalid")


def _positions(coordinates, depth: int):
    """The [lng, lat] positions of a GeoJSON coordinates array nested ``depth`` deep (3 for a
    Polygon, 4 for a MultiPolygon); ValueError when it is not so nested."""
    if depth == 1:
        if not (isinstance(coordinates, list) and len(coordinates) in (2, 3)):
            raise ValueError("position")
        yield coordinates
        return
    if not isinstance(coordinates, list) or not coordinates:
        raise ValueError("nesting")
    for part in coordinates:
        yield from _positions(part, depth - 1)


def geojson_area(value) -> None:
    """A boundary: a GeoJSON Polygon or MultiPolygon (or a Feature holding one) whose positions
    are numbers, finite longitudes and latitudes, and which encloses an area without crossing
    itself (shapely's ``is_valid``), as the place look-up reads it."""
    message = ("边界应为 GeoJSON 的 Polygon 或 MultiPolygon:坐标为有效经纬度,围成一块面积且不自相交 / the boundary "
               "must be a GeoJSON Polygon or MultiPolygon of valid longitudes and latitudes that encloses an "
               "area without crossing itself")
    if value is None:
        return
    geometry = value.get("geometry") if isinstance(value, dict) and value.get("type") == "Feature" else value
    depth = {"Polygon": 3, "MultiPolygon": 4}.get(geometry.get("type") if isinstance(geometry, dict) else None)
    if depth is None:
        raise ValidationError(message, code="invalid")
    try:
        positions = list(_positions(geometry.get("coordinates"), depth))
        for lng, lat, *_ in positions:
            if not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (lng, lat)):
                raise ValueError("not a number")
            if not (math.isfinite(lng) and math.isfinite(lat) and -180 <= lng <= 180 and -90 <= lat <= 90):
                raise ValueError("range")
        area = shape(geometry)
        if area.is_empty or not area.is_valid or area.area <= 0:
            raise ValueError("no area")
    except (TypeError, ValueError, AttributeError, ShapelyError) as exc:  # shapely's: too few positions
        raise ValidationError(message, code="invalid") from exc
