"""Matters (事件/工单) and everything hanging off them.

- :class:`Category` — the configurable multi-level category tree (事件分类).
- :class:`Event` — one matter from any channel, its place, reporter, handling unit, state and
  time-limit clocks (签收时限 / 办结时限).
- :class:`Cohandler` — co-handling units (协办单位).
- :class:`TimelineEntry` — one line per action (流转记录).
- :class:`Attachment` — photos and documents, stored through Django's storage API.
- :class:`SlaPolicy` — time limits by channel × category × urgency.
- :class:`Notification` — the in-app inbox; :class:`Outbox` — outbound webhook deliveries.

Every model declares ``ACCESS`` and ``jurisdiction_q`` so ``Model.objects.restrict(user, action)``
is the only way a user reaches its rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.areas.models import PATH_END, Area, Department, subtree_q
from fengqiao.core import roles
from fengqiao.core.fields import PersonalDataField, PersonalDigestField
from fengqiao.core.labels import action_label, choice_label
from fengqiao.core.personal import mask_free_text
from fengqiao.core.restrict import RestrictedQuerySet
from fengqiao.core.trees import CodePathTreeMixin
from fengqiao.core.uploads import stored_path
from fengqiao.core.validators import Between

from .choices import (
    AttachmentKind,
    Channel,
    ClockUnit,
    Feedback,
    OutboxStatus,
    SlaColor,
    State,
    Urgency,
)

# Roles that read and act on matters. The auditor reads the audit trail only; the admin
# configures (categories, policies, calendar) and has no access to matters.
MATTER_ROLES = frozenset({
    roles.COUNTY_OPERATOR, roles.TOWN_OPERATOR, roles.VILLAGE_CADRE, roles.GRID_WORKER,
    roles.DEPARTMENT_HANDLER, roles.MEDIATOR, roles.LEADER,
})
# Roles that may take in a new matter (intake): operators, cadres and grid workers reporting
# from the street, department handlers transferring one.
INTAKE_ROLES = frozenset({
    roles.COUNTY_OPERATOR, roles.TOWN_OPERATOR, roles.VILLAGE_CADRE, roles.GRID_WORKER,
    roles.DEPARTMENT_HANDLER,
})
AREA_ROLES = frozenset({
    roles.COUNTY_OPERATOR, roles.TOWN_OPERATOR, roles.VILLAGE_CADRE, roles.GRID_WORKER, roles.LEADER,
})


class CategoryQuerySet(RestrictedQuerySet):
    def subtree(self, category: Category):
        return self.filter(subtree_q(category.path))


class Category(CodePathTreeMixin, models.Model):
    """事件分类: one node of the category tree. ``path`` is ``/code/child/…/``."""

    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey("self", verbose_name=_("parent"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    path = models.CharField(_("path"), max_length=255, unique=True)
    depth = models.PositiveSmallIntegerField(_("depth"), default=0)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    default_department = models.ForeignKey(Department, verbose_name=_("usual department"), null=True,
                                           blank=True, on_delete=models.SET_NULL, related_name="+")
    department_code = models.CharField(_("usual department code"), max_length=32, blank=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = CategoryQuerySet.as_manager()

    ACCESS = {"view": roles.WORKING_ROLES, "change": frozenset({roles.ADMIN})}

    class Meta:
        ordering = ["path"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def jurisdiction_q(cls, user, action):
        return None


class EventQuerySet(RestrictedQuerySet):
    def open(self):
        from .choices import OPEN_STATES

        return self.filter(state__in=OPEN_STATES)

    def allocate_id(self) -> int | None:
        """The id the next matter will have, taken from the id sequence on PostgreSQL, so its
        number (which contains the id) goes in with the insert instead of a second write of
        the row (which would touch every index). One id per call: ids drawn in blocks per
        process left a quiet process's ids far below the others', and triage's same-matter
        index catches up with new matters by id. ``None`` where ids come only from the insert."""
        from django.db import connections

        conn = connections[self.db]
        if conn.vendor != "postgresql":
            return None
        with conn.cursor() as cur:
            cur.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [self.model._meta.db_table])
            return int(cur.fetchone()[0])


def _subtree(path: str, field: str) -> Q:
    return subtree_q(path, field)


class Event(models.Model):
    """事件/工单: one matter, whatever the channel it came in through."""

    number = models.CharField(_("number"), max_length=32, null=True, blank=True)  # noqa: DJ001 (unique when set)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    channel_ref = models.CharField(_("channel reference number"), max_length=64, blank=True,
                                   help_text=_("The channel's own order number, e.g. the 12345 order number"))
    idempotency_key = models.CharField(_("idempotency key"), max_length=160, null=True, blank=True,  # noqa: DJ001
                                       editable=False)
    title = models.CharField(_("title"), max_length=200)
    content = models.TextField(_("content"))
    category = models.ForeignKey(Category, verbose_name=_("category"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="events")
    urgency = models.CharField(_("urgency"), max_length=12, choices=Urgency.choices, default=Urgency.NORMAL)

    # Place (发生地点)
    address = models.CharField(_("address"), max_length=300, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    area = models.ForeignKey(Area, verbose_name=_("area"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="events", db_index=False)  # area_path serves look-ups
    area_path = models.CharField(_("area path"), max_length=255, blank=True, editable=False)  # indexed below

    # Reporter (反映人) — sensitive personal data, encrypted; anonymous allowed.
    anonymous = models.BooleanField(_("anonymous"), default=False)
    reporter_name = PersonalDataField(_("reporter name"), kind="name", blank=True)
    reporter_name_digest = PersonalDigestField(source="reporter_name", db_index=False)  # partial index below
    reporter_phone = PersonalDataField(_("reporter phone"), kind="phone", blank=True)
    reporter_phone_digest = PersonalDigestField(source="reporter_phone", db_index=False)
    reporter_id_number = PersonalDataField(_("reporter ID number"), kind="id_number", blank=True)
    reporter_id_number_digest = PersonalDigestField(source="reporter_id_number", db_index=False)

    occurred_at = models.DateTimeField(_("occurred at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("taken in by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+", db_index=False)
    merged_into = models.ForeignKey("self", verbose_name=_("merged into"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="merged_events", db_index=False)

    # State
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.RECEIVED)
    version = models.PositiveIntegerField(_("version"), default=0)

    # Handling unit (承办单位): an area node (town/village/grid), a department, or a person
    # (a mediator, a leader in charge).
    handling_area = models.ForeignKey(Area, verbose_name=_("handling area"), null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="handled_events", db_index=False)
    handling_department = models.ForeignKey(Department, verbose_name=_("handling department"), null=True,
                                            blank=True, on_delete=models.PROTECT, related_name="handled_events")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assigned person"), null=True,
                                 blank=True, on_delete=models.PROTECT, related_name="assigned_events")
    handling_path = models.CharField(_("handling path"), max_length=255, blank=True, editable=False)  # indexed below
    dispatched_by_area = models.ForeignKey(Area, verbose_name=_("dispatched by (centre)"), null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="+", db_index=False)

    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    result = models.TextField(_("result"), blank=True)
    feedback = models.CharField(_("citizen feedback"), max_length=20, choices=Feedback.choices, blank=True)
    feedback_note = models.TextField(_("feedback note"), blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    return_count = models.PositiveSmallIntegerField(_("times returned"), default=0)

    # Time limits (时限). The policy's limits are copied in at dispatch so a later policy
    # change does not move running clocks.
    sign_limit = models.FloatField(_("sign-for limit"), null=True, blank=True)
    sign_unit = models.CharField(_("sign-for unit"), max_length=16, choices=ClockUnit.choices, blank=True)
    handle_limit = models.FloatField(_("handling limit"), null=True, blank=True)
    handle_unit = models.CharField(_("handling unit of time"), max_length=16, choices=ClockUnit.choices, blank=True)
    sign_due_at = models.DateTimeField(_("sign-for due"), null=True, blank=True, db_index=True)
    sign_warn_at = models.DateTimeField(_("sign-for warning at"), null=True, blank=True)
    handle_started_at = models.DateTimeField(_("handling clock started"), null=True, blank=True)
    handle_due_at = models.DateTimeField(_("handling due"), null=True, blank=True, db_index=True)
    handle_warn_at = models.DateTimeField(_("handling warning at"), null=True, blank=True)
    # The running clock's warning and due instants; NULL while no clock runs or it is paused.
    # The sweep reads only these two columns (plus the colour).
    sla_warn_at = models.DateTimeField(_("running clock warns at"), null=True, blank=True, editable=False)
    sla_due_at = models.DateTimeField(_("running clock due at"), null=True, blank=True, editable=False)
    sla_color = models.CharField(_("time-limit colour"), max_length=8, choices=SlaColor.choices,
                                 default=SlaColor.GREEN)
    sign_overdue = models.BooleanField(_("signed late"), default=False)
    handle_overdue = models.BooleanField(_("resolved late"), default=False)
    overdue_at = models.DateTimeField(_("overdue since"), null=True, blank=True)
    paused_at = models.DateTimeField(_("clock paused at"), null=True, blank=True)
    pause_reason = models.CharField(_("pause reason"), max_length=200, blank=True)
    paused_seconds = models.FloatField(_("paused time (s)"), default=0)
    extension_pending = models.BooleanField(_("extension requested"), default=False)
    extension_request = models.JSONField(_("extension request"), default=dict, blank=True)

    # Supervision (督办), listing (挂牌督办) and escalation (上报)
    supervised = models.BooleanField(_("supervised"), default=False)
    supervise_count = models.PositiveSmallIntegerField(_("times supervised"), default=0)
    listed = models.BooleanField(_("listed"), default=False)
    listed_at = models.DateTimeField(_("listed at"), null=True, blank=True)
    escalated = models.BooleanField(_("escalated"), default=False)
    escalated_to = models.ForeignKey(Area, verbose_name=_("escalated to"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+", db_index=False)
    escalation_pending = models.BooleanField(default=False, editable=False)

    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    objects = EventQuerySet.as_manager()

    ACCESS = {
        "view": MATTER_ROLES,
        "create": INTAKE_ROLES,
        "act": MATTER_ROLES,
        "change": MATTER_ROLES,
    }

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("matter")
        verbose_name_plural = _("matters")
        # Every index is written on each non-HOT update: keep only those that queries need;
        # unique keys and digests are partial (no rows for empty values).
        constraints = [
            models.UniqueConstraint(fields=["channel", "channel_ref"], condition=~Q(channel_ref=""),
                                    name="event_channel_ref_unique"),
            models.UniqueConstraint(fields=["number"], condition=Q(number__isnull=False), name="event_number_unique"),
            models.UniqueConstraint(fields=["idempotency_key"], condition=Q(idempotency_key__isnull=False),
                                    name="event_idempotency_unique"),
        ]
        indexes = [
            # one index per path, fit for the prefix (subtree) match each database uses: LIKE with
            # pattern operators on PostgreSQL, a range on SQLite (opclasses apply to PostgreSQL only)
            models.Index(fields=["area_path"], name="event_area_path_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["handling_path"], name="event_handling_path_idx", opclasses=["varchar_pattern_ops"]),
            # The sweep's columns (sla_color, overdue_at, escalation_pending) are in no index, so
            # its colour changes are HOT updates on PostgreSQL (no index is written; ADR 0012).
            # It finds its rows through the running clock's instants, which it never changes.
            models.Index(fields=["sla_warn_at"], name="event_sla_warn_at_idx"),
            models.Index(fields=["sla_due_at"], name="event_sla_due_at_idx"),
            models.Index(fields=["state"], name="event_state_idx"),
            # the evaluation finds a period's sign-fors and resolutions by these instants
            # (evaluation.query._window); partial, so intake (both empty) writes neither
            models.Index(fields=["signed_at"], name="event_signed_at_idx", condition=Q(signed_at__isnull=False)),
            models.Index(fields=["resolved_at"], name="event_resolved_at_idx", condition=Q(resolved_at__isnull=False)),
            # the nightly retraining counts the matters closed since the last training
            # (triage.training.new_rows_since); partial, so only the close writes it
            models.Index(fields=["closed_at"], name="event_closed_at_idx", condition=Q(closed_at__isnull=False)),
            # the risk scan gathers the matters merged into one (alerts.scan, hot topics); partial,
            # so intake writes nothing to it and only a merge does
            models.Index(fields=["merged_into"], name="event_merged_into_idx", condition=Q(merged_into__isnull=False)),
            models.Index(fields=["reporter_name_digest"], name="event_name_digest_idx",
                         condition=~Q(reporter_name_digest="")),
            models.Index(fields=["reporter_phone_digest"], name="event_phone_digest_idx",
                         condition=~Q(reporter_phone_digest="")),
            models.Index(fields=["reporter_id_number_digest"], name="event_id_digest_idx",
                         condition=~Q(reporter_id_number_digest="")),
        ]

    #: the citizen's and the handler's own words: phone and ID numbers typed into them are shown
    #: masked like the personal fields unless the reader unmasks (ADR 0120)
    FREE_TEXT_FIELDS = ("title", "content", "result")

    def __str__(self) -> str:
        return f"{self.number or self.pk} {self.masked_title}"

    @property
    def masked_title(self) -> str:
        """The title as lists, notifications and alerts show it: numbers in it masked."""
        return mask_free_text(self.title)

    @classmethod
    def jurisdiction_q(cls, user, action):
        q = Q(pk__in=[])
        if user.role in AREA_ROLES and user.area_id:
            path = user.area.path
            co = Cohandler.objects.filter(_subtree(path, "area_path")).values("event_id")
            q = _subtree(path, "area_path") | _subtree(path, "handling_path") | Q(pk__in=co)
        if user.department_id and user.role in {roles.DEPARTMENT_HANDLER, roles.LEADER, roles.COUNTY_OPERATOR}:
            co = Cohandler.objects.filter(department_id=user.department_id).values("event_id")
            q |= Q(handling_department_id=user.department_id) | Q(pk__in=co)
        return q | Q(assignee_id=user.pk)

    # ------------------------------------------------------------------ derived

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None

    def handling_unit_label(self) -> str:
        if self.assignee_id:
            return str(self.assignee)
        if self.handling_department_id:
            return self.handling_department.name
        if self.handling_area_id:
            return self.handling_area.name
        return ""

    def in_area(self, area: Area | None) -> bool:
        """Whether the matter's place or its handling area lies in ``area``'s subtree."""
        if area is None:
            return False
        p = area.path
        return bool((self.area_path and self.area_path.startswith(p))
                    or (self.handling_path and self.handling_path.startswith(p)))


class Cohandler(models.Model):
    """协办单位: an area node or a department helping the handling unit."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="cohandlers")
    area = models.ForeignKey(Area, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=255, blank=True, db_index=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("co-handler")
        verbose_name_plural = _("co-handlers")
        constraints = [
            models.UniqueConstraint(fields=["event", "area"], condition=Q(area__isnull=False), name="cohandler_area_unique"),
            models.UniqueConstraint(fields=["event", "department"], condition=Q(department__isnull=False),
                                    name="cohandler_department_unique"),
        ]

    def __str__(self) -> str:
        return str(self.department or self.area)


class _ByEventAccess:
    ACCESS = {"view": MATTER_ROLES, "change": MATTER_ROLES}

    @classmethod
    def jurisdiction_q(cls, user, action):
        return Q(event_id__in=Event.objects.restrict(user, "view").values("id"))


#: the timeline actions the evaluation counts per unit: taking a matter on or handing it back
DECISION_ACTIONS = ("sign", "return")


class TimelineEntry(_ByEventAccess, models.Model):
    """流转记录: one entry per action on a matter."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=32)
    from_state = models.CharField(_("from state"), max_length=12, blank=True)
    to_state = models.CharField(_("to state"), max_length=12, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        indexes = [
            models.Index(fields=["event", "at"], name="timeline_event_at_idx"),
            # the evaluation's sign-for and return counts of a period (action IN DECISION_ACTIONS,
            # at in the period). Not partial: SQLite cannot match a partial index's IN condition
            # against the query's bound parameters, so every entry (intake's "create" too) pays
            # one more index entry; the evaluation's timeline read goes from the whole trail to
            # the period's decisions (ADR 0400).
            models.Index(fields=["action", "at"], name="timeline_action_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} {self.action} {self.from_state}→{self.to_state}"

    #: what an operator typed (a reason, a note, a result) is masked like the matter's words
    FREE_TEXT_FIELDS = ("reason", "data")

    @property
    def masked_reason(self) -> str:
        return mask_free_text(self.reason)

    #: timeline entries that are not actions of the transition table
    OTHER_ACTIONS = {"create": _("Taken in"), "escalate": _("Escalated automatically (overdue)"),
                     "merged_in": _("Another matter merged in"), "categorize": _("Category set")}

    @property
    def action_label(self) -> str:
        """The action in the reader's language (the code when it is unknown)."""
        from .transitions import TABLE

        return action_label(self.action, TABLE, self.OTHER_ACTIONS)

    @property
    def from_state_label(self) -> str:
        return choice_label(State, self.from_state)

    @property
    def to_state_label(self) -> str:
        return choice_label(State, self.to_state)


def attachment_path(instance, filename: str) -> str:
    return stored_path("events", instance.sha256, filename, timezone.now())


class Attachment(_ByEventAccess, models.Model):
    """附件: a photo or document of a matter (type and size checked on upload)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="attachments")
    entry = models.ForeignKey(TimelineEntry, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=255)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=AttachmentKind.choices)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name


#: the largest time limit an SLA policy takes, in any of its units (a year of natural hours):
#: beyond it a limit is a typing error, and a negative or zero one would make every matter late
LIMIT_MAX = 8760


class SlaPolicy(models.Model):
    """时限规则: sign-for and handling limits for a channel × category × urgency.

    Blank channel/urgency and a NULL category match anything; the most specific active
    policy wins (a category matches its descendants; deeper beats shallower).
    """

    name = models.CharField(_("name"), max_length=100)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, blank=True)
    category = models.ForeignKey(Category, verbose_name=_("category"), null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="sla_policies")
    urgency = models.CharField(_("urgency"), max_length=12, choices=Urgency.choices, blank=True)
    sign_amount = models.FloatField(_("sign-for limit"), validators=[Between(0, LIMIT_MAX, open_low=True)])
    sign_unit = models.CharField(_("sign-for unit"), max_length=16, choices=ClockUnit.choices)
    handle_amount = models.FloatField(_("handling limit"), validators=[Between(0, LIMIT_MAX, open_low=True)])
    handle_unit = models.CharField(_("handling unit of time"), max_length=16, choices=ClockUnit.choices)
    is_active = models.BooleanField(_("active"), default=True)

    objects = RestrictedQuerySet.as_manager()

    ACCESS = {"view": roles.WORKING_ROLES, "change": frozenset({roles.ADMIN})}

    class Meta:
        ordering = ["channel", "urgency", "name"]
        verbose_name = _("time-limit policy")
        verbose_name_plural = _("time-limit policies")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def jurisdiction_q(cls, user, action):
        return None


class Notification(models.Model):
    """站内通知: one message in a user's inbox."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=32)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    ACCESS = {"view": roles.ALL_ROLES, "change": roles.ALL_ROLES}

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["user", "read_at", "created_at"], name="notification_inbox_idx")]

    def __str__(self) -> str:
        return self.title

    @classmethod
    def jurisdiction_q(cls, user, action):
        return Q(user_id=user.pk)


class Outbox(models.Model):
    """外发队列: one outbound delivery (12345/110 feedback, webhook notifications).

    Written in the same transaction as the change it reports; a worker delivers it with
    retries and exponential backoff, sending ``Idempotency-Key`` so the receiver sees each
    change once.
    """

    topic = models.CharField(_("topic"), max_length=64)
    target = models.CharField(_("target"), max_length=64, help_text=_("Name of the configured webhook"))
    url = models.CharField(_("URL"), max_length=500)
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    payload = models.JSONField(_("payload"), default=dict)
    idempotency_key = models.CharField(_("idempotency key"), max_length=100, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    ACCESS = {"view": frozenset({roles.ADMIN})}

    class Meta:
        ordering = ["id"]
        verbose_name = _("outbound delivery")
        verbose_name_plural = _("outbound deliveries")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due_idx")]

    def __str__(self) -> str:
        return f"{self.topic} → {self.target} ({self.status})"

    @classmethod
    def jurisdiction_q(cls, user, action):
        return None


__all__ = [
    "PATH_END", "Attachment", "Category", "Cohandler", "Event", "Notification", "Outbox", "SlaPolicy",
    "TimelineEntry",
]
