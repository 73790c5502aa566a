"""What every action shares: the checked, conditional state change with its timeline entry,
audit record, outbound feedback and notifications."""

from __future__ import annotations

from django.db import models, transaction
from django.db.models import F

from fengqiao.accounts.models import User
from fengqiao.core import audit, context, roles
from fengqiao.core.errors import Conflict, UserError
from fengqiao.core.memo import Memo
from fengqiao.core.personal import mask_nested

from .. import notify, outbox, transitions
from ..choices import FEEDBACK_CHANNELS, State
from ..models import Attachment, Event, TimelineEntry
from ..sla import now as sla_now

# Status changes reported back to the channel the matter came from (12345, 110).
FEEDBACK_ACTIONS = frozenset({"accept", "reject", "merge", "cancel", "dispatch", "return", "resolve", "verify",
                              "reopen", "close"})


def stale() -> Conflict:
    return Conflict("stale", "事件已被他人处理,请刷新后重试", "someone else acted on this matter first; reload and try again")


def require(value, name: str, zh: str, en: str):
    if value is None or (isinstance(value, str) and not value.strip()) or (isinstance(value, (list, tuple)) and not value):
        raise UserError("required", f"缺少{zh}", f"{en} is required", field=name)
    return value.strip() if isinstance(value, str) else value


def _plain(value):
    if isinstance(value, models.Model):
        return value.pk
    return value


def actor_name(user) -> str:
    if user is None:
        return "system"
    return (user.get_full_name() or user.username)[:150]


def running_clock(state: str, values: dict) -> tuple:
    """``(warn_at, due_at)`` of the clock that runs in ``state``; ``(None, None)`` if none runs."""
    if values.get("paused_at") is not None:
        return None, None
    if state == State.DISPATCHED:
        return values.get("sign_warn_at"), values.get("sign_due_at")
    if state in (State.SIGNED, State.IN_PROGRESS):
        return values.get("handle_warn_at"), values.get("handle_due_at")
    return None, None


def attachments_of(event: Event, ids) -> list[int]:
    ids = [int(i) for i in (ids or [])]
    if not ids:
        return []
    found = set(Attachment.objects.filter(event=event, pk__in=ids).values_list("pk", flat=True))
    missing = sorted(set(ids) - found)
    if missing:
        raise UserError("bad_attachment", f"附件不存在或不属于此事件: {missing}",
                        f"attachments not found on this matter: {missing}", field="attachments")
    return ids


def apply(event: Event, action: str, by, *, changes: dict | None = None, reason: str = "", data: dict | None = None,
          attachment_ids=(), notify_ids=(), notify_title: str = "", checked: bool = False,
          versioned: bool = True) -> Event:
    """Run one checked transition: a conditional UPDATE on (id, state, version), a timeline
    entry, an audit record, the outbound feedback row, and notifications after commit.

    Two operators acting at once: both pass the table check, only one UPDATE matches the old
    version; the other gets :class:`Conflict` ("stale") and nothing of it is written.

    ``versioned=False`` (a comment, a supervision: they add to the matter and change nothing
    another action reads) conditions the UPDATE on the state only, so twenty people commenting
    at once all get through; ``changes`` then use expressions (``F(...) + 1``) where they count,
    and the fields they touch are read back. A caller's own ``version`` is still checked by
    :func:`perform` against the row as loaded (a second click is refused).
    """
    t = transitions.get(action) if checked else transitions.check(event, action, by)
    changes = dict(changes or {})
    now = sla_now()
    from_state = event.state
    to_state = t.target or event.state
    with transaction.atomic(), context.explicit_audit():
        fields = {**changes, "version": F("version") + 1, "updated_at": now}
        if t.target:
            fields["state"] = t.target
        rows = Event.objects.filter(pk=event.pk, state=from_state)
        if versioned:
            rows = rows.filter(version=event.version)
        if rows.update(**fields) != 1:
            raise stale()
        for k, v in changes.items():
            setattr(event, k, v)
        event.state = to_state
        event.version += 1
        event.updated_at = now
        if not versioned:  # others may have written meanwhile: read back what was counted
            event.refresh_from_db(fields=["version", *changes])
        entry = TimelineEntry.objects.create(
            event=event, at=now, actor=by, actor_name=actor_name(by), action=action, from_state=from_state,
            to_state=to_state, reason=reason or "", data=audit.canonical(data or {}),
        )
        if attachment_ids:
            Attachment.objects.filter(event=event, pk__in=list(attachment_ids)).update(entry=entry)
        audit.record(f"event_{action}", event, actor=by,
                     before={"state": from_state},
                     after=mask_nested({"state": to_state, **{k: _plain(getattr(event, k)) for k in changes},
                                        **(data or {})}))
        if event.channel in FEEDBACK_CHANNELS and action in FEEDBACK_ACTIONS:
            queue_feedback(event, entry)
        if notify_ids:
            notify.notify_on_commit([i for i in notify_ids if i != getattr(by, "pk", None)], f"event_{action}",
                                    notify_title or f"{event.number} {t.zh}: {event.title}",
                                    reason or "", event.pk)
    return event


def queue_feedback(event: Event, entry: TimelineEntry) -> None:
    """Feedback to 12345/110 (§8): one outbox row per status change, keyed by the entry."""
    payload = {
        "event_id": event.pk, "number": event.number, "channel": event.channel, "channel_ref": event.channel_ref,
        "action": entry.action, "state": entry.to_state, "status_notes": entry.reason or event.result,
        "unit": event.handling_unit_label() if entry.action == "dispatch" else "",
        "at": entry.at.isoformat(),
    }
    outbox.enqueue(f"{event.channel}.status", event.channel, payload, f"event-{event.pk}-entry-{entry.pk}",
                   event_id=event.pk)


# ------------------------------------------------------------------ recipients

def unit_member_ids(*, area=None, department=None, user=None) -> list[int]:
    """Users who act for a handling unit (its area's staff, its department, the person)."""
    if user is not None:
        return [user.pk]
    qs = User.objects.filter(is_active=True)
    if department is not None:
        return list(qs.filter(department=department, role=roles.DEPARTMENT_HANDLER).values_list("pk", flat=True))
    if area is not None:
        return list(qs.filter(area=area).exclude(role__in=[roles.DEPARTMENT_HANDLER, roles.MEDIATOR])
                    .values_list("pk", flat=True))
    return []


def handler_ids(event: Event) -> list[int]:
    return unit_member_ids(area=event.handling_area if event.handling_area_id else None,
                           department=event.handling_department if event.handling_department_id else None,
                           user=event.assignee if event.assignee_id else None)


_centres = Memo("command centre staff", 60, invalidated_by=["accounts.user"])


def centre_ids(area) -> list[int]:
    """Operators and leaders of a command centre (an area node, or its code); kept for a
    minute per process (every new matter notifies its town's centre)."""
    if area is None:
        return []
    where = {"area__code": area} if isinstance(area, str) else {"area": area}
    key = area if isinstance(area, str) else ("pk", area.pk)
    return list(_centres.get(key, lambda: tuple(
        User.objects.filter(is_active=True, **where, role__in=[roles.COUNTY_OPERATOR, roles.TOWN_OPERATOR,
                                                                roles.LEADER]).values_list("pk", flat=True))))
