"""The arithmetic of a track: its length, and which points lie inside the patrol's area.

A phone's fixes wander. The length counts only fixes good enough to walk by
(:data:`MAX_ACCURACY_M`) and skips a fix that would mean moving faster than
:data:`MAX_SPEED_MPS` from the last one kept (a jump of the fix, not a walk), so standing
still under trees does not add kilometres."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

#: mean radius of the earth (m)
EARTH_RADIUS_M = 6_371_008.8
#: a fix whose error estimate is larger is kept in the track but not measured
MAX_ACCURACY_M = 100.0
#: faster than this (m/s, 108 km/h) from the last fix kept is a jump of the fix
MAX_SPEED_MPS = 30.0
#: steps shorter than this are the fix wandering while the patroller stands
MIN_STEP_M = 3.0


def metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance between two positions (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def _jump(a, b) -> bool:
    """Whether going from fix ``a`` to fix ``b`` (``(at, lon, lat)``) is faster than a patrol goes."""
    seconds = (b[0] - a[0]).total_seconds()
    return seconds > 0 and metres(a[1], a[2], b[1], b[2]) / seconds > MAX_SPEED_MPS


def track_length(points: Iterable[Sequence]) -> float:
    """The walked length (m) of ``points``: ``(at, longitude, latitude, accuracy_m)`` in time order.

    Steps are measured from the last fix kept. A fix that would be a jump from it is set aside;
    if the next fix follows plausibly from the one set aside, the fix kept was the wrong one (a
    stale first fix, say) and the track goes on from there, adding nothing for the jump."""
    total = 0.0
    last = aside = None
    for at, lon, lat, acc in points:
        if acc is not None and acc > MAX_ACCURACY_M:
            continue
        fix = (at, lon, lat)
        if last is None:
            last = fix
            continue
        if _jump(last, fix):
            if aside is not None and not _jump(aside, fix):
                last, aside = fix, None  # two fixes agree elsewhere: go on from there
            else:
                aside = fix
            continue
        aside = None
        step = metres(last[1], last[2], lon, lat)
        if step < MIN_STEP_M:
            continue  # standing still; measured from the same fix until it moves
        total += step
        last = fix
    return total


class Boundary:
    """An area's boundary (GeoJSON), prepared for many point-in-polygon tests; ``contains``
    answers none when there is no readable boundary."""

    def __init__(self, geojson):
        self.geometry = None
        if geojson:
            try:
                import shapely
                from shapely.geometry import shape

                geometry = shape(geojson)
                if not geometry.is_empty:
                    shapely.prepare(geometry)
                    self.geometry = geometry
            except Exception:  # an unreadable boundary measures nothing, it stops nothing
                self.geometry = None

    def contains(self, points: Sequence[tuple[float, float]]) -> list[bool] | None:
        """For each ``(longitude, latitude)``: inside (or on) the boundary."""
        if self.geometry is None:
            return None
        if not points:
            return []
        import numpy as np
        import shapely

        xs = np.fromiter((p[0] for p in points), float, len(points))
        ys = np.fromiter((p[1] for p in points), float, len(points))
        return [bool(v) for v in shapely.intersects_xy(self.geometry, xs, ys)]
