"""The evaluation's map (考评地图): the area units of a ranking (a county's towns, a town's villages)
as GeoJSON features, each with its score, rank and the figures the map colours by, and for each
figure its colour classes (the legend). Departments have no place: they are not on the map.

- The boundaries are read in one query, ``Area.objects.restrict(user, "view")`` for the codes of
  the ranking, outside :func:`.query.evaluate` (whose number of queries is fixed): the page adds
  that one query. A unit the user may not see, or without a boundary, is not drawn.
- The figures are those of ``data``: the live ones, or a publication's frozen copy (the
  boundaries are today's geometry).
- The page embeds the result (``json_script``), so its size is bounded: coordinates rounded to 5
  decimals (about a metre), and a boundary of more than :data:`MAX_POINTS` vertices simplified.
"""

from __future__ import annotations

import itertools
import math

from django.utils.translation import gettext as _

from fengqiao.areas.models import Area
from fengqiao.web.kpi import percent

from .formulas import AREA, BY_CODE, display
from .labels import name

SCORE = "score"
#: what the map can be coloured by, after the score (the select's options, in order)
INDICATORS = ("resolve_on_time_rate", "satisfaction_rate", "overdue", "key_person_visit_rate", "inspection_rate")
#: best → worst: ColorBrewer RdYlBu (5 classes), told apart also by the colour-blind
PALETTE = ("#2c7bb6", "#abd9e9", "#ffffbf", "#fdae61", "#d7191c")
#: a unit without a figure
NO_FIGURE = "#cbd2d9"
#: the class limits of the score and the rates (in per cent), best class first
STEPS = (90, 80, 70, 60)
DIGITS = 5
MAX_POINTS = 500  # vertices of one unit's boundary on the page


# ---------------------------------------------------------------- colour classes (the legend)

def _steps(unit: str = "") -> list[dict]:
    """0–100 in five classes, higher is better: ≥ 90, 80–90, 70–80, 60–70, < 60."""
    classes = [{"lo": STEPS[0], "hi": None, "label": f"≥ {STEPS[0]}{unit}"}]
    classes += [{"lo": lo, "hi": hi, "label": f"{lo}–{hi}{unit}"} for hi, lo in itertools.pairwise(STEPS)]
    classes.append({"lo": None, "hi": STEPS[-1], "label": f"< {STEPS[-1]}{unit}"})
    return [{**c, "colour": colour} for c, colour in zip(classes, PALETTE, strict=True)]


def _count_classes(worst: int) -> list[dict]:
    """A count where lower is better (overdue): 0 the best class, then 1 … the largest count of
    the ranking in up to four classes of about equal width, the largest the worst colour (as
    the score normalises it against the worst unit)."""
    classes = [{"lo": None, "hi": 1, "label": "0"}]
    tops = sorted({math.ceil(worst * k / 4) for k in range(1, 5)} - {0})
    lo = 1
    for top in tops:
        classes.append({"lo": lo, "hi": None if top == tops[-1] else top + 1,
                        "label": str(lo) if lo == top else f"{lo}–{top}"})
        lo = top + 1
    colours = PALETTE[:1] + PALETTE[len(PALETTE) - len(classes) + 1:]
    return [{**c, "colour": colour} for c, colour in zip(classes, colours, strict=True)]


def classes(code: str, worst: int | None = None) -> list[dict]:
    """The colour classes of a figure, best first: ``lo`` ≤ value < ``hi`` (``None``: open),
    with its colour and its legend label. Values as :func:`value` gives them."""
    if code == SCORE:
        return _steps()
    ind = BY_CODE[code]
    if ind.kind == "rate":
        return _steps("%")
    return _count_classes(int(worst or 0))


def value(code: str, row: dict) -> float | int | None:
    """A unit's figure as the map colours it: the score (0–100), a rate in per cent (one
    decimal, as printed), a count."""
    if code == SCORE:
        return row.get("score")
    v = (row.get("values") or {}).get(code)
    if v is None:
        return None
    return percent(v) if BY_CODE[code].kind == "rate" else v


def text(code: str, row: dict) -> str:
    """The figure as the table prints it; — for none."""
    if code == SCORE:
        return "—" if row.get("score") is None else str(row["score"])
    return display(BY_CODE[code], (row.get("values") or {}).get(code))


# ---------------------------------------------------------------- geometry

def _points(geometry: dict) -> int:
    coords = geometry.get("coordinates") or []
    polygons = coords if geometry.get("type") == "MultiPolygon" else [coords]
    return sum(len(ring) for polygon in polygons for ring in polygon)


def _round_ring(ring) -> list | None:
    out: list[list[float]] = []
    for point in ring:
        p = [round(float(point[0]), DIGITS), round(float(point[1]), DIGITS)]
        if not out or out[-1] != p:
            out.append(p)
    if out and out[0] != out[-1]:
        out.append(out[0])
    return out if len(out) >= 4 else None  # a ring that rounding collapsed is left out


def _round_polygon(polygon) -> list | None:
    rings = [_round_ring(r) for r in polygon]
    if not rings or rings[0] is None:
        return None
    return [r for r in rings if r is not None]


def _shape(geometry: dict | None):
    """The boundary as a shapely geometry, or ``None`` when it is not a (Multi)Polygon."""
    from shapely.geometry import shape

    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        return None
    try:
        g = shape(geometry)
    except (ValueError, TypeError, IndexError, AttributeError):  # malformed coordinates
        return None
    return None if g.is_empty else g


def geometry(boundary: dict | None) -> tuple[dict | None, list[float] | None]:
    """The boundary for the page: rounded to :data:`DIGITS` decimals, simplified (shapely,
    the tolerance doubled from 10⁻⁵ degrees) while it has more than :data:`MAX_POINTS` vertices;
    and a point inside it for the unit's label (``[lat, lng]``). ``None`` for what is not a
    polygon."""
    from shapely.errors import GEOSException
    from shapely.geometry import mapping

    g = _shape(boundary)
    if g is None:
        return None, None
    if _points(boundary) > MAX_POINTS:
        tolerance = 10.0 ** -DIGITS
        simple = g
        try:
            while _points(mapping(simple)) > MAX_POINTS and tolerance < 1:
                simple = g.simplify(tolerance, preserve_topology=True)
                tolerance *= 2
        except GEOSException:  # an invalid boundary (self-crossing): drawn as it is, rounded
            simple = g
        if not simple.is_empty:
            g = simple
    gj = mapping(g)
    if gj["type"] == "Polygon":
        coords = _round_polygon(gj["coordinates"])
        out = None if coords is None else {"type": "Polygon", "coordinates": coords}
    else:
        polygons = [p for p in (_round_polygon(p) for p in gj["coordinates"]) if p is not None]
        out = {"type": "MultiPolygon", "coordinates": polygons} if polygons else None
    if out is None:
        return None, None
    try:
        inside = g.representative_point()
        lat, lng = inside.y, inside.x
    except GEOSException:
        x0, y0, x1, y1 = g.bounds
        lat, lng = (y0 + y1) / 2, (x0 + x1) / 2
    return out, [round(lat, DIGITS), round(lng, DIGITS)]


# ---------------------------------------------------------------- the map of a ranking

def unit_map(user, data: dict | None) -> dict | None:
    """The map of ``data``'s area ranking as a GeoJSON FeatureCollection (one feature per ranked
    unit the user may see, in ranking order), with ``indicators`` (the select's options, each
    with its colour classes), ``none`` (the colour and label of a unit without a figure),
    ``labels`` and ``missing`` (the names of ranked units the user may see that have no usable
    boundary; units it may not see are neither drawn nor named). ``None`` when the data has no
    area ranking. One query."""
    group = next((g for g in (data or {}).get("groups", []) if g.get("kind") == AREA and g.get("rows")), None)
    if group is None:
        return None
    rows = group["rows"]
    known = set((data or {}).get("indicators") or BY_CODE)
    codes = [SCORE] + [c for c in INDICATORS if c in known and c in BY_CODE]
    worst = max((value("overdue", r) or 0 for r in rows), default=0)
    # the visible units of the ranking (with or without a boundary): one query
    boundaries = dict(Area.objects.restrict(user, "view").filter(code__in=[r["unit"]["code"] for r in rows])
                      .values_list("code", "boundary"))
    features, missing = [], []
    for r in rows:
        unit = r["unit"]
        if unit["code"] not in boundaries:
            continue  # outside what the user may see (a county's publication read by a town): not named
        geom, label = geometry(boundaries[unit["code"]])
        if geom is None:
            missing.append(unit["name"])
            continue
        features.append({"type": "Feature", "geometry": geom, "properties": {
            "code": unit["code"], "name": unit["name"], "level": unit.get("level"), "rank": r.get("rank"),
            "score": r.get("score"), "label": label,
            "values": {c: value(c, r) for c in codes}, "text": {c: text(c, r) for c in codes},
        }})
    return {
        "type": "FeatureCollection", "features": features, "level": group.get("level"),
        "indicators": [{"code": c, "name": _("Score") if c == SCORE else name(c, data),
                        "classes": classes(c, worst)} for c in codes],
        "none": {"colour": NO_FIGURE, "label": "— " + _("no figure")},
        "labels": {"score": _("Score"), "rank": _("Rank")},
        "missing": missing,
    }
