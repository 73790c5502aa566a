"""What is waiting for a user: the counters of the role home and their list filters.

Each queue is a ``Q`` over matters the user can already see (``restrict``), so the home page
is one aggregate query and each counter links to the same set in the list.
"""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from fengqiao.core import roles
from fengqiao.events.choices import OPEN_STATES, State
from fengqiao.events.transitions import handler_q


def supervised_by_q(user) -> Q:
    from fengqiao.events.models import TimelineEntry

    mine = TimelineEntry.objects.filter(event_id=OuterRef("pk"), actor_id=user.pk, action__in=["supervise", "list"])
    return Q(Exists(mine))


def queues(user) -> list[tuple[str, object, Q, str]]:
    """(key, label, condition, css class) of the queues that matter for this role."""
    open_q = Q(state__in=OPEN_STATES)
    items = []
    if user.role in roles.OPERATORS:
        items.append(("to_accept", _("To accept"), Q(state=State.RECEIVED), ""))
        # triage could not decide (unsure category, place conflict, nowhere to route) and
        # nobody has routed the matter yet: it waits for a person instead of being dispatched
        items.append(("needs_person", _("Needs a person"),
                      Q(state__in=[State.RECEIVED, State.ACCEPTED], triage__needs_person=True), "yellow"))
    items += [
        ("to_sign", _("To sign for"), Q(state=State.DISPATCHED) & handler_q(user), ""),
        ("to_handle", _("To handle"), Q(state__in=[State.SIGNED, State.IN_PROGRESS]) & handler_q(user), ""),
        ("due_soon", _("Due soon"), open_q & Q(sla_color="yellow"), "yellow"),
        ("overdue", _("Overdue"), open_q & Q(sla_color="red"), "red"),
    ]
    if user.role in roles.OPERATORS:
        items.append(("to_verify", _("To verify"), Q(state=State.RESOLVED), ""))
    if user.role in roles.OPERATORS | {roles.LEADER}:
        items.append(("supervised", _("Supervised by me"), open_q & supervised_by_q(user), ""))
        items.append(("listed", _("Listed"), Q(listed=True), "red"))
    return items


QUEUE_KEYS = {"to_accept", "needs_person", "to_sign", "to_handle", "due_soon", "overdue", "to_verify", "supervised", "listed"}


def queue_condition(user, key: str) -> Q | None:
    for k, _label, cond, _css in queues(user):
        if k == key:
            return cond
    return None


def queue_counts(user, qs) -> list[dict]:
    items = queues(user)
    totals = qs.aggregate(**{k: Count("id", filter=cond) for k, _l, cond, _c in items})
    return [{"key": k, "label": label, "count": totals[k] or 0, "css": css} for k, label, _c, css in items]
