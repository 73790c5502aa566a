"""Dispute mediation (矛盾纠纷调处化解): types, organisations, mediators, disputes and everything
hanging off them.

- :class:`DisputeType` — the configurable type tree (纠纷类型).
- :class:`Organisation` — mediation centres, committees and named studios (调解组织).
- :class:`Mediator` — people's mediators and the expert pool (调解员 / 专家库).
- :class:`Kinship` — declared relatives (回避申报) for conflicts of interest.
- :class:`Ticket` — the walk-in queue (取号).
- :class:`Dispute`, :class:`Party`, :class:`Assignment`, :class:`Session`, :class:`Agreement`,
  :class:`TimelineEntry` — one case and its parts.
- :class:`AgreementTemplate` — the editable text of the 人民调解协议书.
- :class:`BacklogCase`, :class:`Hearing` — 积案 with a leader in charge (包案) and 阳光听证.

Every model users read declares ``ACCESS`` and ``jurisdiction_q`` so
``Model.objects.restrict(user, action)`` is the only way to its rows.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.areas.models import Area, Department, KeepsAreaPath, subtree_q
from fengqiao.core import roles
from fengqiao.core.fields import PersonalDataField, PersonalDigestField
from fengqiao.core.labels import action_label, choice_label
from fengqiao.core.personal import mask_free_text
from fengqiao.core.restrict import RestrictedQuerySet
from fengqiao.core.trees import CodePathTreeMixin

from .choices import (
    AssignmentResult,
    AssignmentRole,
    BacklogReason,
    BacklogStatus,
    ConfirmationStatus,
    HearingOutcome,
    HearingStatus,
    Honoured,
    MediatorKind,
    MediatorLevel,
    OrgKind,
    Outcome,
    PartyKind,
    PartySide,
    Referral,
    Relation,
    SessionStatus,
    SlaColor,
    Source,
    State,
    TicketStatus,
)

# Who works with disputes. The auditor reads the audit trail only; the admin configures.
MEDIATION_ROLES = frozenset({
    roles.COUNTY_OPERATOR, roles.TOWN_OPERATOR, roles.VILLAGE_CADRE, roles.GRID_WORKER,
    roles.DEPARTMENT_HANDLER, roles.MEDIATOR, roles.LEADER,
})
# Who registers a dispute: centre staff, mediators, and cadres/grid workers screening (排查).
INTAKE_ROLES = frozenset({
    roles.COUNTY_OPERATOR, roles.TOWN_OPERATOR, roles.VILLAGE_CADRE, roles.GRID_WORKER, roles.MEDIATOR,
})
# Centre staff: the front desk (取号, 叫号) and the registry.
CENTRE_ROLES = frozenset({roles.COUNTY_OPERATOR, roles.TOWN_OPERATOR, roles.MEDIATOR})
STATS_ROLES = frozenset({
    roles.COUNTY_OPERATOR, roles.TOWN_OPERATOR, roles.VILLAGE_CADRE, roles.MEDIATOR, roles.LEADER,
})
REGISTRY_EDITORS = frozenset({roles.COUNTY_OPERATOR, roles.TOWN_OPERATOR, roles.ADMIN})
AREA_ROLES = frozenset({
    roles.COUNTY_OPERATOR, roles.TOWN_OPERATOR, roles.VILLAGE_CADRE, roles.GRID_WORKER, roles.LEADER,
    roles.MEDIATOR,
})


def _none() -> Q:
    return Q(pk__in=[])


def _ancestor_paths(path: str) -> list[str]:
    parts = [p for p in path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


def registry_q(user, field: str = "area_path") -> Q | None:
    """Registry rows (organisations, mediators) a user sees: its subtree and the levels above
    it (a town sees the county's professional committees and expert pool)."""
    if user.role in roles.GLOBAL_ROLES:
        return None
    if user.area_id is None:
        if user.department_id:
            return Q(department_id=user.department_id) if field == "area_path" else _none()
        return _none()
    path = user.area.path
    return subtree_q(path, field) | Q(**{f"{field}__in": _ancestor_paths(path)})


# ---------------------------------------------------------------------------- registry


class DisputeType(CodePathTreeMixin, models.Model):
    """纠纷类型: one node of the configurable type tree. ``path`` is ``/code/child/…/``."""

    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey("self", verbose_name=_("parent"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    path = models.CharField(_("path"), max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("depth"), default=0, editable=False)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    department_code = models.CharField(_("usual department code"), max_length=32, blank=True,
                                       help_text=_("The department whose experts know this type (e.g. RS for wages)"))
    is_active = models.BooleanField(_("active"), default=True)

    objects = RestrictedQuerySet.as_manager()

    ACCESS = {"view": roles.WORKING_ROLES, "change": frozenset({roles.ADMIN, roles.COUNTY_OPERATOR})}

    class Meta:
        ordering = ["path"]
        verbose_name = _("dispute type")
        verbose_name_plural = _("dispute types")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def jurisdiction_q(cls, user, action):
        return None

    def codes(self) -> list[str]:
        """Codes from the root to this node."""
        return self.ancestor_codes()


class Organisation(KeepsAreaPath, models.Model):
    """调解组织: a mediation centre, a people's mediation committee or a named studio."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=24, choices=OrgKind.choices)
    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(_("area path"), max_length=255, db_index=True, editable=False)
    department = models.ForeignKey(Department, verbose_name=_("department"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    specialties = models.JSONField(_("specialties (dispute type codes)"), default=list, blank=True)
    windows = models.JSONField(_("service windows"), default=list, blank=True,
                               help_text=_("Window names of a centre's front desk, e.g. [\"1\", \"2\"]"))
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("office phone"), max_length=40, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = RestrictedQuerySet.as_manager()

    # "view"/"change": the registry (the user's subtree and the levels above it). A centre's
    # front desk reaches only as far as the centre's tickets (``Ticket``: the user's subtree):
    # "queue" sees its queue (Ticket "view"), "serve" takes and calls its numbers (Ticket
    # "create"/"change"). A town sees the county centre in the registry, never serves its queue.
    ACCESS = {"view": MEDIATION_ROLES | {roles.ADMIN}, "change": REGISTRY_EDITORS,
              "queue": CENTRE_ROLES | {roles.LEADER}, "serve": CENTRE_ROLES}

    class Meta:
        ordering = ["area_path", "name"]
        verbose_name = _("mediation organisation")
        verbose_name_plural = _("mediation organisations")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def jurisdiction_q(cls, user, action):
        if action in {"queue", "serve"}:
            return Ticket.jurisdiction_q(user, "change")  # where the centre's tickets may be reached
        return registry_q(user)


class MediatorQuerySet(RestrictedQuerySet):
    def with_record(self):
        """Annotate ``open_cases``, ``succeeded_cases`` and ``failed_cases`` (track record)."""
        from .choices import OPEN_STATES

        return self.annotate(
            open_cases=models.Count("assignments", filter=Q(assignments__result="",
                                                            assignments__dispute__state__in=OPEN_STATES),
                                    distinct=True),
            succeeded_cases=models.Count("assignments", filter=Q(assignments__result="succeeded"), distinct=True),
            failed_cases=models.Count("assignments", filter=Q(assignments__result="failed"), distinct=True),
        ).order_by("area_path", "name", "id")


class Mediator(KeepsAreaPath, models.Model):
    """调解员 / 专家库成员: who mediates, with expertise, place, level and capacity.

    ``user`` links a mediator who signs in (role ``mediator`` or a department handler for a
    department expert); the expert pool (``in_expert_pool``) holds department experts and town
    staff drawn into task forces (专班). The ID number and household code serve only the
    conflict-of-interest check (回避); they are encrypted/hashed like every ID number.
    """

    name = models.CharField(_("name"), max_length=60)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("user account"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="mediator_profile")
    kind = models.CharField(_("kind"), max_length=24, choices=MediatorKind.choices, default=MediatorKind.PEOPLES_MEDIATOR)
    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="mediators")
    department = models.ForeignKey(Department, verbose_name=_("department"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(_("area path"), max_length=255, db_index=True, editable=False)
    level = models.CharField(_("level"), max_length=12, choices=MediatorLevel.choices, default=MediatorLevel.REGULAR)
    expertise = models.JSONField(_("expertise (dispute type codes)"), default=list, blank=True)
    in_expert_pool = models.BooleanField(_("in the expert pool"), default=False)
    capacity = models.PositiveSmallIntegerField(_("capacity (open cases)"), default=8,
                                                validators=[MinValueValidator(1)])
    id_number = PersonalDataField(_("ID number"), kind="id_number", blank=True)
    id_number_digest = PersonalDigestField(source="id_number")
    household_code = models.CharField(_("household register number"), max_length=40, blank=True, db_index=True)
    phone = PersonalDataField(_("phone"), kind="phone", blank=True)
    phone_digest = PersonalDigestField(source="phone")
    bio = models.TextField(_("profile"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = MediatorQuerySet.as_manager()

    ACCESS = {"view": MEDIATION_ROLES | {roles.ADMIN}, "change": REGISTRY_EDITORS}

    class Meta:
        ordering = ["area_path", "name"]
        verbose_name = _("mediator")
        verbose_name_plural = _("mediators")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def jurisdiction_q(cls, user, action):
        return registry_q(user)


class Kinship(models.Model):
    """回避申报: a mediator's declared relative (by the relative's ID number, kept only as a
    keyed hash). A party with that ID number excludes the mediator from the case."""

    mediator = models.ForeignKey(Mediator, on_delete=models.CASCADE, related_name="kinships")
    relative_id_digest = models.CharField(_("relative's ID number (keyed hash)"), max_length=64, db_index=True)
    relation = models.CharField(_("relation"), max_length=12, choices=Relation.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    declared_at = models.DateTimeField(_("declared at"), default=timezone.now)

    objects = RestrictedQuerySet.as_manager()

    ACCESS = {"view": REGISTRY_EDITORS, "change": REGISTRY_EDITORS}

    class Meta:
        verbose_name = _("declared relative")
        verbose_name_plural = _("declared relatives")
        constraints = [models.UniqueConstraint(fields=["mediator", "relative_id_digest"], name="kinship_unique")]

    def __str__(self) -> str:
        return f"{self.mediator} ~ {self.relation}"

    @classmethod
    def jurisdiction_q(cls, user, action):
        q = registry_q(user, "mediator__area_path")
        return q


# ---------------------------------------------------------------------------- disputes


class DisputeQuerySet(RestrictedQuerySet):
    def open(self):
        from .choices import OPEN_STATES

        return self.filter(state__in=OPEN_STATES)


class Dispute(KeepsAreaPath, models.Model):
    """矛盾纠纷: one dispute case from intake to archive."""

    number = models.CharField(_("number"), max_length=32, unique=True)
    type = models.ForeignKey(DisputeType, verbose_name=_("dispute type"), on_delete=models.PROTECT,
                             related_name="disputes")
    title = models.CharField(_("title"), max_length=200)
    facts = models.TextField(_("facts"))
    claims = models.TextField(_("claims"), blank=True)
    amount_in_dispute = models.DecimalField(_("amount in dispute (yuan)"), max_digits=14, decimal_places=2,
                                            default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))])
    amount_recovered = models.DecimalField(_("amount agreed/recovered (yuan)"), max_digits=14, decimal_places=2,
                                           default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))])
    area = models.ForeignKey(Area, verbose_name=_("place"), on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(_("area path"), max_length=255, db_index=True, editable=False)
    address = models.CharField(_("address"), max_length=300, blank=True)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices, db_index=True)
    source_ref = models.CharField(_("source reference"), max_length=64, blank=True,
                                  help_text=_("Court case number, petition number …"))
    event = models.ForeignKey("events.Event", verbose_name=_("from matter"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="disputes")
    is_hard = models.BooleanField(_("hard case (task force)"), default=False)
    is_demo = models.BooleanField(_("generated demo case"), default=False, editable=False)

    organisation = models.ForeignKey(Organisation, verbose_name=_("mediating organisation"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="disputes")
    centre = models.ForeignKey(Organisation, verbose_name=_("registered at"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("registered by"), null=True,
                                      blank=True, on_delete=models.SET_NULL, related_name="+")

    state = models.CharField(_("state"), max_length=14, choices=State.choices, default=State.REGISTERED,
                             db_index=True)
    version = models.PositiveIntegerField(_("version"), default=0)
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now, db_index=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    declined_reason = models.TextField(_("reason for declining"), blank=True)
    mediation_started_at = models.DateTimeField(_("mediation started at"), null=True, blank=True)
    concluded_at = models.DateTimeField(_("concluded at"), null=True, blank=True, db_index=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True, default="")
    failure_reason = models.TextField(_("why mediation failed"), blank=True)
    failed_count = models.PositiveSmallIntegerField(_("times mediation failed"), default=0)
    referral = models.CharField(_("referred to"), max_length=16, choices=Referral.choices, blank=True)
    referral_body = models.CharField(_("referred to (body)"), max_length=120, blank=True)
    referral_note = models.TextField(_("referral note"), blank=True)
    referred_at = models.DateTimeField(_("referred at"), null=True, blank=True)
    followed_up_at = models.DateTimeField(_("followed up at"), null=True, blank=True)
    honoured = models.CharField(_("agreement honoured"), max_length=8, choices=Honoured.choices, blank=True)
    follow_up_note = models.TextField(_("follow-up note"), blank=True)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)

    # 30-day limit (调解期限) on the working calendar, with 75 % warning and escalation.
    due_at = models.DateTimeField(_("due"), null=True, blank=True, db_index=True)
    warn_at = models.DateTimeField(_("warning at"), null=True, blank=True, db_index=True)
    sla_color = models.CharField(_("time-limit colour"), max_length=8, choices=SlaColor.choices,
                                 default=SlaColor.GREEN, db_index=True)
    overdue = models.BooleanField(_("overdue"), default=False)
    escalated_to = models.ForeignKey(Area, verbose_name=_("escalated to"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    supervised = models.BooleanField(_("supervised"), default=False)

    # Judicial confirmation (司法确认): apply within 30 days of the agreement taking effect.
    confirmation_status = models.CharField(_("judicial confirmation"), max_length=10,
                                           choices=ConfirmationStatus.choices, blank=True, default="")
    confirmation_deadline = models.DateTimeField(_("judicial confirmation deadline"), null=True, blank=True)
    confirmation_applied_at = models.DateTimeField(_("judicial confirmation applied at"), null=True, blank=True)
    confirmation_court = models.CharField(_("court"), max_length=100, blank=True)
    confirmation_decided_at = models.DateTimeField(_("judicial confirmation decided at"), null=True, blank=True)
    confirmation_note = models.TextField(_("judicial confirmation note"), blank=True)

    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    objects = DisputeQuerySet.as_manager()

    ACCESS = {
        "view": MEDIATION_ROLES,
        "create": INTAKE_ROLES,
        "act": MEDIATION_ROLES,
        "change": MEDIATION_ROLES,
        "stats": STATS_ROLES,
        "export": frozenset({roles.COUNTY_OPERATOR, roles.TOWN_OPERATOR, roles.LEADER, roles.MEDIATOR}),
    }

    class Meta:
        ordering = ["-registered_at", "-id"]
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        indexes = [
            models.Index(fields=["state", "sla_color"], name="dispute_state_color_idx"),
            models.Index(fields=["area_path", "registered_at"], name="dispute_area_time_idx"),
        ]

    #: the parties' own words: phone and ID numbers in them are masked like the parties' fields
    #: unless the reader unmasks (ADR 0120)
    FREE_TEXT_FIELDS = ("title", "facts", "claims")

    def __str__(self) -> str:
        return f"{self.number} {self.masked_title}"

    @property
    def masked_title(self) -> str:
        return mask_free_text(self.title)

    @classmethod
    def jurisdiction_q(cls, user, action):
        q = _none()
        if user.role in AREA_ROLES and user.area_id:
            q = subtree_q(user.area.path, "area_path")
        mediator = Mediator.objects.filter(user_id=user.pk).values("pk")
        assigned = Assignment.objects.filter(mediator__in=mediator).values("dispute_id")
        q |= Q(pk__in=assigned)
        if user.role == roles.MEDIATOR:
            q |= Q(organisation_id__in=Mediator.objects.filter(user_id=user.pk).values("organisation_id"))
        if user.role == roles.LEADER:
            q |= Q(pk__in=BacklogCase.objects.filter(leader_id=user.pk, dispute__isnull=False).values("dispute_id"))
        return q

    def in_area(self, area: Area | None) -> bool:
        return area is not None and self.area_path.startswith(area.path)

    @property
    def days_open(self) -> float | None:
        end = self.concluded_at or timezone.now()
        return round((end - self.registered_at).total_seconds() / 86400, 1)


class _ByDispute:
    ACCESS = {"view": MEDIATION_ROLES, "change": MEDIATION_ROLES}

    @classmethod
    def jurisdiction_q(cls, user, action):
        return Q(dispute_id__in=Dispute.objects.restrict(user, "view").values("pk"))


class Party(_ByDispute, models.Model):
    """当事人: an applicant or respondent — a person (personal data, encrypted) or an organisation."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="parties")
    side = models.CharField(_("side"), max_length=10, choices=PartySide.choices)
    kind = models.CharField(_("kind"), max_length=12, choices=PartyKind.choices, default=PartyKind.PERSON)
    name = PersonalDataField(_("name"), kind="name")
    name_digest = PersonalDigestField(source="name")
    phone = PersonalDataField(_("phone"), kind="phone", blank=True)
    phone_digest = PersonalDigestField(source="phone")
    id_number = PersonalDataField(_("ID number"), kind="id_number", blank=True)
    id_number_digest = PersonalDigestField(source="id_number")
    household_code = models.CharField(_("household register number"), max_length=40, blank=True, db_index=True)
    org_name = models.CharField(_("organisation name"), max_length=120, blank=True)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["dispute", "side", "order", "id"]
        verbose_name = _("party")
        verbose_name_plural = _("parties")

    def __str__(self) -> str:
        return self.display_name(False)

    def display_name(self, unmask: bool) -> str:
        """Organisations are named in full; people masked (张**) unless ``unmask``."""
        if self.kind == PartyKind.ORGANISATION:
            return self.org_name or self.name
        if unmask:
            return self.name
        return self._meta.get_field("name").mask(self.name)


class Assignment(_ByDispute, models.Model):
    """A mediator on a case: the lead mediator or a task-force member (专班成员)."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="assignments")
    mediator = models.ForeignKey(Mediator, on_delete=models.PROTECT, related_name="assignments")
    role = models.CharField(_("role"), max_length=8, choices=AssignmentRole.choices, default=AssignmentRole.LEAD)
    result = models.CharField(_("result"), max_length=10, choices=AssignmentResult.choices, blank=True, default="")
    assigned_at = models.DateTimeField(_("assigned at"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    match_score = models.FloatField(_("match score"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["dispute", "role", "assigned_at", "id"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            models.UniqueConstraint(fields=["dispute", "mediator"], condition=Q(result=""),
                                    name="assignment_active_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.dispute_id} {self.mediator} ({self.role})"


class Session(_ByDispute, models.Model):
    """调解记录: one mediation session (date, place, attendees, minutes)."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="sessions")
    seq = models.PositiveSmallIntegerField(_("session no."), default=1)
    held_at = models.DateTimeField(_("date and time"), db_index=True)
    place = models.CharField(_("place"), max_length=200)
    attendees = models.JSONField(_("attendees"), default=list, blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=SessionStatus.choices,
                              default=SessionStatus.SCHEDULED)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["dispute", "seq"]
        verbose_name = _("mediation session")
        verbose_name_plural = _("mediation sessions")
        constraints = [models.UniqueConstraint(fields=["dispute", "seq"], name="session_seq_unique")]

    def __str__(self) -> str:
        return f"{self.dispute_id} #{self.seq}"


def agreement_path(instance, filename: str) -> str:
    return f"mediation/agreements/{instance.dispute.registered_at:%Y}/{instance.dispute.number}-{instance.version}.pdf"


class AgreementTemplate(models.Model):
    """人民调解协议书 template, editable by the centre. Placeholders are ``{{name}}``; see
    :data:`fengqiao.mediation.pdf.PLACEHOLDERS`. The active template with the highest id is used."""

    name = models.CharField(_("name"), max_length=100)
    title = models.CharField(_("document title"), max_length=60, default="人民调解协议书")
    body = models.TextField(_("body"))
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    objects = RestrictedQuerySet.as_manager()

    ACCESS = {"view": MEDIATION_ROLES | {roles.ADMIN}, "change": REGISTRY_EDITORS}

    class Meta:
        ordering = ["-is_active", "-id"]
        verbose_name = _("agreement template")
        verbose_name_plural = _("agreement templates")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def jurisdiction_q(cls, user, action):
        return None


class Agreement(_ByDispute, models.Model):
    """人民调解协议书: the terms, when signed, and the generated PDF (stored, names masked)."""

    dispute = models.OneToOneField(Dispute, on_delete=models.CASCADE, related_name="agreement")
    number = models.CharField(_("agreement number"), max_length=40, unique=True)
    terms = models.TextField(_("terms"))
    signed_at = models.DateTimeField(_("signed at"))
    template = models.ForeignKey(AgreementTemplate, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    file = models.FileField(_("PDF"), upload_to=agreement_path, max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    version = models.PositiveSmallIntegerField(_("version"), default=0)
    generated_at = models.DateTimeField(_("generated at"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("mediation agreement")
        verbose_name_plural = _("mediation agreements")

    def __str__(self) -> str:
        return self.number


class TimelineEntry(_ByDispute, models.Model):
    """调处记录: one entry per action on a dispute."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=32)
    from_state = models.CharField(_("from state"), max_length=14, blank=True)
    to_state = models.CharField(_("to state"), max_length=14, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("dispute timeline entry")
        verbose_name_plural = _("dispute timeline entries")
        indexes = [models.Index(fields=["dispute", "at"], name="med_timeline_idx")]

    def __str__(self) -> str:
        return f"{self.dispute_id} {self.action}"

    #: timeline entries that are not actions of the transition table
    OTHER_ACTIONS = {"register": _("Registered"), "warning": _("Time limit near"),
                     "overdue": _("Time limit passed"),
                     "confirmation_warning": _("Deadline for judicial confirmation near")}

    @property
    def action_label(self) -> str:
        """The action in the reader's language (the code when it is unknown)."""
        from .transitions import TABLE

        return action_label(self.action, TABLE, self.OTHER_ACTIONS)

    @property
    def to_state_label(self) -> str:
        from .choices import State

        return choice_label(State, self.to_state)


# ---------------------------------------------------------------------------- walk-in queue


class Ticket(models.Model):
    """取号: a walk-in's ticket of the day at a centre. ``number`` restarts at 1 every day."""

    centre = models.ForeignKey(Organisation, verbose_name=_("centre"), on_delete=models.PROTECT, related_name="tickets")
    area_path = models.CharField(max_length=255, db_index=True, editable=False)
    day = models.DateField(_("day"), db_index=True)
    number = models.PositiveIntegerField(_("number"))
    visitor_name = PersonalDataField(_("visitor name"), kind="name", blank=True)
    visitor_name_digest = PersonalDigestField(source="visitor_name")
    visitor_phone = PersonalDataField(_("visitor phone"), kind="phone", blank=True)
    visitor_phone_digest = PersonalDigestField(source="visitor_phone")
    topic = models.CharField(_("what about"), max_length=200, blank=True)
    type = models.ForeignKey(DisputeType, verbose_name=_("dispute type"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=TicketStatus.choices, default=TicketStatus.WAITING,
                              db_index=True)
    window = models.CharField(_("window"), max_length=20, blank=True)
    taken_at = models.DateTimeField(_("taken at"), default=timezone.now)
    called_at = models.DateTimeField(_("called at"), null=True, blank=True)
    called_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    dispute = models.OneToOneField(Dispute, null=True, blank=True, on_delete=models.SET_NULL, related_name="ticket")

    objects = RestrictedQuerySet.as_manager()

    ACCESS = {"view": CENTRE_ROLES | {roles.LEADER}, "create": CENTRE_ROLES, "change": CENTRE_ROLES}

    class Meta:
        ordering = ["day", "number"]
        verbose_name = _("queue ticket")
        verbose_name_plural = _("queue tickets")
        constraints = [models.UniqueConstraint(fields=["centre", "day", "number"], name="ticket_number_unique")]
        indexes = [models.Index(fields=["centre", "day", "status"], name="ticket_queue_idx")]

    def __str__(self) -> str:
        return self.label

    def save(self, *args, **kwargs):
        self.area_path = self.centre.area_path
        super().save(*args, **kwargs)

    @property
    def label(self) -> str:
        return f"A{self.number:03d}"

    @classmethod
    def jurisdiction_q(cls, user, action):
        if user.area_id is None:
            return _none()
        return subtree_q(user.area.path, "area_path")


class QueueCounter(models.Model):
    """The last ticket number handed out per centre and day; locked while a number is taken."""

    centre = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["centre", "day"], name="queue_counter_unique")]

    def __str__(self) -> str:
        return f"{self.centre_id} {self.day} {self.last_number}"


class NumberCounter(models.Model):
    """Yearly sequence for dispute numbers (TJ2026-000123); locked while a number is taken."""

    key = models.CharField(max_length=20, unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key}: {self.last}"


# ---------------------------------------------------------------------------- backlog and hearings


class BacklogCase(KeepsAreaPath, models.Model):
    """积案: a dispute (or a petition matter) open too long or failed twice, with a leader in
    charge (包案领导), a plan and progress reports."""

    dispute = models.ForeignKey(Dispute, null=True, blank=True, on_delete=models.CASCADE, related_name="backlog_cases")
    event = models.ForeignKey("events.Event", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=255, db_index=True, editable=False)
    reason = models.CharField(_("why it is a backlog case"), max_length=24, choices=BacklogReason.choices)
    status = models.CharField(_("status"), max_length=10, choices=BacklogStatus.choices, default=BacklogStatus.OPEN,
                              db_index=True)
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("leader in charge"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="backlog_cases")
    plan = models.TextField(_("plan"), blank=True)
    progress = models.JSONField(_("progress reports"), default=list, blank=True)
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    assigned_at = models.DateTimeField(_("leader assigned at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    result = models.TextField(_("result"), blank=True)
    version = models.PositiveIntegerField(default=0)

    objects = RestrictedQuerySet.as_manager()

    ACCESS = {
        "view": frozenset({roles.COUNTY_OPERATOR, roles.TOWN_OPERATOR, roles.LEADER, roles.MEDIATOR}),
        "create": frozenset({roles.COUNTY_OPERATOR, roles.TOWN_OPERATOR, roles.LEADER}),
        "change": frozenset({roles.COUNTY_OPERATOR, roles.TOWN_OPERATOR, roles.LEADER}),
    }

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("backlog case")
        verbose_name_plural = _("backlog cases")
        constraints = [
            models.UniqueConstraint(fields=["dispute"], condition=Q(dispute__isnull=False) & ~Q(status="closed"),
                                    name="backlog_dispute_open_unique"),
            models.UniqueConstraint(fields=["event"], condition=Q(event__isnull=False) & ~Q(status="closed"),
                                    name="backlog_event_open_unique"),
        ]

    def __str__(self) -> str:
        return self.title

    @classmethod
    def jurisdiction_q(cls, user, action):
        q = Q(leader_id=user.pk)
        if user.area_id:
            q |= subtree_q(user.area.path, "area_path")
        return q


class Hearing(models.Model):
    """阳光听证: a public hearing on a backlog case or a dispute, with participants and outcome."""

    backlog_case = models.ForeignKey(BacklogCase, null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="hearings")
    dispute = models.ForeignKey(Dispute, null=True, blank=True, on_delete=models.CASCADE, related_name="hearings")
    area_path = models.CharField(max_length=255, db_index=True, editable=False)
    scheduled_at = models.DateTimeField(_("scheduled at"))
    place = models.CharField(_("place"), max_length=200)
    participants = models.JSONField(_("participants"), default=list, blank=True,
                                    help_text=_("Leaders, police, judges, prosecutors, lawyers, citizens' representatives"))
    status = models.CharField(_("status"), max_length=10, choices=HearingStatus.choices,
                              default=HearingStatus.SCHEDULED)
    outcome = models.CharField(_("outcome"), max_length=12, choices=HearingOutcome.choices, blank=True, default="")
    summary = models.TextField(_("summary"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    version = models.PositiveIntegerField(default=0)

    objects = RestrictedQuerySet.as_manager()

    ACCESS = BacklogCase.ACCESS

    class Meta:
        ordering = ["-scheduled_at", "-id"]
        verbose_name = _("public hearing")
        verbose_name_plural = _("public hearings")

    def __str__(self) -> str:
        return f"{self.scheduled_at:%Y-%m-%d} {self.place}"

    @classmethod
    def jurisdiction_q(cls, user, action):
        q = Q(backlog_case__leader_id=user.pk)
        if user.area_id:
            q |= subtree_q(user.area.path, "area_path")
        return q
