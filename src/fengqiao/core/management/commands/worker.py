from django.core.management import call_command
from django.core.management.base import BaseCommand

from fengqiao.core.cli import whole_count

#: the most worker threads: each holds a database connection, and the jobs (sweeps, reports,
#: notifications) are few; 64 is far beyond need, while a typo such as 500 would exhaust
#: PostgreSQL's connections (100 by default). 0 or fewer started a consumer that never ran a job.
MAX_WORKERS = 64


class Command(BaseCommand):
    help = "Run the background worker (huey consumer): SLA sweeps, notifications, outbound sync."

    def add_arguments(self, parser):
        parser.add_argument("--workers", default="2", metavar="N",
                            help=f"worker threads, 1-{MAX_WORKERS} (default 2)")
        parser.add_argument(
            "--no-periodic", action="store_true",
            help="run queued tasks only and schedule no periodic job: with several workers, let exactly one "
                 "schedule them, or each job runs once per worker per period (docs/operations.md)")

    def handle(self, *args, workers, no_periodic=False, **o):
        from fengqiao.core import leases

        workers = whole_count(workers, "--workers", MAX_WORKERS)
        # a worker of this machine stopped mid-job left its lease: its jobs run again now,
        # not after their TTL (ADR 0118)
        leases.clear_dead_here()
        options = {"workers": workers}
        if no_periodic:
            options["periodic"] = False
        call_command("run_huey", **options)
