"""The walk-in queue (取号 / 叫号): take a number, call the next one at a window, finish."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from fengqiao.core import audit, context
from fengqiao.core.errors import Conflict, UserError
from fengqiao.core.inputs import clean_text
from fengqiao.core.personal import PersonalDataError

from ..choices import OrgKind, TicketStatus
from ..models import DisputeType, Organisation, QueueCounter, Ticket
from . import _common as c


def today(at: dt.datetime | None = None) -> dt.date:
    return timezone.localtime(at or c.now()).date()


@transaction.atomic
def take_ticket(*, centre: Organisation, by, visitor_name: str = "", visitor_phone: str = "", topic: str = "",
                type: DisputeType | None = None, at: dt.datetime | None = None) -> Ticket:
    """取号: the next number of the day at ``centre`` (numbers restart at 1 each day)."""
    if centre.kind != OrgKind.CENTRE or not centre.is_active:
        raise UserError("not_a_centre", "只有矛调中心可以取号", "tickets are handed out by a mediation centre only",
                        field="centre")
    # refused, not cut: what was typed is said back rather than lost unsaid
    topic = clean_text(topic, field="topic", zh="事由", en="the topic", max_len=200)
    visitor_name = clean_text(visitor_name, field="visitor_name", zh="来访人姓名", en="the visitor's name", max_len=60)
    visitor_phone = clean_text(visitor_phone, field="visitor_phone", zh="来访人电话", en="the visitor's phone",
                               max_len=30)
    at = at or c.now()
    day = today(at)
    with context.explicit_audit():
        QueueCounter.objects.get_or_create(centre=centre, day=day)
        counter = QueueCounter.objects.select_for_update().get(centre=centre, day=day)
        counter.last_number += 1
        counter.save(update_fields=["last_number"])
        t = Ticket(centre=centre, day=day, number=counter.last_number, topic=topic, type=type,
                   visitor_name=visitor_name, visitor_phone=visitor_phone,
                   taken_at=at)
        try:
            for f in ("visitor_name", "visitor_phone"):
                t._meta.get_field(f).pre_save(t, True)
        except PersonalDataError as exc:
            raise UserError(exc.code, exc.message_zh, exc.message_en) from exc
        t.save()
        audit.record("ticket_take", t, after=audit.snapshot(t), actor=by)
    return t


@transaction.atomic
def call_next(*, centre: Organisation, window: str, by, at: dt.datetime | None = None) -> Ticket | None:
    """叫号: the oldest waiting ticket of the day goes to ``window``. Two windows calling at once
    never get the same ticket: the claim is a conditional update on ``status='waiting'``."""
    window = str(window or "").strip()
    if not window or (centre.windows and window not in centre.windows):
        raise UserError("bad_window", f"窗口不存在: {window}", f"unknown window: {window}", field="window")
    at = at or c.now()
    day = today(at)
    with context.explicit_audit():
        for _attempt in range(20):
            t = Ticket.objects.filter(centre=centre, day=day, status=TicketStatus.WAITING).order_by("number").first()
            if t is None:
                return None
            claimed = Ticket.objects.filter(pk=t.pk, status=TicketStatus.WAITING).update(
                status=TicketStatus.CALLED, window=window, called_at=at, called_by=by)
            if claimed == 1:
                t.refresh_from_db()
                audit.record("ticket_call", t, after={"window": window, "number": t.number}, actor=by)
                return t
    raise Conflict("queue_busy", "叫号冲突,请重试", "another window called at the same time; try again")


@transaction.atomic
def finish_ticket(ticket: Ticket, *, by, status: str = TicketStatus.DONE, at: dt.datetime | None = None) -> Ticket:
    """办结 (advice given, no dispute) or 过号 (no show)."""
    if status not in {TicketStatus.DONE, TicketStatus.NO_SHOW}:
        raise UserError("bad_status", "状态应为 done 或 no_show", "status must be done or no_show", field="status")
    allowed = [TicketStatus.CALLED] if status == TicketStatus.DONE else [TicketStatus.CALLED, TicketStatus.WAITING]
    with context.explicit_audit():
        updated = Ticket.objects.filter(pk=ticket.pk, status__in=allowed).update(status=status,
                                                                                  finished_at=at or c.now())
        if updated != 1:
            raise Conflict("ticket_state", "该号当前状态不能执行此操作", "the ticket's state does not allow this")
        ticket.refresh_from_db()
        audit.record(f"ticket_{status}", ticket, after={"status": status}, actor=by)
    return ticket


def now_serving(centre: Organisation, at: dt.datetime | None = None) -> dict:
    """The screen's data: per window the last ticket called today (``called_at`` in local time,
    as every instant the API shows); how many are waiting."""
    day = today(at)
    qs = Ticket.objects.filter(centre=centre, day=day)
    windows = list(centre.windows) or sorted({w for w in qs.exclude(window="").values_list("window", flat=True)})
    serving = []
    for w in windows:
        t = qs.filter(window=w).exclude(called_at=None).order_by("-called_at", "-number").first()
        serving.append({"window": w, "ticket": t.label if t else "",
                        "called_at": timezone.localtime(t.called_at).isoformat() if t else None})
    waiting = qs.filter(status=TicketStatus.WAITING).order_by("number")
    return {"centre": centre.name, "day": day.isoformat(), "serving": serving, "waiting": waiting.count(),
            "next": [t.label for t in waiting[:5]]}
