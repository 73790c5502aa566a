"""The time-limit sweep (超时巡检): set-based colour changes, then escalation of the newly red.

1. ``green → yellow``: one ``UPDATE … WHERE sla_color='green' AND sla_warn_at <= now AND
   sla_due_at > now`` (index on ``sla_warn_at``).
2. ``green/yellow → red``: one ``UPDATE … WHERE sla_color IN ('green','yellow') AND
   sla_due_at <= now`` (index on ``sla_due_at``), which also sets ``escalation_pending``.
3. Escalation: overdue rows with ``escalation_pending`` are claimed in batches (``SELECT … FOR
   UPDATE SKIP LOCKED`` on PostgreSQL) and escalated to the supervising level (village/grid →
   town, town/department → county) with one timeline entry each, one audit record per target
   and one digest notification per centre user. A matter whose clock stopped or paused before
   its turn is not escalated (its clock no longer runs overdue).

The columns these steps change are in no index, so on PostgreSQL the updates are HOT: only the
row is rewritten, no index entry (ADR 0012). The indexes on the running clock's instants,
which the sweep never changes, find the rows; they also hold the matters that are already
yellow or red, which the conditions skip.

Each step is a conditional update, so running the sweep twice, or on two workers at once,
changes nothing more. Only the rows that just turned red are looped over.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import connection, transaction
from django.db.models import Q

from fengqiao.areas.models import Area
from fengqiao.core import audit, context

from . import notify
from .actions._base import centre_ids
from .choices import SlaColor
from .escalation import supervising_code
from .models import Event, TimelineEntry
from .sla import now as sla_now

BATCH = 2000


def colour(now: dt.datetime) -> tuple[int, int]:
    with transaction.atomic():
        yellow = Event.objects.filter(sla_color=SlaColor.GREEN, sla_warn_at__lte=now, sla_due_at__gt=now) \
            .update(sla_color=SlaColor.YELLOW)
        red = Event.objects.filter(Q(sla_color=SlaColor.GREEN) | Q(sla_color=SlaColor.YELLOW), sla_due_at__lte=now) \
            .update(sla_color=SlaColor.RED, overdue_at=now, escalation_pending=True)
    return yellow, red


def _level_path(row: dict, area_paths: dict[int, str]) -> str:
    county = "/" + row["area_path"].strip("/").split("/")[0] + "/" if row["area_path"] else ""
    if row["escalated_to_id"]:
        return area_paths.get(row["escalated_to_id"], county)
    if row["handling_department_id"]:
        return county
    return row["handling_path"] or county


_TIMELINE_COLUMNS = ("event", "at", "actor", "actor_name", "action", "from_state", "to_state", "reason", "data")


def _add_timeline(ids: list[int], now: dt.datetime, code: str) -> None:
    """The escalation's timeline entries, one per matter, with one ``INSERT … SELECT`` (the state
    is read in place): ten thousand entries built as objects cost more than the rest of the step."""
    conn = connection
    q = conn.ops.quote_name
    field = TimelineEntry._meta.get_field
    columns = ", ".join(q(field(name).column) for name in _TIMELINE_COLUMNS)
    state, pk = q(Event._meta.get_field("state").column), q(Event._meta.pk.column)
    sql = (f"INSERT INTO {q(TimelineEntry._meta.db_table)} ({columns}) "
           f"SELECT {pk}, %s, NULL, %s, %s, {state}, {state}, %s, %s FROM {q(Event._meta.db_table)} "
           f"WHERE {pk} IN ({', '.join(['%s'] * len(ids))})")
    params = [field("at").get_db_prep_save(now, conn), "system", "escalate",
              "超时自动上报 (overdue, escalated automatically)",
              field("data").get_db_prep_save({"to": code, "auto": True}, conn), *ids]
    with conn.cursor() as cur:
        cur.execute(sql, params)


def escalate_pending(now: dt.datetime) -> int:
    total = 0
    while True:
        with transaction.atomic(), context.explicit_audit():
            qs = Event.objects.filter(escalation_pending=True, sla_due_at__lte=now).order_by("id")
            if connection.features.has_select_for_update_skip_locked:
                qs = qs.select_for_update(skip_locked=True)
            rows = list(qs.values("id", "number", "area_path", "handling_path",
                                  "handling_department_id", "escalated_to_id")[:BATCH])
            if not rows:
                return total
            esc_ids = {r["escalated_to_id"] for r in rows if r["escalated_to_id"]}
            area_paths = dict(Area.objects.filter(pk__in=esc_ids).values_list("pk", "path")) if esc_ids else {}
            groups: dict[str, list[dict]] = defaultdict(list)
            for r in rows:
                path = _level_path(r, area_paths)
                code = supervising_code(path) or path.strip("/").split("/")[0]
                groups[code].append(r)
            targets = {a.code: a for a in Area.objects.filter(code__in=list(groups))}
            for code, members in groups.items():
                target = targets.get(code)
                ids = [r["id"] for r in members]
                for i in range(0, len(ids), 500):
                    chunk = ids[i:i + 500]
                    Event.objects.filter(pk__in=chunk, escalation_pending=True).update(
                        escalation_pending=False, escalated=True, escalated_to=target)
                    _add_timeline(chunk, now, code)
                audit.record("event_auto_escalate", object_type="events.event", object_id=str(ids[0]),
                             object_repr=f"{len(ids)} overdue matters → {code}",
                             after={"to": code, "count": len(ids), "ids": ids[:200]})
                if target is not None:
                    notify.notify_on_commit(
                        centre_ids(target), "event_overdue",
                        f"{len(ids)}件事件超时未办,已自动上报 ({len(ids)} overdue matters escalated)",
                        "、".join(r["number"] or str(r["id"]) for r in members[:20]),
                        members[0]["id"] if len(members) == 1 else None)
            total += len(rows)


def sweep(now: dt.datetime | None = None) -> dict[str, int]:
    """One sweep: ``{"yellow": n, "red": n, "escalated": n}``. Safe to run concurrently."""
    now = now or sla_now()
    yellow, red = colour(now)
    escalated = escalate_pending(now)
    return {"yellow": yellow, "red": red, "escalated": escalated}
