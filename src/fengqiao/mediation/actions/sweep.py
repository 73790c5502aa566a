"""The time-limit sweep (every few minutes, huey): colours, escalation, backlog.

- an accepted/in-mediation dispute past 75 % of its 30-day limit turns yellow and its mediators
  and centre are told; past the limit it turns red, is marked overdue and escalated to the
  supervising level (town → county), once;
- a dispute open longer than the backlog threshold, or failed twice, becomes a backlog case
  (积案) awaiting a leader; so does a petition matter open longer than the threshold;
- an agreement whose judicial-confirmation window closes within 5 days is flagged once.

Each change is its own conditional update (``version`` unchanged), so a sweep racing a person
loses quietly and tries again next time.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import DatabaseError, transaction
from django.utils import timezone

from fengqiao.core import audit, context

from .. import sla
from ..choices import CLOCK_STATES, OPEN_STATES, BacklogReason, SlaColor, State
from ..models import BacklogCase, Dispute
from ..notify import mediator_user_ids, notify_on_commit, staff_ids
from . import _common as c
from .backlog import open_backlog_case

log = logging.getLogger(__name__)


def _recolour(d: Dispute, color: str, at: dt.datetime) -> bool:
    with transaction.atomic(), context.explicit_audit():
        fields = {"sla_color": color, "version": d.version + 1, "updated_at": at}
        escalate_to = None
        if color == SlaColor.RED:
            fields["overdue"] = True
            if d.escalated_to_id is None:
                escalate_to = sla.supervising_area(d)
                if escalate_to is not None:
                    fields["escalated_to"] = escalate_to
        if Dispute.objects.filter(pk=d.pk, version=d.version, state=d.state).update(**fields) != 1:
            return False
        before_color = d.sla_color
        d.refresh_from_db()
        data = {"color": color}
        if escalate_to is not None:
            data["escalated_to"] = escalate_to.code
        c.timeline(d, None, "overdue" if color == SlaColor.RED else "warning", "", "", "", data, at)
        audit.record("dispute_sla_" + color, d, before={"sla_color": before_color}, after=data, actor=None)
        ids = mediator_user_ids(d) + staff_ids(d.area_path)
        if escalate_to is not None:
            ids += staff_ids(escalate_to.path)
        notify_on_commit(ids, f"mediation_{color}", f"{d.number} {'已超期' if color == 'red' else '即将到期'}", d.title)
    return True


def sweep(at: dt.datetime | None = None) -> dict[str, int]:
    at = at or timezone.now()
    counts = {"yellow": 0, "red": 0, "backlog": 0, "confirmation_warnings": 0}
    running = Dispute.objects.filter(state__in=CLOCK_STATES)
    for d in running.filter(due_at__lte=at).exclude(sla_color=SlaColor.RED).select_related("area", "escalated_to"):
        counts["red"] += _recolour(d, SlaColor.RED, at)
    for d in running.filter(warn_at__lte=at, sla_color=SlaColor.GREEN).select_related("area", "escalated_to"):
        counts["yellow"] += _recolour(d, SlaColor.YELLOW, at)

    threshold = at - dt.timedelta(days=sla.backlog_days())
    has_case = BacklogCase.objects.exclude(status="closed").filter(dispute__isnull=False).values("dispute_id")
    stale = Dispute.objects.filter(state__in=OPEN_STATES, registered_at__lt=threshold).exclude(pk__in=has_case)
    twice = Dispute.objects.filter(failed_count__gte=2).exclude(
        state__in=[State.ARCHIVED, State.WITHDRAWN, State.DECLINED]).exclude(pk__in=has_case)
    for reason, qs in ((BacklogReason.OPEN_TOO_LONG, stale), (BacklogReason.FAILED_TWICE, twice)):
        for d in qs.select_related("area"):
            try:
                open_backlog_case(dispute=d, reason=reason, at=at)
                counts["backlog"] += 1
            except Exception as exc:  # another sweep got there first
                log.info("backlog case for %s not opened: %s", d.number, exc)
    counts["backlog"] += _petitions(threshold, at)

    soon = at + dt.timedelta(days=5)
    for d in Dispute.objects.filter(state__in=[State.SUCCEEDED, State.FOLLOWED_UP, State.ARCHIVED],
                                    confirmation_status="", confirmation_deadline__gt=at,
                                    confirmation_deadline__lte=soon).exclude(timeline__action="confirmation_warning"):
        with transaction.atomic(), context.explicit_audit():
            c.timeline(d, None, "confirmation_warning", "", "", "", {"deadline": d.confirmation_deadline.isoformat()}, at)
            notify_on_commit(mediator_user_ids(d) + staff_ids(d.area_path), "mediation_confirmation_deadline",
                             f"{d.number} 司法确认申请期限将至", d.confirmation_deadline.isoformat())
        counts["confirmation_warnings"] += 1
    return counts


def _petitions(threshold: dt.datetime, at: dt.datetime) -> int:
    """Petition matters (信访) open longer than the threshold become backlog cases too."""
    n = 0
    try:
        from fengqiao.events.choices import OPEN_STATES as EVENT_OPEN
        from fengqiao.events.models import Event

        with transaction.atomic():
            has_case = BacklogCase.objects.exclude(status="closed").filter(event__isnull=False).values("event_id")
            old = list(Event.objects.filter(channel="petition", state__in=EVENT_OPEN, received_at__lt=threshold,
                                            area__isnull=False).exclude(pk__in=has_case).select_related("area")[:500])
    except (ImportError, DatabaseError) as exc:
        log.warning("petition backlog check skipped: %s", exc)
        return 0
    for e in old:
        try:
            open_backlog_case(event=e, reason=BacklogReason.PETITION_OPEN_TOO_LONG, at=at)
            n += 1
        except Exception as exc:
            log.info("backlog case for matter %s not opened: %s", e.pk, exc)
    return n
