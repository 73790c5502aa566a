"""Writes of the evaluation: a weight (from the admin) and a publication (日晾晒 / 月比拼). Each is
one function, in one transaction, with its own audit record."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from fengqiao.core import audit, context
from fengqiao.core.errors import Conflict, Forbidden, UserError
from fengqiao.core.restrict import role_allowed
from fengqiao.events.actions._base import actor_name
from fengqiao.events.sla import now as sla_now
from fengqiao.web.dashboard import home_area

from . import labels, query
from .formulas import MAX_WEIGHT, SCORED
from .models import IndicatorWeight, Publication
from .periods import Period


def set_weight(code: str, weight, *, by=None) -> IndicatorWeight:
    """设置指标权重: the weight (0–100) of one scored indicator; 0 leaves it out of the score."""
    if code not in SCORED:
        raise UserError("unknown_indicator", f"未知指标: {code}", f"unknown indicator: {code}", field="code")
    whole = (isinstance(weight, int) and not isinstance(weight, bool)) or (
        isinstance(weight, str) and weight.strip().isascii() and weight.strip().isdigit())
    value = int(weight) if whole else -1
    if not 0 <= value <= MAX_WEIGHT:
        raise UserError("bad_weight", f"权重应为 0 到 {MAX_WEIGHT} 的整数", f"a weight is a whole number from 0 to {MAX_WEIGHT}",
                        field="weight")
    with transaction.atomic(), context.explicit_audit():
        obj = IndicatorWeight.objects.select_for_update().filter(code=code).first()
        before = audit.snapshot(obj) if obj is not None else None
        if obj is None:
            obj = IndicatorWeight(code=code)
        obj.weight = value
        obj.updated_at = timezone.now()
        obj.updated_by = by
        obj.save()
        audit.record("evaluation_set_weight", obj, before=before, after=audit.snapshot(obj), actor=by)
    return obj


def publish(period: Period, *, by) -> Publication:
    """发布考评结果: freeze the figures of ``period`` as ``by`` sees them (its area's units) into a
    new :class:`Publication`. Publishing the same period again adds the next revision; the
    earlier ones stay as they were."""
    if not role_allowed(Publication, by, "publish"):
        raise Forbidden("publish_not_allowed", "您的角色不能发布考评结果", "your role may not publish evaluation results")
    root = home_area(by)
    if root is None:
        raise UserError("no_scope", "您没有所属区域,无法发布考评结果", "you have no home area to publish figures for")
    now = sla_now()
    data = query.evaluate(by, period, now=now)
    data.update(labels.frozen_texts([*data["indicators"], *data["not_measurable"]]))
    try:
        with transaction.atomic(), context.explicit_audit():
            last = (Publication.objects.filter(scope=root, kind=period.kind, period_start=period.start)
                    .aggregate(n=Max("revision"))["n"]) or 0
            pub = Publication.objects.create(
                kind=period.kind, period_start=period.start, period=period.key, revision=last + 1, scope=root,
                complete=data["complete"], published_at=now, published_by=by, published_by_name=actor_name(by), data=data)
            audit.record("evaluation_publish", pub, actor=by, after={
                "period": period.key, "kind": period.kind, "revision": pub.revision, "scope": root.code,
                "complete": pub.complete, "weights": data["weights"],
                "units": sum(len(g["rows"]) for g in data["groups"]),
            })
    except IntegrityError:
        # two publishers of the same period at the same moment took the same revision number
        raise Conflict("publish_conflict", "该期间刚被他人发布,请刷新后重试",
                       "someone else published this period at the same moment; reload and try again") from None
    return pub
