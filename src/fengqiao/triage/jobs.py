"""Background job (huey): retrain the category model at night when enough has been labelled."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from fengqiao.core import context, leases

log = logging.getLogger(__name__)


#: the lease shared with ``triage train --from-db --if-due`` (``core.leases``); renewed while the
#: training runs, however long, and lapsing 30 minutes after a worker killed while training (a
#: redeploy, the OOM killer) last renewed it, so it stops no later night
RETRAIN_LEASE = "triage-retrain"
RETRAIN_LEASE_TTL = 30 * 60


@db_periodic_task(crontab(hour="2", minute="43"))
@leases.held(RETRAIN_LEASE, ttl=RETRAIN_LEASE_TTL)
def nightly_retrain():
    """Every night at 02:43 local time (unless ``FENGQIAO_TRIAGE_RETRAIN`` is off; skipped while
    ``triage train --from-db --if-due`` holds the lease): ``training.retrain_if_due``, then
    the administrators are told in their inbox when a new model was put to use."""
    from fengqiao.core.errors import UserError

    from . import service, training

    if not service.setting("FENGQIAO_TRIAGE_RETRAIN", True):
        return None
    with context.acting(None, channel="worker"):
        try:
            report = training.retrain_if_due(note="nightly retraining")
        except training.NotEnoughData as exc:
            log.info("nightly retraining skipped: %s", exc)
            return None
        except UserError as exc:  # registered but its activation was refused (actions.NotActivated)
            log.warning("nightly retraining: %s", exc.message())
            return None
        if not report["due"]:
            log.info("nightly retraining not due: %s new labelled or closed matters (needs %s)",
                     report["new_rows"], report["min_new"])
            return report
        log.info("nightly retraining: model v%s, macro-F1 %s (before %s), %s", report["version"],
                 report["evaluation"].get("macro_f1"), report["baseline"].get("macro_f1"), outcome(report))
        if report["activated"]:
            tell_admins(report)
    return report


def outcome(report: dict) -> str:
    """Whether a retraining's version was put to use, and if not why, in a log's words."""
    if report["activated"]:
        return "activated"
    if report.get("changed_meanwhile"):
        return "not activated: another model was put to use while it was judged"
    if not report["better"]:
        return "not activated: not better than the model in use"
    from .training import MIN_HELDOUT_TO_ACTIVATE

    return f"not activated: judged on fewer than {MIN_HELDOUT_TO_ACTIVATE} held-out matters"


def tell_admins(report: dict) -> None:
    """An inbox note to every active administrator: which version took over and on what figures."""
    from fengqiao.accounts.models import User
    from fengqiao.core import roles
    from fengqiao.events.notify import notify_on_commit

    ev, base = report["evaluation"], report["baseline"]
    before = f"v{base['active_version']}" if base.get("active_version") else "关键词规则"
    body = (f"新模型在 {ev.get('heldout_rows', 0)} 件留出事件上的宏平均F1为 {_figure(ev.get('macro_f1'))}，"
            f"原用{before}为 {_figure(base.get('macro_f1'))}；训练 {report['training']['train_rows']} 件。"
            f"如需回退: fengqiao triage rollback")
    admins = User.objects.filter(role=roles.ADMIN, is_active=True).values_list("pk", flat=True)
    notify_on_commit(list(admins), "triage_model_activated", f"分类模型已自动更新为 v{report['version']}", body)


def _figure(value) -> str:
    return f"{value:.4f}" if isinstance(value, float) else "-"
