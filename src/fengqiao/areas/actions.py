"""Writes to the area tree: import from official division CSVs, generate grids."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from fengqiao.core import audit, context
from fengqiao.core.errors import UserError

from . import layout
from .models import Area, Department, Level, subtree_q

# Known centres for counties we ship data for; others take --center or a neutral default.
COUNTY_CENTRES = {"331022": (121.395, 29.105), "331081": (121.42, 28.66), "411200": (111.2, 34.77)}
COUNTY_HALF_SIZE = (0.16, 0.13)  # degrees: roughly 30 km x 30 km

_LEVELS = {"county": Level.COUNTY, "township": Level.TOWN, "village": Level.VILLAGE}


@dataclass
class ImportReport:
    county: str = ""
    created: dict[str, int] = field(default_factory=lambda: {"county": 0, "town": 0, "village": 0})
    updated: int = 0
    unchanged: int = 0
    #: codes whose parent differs in the file: not moved (the paths of the node, its grids and
    #: its matters would all change); reported for an administrator to handle
    not_moved: list[str] = field(default_factory=list)

    def summary(self) -> str:
        c = self.created
        return (
            f"{self.county}: created {c['county']} county, {c['town']} towns, {c['village']} villages; "
            f"updated {self.updated}, unchanged {self.unchanged}"
            + (f"; not moved to a new parent (移动上级未执行): {', '.join(self.not_moved)}" if self.not_moved else "")
        )


def default_aliases(name: str) -> list[str]:
    """Everyday names of an official name: 城西村委会 → 城西村, 健中居委会 → 健中社区 …"""
    out: list[str] = []
    if name.endswith("村委会"):
        out.append(name[:-2])
    elif name.endswith("居委会"):
        out += [name[:-3] + "社区", name[:-3] + "居委"]
    elif name.endswith("村民委员会"):
        out.append(name[:-4])
    elif name.endswith("居民委员会"):
        out.append(name[:-5] + "社区")
    return [a for a in out if len(a) >= 2 and a != name]


def read_division_rows(path: Path, county_code: str) -> list[dict]:
    """Rows of an official division CSV (level,code,name,parent_code,…) for one county."""
    if not path.exists():
        raise UserError("file_not_found", f"文件不存在: {path}", f"file not found: {path}")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {"level", "code", "name", "parent_code"} - set(reader.fieldnames or [])
        if missing:
            cols = ", ".join(sorted(missing))
            raise UserError("bad_columns", f"缺少列: {cols}", f"missing columns: {cols}")
        rows = []
        for row in reader:
            level = _LEVELS.get(row["level"].strip())
            code = row["code"].strip()
            if level is None or not code.startswith(county_code):
                continue
            if level == Level.COUNTY and code != county_code:
                continue
            rows.append({"level": level, "code": code, "name": row["name"].strip(), "parent": row["parent_code"].strip()})
    if not any(r["level"] == Level.COUNTY for r in rows):
        raise UserError("county_not_found", f"文件中没有区县代码 {county_code}", f"county code {county_code} is not in the file")
    order = {Level.COUNTY: 0, Level.TOWN: 1, Level.VILLAGE: 2}
    rows.sort(key=lambda r: (order[r["level"]], r["code"]))
    return rows


@transaction.atomic
def import_divisions(path: Path, county_code: str, *, center: tuple[float, float] | None = None, by=None) -> ImportReport:
    """Create or update the county, town and village levels of one county. Idempotent."""
    rows = read_division_rows(Path(path), county_code)
    report = ImportReport(county=county_code)
    existing = {a.code: a for a in Area.objects.filter(subtree_q(f"/{county_code}/"))}
    by_code: dict[str, Area] = dict(existing)
    lng, lat = center or COUNTY_CENTRES.get(county_code, (120.0, 30.0))
    county_rect = layout.rect_around(lng, lat, *COUNTY_HALF_SIZE)
    towns = [r for r in rows if r["level"] == Level.TOWN]
    town_rects = dict(zip([t["code"] for t in towns], layout.split_lattice(county_rect, len(towns)), strict=True))
    village_rects: dict[str, layout.Rect] = {}
    for t in towns:
        vs = [r for r in rows if r["level"] == Level.VILLAGE and r["parent"] == t["code"]]
        village_rects.update(zip([v["code"] for v in vs], layout.split_lattice(town_rects[t["code"]], len(vs)), strict=True))
    rects = {county_code: county_rect, **town_rects, **village_rects}

    with context.explicit_audit():
        for r in rows:
            parent = by_code.get(r["parent"]) if r["level"] != Level.COUNTY else None
            if r["level"] != Level.COUNTY and parent is None:
                continue  # orphan row: its parent is not in this county's file
            path_ = (parent.path if parent else "/") + r["code"] + "/"
            rect = rects.get(r["code"])
            area = by_code.get(r["code"])
            if area is None:
                clng, clat = layout.centre(rect) if rect else (None, None)
                area = Area.objects.create(
                    code=r["code"], name=r["name"], level=r["level"], parent=parent, path=path_,
                    depth=path_.strip("/").count("/"), center_lng=clng, center_lat=clat,
                    boundary=layout.to_geojson(rect) if rect else None, aliases=default_aliases(r["name"]),
                )
                by_code[area.code] = area
                report.created[str(r["level"])] += 1
            else:
                if area.path != path_:
                    report.not_moved.append(area.code)
                if area.name != r["name"]:
                    area.name = r["name"]
                    area.save(update_fields=["name"])
                    report.updated += 1
                else:
                    report.unchanged += 1
        audit.record(
            "import_areas", object_type="areas.area", object_id=county_code,
            object_repr=f"division import {Path(path).name}", after={"summary": report.summary()}, actor=by,
        )
    return report


@transaction.atomic
def generate_grids(root: Area, *, low: int = 3, high: int = 8, micro_per_grid: int = 0, by=None) -> dict[str, int]:
    """Create 网格 (and optionally 微网格) under every village of ``root``'s subtree. Idempotent.

    Grid codes extend the village code with three digits; micro-grids extend the grid code
    with two. Boundaries are strips of the village's rectangle (see layout.py).
    """
    counts = {"grid": 0, "microgrid": 0}
    villages = list(Area.objects.subtree(root).filter(level=Level.VILLAGE))
    existing = set(Area.objects.subtree(root).filter(level__in=[Level.GRID, Level.MICROGRID]).values_list("code", flat=True))
    new: list[Area] = []
    with context.explicit_audit():
        for v in villages:
            n = layout.grid_count(v.code, low, high)
            rect = _rect_of(v)
            for i, grect in enumerate(layout.split_strips(rect, n), start=1):
                code = f"{v.code}{i:03d}"
                gpath = f"{v.path}{code}/"
                if code not in existing:
                    clng, clat = layout.centre(grect)
                    new.append(Area(code=code, name=f"{v.name}第{i}网格", level=Level.GRID, parent=v, path=gpath,
                                    depth=v.depth + 1, boundary=layout.to_geojson(grect), center_lng=clng, center_lat=clat))
                    counts["grid"] += 1
        Area.objects.bulk_create(new, batch_size=1000)
        if micro_per_grid:
            grids = list(Area.objects.subtree(root).filter(level=Level.GRID))
            micro: list[Area] = []
            for g in grids:
                for j, mrect in enumerate(layout.split_lattice(_rect_of(g), micro_per_grid), start=1):
                    code = f"{g.code}{j:02d}"
                    if code in existing:
                        continue
                    clng, clat = layout.centre(mrect)
                    micro.append(Area(code=code, name=f"{g.name}{j}号微网格", level=Level.MICROGRID, parent=g,
                                      path=f"{g.path}{code}/", depth=g.depth + 1, boundary=layout.to_geojson(mrect),
                                      center_lng=clng, center_lat=clat))
                    counts["microgrid"] += 1
            Area.objects.bulk_create(micro, batch_size=1000)
        audit.record("generate_grids", root, after=counts, actor=by)
    return counts


def _rect_of(area: Area) -> layout.Rect:
    if area.boundary and area.boundary.get("type") == "Polygon":
        ring = area.boundary["coordinates"][0]
        xs = [p[0] for p in ring]
        ys = [p[1] for p in ring]
        return (min(xs), min(ys), max(xs), max(ys))
    lng, lat = area.center_lng or 120.0, area.center_lat or 30.0
    return layout.rect_around(lng, lat, 0.005, 0.005)


@transaction.atomic
def upsert_department(county: Area, *, code: str, name: str, short_name: str = "", responsibilities: str = "",
                      keywords: list[str] | None = None, feedback_required: bool = False) -> Department:
    dept, _created = Department.objects.update_or_create(
        code=code,
        defaults={"name": name, "short_name": short_name, "county": county, "responsibilities": responsibilities,
                  "keywords": keywords or [], "feedback_required": feedback_required},
    )
    return dept
