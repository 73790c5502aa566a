"""Notifications after commit, through the matters app's channel adapters when present."""

from __future__ import annotations

import logging

from django.db import transaction

log = logging.getLogger(__name__)


def _send(user_ids: list[int], kind: str, title: str, body: str) -> None:
    try:
        from fengqiao.events import notify as events_notify
    except ImportError:  # pragma: no cover - the matters app is part of every deployment
        log.info("mediation notification %s to %s: %s", kind, user_ids, title)
        return
    try:
        events_notify.send(events_notify.Message(kind=kind, title=title, body=body, user_ids=user_ids))
    except Exception:  # a broken channel must never undo the change that was committed
        log.exception("mediation notification %s failed", kind)


def notify_on_commit(user_ids, kind: str, title: str, body: str = "") -> None:
    ids = sorted({int(u) for u in user_ids if u})
    if not ids:
        return
    transaction.on_commit(lambda: _send(ids, kind, str(title), str(body)))


def staff_ids(area_path: str) -> list[int]:
    """Operators of the centres above a place (its town and the county)."""
    from fengqiao.accounts.models import User
    from fengqiao.core import roles

    parts = [p for p in area_path.strip("/").split("/") if p]
    paths = ["/" + "/".join(parts[:i]) + "/" for i in (1, 2) if len(parts) >= i]
    return list(User.objects.filter(role__in=[roles.COUNTY_OPERATOR, roles.TOWN_OPERATOR], area__path__in=paths,
                                    is_active=True).values_list("pk", flat=True))


def mediator_user_ids(dispute) -> list[int]:
    return [uid for uid in dispute.assignments.filter(result="").values_list("mediator__user_id", flat=True) if uid]
