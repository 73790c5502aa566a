"""``manage.py triage train|evaluate|duplicates|register|models|history|activate|rollback|rules``.

``train``/``evaluate``/``duplicates`` work on files (logic in :mod:`fengqiao.triage.cli`);
``train --from-db``, ``register``, ``models``, ``history``, ``activate``, ``rollback`` and
``rules seed`` work on the database (logic in :mod:`fengqiao.triage.training` and
:mod:`fengqiao.triage.actions`).
"""

import json
import os
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from fengqiao.core.cli import bilingual, command_error, from_user_error
from fengqiao.triage import cli

#: ``train``'s file options and their defaults: the parser leaves them ``None`` so that
#: ``--from-db`` can tell whether one was given.
FILE_TRAIN_DEFAULTS = {"data": None, "out": None, "text": "title,body", "label": "label"}
#: ``history --limit`` above this shows as much as this: every activation there is
HISTORY_LIMIT_CAP = 10**9



def local_time(value) -> str:
    """A stored (UTC) time in the server's zone (``TIME_ZONE``) with its offset:
    ``2026-12-06 14:03+08:00``; ``-`` when there is none."""
    if value is None:
        return "-"
    return timezone.localtime(value).isoformat(sep=" ", timespec="minutes")


class Command(BaseCommand):
    help = ("Triage models: train / evaluate the category classifier, group repeated matters, register and "
            "manage model versions.")

    def add_arguments(self, parser):
        sub = cli.add_arguments(parser)
        sub.choices["train"].set_defaults(text=None, label=None)
        p = sub.add_parser("register", help="register a model file trained from files (train --out) as the next "
                                             "model version; copied into the var directory's models folder")
        p.add_argument("file", help="the .skops model file")
        p.add_argument("--activate", action="store_true", help="activate the new version at once")
        p.add_argument("--note", default="", help="a note shown with the version")
        p.add_argument("--json", action="store_true", help="print one JSON object")
        p = sub.add_parser("models", help="list the registered model versions (* = active)")
        p.add_argument("--json", action="store_true", help="print one JSON list")
        p = sub.add_parser("history", help="list the activations, newest first, and what a rollback would do")
        p.add_argument("--limit", type=int, default=0, help="show only the newest N activations")
        p.add_argument("--json", action="store_true", help="print one JSON object")
        p = sub.add_parser("activate", help="activate a model version")
        p.add_argument("version", type=int)
        sub.add_parser("rollback", help="undo the newest activation not yet undone: back to the model version "
                                        "(or the keyword rules) in effect before it")
        p = sub.add_parser("rules", help="keyword and routing rules")
        p.add_argument("rules_action", choices=["seed"])

    def handle(self, *args, **options):
        from argparse import Namespace

        action = options["action"]
        if action == "train" and options.get("from_db"):
            return self.train_from_db(options)
        if action in {"register", "models", "history", "activate", "rollback", "rules"}:
            return getattr(self, f"do_{action}")(options)
        if action == "train":
            given = [f"--{key.replace('_', '-')}" for key in ("activate", "if_due", "json") if options.get(key)]
            if given:
                raise command_error(
                    f"参数有误: {', '.join(given)} 只用于 --from-db;从文件训练的模型用 `triage register` 登记",
                    f"invalid arguments: {', '.join(given)} {'goes' if len(given) == 1 else 'go'} only with "
                    f"--from-db; register a model "
                    "trained from files with `triage register`", returncode=2)
            for key, default in FILE_TRAIN_DEFAULTS.items():
                if options.get(key) is None:
                    options[key] = default
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
        except BrokenPipeError:  # the reader stopped (``| head``): nothing is wrong here
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # the interpreter's last flush must not fail too
        except OSError as exc:
            raise command_error("读写文件失败", f"file error: {exc}") from exc

    def warn_unmatched(self, labels) -> None:
        if labels:
            shown = "、".join(labels[:10]) + (f" …(+{len(labels) - 10})" if len(labels) > 10 else "")
            self.stderr.write(f"警告: 模型的这些标签不对应任何启用的事件分类，不会被建议: {shown} / warning: these "
                              f"labels of the model match no active category and will never be suggested: {shown}")

    # ------------------------------------------------------------------ database commands

    def train_from_db(self, options):
        from fengqiao.core import context
        from fengqiao.core.errors import UserError
        from fengqiao.triage import training

        given = [f"--{key}" for key in FILE_TRAIN_DEFAULTS if options.get(key) is not None]
        if given:
            raise command_error(
                f"参数有误: --from-db 从数据库训练，不能与 {', '.join(given)} 同用",
                f"invalid arguments: --from-db trains on the database and cannot be combined with "
                f"{', '.join(given)} (those train from files)", returncode=2)
        if options.get("if_due") and options.get("activate"):
            raise command_error(
                "参数有误: --if-due 按常规规则启用新模型，不能与 --activate 同用",
                "invalid arguments: --if-due activates by the usual rule and cannot be combined with --activate",
                returncode=2)
        with context.acting(None, channel="cli"):
            try:
                if options.get("if_due"):
                    report = self.retrain_if_due(options)
                else:
                    report = training.train_from_db(activate=options.get("activate", False),
                                                    calibration_folds=options.get("calibration_folds", 3))
            except training.NotEnoughData as exc:
                raise CommandError(str(exc)) from exc
            except UserError as exc:  # actions.NotActivated names the version left registered
                raise from_user_error(exc) from exc
        if report.get("activated"):
            self.warn_unmatched(report["unmatched_labels"])
        if options.get("json"):
            self.stdout.write(json.dumps(report, ensure_ascii=False, default=str))
            return
        if not report.get("due", True):
            self.stdout.write(
                f"not due: {report['new_rows']} matters labelled or closed since "
                f"{'model v' + str(report['last_version']) if report['last_version'] else 'the start'} "
                f"(retrains from {report['min_new']}); no model trained")
            return
        ev, base = report["evaluation"], report["baseline"]
        self.stdout.write(
            f"model v{report['version']}: {report['training']['train_rows']} training rows, "
            f"{report['training']['heldout_rows']} held out; macro-F1 {ev.get('macro_f1')} "
            f"(before: {base.get('macro_f1')}); {'activated' if report['activated'] else 'not activated'}")
        self.stdout.write(f"  params: {_describe_params(report['training'].get('params'))}")
        if report.get("files_removed"):
            self.stdout.write("  files removed (earlier candidates never put to use): "
                              + ", ".join(f"v{n}" for n in report["files_removed"]))
        how_zh, how_en = (("triage activate", "triage activate") if options.get("if_due")
                          else ("--activate 或 triage activate", "--activate or triage activate"))
        if report.get("changed_meanwhile"):
            self.stderr.write(
                f"评估期间另一个模型被启用，新模型已登记但未启用(可用 {how_zh} 启用)/ another model was put to "
                f"use while this one was judged: it is registered, not activated (use {how_en})")
        elif report["better"] and not report["enough_heldout"] and not report["activated"]:
            self.stderr.write(
                f"留出评估的事件不足 {training.MIN_HELDOUT_TO_ACTIVATE} 件，新模型已登记但未启用(可用 {how_zh} "
                f"启用)/ fewer than {training.MIN_HELDOUT_TO_ACTIVATE} held-out matters: the "
                f"model is registered, not activated (use {how_en})")

    def retrain_if_due(self, options) -> dict:
        """``--if-due``: under the nightly job's lease, so the two never train at once."""
        from fengqiao.core import leases
        from fengqiao.triage import training
        from fengqiao.triage.jobs import RETRAIN_LEASE, RETRAIN_LEASE_TTL

        report = leases.held(RETRAIN_LEASE, ttl=RETRAIN_LEASE_TTL)(training.retrain_if_due)(
            calibration_folds=options.get("calibration_folds", 3))
        if report is None:  # retrain_if_due always reports: None is the lease held elsewhere
            raise command_error("另一次重训正在进行(工作进程的每晚重训或另一个 --if-due)，本次未训练",
                                "another retraining is running (the worker's nightly one or another --if-due): "
                                "nothing was trained")
        return report

    def do_register(self, options):
        from fengqiao.core import context
        from fengqiao.core.errors import UserError
        from fengqiao.triage import actions

        try:
            cli.refuse_directory(options["file"], "模型文件", "the model file")
        except cli.TriageInputError as exc:
            raise CommandError(str(exc)) from exc
        with context.acting(None, channel="cli"):
            try:
                mv = actions.register_file(options["file"], note=options.get("note") or "")
            except UserError as exc:
                raise from_user_error(exc) from exc
            except OSError as exc:
                raise command_error("读写文件失败", f"file error: {exc}") from exc
            unmatched = actions.unmatched_labels(mv.labels)
            activated, refused = False, None
            if options.get("activate"):
                try:
                    actions.activate_version(mv)
                    activated = True
                except UserError as exc:
                    refused = actions.NotActivated(mv.version, exc)
        self.warn_unmatched(unmatched)
        if options.get("json"):
            self.stdout.write(json.dumps({
                "version": mv.version, "file": mv.file, "sha256": mv.sha256, "labels": mv.labels,
                "training": mv.training, "evaluation": mv.evaluation, "unmatched_labels": unmatched,
                "activated": activated}, ensure_ascii=False, default=str))
        else:
            cv = mv.evaluation.get("cv_macro_f1")
            cv = f"{cv:.4f}" if isinstance(cv, float) else "-"
            self.stdout.write(
                f"registered {mv.kind} v{mv.version}: {mv.file} (sha256 {mv.sha256[:12]}…), {len(mv.labels)} labels, "
                f"{mv.training.get('rows') or '-'} training rows, CV macro-F1 {cv}"
                f"{'; activated' if activated else ''}")
            self.stdout.write(f"  params: {_describe_params(mv.params)}")
        if refused is not None:
            raise from_user_error(refused)

    def do_models(self, options):
        """Every version, oldest first; the active one's file is checked (present, the
        registered sha256, loads), the others' only for presence."""
        from fengqiao.core.errors import UserError
        from fengqiao.triage import service
        from fengqiao.triage.models import ModelActivation, ModelVersion

        replaced = {}  # version pk → what its latest activation replaced (None: the keyword rules)
        for version_id, previous in (ModelActivation.objects.order_by("id")
                                     .values_list("version_id", "previous__version__version")):
            replaced[version_id] = previous
        rows = []
        for mv in ModelVersion.objects.order_by("kind", "version"):
            params = mv.params
            problem = ""
            if mv.is_active:
                try:
                    model = service.load_version(mv)
                    params = params or (model.metadata or {}).get("params") or {}
                except UserError as exc:
                    problem = bilingual(exc.zh, exc.en)
            elif mv.file_removed_at is not None:
                removed = service.removed_error(mv)
                problem = bilingual(removed.zh, removed.en)
            elif not mv.path().is_file():
                problem = f"模型文件不存在 / the model file is missing: {mv.file}"
            ev = mv.evaluation or {}
            rows.append({
                "kind": mv.kind, "version": mv.version, "active": mv.is_active, "file": mv.file,
                "sha256": mv.sha256, "created_at": local_time(mv.created_at),
                "activated_at": local_time(mv.activated_at) if mv.activated_at else None,
                "replaced": replaced.get(mv.pk),
                "labels": len(mv.labels or []), "rows": (mv.training or {}).get("rows"),
                "macro_f1": ev.get("macro_f1"), "cv_macro_f1": ev.get("cv_macro_f1", (mv.training or {}).get("cv_macro_f1")),
                "params": params, "note": mv.note, "problem": problem,
            })
        if options.get("json"):
            self.stdout.write(json.dumps(rows, ensure_ascii=False, default=str))
            return
        if not rows:
            self.stdout.write("no model versions: the keyword rules classify")
            return
        for r in rows:
            def fig(v):
                return "-" if v is None else (f"{v:.4f}" if isinstance(v, float) else v)

            self.stdout.write(
                f"{'*' if r['active'] else ' '} {r['kind']} v{r['version']}  created {r['created_at']}"
                f"{'  activated ' + r['activated_at'] if r['activated_at'] else ''}"
                f"{'  replaced v' + str(r['replaced']) if r['replaced'] else ''}  "
                f"rows={fig(r['rows'])} labels={r['labels']} macro-F1={fig(r['macro_f1'])} "
                f"CV={fig(r['cv_macro_f1'])}  {r['file']}{'  (' + r['note'] + ')' if r['note'] else ''}")
            self.stdout.write(f"    params: {service.describe_params(r['params'])}")
            if r["problem"]:
                self.stdout.write(f"    ! {r['problem']}")
                if r["active"]:
                    self.stdout.write("    ! 暂由关键词规则分类 / the keyword rules classify instead")
        self.stdout.write(f"rollback: {_rollback_plan()['text']}  (history: triage history)")

    def do_history(self, options):
        """The activations, newest first: when, by whom, what each replaced, which are undone."""
        from fengqiao.triage.models import ModelActivation

        qs = ModelActivation.objects.select_related("version", "by", "undone_by", "previous__version").order_by("-id")
        if options.get("limit", 0) > 0:
            # a limit past any history means all of it; beyond 2**63 the database refused the
            # number itself (SQLite "datatype mismatch", PostgreSQL "bigint out of range")
            qs = qs[:min(options["limit"], HISTORY_LIMIT_CAP)]
        plan = _rollback_plan()
        rows = [{
            "id": a.pk, "kind": a.kind, "version": a.version.version, "at": local_time(a.at),
            "by": a.by.username if a.by_id else "",
            "previous": a.previous_id, "replaced": a.previous.version.version if a.previous_id else None,
            "undone_at": local_time(a.undone_at) if a.undone_at else None,
            "undone_by": a.undone_by.username if a.undone_by_id else "",
            "source": a.source, "in_effect": a.pk == plan["activation"],
        } for a in qs]
        if options.get("json"):
            self.stdout.write(json.dumps({"activations": rows, "rollback": {
                key: plan[key] for key in ("activation", "active", "to_activation", "to", "problem")}},
                ensure_ascii=False, default=str))
            return
        if not rows:
            self.stdout.write("no activations: the keyword rules classify")
        for r in rows:
            replaced = f"v{r['replaced']}" if r["replaced"] is not None else "keyword rules"
            state = "*" if r["in_effect"] else ("-" if r["undone_at"] else " ")
            line = (f"{state} #{r['id']} {r['kind']} v{r['version']}  activated {r['at']}"
                    f"{' by ' + r['by'] if r['by'] else ''}  replaced {replaced}")
            if r["undone_at"]:
                line += f"  rolled back {r['undone_at']}{' by ' + r['undone_by'] if r['undone_by'] else ''}"
            if r["source"] != "activation":
                line += f"  ({r['source']})"
            self.stdout.write(line)
        self.stdout.write(f"rollback: {plan['text']}")

    def do_activate(self, options):
        from fengqiao.core import context
        from fengqiao.core.errors import UserError
        from fengqiao.triage import actions
        from fengqiao.triage.models import ModelKind, ModelVersion

        mv = ModelVersion.objects.filter(kind=ModelKind.CATEGORY, version=options["version"]).first()
        if mv is None:
            raise command_error("没有该模型版本", f"no model version {options['version']}")
        with context.acting(None, channel="cli"):
            try:
                actions.activate_version(mv)
            except UserError as exc:
                raise from_user_error(exc) from exc
        self.warn_unmatched(actions.unmatched_labels(mv.labels))
        self.stdout.write(f"activated {mv.kind} v{mv.version}")

    def do_rollback(self, options):
        from fengqiao.core import context
        from fengqiao.core.errors import UserError
        from fengqiao.triage import actions

        with context.acting(None, channel="cli"):
            try:
                mv = actions.rollback()
            except UserError as exc:
                raise from_user_error(exc) from exc
        if mv is not None:
            self.warn_unmatched(actions.unmatched_labels(mv.labels))
        self.stdout.write(f"active: v{mv.version}" if mv else "active: keyword rules (no model)")
        self.stdout.write(f"next rollback: {_rollback_plan()['text']}")

    def do_rules(self, options):
        from fengqiao.core import context
        from fengqiao.triage import actions

        with context.acting(None, channel="cli"):
            out = actions.seed_rules()
        given = f"; co-handlers added to {out['cohandlers_added']} routing rules" if out["cohandlers_added"] else ""
        self.stdout.write(f"created {out['keyword_rules']} keyword rules, {out['routing_rules']} routing rules{given}")


def _rollback_plan(kind: str = "category") -> dict:
    """What ``triage rollback`` would do now: the activation it undoes, the version it returns
    to, and in ``text`` one line saying so (or why it would be refused)."""
    from fengqiao.triage import actions
    from fengqiao.triage.models import ModelVersion

    top = actions.in_effect(kind)
    active = ModelVersion.objects.filter(kind=kind, is_active=True).first()
    plan = {"activation": top.pk if top else None, "active": active.version if active else None,
            "to_activation": None, "to": None, "problem": ""}
    if top is None and active is None:
        plan["text"] = "nothing to undo (the keyword rules classify)"
        plan["problem"] = "nothing_to_undo"
        return plan
    if top is None or active is None or top.version_id != active.pk:
        exc = actions.history_mismatch(active, top)
        plan["text"] = f"refused: {exc.en}"
        plan["problem"] = exc.code
        return plan
    target = top.previous.version if top.previous_id else None
    plan["to_activation"] = top.previous_id
    plan["to"] = target.version if target else None
    plan["text"] = (f"undo #{top.pk} (v{active.version}) → "
                    f"{f'v{target.version} (#{top.previous_id})' if target else 'keyword rules'}")
    if target is not None and not target.path().is_file():  # only presence: hashing is rollback's job
        plan["problem"] = "model_missing"
        plan["text"] += f" — refused while the model file of v{target.version} is missing: {target.file}"
    return plan


def _describe_params(params) -> str:
    from fengqiao.triage import service

    return service.describe_params(params)
