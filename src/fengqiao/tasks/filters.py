"""What the console and the API read about published tasks, in one place: a user's inbox (the
receipts their own unit answers for), progress counts of a task, the overdue rule, and the one
FilterSet per list that both the console and the API use."""

from __future__ import annotations

import django_filters
from django.db.models import Count, Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as drf_filters

from fengqiao.areas.models import subtree_q
from fengqiao.core.filters import StrictBooleanFilter
from fengqiao.events.sla import now as clock_now

from .choices import Kind, ReceiptState, State
from .models import OWING_ANY_Q, RESPONDER_ROLE, Receipt, Task

#: the list's two boxes: what reached the user's own unit, and what their area published
BOX_RECEIVED, BOX_PUBLISHED = "received", "published"
MAX_QUERY = 100


def inbox(user):
    """The receipts the user answers for: their own unit's, when their role answers for its level
    (a town's command room, a village's cadres, a grid's workers)."""
    levels = [level for level, role in RESPONDER_ROLE.items() if role == getattr(user, "role", None)]
    if user.area_id is None or not levels:
        return Receipt.objects.none()
    return Receipt.objects.restrict(user, "view").filter(area_id=user.area_id, area__level__in=levels)


def overdue_q(now, prefix: str = "") -> Q:
    """Receipts that still owe something after their task's deadline, while the task is published."""
    p = prefix
    owing = Q(**{f"{p}state": ReceiptState.PENDING}) | Q(**{f"{p}state": ReceiptState.ACKNOWLEDGED,
                                                           f"{p}task__kind": Kind.TASK})
    return owing & Q(**{f"{p}task__state": State.PUBLISHED, f"{p}task__due_at__lt": now})


def owing_count(user) -> int:
    """How many receipts of the user's unit still wait for them (the menu's and phone page's count)."""
    return inbox(user).filter(OWING_ANY_Q, task__state=State.PUBLISHED).count()


def with_progress(tasks, now=None):
    """Tasks annotated with their receipts by state (``n_pending`` … ``n_done``) and ``n_overdue``."""
    now = now or clock_now()
    counts = {f"n_{s}": Count("receipts", filter=Q(receipts__state=s)) for s in ReceiptState.values}
    return tasks.annotate(**counts, n_overdue=Count("receipts", filter=overdue_q(now, "receipts__")))


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
        late = Exists(Receipt.objects.filter(overdue_q(clock_now()), task_id=OuterRef("pk")))
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
