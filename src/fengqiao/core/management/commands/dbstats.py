from django.core.management.base import BaseCommand

from fengqiao.core.maintenance import analyze_database


class Command(BaseCommand):
    help = "Refresh the database's planner statistics now (also run nightly by the worker)."

    def handle(self, *args, **o):
        self.stdout.write(f"statistics refreshed in {analyze_database():.2f} s")
