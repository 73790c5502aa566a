"""Mediation notices go through the matters app's notification adapters (``events.notify``)."""

from __future__ import annotations


def notify_on_commit(user_ids, kind: str, title: str, body: str = "") -> None:
    """The matters app's notifications (inbox rows with the change, other channels after commit)."""
    from fengqiao.events.notify import notify_on_commit as send

    send(sorted({int(u) for u in user_ids if u}), kind, str(title), str(body))


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
