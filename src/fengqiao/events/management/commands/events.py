"""``fengqiao events …``: bulk import of exported work orders, default data, demo matters."""

from __future__ import annotations

import argparse

from django.core.management.base import BaseCommand

from fengqiao.core import context, roles
from fengqiao.core.cli import command_error, from_user_error
from fengqiao.core.errors import UserError, shown

#: the most demo matters ``events demo`` creates. Their references are DEMO-0001 … DEMO-9999
#: (four digits, sorted as numbers are), and each is written in its own transaction with its
#: history, at some 50 a second on SQLite: 9,999 take a few minutes and fill every list and
#: chart of a demonstration; 99,999,999 ran for hours. A count below 1 would create nothing.
MAX_DEMO_COUNT = 9999

IMPORT_DESCRIPTION = """\
Import a CSV (UTF-8 or GB18030, comma or tab) or .xlsx export of work orders (批量导入工单).
The first non-blank row is the header; the mapping file (JSON) says which header feeds which
field and how values translate; see the shipped mapping
src/fengqiao/events/import_mappings/hotline_12345.json and the "Bulk import" section of
docs/events.md for the file format.

Every row is checked as if it were taken in through the API. The import is all or nothing:
when any row has an error, the errors are listed ("row N, COLUMN: 中文 / English", N as a
spreadsheet numbers rows) and nothing is written. Rows whose order number is already known
are skipped, so importing a file twice creates nothing new. Exit code 0 on success, 1 on any
error (a file with a header and no data rows is an error too)."""


class Command(BaseCommand):
    help = ("Matters (事件/工单): 'import FILE --mapping MAPPING [--dry-run] [--user NAME]', "
            "'seed' (default categories and time-limit policies), 'demo [--count N]'. "
            "'fengqiao events SUBCOMMAND --help' describes each one.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="what", required=True, metavar="SUBCOMMAND")
        imp = sub.add_parser("import", help="import a CSV or .xlsx export of work orders (see docs/events.md)",
                             description=IMPORT_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
        imp.add_argument("file", metavar="FILE", help="the exported work orders: .csv, .tsv or .xlsx")
        imp.add_argument("--mapping", required=True, metavar="MAPPING",
                         help="JSON file mapping the file's headers and values to matter fields "
                              "(e.g. src/fengqiao/events/import_mappings/hotline_12345.json)")
        imp.add_argument("--dry-run", action="store_true",
                         help="check every row and report errors and counts, write nothing")
        imp.add_argument("--user", default="", metavar="NAME",
                         help="username recorded as taking the matters in; must be active and have a role that "
                              "may take in matters (county/town operator, village cadre, grid worker, department "
                              "handler). Default: the first active county operator")
        sub.add_parser("seed", help="create the default category tree and time-limit policies (idempotent)",
                       description="Create the default category tree (事件分类) and time-limit policies (时限策略), "
                                   "and link categories to departments. Idempotent: existing rows are kept.")
        demo = sub.add_parser("demo", help="load demo matters in the demo county (idempotent)",
                              description="Load generated demo matters in the demo county 三门县 (load it first with "
                                          "'fengqiao demo load'). Idempotent: running it again adds nothing.")
        demo.add_argument("--count", default="300", metavar="N",
                          help=f"how many demo matters, 1-{MAX_DEMO_COUNT} (default 300)")

    def handle(self, *args, what, **o):
        try:
            getattr(self, f"do_{what}")(**o)
        except UserError as exc:
            raise from_user_error(exc) from None

    def _importer(self, username: str):
        from fengqiao.accounts.models import User

        qs = User.objects.select_related("area", "department")
        if not username:
            by = qs.filter(is_active=True, role=roles.COUNTY_OPERATOR).order_by("pk").first()
            if by is None:
                raise command_error("没有在用的县级坐席账号，请用 --user 指定导入人",
                                    "no active county operator; name the importing user with --user")
            return by
        by = qs.filter(username=username).first()
        if by is None:
            raise command_error(f"用户不存在: {username}", f"no such user: {username}")
        if not by.is_active:
            raise command_error(f"用户已停用: {username}", f"user {username} is inactive")
        return by  # the role is checked by the importer itself

    def do_import(self, file, mapping, dry_run, user, **o):
        from fengqiao.events.importer import import_file, load_mapping

        by = self._importer(user)
        with context.acting(by, channel="cli"):
            report = import_file(file, load_mapping(mapping), by=by, dry_run=dry_run)
        for err in report.errors:
            self.stdout.write(str(err))
        self.stdout.write(report.summary())
        if report.errors:
            n = len(report.errors)
            raise command_error(f"{n} 处错误，未导入任何数据", f"{n} errors; nothing was imported")

    def do_seed(self, **o):
        from fengqiao.events.seed import link_departments, seed_categories, seed_policies

        with context.acting(None, channel="cli"):
            c, p, d = seed_categories(), seed_policies(), link_departments()
        self.stdout.write(f"categories: {c} new, policies: {p} new, departments linked: {d}")

    def do_demo(self, count, **o):
        from fengqiao.events.demo import load_demo_events

        text = str(count).strip()
        if not (text.isascii() and text.isdigit() and len(text) <= 9 and 1 <= int(text) <= MAX_DEMO_COUNT):
            raise command_error(f"--count 应为 1–{MAX_DEMO_COUNT} 的整数: {shown(count)!r}",
                                f"--count must be a whole number from 1 to {MAX_DEMO_COUNT}: {shown(count)!r}")
        count = int(text)
        with context.acting(None, channel="cli"):
            n = load_demo_events(n=count)
        self.stdout.write(f"demo matters: {n} new")
