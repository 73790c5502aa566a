"""What the console and the API read about published tasks, in one place: a user's inbox (the
receipts their own unit answers for), the progress counts of tasks over the receipts the user may
read, the overdue rule, and the one FilterSet per list that both the console and the API use."""

from __future__ import annotations

import django_filters
from django.db.models import Count, Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as drf_filters

from fengqiao.areas.models import subtree_q
from fengqiao.core.filters import StrictBooleanFilter
from fengqiao.events.sla import now as clock_now

from .choices import Kind, ReceiptState, State
from .models import RESPONDER_ROLE, Receipt, Task, owing_q

#: the list's two boxes: what reached the user's own unit, and what their area published
BOX_RECEIVED, BOX_PUBLISHED = "received", "published"
MAX_QUERY = 100
#: a task's page and its API answer show the latest this many timeline entries
TIMELINE_LIMIT = 200


def inbox(user):
    """The receipts the user answers for: their own unit's, when their role answers for its level
    (a town's command room, a village's cadres, a grid's workers)."""
    levels = [level for level, role in RESPONDER_ROLE.items() if role == getattr(user, "role", None)]
    if user.area_id is None or not levels:
        return Receipt.objects.none()
    return Receipt.objects.restrict(user, "view").filter(area_id=user.area_id, area__level__in=levels)


def overdue_q(now) -> Q:
    """Receipts that still owe something after their task's deadline, while the task is published."""
    return owing_q() & Q(task__state=State.PUBLISHED, task__due_at__lt=now)


def owing_count(user) -> int:
    """How many receipts of the user's unit still wait for them (the menu's and phone page's count)."""
    return inbox(user).filter(owing_q(), task__state=State.PUBLISHED).count()


#: the keys of :func:`progress`'s counts
PROGRESS_KEYS = ("total", *ReceiptState.values, "overdue")


def progress(user, task_ids, now=None) -> dict[int, dict[str, int]]:
    """Per task, the receipts ``user`` may read by state, their ``total`` and how many are
    ``overdue``: one grouped query for a page of tasks. The publishing side reads every receipt,
    so it gets the whole task's counts; a receiving unit counts only its own and those below it,
    so the figures tell it nothing about another unit."""
    now = now or clock_now()
    out = {pk: dict.fromkeys(PROGRESS_KEYS, 0) for pk in task_ids}
    if not out:
        return out
    counts = {s: Count("pk", filter=Q(state=s)) for s in ReceiptState.values}
    rows = (Receipt.objects.restrict(user, "view").filter(task_id__in=list(out)).order_by().values("task_id")
            .annotate(**counts, overdue=Count("pk", filter=overdue_q(now))))
    for row in rows:
        c = out[row.pop("task_id")]
        c.update(row)
        c["total"] = sum(row[s] for s in ReceiptState.values)
    return out


class TaskFilter(drf_filters.FilterSet):
    box = django_filters.ChoiceFilter(
        choices=[(BOX_RECEIVED, _("Received by my unit")), (BOX_PUBLISHED, _("Published in my area"))],
        method="filter_box", label="received: sent to the user's own unit; published: sent from their area")
    state = django_filters.MultipleChoiceFilter(choices=State.choices, label="state (repeat for several)")
    kind = django_filters.ChoiceFilter(choices=Kind.choices)
    overdue = StrictBooleanFilter(method="filter_overdue", label="true: some unit still owes after the deadline")
    q = django_filters.CharFilter(method="filter_q", max_length=MAX_QUERY, label="words in the title or number")

    class Meta:
        model = Task
        fields = ["box", "state", "kind", "overdue", "q"]

    def filter_box(self, queryset, name, value):
        user = self.request.user
        if value == BOX_RECEIVED:
            return queryset.filter(Exists(inbox(user).filter(task_id=OuterRef("pk"))))
        return queryset.filter(subtree_q(user.area.path, "area_path")) if user.area_id else queryset.none()

    def filter_overdue(self, queryset, name, value):
        # only the receipts the user may read: a town is not told that another town is late
        readable = Receipt.objects.restrict(self.request.user, "view")
        late = Exists(readable.filter(overdue_q(clock_now()), task_id=OuterRef("pk")))
        return queryset.filter(late if value else ~late)

    def filter_q(self, queryset, name, value):
        words = value.replace("\x00", "").split()
        for word in words[:5]:
            queryset = queryset.filter(Q(title__icontains=word) | Q(number__iexact=word))
        return queryset


class ReceiptFilter(drf_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=ReceiptState.choices, label="state (repeat for several)")
    mine = StrictBooleanFilter(method="filter_mine", label="true: only the receipts of the user's own unit")
    overdue = StrictBooleanFilter(method="filter_overdue", label="true: still owing after the deadline")

    class Meta:
        model = Receipt
        fields = ["state", "mine", "overdue"]

    def filter_mine(self, queryset, name, value):
        mine = inbox(self.request.user).values("pk")
        return queryset.filter(pk__in=mine) if value else queryset.exclude(pk__in=mine)

    def filter_overdue(self, queryset, name, value):
        q = overdue_q(clock_now())
        return queryset.filter(q) if value else queryset.exclude(q)
