"""Plausible, generated boundaries for an area tree that has no surveyed polygons. Pure.

Official division data carries codes and names but no geometry. For the demo and for
first-day use, each level's children are laid out as a lattice of rectangles inside the
parent's rectangle, so polygons tessellate (every point falls in exactly one grid) and the
map has something honest to draw. Real boundaries replace these when a county imports them.
"""

from __future__ import annotations

import math

Rect = tuple[float, float, float, float]  # min_lng, min_lat, max_lng, max_lat


def split_lattice(rect: Rect, n: int) -> list[Rect]:
    """Split a rectangle into ``n`` cells of a near-square lattice, row by row."""
    if n <= 0:
        return []
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    x0, y0, x1, y1 = rect
    w = (x1 - x0) / cols
    h = (y1 - y0) / rows
    cells = []
    for i in range(n):
        r, c = divmod(i, cols)
        # The last row stretches its cells so the parent is covered without gaps.
        in_row = cols if r < rows - 1 else n - cols * (rows - 1)
        cw = (x1 - x0) / in_row if r == rows - 1 else w
        cx0 = x0 + c * cw
        cy1 = y1 - r * h
        cells.append((round(cx0, 6), round(cy1 - h, 6), round(cx0 + cw, 6), round(cy1, 6)))
    return cells


def split_strips(rect: Rect, n: int) -> list[Rect]:
    """Split a rectangle into ``n`` vertical strips (grids inside a village)."""
    x0, y0, x1, y1 = rect
    w = (x1 - x0) / n
    return [(round(x0 + i * w, 6), y0, round(x0 + (i + 1) * w, 6), y1) for i in range(n)]


def rect_around(lng: float, lat: float, half_width: float, half_height: float) -> Rect:
    return (lng - half_width, lat - half_height, lng + half_width, lat + half_height)


def to_geojson(rect: Rect) -> dict:
    x0, y0, x1, y1 = rect
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def centre(rect: Rect) -> tuple[float, float]:
    x0, y0, x1, y1 = rect
    return round((x0 + x1) / 2, 6), round((y0 + y1) / 2, 6)


def grid_count(code: str, low: int = 3, high: int = 8) -> int:
    """A stable pseudo-random number of grids for a village (same code → same count)."""
    h = 0
    for ch in code:
        h = (h * 131 + ord(ch)) % 1_000_003
    return low + h % (high - low + 1)
