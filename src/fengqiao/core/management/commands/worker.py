from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the background worker (huey consumer): SLA sweeps, notifications, outbound sync."

    def add_arguments(self, parser):
        parser.add_argument("--workers", type=int, default=2)

    def handle(self, *args, workers, **o):
        from fengqiao.core import leases

        # a worker of this machine stopped mid-job left its lease: its jobs run again now,
        # not after their TTL (ADR 0118)
        leases.clear_dead_here()
        call_command("run_huey", workers=workers)
