from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from fengqiao.areas import actions
from fengqiao.areas.models import Area
from fengqiao.core.errors import UserError


class Command(BaseCommand):
    help = "Area tree: import a county from an official division CSV; generate grids."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="sub", required=True)
        imp = sub.add_parser("import", help="import county/town/village levels of one county")
        imp.add_argument("--county", required=True, help="6-digit county code, e.g. 331022")
        imp.add_argument("--file", required=True, help="division CSV (level,code,name,parent_code,…)")
        imp.add_argument("--center", help="lng,lat of the county centre for generated boundaries")
        grids = sub.add_parser("grids", help="generate grids under every village of an area")
        grids.add_argument("--area", required=True, help="area code (county, town or village)")
        grids.add_argument("--min", type=int, default=3)
        grids.add_argument("--max", type=int, default=8)
        grids.add_argument("--micro", type=int, default=0, help="micro-grids per grid (0: none)")
        lst = sub.add_parser("list", help="list the children of an area")
        lst.add_argument("code")

    def handle(self, *args, sub=None, **o):
        try:
            if sub == "import":
                center = None
                if o.get("center"):
                    try:
                        lng, lat = (float(x) for x in o["center"].split(","))
                    except ValueError as exc:
                        raise CommandError("--center 应为 经度,纬度 (expected lng,lat)") from exc
                    center = (lng, lat)
                if not (o["county"].isdigit() and len(o["county"]) == 6):
                    raise CommandError("区县代码应为6位数字 (the county code has 6 digits)")
                report = actions.import_divisions(Path(o["file"]), o["county"], center=center)
                self.stdout.write(report.summary())
            elif sub == "grids":
                root = Area.objects.filter(code=o["area"]).first()
                if root is None:
                    raise CommandError(f"区域不存在: {o['area']} (no such area)")
                if not 1 <= o["min"] <= o["max"] <= 99:
                    raise CommandError("网格数量范围无效 (need 1 <= --min <= --max <= 99)")
                counts = actions.generate_grids(root, low=o["min"], high=o["max"], micro_per_grid=o["micro"])
                self.stdout.write(f"created {counts['grid']} grids, {counts['microgrid']} micro-grids under {root.name}")
            else:
                area = Area.objects.filter(code=o["code"]).first()
                if area is None:
                    raise CommandError(f"区域不存在: {o['code']} (no such area)")
                for c in area.children.order_by("code"):
                    self.stdout.write(f"{c.code}\t{c.name}\t{c.level}")
        except UserError as exc:
            raise CommandError(str(exc)) from exc
