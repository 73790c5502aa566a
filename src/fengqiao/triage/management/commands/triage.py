"""``manage.py triage train|evaluate|duplicates|models|activate|rollback|rules``.

``train``/``evaluate``/``duplicates`` work on files (logic in :mod:`fengqiao.triage.cli`);
``train --from-db``, ``models``, ``activate``, ``rollback`` and ``rules seed`` work on the
database (logic in :mod:`fengqiao.triage.training` and :mod:`fengqiao.triage.actions`).
"""

import json

from django.core.management.base import BaseCommand, CommandError

from fengqiao.triage import cli


class Command(BaseCommand):
    help = "Triage models: train / evaluate the category classifier, group repeated matters, manage versions."

    def add_arguments(self, parser):
        sub = cli.add_arguments(parser)
        sub.add_parser("models", help="list the registered model versions")
        p = sub.add_parser("activate", help="activate a model version")
        p.add_argument("version", type=int)
        sub.add_parser("rollback", help="go back to the previously active model version")
        p = sub.add_parser("rules", help="keyword and routing rules")
        p.add_argument("rules_action", choices=["seed"])

    def handle(self, *args, **options):
        from argparse import Namespace

        action = options["action"]
        if action == "train" and options.get("from_db"):
            return self.train_from_db(options)
        if action in {"models", "activate", "rollback", "rules"}:
            return getattr(self, f"do_{action}")(options)
        ns = Namespace(**options)
        runner = {
            "train": cli.run_train,
            "evaluate": cli.run_evaluate,
            "duplicates": cli.run_duplicates,
        }[action]
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

    # ------------------------------------------------------------------ database commands

    def train_from_db(self, options):
        from fengqiao.core import context
        from fengqiao.triage import training

        with context.acting(None, channel="cli"):
            try:
                report = training.train_from_db(activate=options.get("activate", False),
                                                calibration_folds=options.get("calibration_folds", 3))
            except training.NotEnoughData as exc:
                raise CommandError(str(exc)) from exc
        if options.get("json"):
            self.stdout.write(json.dumps(report, ensure_ascii=False, default=str))
            return
        ev, base = report["evaluation"], report["baseline"]
        self.stdout.write(
            f"model v{report['version']}: {report['training']['train_rows']} training rows, "
            f"{report['training']['heldout_rows']} held out; macro-F1 {ev.get('macro_f1')} "
            f"(before: {base.get('macro_f1')}); {'activated' if report['activated'] else 'not activated'}")

    def do_models(self, options):
        from fengqiao.triage.models import ModelVersion

        for mv in ModelVersion.objects.order_by("kind", "version"):
            ev = mv.evaluation or {}
            self.stdout.write(f"{'*' if mv.is_active else ' '} {mv.kind} v{mv.version}  {mv.created_at:%Y-%m-%d %H:%M}  "
                              f"rows={mv.training.get('rows', '-')} macro-F1={ev.get('macro_f1', '-')}  {mv.file}")

    def do_activate(self, options):
        from fengqiao.core import context
        from fengqiao.core.errors import UserError
        from fengqiao.triage import actions
        from fengqiao.triage.models import ModelKind, ModelVersion

        mv = ModelVersion.objects.filter(kind=ModelKind.CATEGORY, version=options["version"]).first()
        if mv is None:
            raise CommandError(f"没有该模型版本 / no model version {options['version']}")
        with context.acting(None, channel="cli"):
            try:
                actions.activate_version(mv)
            except UserError as exc:
                raise CommandError(str(exc)) from exc
        self.stdout.write(f"activated {mv.kind} v{mv.version}")

    def do_rollback(self, options):
        from fengqiao.core import context
        from fengqiao.core.errors import UserError
        from fengqiao.triage import actions

        with context.acting(None, channel="cli"):
            try:
                mv = actions.rollback()
            except UserError as exc:
                raise CommandError(str(exc)) from exc
        self.stdout.write(f"active: v{mv.version}" if mv else "active: keyword rules (no model)")

    def do_rules(self, options):
        from fengqiao.core import context
        from fengqiao.triage import actions

        with context.acting(None, channel="cli"):
            out = actions.seed_rules()
        self.stdout.write(f"created {out['keyword_rules']} keyword rules, {out['routing_rules']} routing rules")
