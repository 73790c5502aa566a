"""``fengqiao areas import|grids|list``: the area tree from the command line."""

import argparse
from pathlib import Path

from django.core.management.base import BaseCommand

from fengqiao.areas import actions
from fengqiao.areas.models import Area
from fengqiao.core import context
from fengqiao.core.cli import command_error, from_user_error
from fengqiao.core.errors import UserError

IMPORT_DESCRIPTION = """\
Import (or update) the county, town and village levels of one county from an official
statistical division CSV, e.g. admin_divisions_zhejiang.csv. The file is UTF-8 (with or without
a BOM) or GB18030/GBK, with a header line holding at least level,code,name,parent_code.

Only rows whose code starts with the county code are read; their level is county, township
(or town) or village, with codes of 6, 9 and 12 digits (province and city rows of a province's
file are above the county and are not read). The whole file is refused, and nothing is
written, when one of those rows has an unknown level, a code of the wrong length, an empty
name, or a code listed twice with a different name. Rows whose parent is not in the file are
not imported and are listed in the report. Re-running updates names and creates only what is
missing; a node whose parent changed is reported, not moved.
"""

GRIDS_DESCRIPTION = f"""\
Generate 网格 under every village of an area's subtree (county, town or village), and with
--micro 微网格 under every grid. Each village gets a stable number of grids between --min and
--max (the same village code always gets the same number). A grid code is the village code
plus 3 digits, a micro-grid code the grid code plus 2, hence at most
{actions.MAX_GRIDS_PER_VILLAGE} grids per village and {actions.MAX_MICROGRIDS_PER_GRID} micro-grids per grid.

Re-running creates only what is missing. A village whose existing grids were laid out
differently (another --min/--max, or edited boundaries) is left as it is and reported, since
new grids would overlap them; the same for the micro-grids of a grid.
"""


def _int(value, option: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise command_error(f"{option} 应为整数: {value!r}", f"{option} must be a whole number: {value!r}") from None


def _center(value: str) -> tuple[float, float]:
    try:
        lng, lat = (float(x) for x in value.split(","))
    except ValueError:
        raise command_error(f"--center 应为 经度,纬度，例如 121.42,28.66: {value!r}",
                            f"--center must be lng,lat, e.g. 121.42,28.66: {value!r}") from None
    return lng, lat  # the range is checked by the action


class Command(BaseCommand):
    help = "Area tree: import a county from an official division CSV; generate grids; list children."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="sub", required=True, metavar="SUBCOMMAND")
        imp = sub.add_parser("import", help="import county/town/village levels of one county",
                             description=IMPORT_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
        imp.add_argument("--county", required=True, metavar="CODE", help="6-digit county code, e.g. 331022")
        imp.add_argument("--file", required=True, metavar="FILE",
                         help="division CSV (level,code,name,parent_code,…), UTF-8 or GB18030/GBK")
        imp.add_argument("--center", metavar="LNG,LAT",
                         help="longitude,latitude of the county centre for the generated boundaries of new "
                              "areas, e.g. 121.42,28.66 (default: a known centre for the shipped counties); "
                              "a negative longitude is written --center=-70.5,-33.4")
        grids = sub.add_parser("grids", help="generate grids under every village of an area",
                               description=GRIDS_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
        grids.add_argument("--area", required=True, metavar="CODE", help="area code (county, town or village)")
        grids.add_argument("--min", default="3", metavar="N",
                           help=f"fewest grids per village, 1-{actions.MAX_GRIDS_PER_VILLAGE} (default 3)")
        grids.add_argument("--max", default="8", metavar="N",
                           help=f"most grids per village, --min to {actions.MAX_GRIDS_PER_VILLAGE} (default 8)")
        grids.add_argument("--micro", default="0", metavar="N",
                           help=f"micro-grids per grid, 1-{actions.MAX_MICROGRIDS_PER_GRID}; 0 (default): none")
        lst = sub.add_parser("list", help="list the children of an area")
        lst.add_argument("code")

    def handle(self, *args, sub=None, **o):
        try:
            with context.acting(None, channel="cli"):
                getattr(self, f"do_{sub}")(o)
        except UserError as exc:
            raise from_user_error(exc) from None

    def do_import(self, o):
        center = _center(o["center"]) if o.get("center") else None
        report = actions.import_divisions(Path(o["file"]), o["county"], center=center)
        self.stdout.write(report.summary())

    def do_grids(self, o):
        low, high, micro = _int(o["min"], "--min"), _int(o["max"], "--max"), _int(o["micro"], "--micro")
        actions.check_grid_counts(low, high, micro)  # before looking the area up: bad options first
        root = Area.objects.filter(code=o["area"]).first()
        if root is None:
            raise command_error(f"区域不存在: {o['area']}", f"no such area: {o['area']}")
        counts = actions.generate_grids(root, low=low, high=high, micro_per_grid=micro)
        self.stdout.write(f"created {counts['grid']} grids, {counts['microgrid']} micro-grids under {root.name}")
        for key, zh, en in (
            ("skipped_villages", "个村/社区已有不同划分的网格，未添加网格", "villages already have grids of another layout; "
                                 "no grids added there"),
            ("skipped_grids", "个网格已有不同划分的微网格，未添加微网格", "grids already have micro-grids of another layout; "
                              "no micro-grids added there"),
        ):
            codes = counts[key]
            if codes:
                shown = ", ".join(codes[:20]) + (f", … (+{len(codes) - 20})" if len(codes) > 20 else "")
                self.stderr.write(f"注意: {len(codes)} {zh} / note: {len(codes)} {en}: {shown}")

    def do_list(self, o):
        area = Area.objects.filter(code=o["code"]).first()
        if area is None:
            raise command_error(f"区域不存在: {o['code']}", f"no such area: {o['code']}")
        for c in area.children.order_by("code"):
            self.stdout.write(f"{c.code}\t{c.name}\t{c.level}")
