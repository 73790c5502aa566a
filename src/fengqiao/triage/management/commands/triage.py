"""``manage.py triage train|evaluate|duplicates``: train and evaluate the category classifier,
find repeated matters in a message file. The logic lives in :mod:`fengqiao.triage.cli`."""

from django.core.management.base import BaseCommand, CommandError

from fengqiao.triage import cli


class Command(BaseCommand):
    help = "Triage models: train / evaluate the category classifier, group repeated matters."

    def add_arguments(self, parser):
        cli.add_arguments(parser)

    def handle(self, *args, **options):
        from argparse import Namespace

        ns = Namespace(**options)
        runner = {
            "train": cli.run_train,
            "evaluate": cli.run_evaluate,
            "duplicates": cli.run_duplicates,
        }[options["action"]]
        stdout = self.stdout

        class _Out:  # print() into the command's stdout without doubled line endings
            @staticmethod
            def write(text):
                stdout.write(text, ending="")

            @staticmethod
            def flush():
                stdout.flush()

        try:
            runner(ns, out=_Out())
        except cli.TriageInputError as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:
            raise CommandError(f"读写文件失败 / file error: {exc}") from exc
