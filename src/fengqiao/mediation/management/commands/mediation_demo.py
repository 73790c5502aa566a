from django.core.management.base import BaseCommand

from fengqiao.core import context
from fengqiao.mediation.demo import load_demo_mediation


class Command(BaseCommand):
    help = "Load the demo mediation registry and a generated year of cases (needs `fengqiao demo load` first)."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=620)

    def handle(self, *args, cases, **options):
        with context.acting(None, channel="cli"):
            load_demo_mediation(cases=cases, stdout=self.stdout)
