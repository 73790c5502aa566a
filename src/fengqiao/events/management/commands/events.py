"""``fengqiao events …``: bulk import of exported work orders, default data, demo matters."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from fengqiao.core import context, roles
from fengqiao.core.errors import UserError


class Command(BaseCommand):
    help = ("Matters (事件/工单): 'import FILE --mapping MAPPING [--dry-run] [--user NAME]', "
            "'seed' (default categories and time-limit policies), 'demo [--count N]'.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="what", required=True)
        imp = sub.add_parser("import", help="import a CSV or .xlsx export of work orders")
        imp.add_argument("file")
        imp.add_argument("--mapping", required=True, help="JSON mapping of headers to fields (see import_mappings/)")
        imp.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
        imp.add_argument("--user", default="", help="who is recorded as taking the matters in (default: the first "
                                                    "county operator)")
        sub.add_parser("seed", help="create the default category tree and time-limit policies (idempotent)")
        demo = sub.add_parser("demo", help="load demo matters in the demo county (idempotent)")
        demo.add_argument("--count", type=int, default=300)

    def handle(self, *args, what, **o):
        try:
            getattr(self, f"do_{what}")(**o)
        except UserError as exc:
            raise CommandError(f"{exc.zh} ({exc.en})") from exc

    def do_import(self, file, mapping, dry_run, user, **o):
        from fengqiao.accounts.models import User
        from fengqiao.events.importer import import_file, load_mapping

        qs = User.objects.select_related("area", "department").filter(is_active=True)
        by = qs.filter(username=user).first() if user else qs.filter(role=roles.COUNTY_OPERATOR).order_by("pk").first()
        if by is None:
            raise CommandError(f"no such user: {user or '(a county operator)'}")
        with context.acting(by, channel="cli"):
            report = import_file(file, load_mapping(mapping), by=by, dry_run=dry_run)
        for err in report.errors:
            self.stdout.write(str(err))
        self.stdout.write(report.summary())
        if report.errors:
            raise CommandError(f"{len(report.errors)} row errors; nothing was imported")

    def do_seed(self, **o):
        from fengqiao.events.seed import link_departments, seed_categories, seed_policies

        with context.acting(None, channel="cli"):
            c, p, d = seed_categories(), seed_policies(), link_departments()
        self.stdout.write(f"categories: {c} new, policies: {p} new, departments linked: {d}")

    def do_demo(self, count, **o):
        from fengqiao.events.demo import load_demo_events

        with context.acting(None, channel="cli"):
            n = load_demo_events(n=count)
        self.stdout.write(f"demo matters: {n} new")
