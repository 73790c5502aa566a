from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the background worker (huey consumer): SLA sweeps, notifications, outbound sync."

    def add_arguments(self, parser):
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument(
            "--no-periodic", action="store_true",
            help="run queued tasks only and schedule no periodic job: with several workers, let exactly one "
                 "schedule them, or each job runs once per worker per period (docs/operations.md)")

    def handle(self, *args, workers, no_periodic=False, **o):
        from fengqiao.core import leases

        # a worker of this machine stopped mid-job left its lease: its jobs run again now,
        # not after their TTL (ADR 0118)
        leases.clear_dead_here()
        options = {"workers": workers}
        if no_periodic:
            options["periodic"] = False
        call_command("run_huey", **options)
