"""The grid registries, read through ``restrict()`` by the people whose area holds the entry:

- the key-person registry (重点人员台账) and its visits (走访记录): sensitive personal data,
  masked unless the role may unmask (every unmasked view is audited);
- the check-points (平安点位) and their inspections (巡查记录): places inspected on a round
  against a checklist; a problem found is reported as a hazard matter."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.areas.models import Area, KeepsAreaPath, subtree_q
from fengqiao.core import roles
from fengqiao.core.fields import MasksPersonalData, PersonalDataField, PersonalDigestField
from fengqiao.core.personal import mask_name
from fengqiao.core.restrict import RestrictedQuerySet
from fengqiao.events.actions._base import actor_name

from .choices import (
    CheckPointKind,
    Condition,
    InspectionOutcome,
    KeyPersonCategory,
    VisitDue,
    VisitMethod,
)

#: who reads the registry: the centres, leaders, and the village's cadres and grid workers
REGISTRY_VIEWERS = frozenset({roles.COUNTY_OPERATOR, roles.TOWN_OPERATOR, roles.LEADER, roles.VILLAGE_CADRE,
                              roles.GRID_WORKER})
#: who registers and edits key persons
REGISTRARS = frozenset({roles.COUNTY_OPERATOR, roles.TOWN_OPERATOR, roles.VILLAGE_CADRE})
#: who records a visit
VISITORS = frozenset({roles.COUNTY_OPERATOR, roles.TOWN_OPERATOR, roles.VILLAGE_CADRE, roles.GRID_WORKER})
#: the personal data of an entry: masked wherever shown, in full only on request and audited
PERSONAL_FIELDS = ("name", "id_number", "phone")

#: a visit due within this long is due soon (marked yellow); one past its due time is overdue (red)
DUE_SOON_WITHIN = dt.timedelta(days=3)


def due_q(which: str, now: dt.datetime, field: str = "next_visit_due") -> Q:
    """The registry entries whose next visit (or, with ``field="next_inspection_due"``, a
    check-point's next inspection) is ``which`` (:class:`VisitDue`: overdue, due soon or either)
    at ``now``: the one rule of the console's lists, marks and counters, the menu's counts and
    the API. An entry removed from the registry is never due."""
    soon = now + DUE_SOON_WITHIN
    return Q(is_active=True) & {
        VisitDue.OVERDUE: Q(**{f"{field}__lt": now}),
        VisitDue.SOON: Q(**{f"{field}__gte": now, f"{field}__lt": soon}),
        VisitDue.DUE: Q(**{f"{field}__lt": soon}),
    }[which]


def due_mark(due: dt.datetime, is_active: bool, now: dt.datetime) -> str:
    """``overdue``, ``soon`` or nothing (:class:`VisitDue`): :func:`due_q` for one entry."""
    if not is_active:
        return ""
    if due < now:
        return VisitDue.OVERDUE
    return VisitDue.SOON if due < now + DUE_SOON_WITHIN else ""


def days_overdue(due: dt.datetime, is_active: bool, now: dt.datetime) -> int:
    """Whole days past ``due`` (0 unless overdue)."""
    return (now - due).days if due_mark(due, is_active, now) == VisitDue.OVERDUE else 0


def town_path(path: str) -> str:
    """The path of the town (乡镇、街道) an area path lies in: its first two nodes."""
    return "/".join(path.split("/")[:3]) + "/"


def staff_name(user) -> str:
    """How a registrar, visitor or responsible grid worker is shown ("" for nobody)."""
    return actor_name(user) if user is not None else ""


def village_path(path: str) -> str:
    """The path of the village (community) an area path lies in: its first three nodes."""
    return "/".join(path.split("/")[:4]) + "/"


def registry_q(user, prefix: str = "", caretaker: str = "") -> Q:
    """The registry rows in ``user``'s area; a grid worker also sees the people put in their
    care elsewhere. ``prefix`` reaches the person from another model (``person__``): a visit
    goes with its person, also after the person moved. ``caretaker`` names the responsible grid
    worker when it is not the row's own (a tenant's: ``house__caretaker``)."""
    if user.area_id is None:
        return Q(pk__in=[])
    q = subtree_q(user.area.path, f"{prefix}area_path")
    if user.role == roles.GRID_WORKER:
        # only in their own town: a grid worker who moved elsewhere leaves the old town's people
        q |= Q(**{f"{caretaker or prefix + 'caretaker'}_id": user.pk}) & subtree_q(
            town_path(user.area.path), f"{prefix}area_path")
    return q


class KeyPersonQuerySet(RestrictedQuerySet):
    def overdue(self, now: dt.datetime):
        return self.filter(due_q(VisitDue.OVERDUE, now))

    def due_soon(self, now: dt.datetime):
        return self.filter(due_q(VisitDue.SOON, now))

    def due(self, now: dt.datetime):
        """Overdue or due soon."""
        return self.filter(due_q(VisitDue.DUE, now))


class KeyPerson(MasksPersonalData, KeepsAreaPath, models.Model):
    """重点人员: one person in the registry, with how often they are to be visited."""

    name = PersonalDataField(_("name of the person"), kind="name")
    name_digest = PersonalDigestField(source="name")
    id_number = PersonalDataField(_("ID number"), kind="id_number", blank=True)
    id_number_digest = PersonalDigestField(source="id_number")
    phone = PersonalDataField(_("phone"), kind="phone", blank=True)
    phone_digest = PersonalDigestField(source="phone")
    category = models.CharField(_("category"), max_length=24, choices=KeyPersonCategory.choices)
    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(_("area path"), max_length=255, db_index=True, editable=False)
    address = models.CharField(_("address"), max_length=200, blank=True)
    caretaker = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("responsible grid worker"), null=True,
                                  blank=True, on_delete=models.SET_NULL, related_name="key_persons")
    visit_every_days = models.PositiveSmallIntegerField(
        _("visit every (days)"), validators=[MinValueValidator(1), MaxValueValidator(365)])
    is_active = models.BooleanField(_("in the registry"), default=True)
    note = models.TextField(_("note"), blank=True)
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("registered by"), null=True,
                                      blank=True, on_delete=models.SET_NULL, related_name="+")
    last_visit_at = models.DateTimeField(_("last visit"), null=True, blank=True)
    next_visit_due = models.DateTimeField(_("next visit due"), db_index=True)
    removed_at = models.DateTimeField(_("removed from the registry at"), null=True, blank=True)
    removal_reason = models.CharField(_("why removed"), max_length=200, blank=True)
    version = models.PositiveIntegerField(_("version"), default=0)

    objects = KeyPersonQuerySet.as_manager()

    ACCESS = {"view": REGISTRY_VIEWERS, "change": REGISTRARS, "visit": VISITORS}

    class Meta:
        ordering = ["next_visit_due", "id"]
        verbose_name = _("key person")
        verbose_name_plural = _("key persons")
        constraints = [
            # one entry per ID number while in the registry (two registrars at the same moment)
            models.UniqueConstraint(fields=["id_number_digest"], condition=Q(is_active=True) & ~Q(id_number_digest=""),
                                    name="key_person_id_active_unique"),
        ]

    def __str__(self) -> str:
        return f"{mask_name(self.name)} ({self.get_category_display()})"

    @classmethod
    def jurisdiction_q(cls, user, action):
        return registry_q(user)

    def due_after(self, visited_at: dt.datetime) -> dt.datetime:
        return visited_at + dt.timedelta(days=self.visit_every_days)

    def due_mark(self, now: dt.datetime) -> str:
        return due_mark(self.next_visit_due, self.is_active, now)

    def days_overdue(self, now=None) -> int:
        """Whole days past the visit due (0 unless overdue)."""
        return days_overdue(self.next_visit_due, self.is_active, now or timezone.now())


class Visit(models.Model):
    """走访记录: one visit of a key person and what the visitor found."""

    person = models.ForeignKey(KeyPerson, verbose_name=_("key person"), on_delete=models.CASCADE,
                               related_name="visits")
    visited_at = models.DateTimeField(_("visited at"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("visited by"), null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+")
    by_name = models.CharField(_("visitor"), max_length=150, blank=True)
    method = models.CharField(_("how"), max_length=8, choices=VisitMethod.choices, default=VisitMethod.HOME)
    condition = models.CharField(_("condition"), max_length=10, choices=Condition.choices, default=Condition.STABLE)
    note = models.TextField(_("what was found"), blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    #: ``<user id>:<key>`` of the form or request that recorded it (ADR 0105): a resent form
    #: answers this visit instead of recording a second one
    idempotency_key = models.CharField(max_length=160, null=True, blank=True, unique=True, editable=False)

    objects = RestrictedQuerySet.as_manager()

    ACCESS = {"view": REGISTRY_VIEWERS}

    class Meta:
        ordering = ["-visited_at", "-id"]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        indexes = [models.Index(fields=["person", "visited_at"], name="visit_person_time_idx")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.visited_at:%Y-%m-%d}"

    @classmethod
    def jurisdiction_q(cls, user, action):
        return registry_q(user, "person__")


#: the longest checklist, and the longest item
MAX_CHECKLIST_ITEMS = 30
MAX_ITEM = 100


class CheckPointQuerySet(RestrictedQuerySet):
    def due(self, which: str, now: dt.datetime):
        """Overdue, due soon or either (:class:`VisitDue`)."""
        return self.filter(due_q(which, now, "next_inspection_due"))


class CheckPoint(KeepsAreaPath, models.Model):
    """平安点位: a place grid workers inspect on a round, with its checklist and how often."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=CheckPointKind.choices)
    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(_("area path"), max_length=255, db_index=True, editable=False)
    address = models.CharField(_("address"), max_length=200, blank=True)
    caretaker = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("responsible grid worker"), null=True,
                                  blank=True, on_delete=models.SET_NULL, related_name="check_points")
    inspect_every_days = models.PositiveSmallIntegerField(
        _("inspect every (days)"), validators=[MinValueValidator(1), MaxValueValidator(365)])
    #: what an inspection looks at, in order: a list of short texts
    checklist = models.JSONField(_("checklist"), default=list)
    is_active = models.BooleanField(_("in the registry"), default=True)
    note = models.TextField(_("note"), blank=True)
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("registered by"), null=True,
                                      blank=True, on_delete=models.SET_NULL, related_name="+")
    last_inspected_at = models.DateTimeField(_("last inspection"), null=True, blank=True)
    last_outcome = models.CharField(_("last outcome"), max_length=10, choices=InspectionOutcome.choices, blank=True)
    next_inspection_due = models.DateTimeField(_("next inspection due"), db_index=True)
    removed_at = models.DateTimeField(_("removed from the registry at"), null=True, blank=True)
    removal_reason = models.CharField(_("why removed"), max_length=200, blank=True)
    version = models.PositiveIntegerField(_("version"), default=0)

    objects = CheckPointQuerySet.as_manager()

    ACCESS = {"view": REGISTRY_VIEWERS, "change": REGISTRARS, "inspect": VISITORS}

    class Meta:
        ordering = ["next_inspection_due", "id"]
        verbose_name = _("check-point")
        verbose_name_plural = _("check-points")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def jurisdiction_q(cls, user, action):
        return registry_q(user)

    def due_after(self, inspected_at: dt.datetime) -> dt.datetime:
        return inspected_at + dt.timedelta(days=self.inspect_every_days)

    def due_mark(self, now: dt.datetime) -> str:
        return due_mark(self.next_inspection_due, self.is_active, now)

    def days_overdue(self, now=None) -> int:
        """Whole days past the inspection due (0 unless overdue)."""
        return days_overdue(self.next_inspection_due, self.is_active, now or timezone.now())


class Inspection(models.Model):
    """巡查记录: one inspection of a check-point, item by item, and the matter it reported."""

    point = models.ForeignKey(CheckPoint, verbose_name=_("check-point"), on_delete=models.CASCADE,
                              related_name="inspections")
    inspected_at = models.DateTimeField(_("inspected at"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("inspected by"), null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+")
    by_name = models.CharField(_("inspector"), max_length=150, blank=True)
    #: the checklist as it stood, item by item: [{"item": text, "ok": bool, "note": text}]
    results = models.JSONField(_("results"), default=list)
    outcome = models.CharField(_("inspection outcome"), max_length=10, choices=InspectionOutcome.choices)
    note = models.TextField(_("note"), blank=True)
    #: the hazard (安全隐患) reported for what was found, handled in the closed loop
    hazard = models.ForeignKey("events.Event", verbose_name=_("hazard reported"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    #: ``<user id>:<key>`` of a client's ``Idempotency-Key`` (or the console form's), so a retry
    #: records nothing twice (ADR 0105's scope)
    idempotency_key = models.CharField(max_length=160, null=True, blank=True, unique=True, editable=False)

    objects = RestrictedQuerySet.as_manager()

    ACCESS = {"view": REGISTRY_VIEWERS}

    class Meta:
        ordering = ["-inspected_at", "-id"]
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        indexes = [models.Index(fields=["point", "inspected_at"], name="inspection_point_time_idx")]

    def __str__(self) -> str:
        return f"{self.point_id} {self.inspected_at:%Y-%m-%d}"

    @classmethod
    def jurisdiction_q(cls, user, action):
        return registry_q(user, "point__")

    def problems(self) -> list[dict]:
        return [r for r in self.results if not r.get("ok")]
