"""Writes of the risk early warning, each one function in one transaction with its timeline
entry and audit record: the scan's ``raise_or_grow`` and the people's ``act`` (take on, defuse,
dismiss, supervise, comment) through the one transition table."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from fengqiao.accounts.models import User
from fengqiao.areas.models import Area
from fengqiao.core import audit, context, roles
from fengqiao.core.errors import Conflict
from fengqiao.core.inputs import MAX_TEXT, clean_text, optional_version  # noqa: F401  (MAX_TEXT: the API's limit)
from fengqiao.events.actions._base import actor_name
from fengqiao.events.notify import notify_on_commit

from . import transitions
from .choices import Level
from .detect import RANK, common_path, higher, path_prefix
from .models import AlertEntry, AlertMatter, RiskAlert


@dataclass
class Signal:
    """What the scan saw: one signature's current evidence."""

    kind: str
    signature: str
    level: str
    title: str
    summary: str
    area: Area
    evidence: dict = field(default_factory=dict)
    event_ids: Iterable[int] = ()
    category_code: str = ""
    seen_at: object = None
    #: an evidence key whose change is news even without new matters or a higher level (a matter
    #: reopened once more); other evidence changes (a spike's daily series) do not grow the alert
    news: str = ""


def _recipients(alert: RiskAlert) -> list[int]:
    """Who is told of a new or more serious alert: the operators of the nearest command centre
    above the alert's area (the town's, or the county's for a county-wide alert), and for a red
    alert also the county's operators and leaders."""
    town_path, county_path = path_prefix(alert.area_path, 2), path_prefix(alert.area_path, 1)
    users = User.objects.filter(is_active=True)
    ids = []
    if town_path:
        ids += users.filter(role=roles.TOWN_OPERATOR, area__path=town_path).values_list("pk", flat=True)
    if not ids or alert.level == Level.RED:
        ids += users.filter(role=roles.COUNTY_OPERATOR, area__path=county_path).values_list("pk", flat=True)
    if alert.level == Level.RED:
        ids += users.filter(role=roles.LEADER, area__path=county_path).values_list("pk", flat=True)
    return list(dict.fromkeys(ids))


def _notify(alert: RiskAlert, zh: str) -> None:
    notify_on_commit(_recipients(alert), "risk_alert", f"{zh}【{alert.get_level_display()}】{alert.title}",
                     alert.summary)


def _link(alert: RiskAlert, event_ids: Iterable[int], now, *, new_alert: bool = False) -> int:
    have = set() if new_alert else set(alert.links.values_list("event_id", flat=True))
    new = [i for i in dict.fromkeys(int(e) for e in event_ids) if i not in have]
    AlertMatter.objects.bulk_create([AlertMatter(alert=alert, event_id=i, added_at=now) for i in new])
    return len(new)


def raise_or_grow(signal: Signal, *, now=None) -> tuple[RiskAlert, str]:
    """预警: raise a new alert for ``signal``, or add its new evidence to the open alert of the
    same signature (raising its level, never lowering it). Returns the alert and what happened:
    ``raised``, ``grown`` or ``unchanged``."""
    now = now or timezone.now()
    with transaction.atomic(), context.explicit_audit():
        alert = RiskAlert.objects.select_for_update().filter(
            signature=signal.signature, state__in=list(transitions.OPEN)).first()
        if alert is None:
            try:
                with transaction.atomic():
                    alert = RiskAlert.objects.create(
                        number=f"tmp-{uuid.uuid4().hex[:28]}", kind=signal.kind, level=signal.level,
                        signature=signal.signature, title=signal.title[:200], summary=signal.summary,
                        area=signal.area, category_code=signal.category_code, evidence=signal.evidence,
                        first_seen_at=signal.seen_at or now, last_seen_at=signal.seen_at or now, raised_at=now)
            except IntegrityError:
                # another scan raised it a moment ago: add to that one
                alert = RiskAlert.objects.select_for_update().filter(
                    signature=signal.signature, state__in=list(transitions.OPEN)).first()
                if alert is None:
                    raise
            else:
                alert.number = f"YJ{timezone.localdate(now):%Y%m%d}{alert.pk:05d}"
                alert.matter_count = _link(alert, signal.event_ids, now, new_alert=True)
                alert.save(update_fields=["number", "matter_count"])
                AlertEntry.objects.create(alert=alert, at=now, action="raised", to_state=alert.state,
                                          actor_name="系统", text=signal.summary,
                                          data={"level": alert.level, "evidence": signal.evidence})
                # no signature here: a person's signature holds their keyed phone/ID digest
                audit.record("alert_raise", alert, object_repr=alert.number, after={"kind": alert.kind, "level": alert.level,
                                                          "area": alert.area.code, "matters": alert.matter_count})
                _notify(alert, "新预警")
                return alert, "raised"
        added = _link(alert, signal.event_ids, now)
        level = higher(alert.level, signal.level)
        news = bool(signal.news) and (signal.evidence or {}).get(signal.news) != (alert.evidence or {}).get(signal.news)
        if not added and level == alert.level and not news:
            return alert, "unchanged"
        before = {"level": alert.level, "matters": alert.matter_count, "area": alert.area.code}
        raised = RANK[level] > RANK[alert.level]
        alert.level = level
        alert.evidence = signal.evidence
        alert.summary = signal.summary
        alert.title = signal.title[:200]
        alert.matter_count += added
        alert.last_seen_at = signal.seen_at or now
        # the evidence may now lie outside the alert's area (a person calling about another
        # town): the alert moves up to the deepest area holding both, whose centre is told
        widened = False
        common = common_path([alert.area_path, signal.area.path])
        if common and common != alert.area_path:
            alert.area = Area.objects.filter(path=common).first() or alert.area
            widened = alert.area.path == common
        # the version is the people's (a stale form is refused); the scan's growing leaves it
        alert.save()
        AlertEntry.objects.create(alert=alert, at=now, action="grown", from_state=alert.state, to_state=alert.state,
                                  actor_name="系统", text=signal.summary,
                                  data={"level": level, "added": added, "evidence": signal.evidence})
        audit.record("alert_grow", alert, object_repr=alert.number, before=before, after={"level": alert.level, "matters": alert.matter_count,
                                                                "area": alert.area.code})
        if raised or widened or news:
            _notify(alert, "预警升级" if raised else "预警更新")
        return alert, "grown"


def _text(t: transitions.Transition, text) -> str:
    zh, en = transitions.TEXT_LABELS.get(t.action, ("说明", "text"))
    return clean_text(text, zh=zh, en=en, required="text" in t.required)


def act(alert: RiskAlert, action: str, *, by, text: str = "", version=None) -> RiskAlert:
    """One person's step on an alert (签收处置, 化解反馈, 排除, 督办, 备注), as the transition
    table allows. ``version`` (the one the person saw) refuses a stale form with a 409."""
    t = transitions.get(action)
    value = _text(t, text)
    expected = optional_version(version)
    now = timezone.now()
    with transaction.atomic(), context.explicit_audit():
        locked = RiskAlert.objects.select_for_update().get(pk=alert.pk)
        transitions.RULES.check_role(t, by)  # a role that may never do this hears so, stale form or not
        if expected is not None and expected != locked.version:
            raise Conflict("stale_version", "预警已被他人更新,请刷新后重试",
                           "the alert was changed by someone else; reload and try again")
        transitions.check(locked, action, by)
        before = {"state": locked.state, "version": locked.version}
        source = locked.state
        if t.target is not None:
            locked.state = t.target
        if action == "take_on":
            locked.acknowledged_at, locked.acknowledged_by = now, by
        elif action in ("defuse", "dismiss"):
            if locked.acknowledged_at is None:
                locked.acknowledged_at, locked.acknowledged_by = now, by
            locked.closed_at, locked.closed_by, locked.outcome = now, by, value
        elif action == "supervise":
            locked.supervised = True
        locked.version += 1
        locked.save()
        AlertEntry.objects.create(alert=locked, at=now, actor=by, actor_name=actor_name(by), action=action,
                                  from_state=source, to_state=locked.state, text=value)
        audit.record(f"alert_{action}", locked, object_repr=locked.number, actor=by, before=before,
                     after={"state": locked.state, "version": locked.version, "text": value[:200]})
        if action == "supervise":
            notify_on_commit(_recipients(locked) + ([locked.acknowledged_by_id] if locked.acknowledged_by_id else []),
                             "risk_alert_supervised", f"预警督办:{locked.title}", value)
    return locked

