"""Writes to the area tree: import from official division CSVs, generate grids."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from fengqiao.core import audit, context
from fengqiao.core.errors import UserError, shown
from fengqiao.core.inputs import has_control
from fengqiao.core.sheets import read_text_file

from . import layout
from .models import Area, Department, Level, subtree_q

# Known centres for counties we ship data for; others take --center or a neutral default.
COUNTY_CENTRES = {"331022": (121.395, 29.105), "331081": (121.42, 28.66), "411200": (111.2, 34.77)}
COUNTY_HALF_SIZE = (0.16, 0.13)  # degrees: roughly 30 km x 30 km

#: the level names a division CSV may use: the three this import creates, and the two above a
#: county (a province's file lists them; their codes never start with a county's code)
_LEVELS = {"county": Level.COUNTY, "township": Level.TOWN, "town": Level.TOWN, "village": Level.VILLAGE}
ACCEPTED_LEVEL_NAMES = ("province", "city", "county", "township", "town", "village")
#: official statistical division codes: 6 digits for a county, 9 for a town, 12 for a village
CODE_LENGTHS = {Level.COUNTY: 6, Level.TOWN: 9, Level.VILLAGE: 12}
_PARENT_LEVEL = {Level.TOWN: Level.COUNTY, Level.VILLAGE: Level.TOWN}
_LEVEL_ZH = {Level.COUNTY: "区县", Level.TOWN: "乡镇/街道", Level.VILLAGE: "村/社区"}

#: grid codes extend the village code with three digits, micro-grid codes the grid code with two
GRID_CODE_DIGITS = 3
MICROGRID_CODE_DIGITS = 2
MAX_GRIDS_PER_VILLAGE = 10**GRID_CODE_DIGITS - 1  # 999
MAX_MICROGRIDS_PER_GRID = 10**MICROGRID_CODE_DIGITS - 1  # 99
#: the longest name an area holds (``Area.name``): a longer one in a division file is refused,
#: not cut (PostgreSQL refused it in a traceback, SQLite kept it whole)
MAX_NAME = Area._meta.get_field("name").max_length
_BATCH = 1000


@dataclass
class ImportReport:
    county: str = ""
    created: dict[str, int] = field(default_factory=lambda: {"county": 0, "town": 0, "village": 0})
    updated: int = 0
    unchanged: int = 0
    #: codes whose parent differs in the file: not moved (the paths of the node, its grids and
    #: its matters would all change); reported for an administrator to handle
    not_moved: list[str] = field(default_factory=list)
    #: rows not imported because their parent is not a row of the level above in the file:
    #: "line N: CODE (parent PARENT)"
    orphans: list[str] = field(default_factory=list)

    def summary(self) -> str:
        c = self.created
        text = (
            f"{self.county}: created {c['county']} county, {c['town']} towns, {c['village']} villages; "
            f"updated {self.updated}, unchanged {self.unchanged}"
            + (f"; not moved to a new parent (移动上级未执行): {', '.join(self.not_moved)}" if self.not_moved else "")
        )
        if self.orphans:
            shown = "; ".join(self.orphans[:10]) + (f"; … (+{len(self.orphans) - 10})" if len(self.orphans) > 10 else "")
            text += (f"; {len(self.orphans)} rows not imported, their parent is not in the file "
                     f"(上级不在文件中，未导入 {len(self.orphans)} 行): {shown}")
        return text


@dataclass
class DivisionRows:
    """The rows of one county in a division CSV, parents first, and those left out."""

    rows: list[dict]
    #: rows whose parent is not a row of the level above in the file (see ImportReport.orphans)
    orphans: list[str]


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


def check_center(center: tuple[float, float] | None) -> None:
    """Refuse a county centre that is not a finite longitude/latitude on the earth."""
    if center is None:
        return
    lng, lat = center
    if not (math.isfinite(lng) and math.isfinite(lat)):
        raise UserError("bad_center", f"中心坐标应为有限数值: {lng},{lat}",
                        f"the centre must be finite numbers: {lng},{lat}", field="center")
    if not (-180 <= lng <= 180 and -90 <= lat <= 90):
        raise UserError("bad_center", f"中心坐标超出范围(经度 -180..180，纬度 -90..90): {lng},{lat}",
                        f"the centre is out of range (longitude -180..180, latitude -90..90): {lng},{lat}",
                        field="center")


def check_county_code(county_code: str) -> None:
    """Refuse a county code that is not an official one: six ASCII digits (e.g. 331022)."""
    width = CODE_LENGTHS[Level.COUNTY]
    if not (isinstance(county_code, str) and county_code.isascii() and county_code.isdigit()
            and len(county_code) == width):
        raise UserError("bad_county_code", f"区县代码应为{width}位数字: {county_code!r}",
                        f"the county code has {width} digits: {county_code!r}", field="county")


def _cell(row: dict, key: str) -> str:
    value = row.get(key)
    return value.strip() if isinstance(value, str) else ""


def read_division_rows(path: Path, county_code: str) -> DivisionRows:
    """Rows of an official division CSV (level,code,name,parent_code,…) for one county.

    The file may be UTF-8 (with or without a BOM) or GB18030/GBK. Rows whose code starts with
    the county's are checked, and the whole file is refused (nothing is written) when one has a
    level not in :data:`ACCEPTED_LEVEL_NAMES`, a code that is not the right number of digits
    for its level, an empty name, a name longer than :data:`MAX_NAME`, a name or parent code
    holding a control character or a line break, or a code listed again with another level,
    name or parent. A line named is the one the row starts on.
    Rows whose parent is not a row of the level above in the file are left out and reported.
    """
    text = read_text_file(path)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        fieldnames = [(f or "").strip() for f in (reader.fieldnames or [])]
    except csv.Error as exc:
        raise UserError("bad_csv", f"CSV 格式错误: {exc}", f"malformed CSV: {exc}") from exc
    reader.fieldnames = fieldnames
    missing = {"level", "code", "name", "parent_code"} - set(fieldnames)
    if missing:
        cols = ", ".join(sorted(missing))
        raise UserError("bad_columns", f"缺少列: {cols}", f"missing columns: {cols}")
    rows: list[dict] = []
    seen: dict[str, dict] = {}
    errors: list[tuple[str, str]] = []
    try:
        end = reader.line_num  # the header's last line
        for row in reader:
            line, end = end + 1, reader.line_num  # where the row starts (a quoted cell may span lines)
            code = _cell(row, "code")
            if not code.startswith(county_code):
                continue  # another county's row (or a province/city above it)
            level_name, name, parent = _cell(row, "level"), _cell(row, "name"), _cell(row, "parent_code")
            if level_name not in ACCEPTED_LEVEL_NAMES:
                accepted = ", ".join(ACCEPTED_LEVEL_NAMES)
                errors.append((f"第 {line} 行: 未知层级 {level_name!r}(可用: {accepted})",
                               f"line {line}: unknown level {level_name!r} (accepted: {accepted})"))
                continue
            level = _LEVELS.get(level_name)
            width = CODE_LENGTHS.get(level) if level else None
            if width is None or not (code.isascii() and code.isdigit() and len(code) == width):
                expected = f"{width} 位数字" if width else "不属于区县以下层级"
                expected_en = f"{width} digits" if width else "not a level at or below a county"
                errors.append((f"第 {line} 行: {level_name} 的代码 {code!r} 无效(应为 {expected})",
                               f"line {line}: invalid {level_name} code {code!r} (expected {expected_en})"))
                continue
            if not name:
                errors.append((f"第 {line} 行: 代码 {code} 的名称为空", f"line {line}: code {code} has an empty name"))
                continue
            if len(name) > MAX_NAME:
                errors.append((f"第 {line} 行: 代码 {code} 的名称超过 {MAX_NAME} 字({len(name)} 字): {shown(name)!r}",
                               f"line {line}: the name of code {code} is longer than {MAX_NAME} characters "
                               f"({len(name)}): {shown(name)!r}"))
                continue
            bad = next(((zh, en, value) for zh, en, value in (("名称", "name", name), ("上级代码", "parent_code", parent))
                        if has_control(value)), None)
            if bad is not None:
                zh, en, value = bad
                errors.append((f"第 {line} 行: 代码 {code} 的{zh}含有换行或不可见的控制字符: {shown(value)!r}",
                               f"line {line}: the {en} of code {code} holds a line break or an invisible control "
                               f"character: {shown(value)!r}"))
                continue
            entry = {"level": level, "code": code, "name": name, "parent": parent, "line": line}
            first = seen.get(code)
            if first is not None:
                if (first["level"], first["name"], first["parent"]) != (level, name, parent):
                    errors.append((
                        f"代码 {code} 出现两次且内容不同: 第 {first['line']} 行 {first['name']!r}，第 {line} 行 {name!r}",
                        f"code {code} is listed twice with different content: line {first['line']} "
                        f"{first['name']!r}, line {line} {name!r}",
                    ))
                continue  # the same row again: once is enough
            seen[code] = entry
            rows.append(entry)
    except csv.Error as exc:
        raise UserError("bad_csv", f"CSV 格式错误(第 {reader.line_num} 行): {exc}",
                        f"malformed CSV (line {reader.line_num}): {exc}") from exc
    if errors:
        more_zh = f"(另有 {len(errors) - 1} 处问题)" if len(errors) > 1 else ""
        more_en = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        raise UserError("bad_rows", f"文件有误，未导入: {errors[0][0]}{more_zh}",
                        f"the file was not imported: {errors[0][1]}{more_en}")
    if county_code not in seen:
        raise UserError("county_not_found", f"文件中没有区县代码 {county_code}", f"county code {county_code} is not in the file")
    # A town must hang under the county, a village under a town of the file.
    kept: list[dict] = []
    orphans: list[tuple[int, str]] = []
    order = {Level.COUNTY: 0, Level.TOWN: 1, Level.VILLAGE: 2}
    rows.sort(key=lambda r: (order[r["level"]], r["code"]))
    kept_codes: set[str] = set()
    for r in rows:
        if r["level"] != Level.COUNTY:
            parent = seen.get(r["parent"])
            if parent is None or parent["level"] != _PARENT_LEVEL[r["level"]] or r["parent"] not in kept_codes:
                orphans.append((r["line"], f"line {r['line']}: {r['code']} (parent {r['parent'] or '-'})"))
                continue
        kept.append(r)
        kept_codes.add(r["code"])
    return DivisionRows(rows=kept, orphans=[text for _line, text in sorted(orphans)])


@transaction.atomic
def import_divisions(path: Path, county_code: str, *, center: tuple[float, float] | None = None, by=None) -> ImportReport:
    """Create or update the county, town and village levels of one county. Idempotent.

    The county code must be six digits (:func:`check_county_code`); the file is checked whole
    before anything is written (see :func:`read_division_rows`)."""
    check_county_code(county_code)
    check_center(center)
    division = read_division_rows(Path(path), county_code)
    rows = division.rows
    report = ImportReport(county=county_code, orphans=division.orphans)
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
            parent = by_code[r["parent"]] if r["level"] != Level.COUNTY else None
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


def check_grid_counts(low: int, high: int, micro_per_grid: int) -> None:
    """Refuse grid counts the codes cannot hold (three digits per grid, two per micro-grid)."""
    if not (1 <= low <= high <= MAX_GRIDS_PER_VILLAGE):
        raise UserError(
            "bad_grid_count",
            f"每村网格数范围无效: 最少 {low}，最多 {high}(应满足 1 ≤ 最少 ≤ 最多 ≤ {MAX_GRIDS_PER_VILLAGE}，"
            f"网格代码为村代码加 {GRID_CODE_DIGITS} 位)",
            f"invalid grids per village: min {low}, max {high} (need 1 <= min <= max <= {MAX_GRIDS_PER_VILLAGE}: "
            f"a grid code is the village code plus {GRID_CODE_DIGITS} digits)",
        )
    if not (0 <= micro_per_grid <= MAX_MICROGRIDS_PER_GRID):
        raise UserError(
            "bad_microgrid_count",
            f"每个网格的微网格数无效: {micro_per_grid}(应为 1–{MAX_MICROGRIDS_PER_GRID}，0 表示不生成；"
            f"微网格代码为网格代码加 {MICROGRID_CODE_DIGITS} 位)",
            f"invalid micro-grids per grid: {micro_per_grid} (need 1-{MAX_MICROGRIDS_PER_GRID}, or 0 for none: "
            f"a micro-grid code is the grid code plus {MICROGRID_CODE_DIGITS} digits)",
        )


def _same_rect(boundary: dict | None, rect: layout.Rect) -> bool:
    if not boundary or boundary.get("type") != "Polygon":
        return False
    ring = boundary.get("coordinates", [[]])[0]
    try:
        xs = [float(p[0]) for p in ring]
        ys = [float(p[1]) for p in ring]
    except (TypeError, ValueError, IndexError):
        return False
    if not xs:
        return False
    return all(abs(a - b) <= 1e-9 for a, b in zip((min(xs), min(ys), max(xs), max(ys)), rect, strict=True))


def _plan_children(parent: Area, cells: list[layout.Rect], digits: int, existing: dict[str, dict | None]) -> list[tuple[int, str, layout.Rect]] | None:
    """The children of ``parent`` to create for a layout of ``cells``; ``None`` when the
    children it already has are not cells of that same layout (adding more would overlap)."""
    planned = {f"{parent.code}{i:0{digits}d}": (i, rect) for i, rect in enumerate(cells, start=1)}
    for code, boundary in existing.items():
        if code not in planned or not _same_rect(boundary, planned[code][1]):
            return None
    return [(i, code, rect) for code, (i, rect) in planned.items() if code not in existing]


def _children_by_parent(root: Area, level: str) -> dict[int, dict[str, dict | None]]:
    out: dict[int, dict[str, dict | None]] = {}
    for parent_id, code, boundary in (Area.objects.subtree(root).filter(level=level)
                                      .values_list("parent_id", "code", "boundary").iterator()):
        out.setdefault(parent_id, {})[code] = boundary
    return out


def _in_pages(root: Area, level: str, size: int = _BATCH):
    """The areas of one level under ``root`` in path order, a page at a time (no cursor stays
    open while the caller inserts rows into the same table)."""
    last = ""
    while True:
        page = list(Area.objects.subtree(root).filter(level=level, path__gt=last).order_by("path")[:size])
        yield from page
        if len(page) < size:
            return
        last = page[-1].path


@transaction.atomic
def generate_grids(root: Area, *, low: int = 3, high: int = 8, micro_per_grid: int = 0, by=None) -> dict[str, Any]:
    """Create 网格 (and optionally 微网格) under every village of ``root``'s subtree. Idempotent.

    Grid codes extend the village code with three digits (so at most 999 grids per village);
    micro-grids extend the grid code with two (at most 99 per grid). Boundaries are strips of
    the village's rectangle, micro-grids a lattice in the grid's (see layout.py).

    A village that already has grids gets only the missing ones of the same layout; when its
    grids are not that layout (another --min/--max, or edited boundaries) it is left as it is
    and listed in ``skipped_villages``, since new grids would overlap the existing ones. The same
    holds for the micro-grids of a grid (``skipped_grids``).

    Returns ``{"grid": created, "microgrid": created, "skipped_villages": [codes],
    "skipped_grids": [codes]}``.
    """
    check_grid_counts(low, high, micro_per_grid)
    counts: dict[str, Any] = {"grid": 0, "microgrid": 0, "skipped_villages": [], "skipped_grids": []}
    with context.explicit_audit():
        grids_of = _children_by_parent(root, Level.GRID)
        batch: list[Area] = []

        def add(area: Area) -> None:
            batch.append(area)
            if len(batch) >= _BATCH:
                Area.objects.bulk_create(batch)
                batch.clear()

        for v in _in_pages(root, Level.VILLAGE):
            n = layout.grid_count(v.code, low, high)
            plan = _plan_children(v, layout.split_strips(_rect_of(v), n), GRID_CODE_DIGITS, grids_of.get(v.pk, {}))
            if plan is None:
                counts["skipped_villages"].append(v.code)
                continue
            for i, code, grect in plan:
                clng, clat = layout.centre(grect)
                add(Area(code=code, name=f"{v.name}第{i}网格", level=Level.GRID, parent=v, path=f"{v.path}{code}/",
                         depth=v.depth + 1, boundary=layout.to_geojson(grect), center_lng=clng, center_lat=clat))
                counts["grid"] += 1
        Area.objects.bulk_create(batch)
        batch.clear()
        if micro_per_grid:
            micro_of = _children_by_parent(root, Level.MICROGRID)
            for g in _in_pages(root, Level.GRID):
                cells = layout.split_lattice(_rect_of(g), micro_per_grid)
                plan = _plan_children(g, cells, MICROGRID_CODE_DIGITS, micro_of.get(g.pk, {}))
                if plan is None:
                    counts["skipped_grids"].append(g.code)
                    continue
                for j, code, mrect in plan:
                    clng, clat = layout.centre(mrect)
                    add(Area(code=code, name=f"{g.name}{j}号微网格", level=Level.MICROGRID, parent=g,
                             path=f"{g.path}{code}/", depth=g.depth + 1, boundary=layout.to_geojson(mrect),
                             center_lng=clng, center_lat=clat))
                    counts["microgrid"] += 1
            Area.objects.bulk_create(batch)
            batch.clear()
        audit.record("generate_grids", root, actor=by, after={
            "grid": counts["grid"], "microgrid": counts["microgrid"], "min": low, "max": high,
            "micro_per_grid": micro_per_grid, "skipped_villages": len(counts["skipped_villages"]),
            "skipped_grids": len(counts["skipped_grids"])})
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
