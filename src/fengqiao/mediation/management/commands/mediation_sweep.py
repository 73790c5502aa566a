from django.core.management.base import BaseCommand

from fengqiao.core import context
from fengqiao.mediation.actions.sweep import sweep


class Command(BaseCommand):
    help = "Run the mediation time-limit sweep once: yellow/red colours, escalation, backlog cases."

    def handle(self, *args, **options):
        with context.acting(None, channel="cli"):
            counts = sweep()
        self.stdout.write(", ".join(f"{k}: {v}" for k, v in counts.items()))
