"""Top-down publishing (统一发布): a task or notice the county or a town centre sends to chosen
towns, villages and grids, one receipt per receiving unit, and the timeline of both.

A task (``Task``) belongs to the unit that published it; each receiving unit's receipt
(``Receipt``) belongs to that unit. The publishing side sees every receipt of its tasks; a unit
sees the tasks that reached it or anything below it, and only those receipts (404 elsewhere).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.areas.models import Area, KeepsAreaPath, Level, subtree_q
from fengqiao.core import roles
from fengqiao.core.restrict import RestrictedQuerySet
from fengqiao.core.uploads import stored_path
from fengqiao.events.choices import AttachmentKind

from .choices import Kind, ReceiptState, State

#: who reads tasks: the centres and leaders, and the units that receive them
TASK_VIEWERS = frozenset({roles.COUNTY_OPERATOR, roles.TOWN_OPERATOR, roles.LEADER, roles.VILLAGE_CADRE,
                          roles.GRID_WORKER})
#: who publishes: the county centre and the towns' command rooms (统一发布)
PUBLISHERS = frozenset({roles.COUNTY_OPERATOR, roles.TOWN_OPERATOR})
#: who answers for a receiving unit, by the unit's level: its command room, its cadres, its grid workers
RESPONDER_ROLE = {Level.TOWN: roles.TOWN_OPERATOR, Level.VILLAGE: roles.VILLAGE_CADRE, Level.GRID: roles.GRID_WORKER}
RECIPIENT_LEVELS = frozenset(RESPONDER_ROLE)


def _subtree(user, field: str) -> Q | None:
    return None if user.area_id is None else subtree_q(user.area.path, field)


class Task(KeepsAreaPath, models.Model):
    """统一发布的任务或通知: what was sent, by whom, to be done by when."""

    number = models.CharField(_("number"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.TASK)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text of the task or notice"), blank=True)
    area = models.ForeignKey(Area, verbose_name=_("published by unit"), on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(_("area path"), max_length=255, editable=False)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("published by"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="+")
    published_by_name = models.CharField(_("publisher"), max_length=150, blank=True)
    published_at = models.DateTimeField(_("published at"), default=timezone.now)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PUBLISHED)
    closed_at = models.DateTimeField(_("closed or withdrawn at"), null=True, blank=True)
    closed_by_name = models.CharField(_("closed or withdrawn by"), max_length=150, blank=True)
    close_note = models.TextField(_("closing note"), blank=True)
    recipient_count = models.PositiveIntegerField(_("receiving units"), default=0)
    #: the publisher was told once that the deadline passed with units still owing
    overdue_notified = models.BooleanField(default=False, editable=False)

    objects = RestrictedQuerySet.as_manager()

    ACCESS = {"view": TASK_VIEWERS, "publish": PUBLISHERS}

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("published task")
        verbose_name_plural = _("published tasks")
        indexes = [
            models.Index(fields=["area_path"], name="task_area_path_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["state", "due_at"], name="task_state_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @classmethod
    def jurisdiction_q(cls, user, action):
        return tasks_q(user)

    def published_under(self, area: Area | None) -> bool:
        return area is not None and self.area_path.startswith(area.path)

    def owing_q(self) -> Q:
        """The receipts that still owe something: acknowledgement, and for a task its report."""
        return owing_q(self.kind)


def tasks_q(user, prefix: str = "") -> Q:
    """Tasks published in the user's area, and tasks that reached a unit in it; ``prefix``
    reaches the task from another model (``task__``)."""
    own = _subtree(user, f"{prefix}area_path")
    if own is None:
        return Q(pk__in=[])
    task_id = OuterRef(f"{prefix}id" if not prefix else prefix.removesuffix("__") + "_id")
    return own | Q(Exists(Receipt.objects.filter(Q(task_id=task_id) & _subtree(user, "area_path"))))


def owing_q(kind: str | None = None) -> Q:
    """Receipts that still owe something: an acknowledgement, and for a task its report. Without
    ``kind`` the task's own kind decides (for queries over many tasks)."""
    if kind is None:
        return Q(state=ReceiptState.PENDING) | Q(state=ReceiptState.ACKNOWLEDGED, task__kind=Kind.TASK)
    owing = [ReceiptState.PENDING] if kind == Kind.NOTICE else [ReceiptState.PENDING, ReceiptState.ACKNOWLEDGED]
    return Q(state__in=owing)


def receipts_q(user, prefix: str = "") -> Q:
    """Receipts of units in the user's area, and every receipt of tasks published in it."""
    own = _subtree(user, f"{prefix}area_path")
    return Q(pk__in=[]) if own is None else own | _subtree(user, f"{prefix}task__area_path")


class Receipt(KeepsAreaPath, models.Model):
    """One receiving unit's copy (签收、反馈): acknowledged when, reported what, accepted or sent back."""

    task = models.ForeignKey(Task, verbose_name=_("task"), on_delete=models.CASCADE, related_name="receipts")
    area = models.ForeignKey(Area, verbose_name=_("receiving unit"), on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(_("area path"), max_length=255, editable=False)
    state = models.CharField(_("state"), max_length=14, choices=ReceiptState.choices, default=ReceiptState.PENDING)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by_name = models.CharField(_("acknowledged by"), max_length=150, blank=True)
    reported_at = models.DateTimeField(_("reported at"), null=True, blank=True)
    reported_by_name = models.CharField(_("reported by"), max_length=150, blank=True)
    report = models.TextField(_("completion report"), blank=True)
    accepted_at = models.DateTimeField(_("accepted as done at"), null=True, blank=True)
    returned_count = models.PositiveSmallIntegerField(_("times sent back"), default=0)
    return_reason = models.TextField(_("why sent back"), blank=True)
    reminded_at = models.DateTimeField(_("last reminded at"), null=True, blank=True)
    #: the automatic "deadline tomorrow" reminder went out
    due_reminded = models.BooleanField(default=False, editable=False)

    objects = RestrictedQuerySet.as_manager()

    ACCESS = {"view": TASK_VIEWERS}

    class Meta:
        ordering = ["area_path", "id"]
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        constraints = [models.UniqueConstraint(fields=["task", "area"], name="task_receipt_unique")]
        indexes = [
            models.Index(fields=["area_path"], name="receipt_area_path_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["task", "state"], name="receipt_task_state_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.task_id} → {self.area_id}"

    @classmethod
    def jurisdiction_q(cls, user, action):
        return receipts_q(user)

    @property
    def owing(self) -> bool:
        if self.state == ReceiptState.PENDING:
            return True
        return self.state == ReceiptState.ACKNOWLEDGED and self.task.kind == Kind.TASK

    def overdue(self, now) -> bool:
        """Still owing after the deadline while the task is published (``filters.overdue_q``): a
        closed or withdrawn task freezes its receipts, and nothing is overdue any more."""
        task = self.task
        return self.owing and task.state == State.PUBLISHED and task.due_at is not None and task.due_at < now

    def late(self) -> bool:
        """Reported (or, for a notice, acknowledged) after the deadline."""
        due = self.task.due_at
        at = self.reported_at if self.task.kind == Kind.TASK else self.acknowledged_at
        return due is not None and at is not None and at > due


class TaskEntry(models.Model):
    """One line of a task's timeline: who did what, to the task or to one unit's receipt."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="entries")
    receipt = models.ForeignKey(Receipt, null=True, blank=True, on_delete=models.CASCADE, related_name="entries")
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=20)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    actor_name = models.CharField(max_length=150, blank=True)
    from_state = models.CharField(max_length=14, blank=True)
    to_state = models.CharField(max_length=14, blank=True)
    text = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    #: the publishing side's own line (a reminder, the deadline passing with units owing): a
    #: receiving unit would learn from it that another unit had not answered
    publisher_only = models.BooleanField(default=False)

    objects = RestrictedQuerySet.as_manager()

    ACCESS = {"view": TASK_VIEWERS}

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")

    def __str__(self) -> str:
        return f"{self.task_id} {self.action}"

    @classmethod
    def jurisdiction_q(cls, user, action):
        if user.area_id is None:
            return Q(pk__in=[])
        return task_or_receipt_q(user) & (Q(publisher_only=False) | subtree_q(user.area.path, "task__area_path"))


def task_or_receipt_q(user) -> Q:
    """Rows that belong to a task or to one unit's receipt of it (timeline entries, files): the
    task's own go with the task; a receipt's are shown only to whoever may read that receipt."""
    if user.area_id is None:
        return Q(pk__in=[])
    return (Q(receipt__isnull=True) & tasks_q(user, "task__")) | receipts_q(user, "receipt__")


def task_file_path(instance, filename: str) -> str:
    return stored_path("tasks", instance.sha256, filename, timezone.now())


class TaskFile(models.Model):
    """附件: a document of the task (the publisher's), or a photo or document of one unit's report."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="files")
    receipt = models.ForeignKey(Receipt, null=True, blank=True, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(_("file"), upload_to=task_file_path, max_length=255)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=AttachmentKind.choices)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    uploaded_by_name = models.CharField(max_length=150, blank=True)
    uploaded_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()

    ACCESS = {"view": TASK_VIEWERS}

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name

    @classmethod
    def jurisdiction_q(cls, user, action):
        return task_or_receipt_q(user)
