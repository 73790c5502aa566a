"""``fengqiao sla sweep``: one time-limit sweep in the foreground."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from fengqiao.core import context


class Command(BaseCommand):
    help = "Time limits (时限): 'sla sweep' marks yellow/red and escalates overdue matters now."

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["sweep"], help="sweep: run one sweep now")

    def handle(self, *args, what, **options):
        if what != "sweep":
            raise CommandError("unknown sub-command")
        from fengqiao.events.sweep import sweep

        with context.acting(None, channel="cli"):
            result = sweep()
        self.stdout.write(f"yellow: {result['yellow']}, red: {result['red']}, escalated: {result['escalated']}")
