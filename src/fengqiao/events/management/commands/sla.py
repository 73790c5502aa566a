"""``fengqiao sla sweep``: one time-limit sweep in the foreground."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from fengqiao.core import context
from fengqiao.core.cli import bilingual


class Command(BaseCommand):
    help = "Time limits (时限): 'sla sweep' marks yellow/red and escalates overdue matters now."

    def add_arguments(self, parser):
        # argparse refuses any other word (usage error, exit status 2) before handle() runs
        parser.add_argument("what", choices=["sweep"], help="sweep: run one sweep now")

    def handle(self, *args, what, **options):
        from fengqiao.events.sweep import sweep

        with context.acting(None, channel="cli"):
            result = sweep()
        y, r, e = result["yellow"], result["red"], result["escalated"]
        self.stdout.write(bilingual(f"标黄 {y} 件，标红 {r} 件，自动上报 {e} 件",
                                    f"yellow: {y}, red: {r}, escalated: {e}"))
