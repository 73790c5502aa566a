from django.core.management.base import BaseCommand

from fengqiao.demo.loader import load_demo


class Command(BaseCommand):
    help = "Demo data: 'demo load' loads the demo county 三门县 with departments and users (idempotent)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="sub", required=True)
        sub.add_parser("load", help="load or refresh the demo county")

    def handle(self, *args, sub=None, **o):
        totals = load_demo(self.stdout)
        from fengqiao.core.maintenance import analyze_database

        analyze_database()
        self.stdout.write(f"demo ready: {totals['areas']} areas, {totals['departments']} departments, {totals['users']} demo users")
