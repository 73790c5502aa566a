"""The population registry of the grids (人、房 of 人地事物情组织), read through ``restrict()`` by
the people whose area holds the entry, like the other grid registries (ADR 0504):

- rental houses (出租房屋): the address, how it is let, the landlord (personal data), how many
  people it may house, and how many registered tenants live in it now;
- residents (实有人口): registered residents, the floating population (流动人口) and foreign
  nationals, each at an address and, for a tenant, in a rental house; a floating resident's
  residence permit (居住证) is followed. Names, ID numbers and phone numbers are personal data:
  encrypted, with keyed digests for exact look-up, masked unless the role may unmask."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.areas.models import Area, KeepsAreaPath
from fengqiao.core import roles
from fengqiao.core.fields import MasksPersonalData, PersonalDataField, PersonalDigestField
from fengqiao.core.personal import mask_name
from fengqiao.core.restrict import RestrictedQuerySet
from fengqiao.events.sla import now as clock_now
from fengqiao.grid.models import REGISTRY_VIEWERS, registry_q

from . import addresses
from .choices import HouseKind, MoveOutReason, PermitDue, ResidentKind, StayReason

#: who registers, changes and removes houses and residents: the centres, the village's cadres
#: and the grid workers, who register the floating population at the door (来登去销)
REGISTRARS = frozenset({roles.COUNTY_OPERATOR, roles.TOWN_OPERATOR, roles.VILLAGE_CADRE, roles.GRID_WORKER})
#: the personal data of each kind of entry, masked wherever shown
HOUSE_PERSONAL_FIELDS = ("landlord_name", "landlord_id_number", "landlord_phone")
RESIDENT_PERSONAL_FIELDS = ("name", "id_number", "phone")

#: a residence permit expiring within this long is marked yellow; an expired one red
PERMIT_SOON_WITHIN = dt.timedelta(days=30)
#: 居住证暂行条例 art. 2: a floating resident may apply for a permit after half a year's stay
PERMIT_AFTER = dt.timedelta(days=183)


def permit_q(which: str, today: dt.date) -> Q:
    """The floating residents whose residence permit is ``which`` (:class:`PermitDue`) on
    ``today``: the one rule of the lists, their counters, the detail page and the API. Only
    floating residents still in the registry have one to follow."""
    q = Q(is_active=True, kind=ResidentKind.FLOATING)
    return q & {
        PermitDue.EXPIRED: Q(permit_expires_on__lt=today),
        PermitDue.SOON: Q(permit_expires_on__gte=today, permit_expires_on__lt=today + PERMIT_SOON_WITHIN),
        # the arrival, or when it is not known the registration, half a year ago or more
        PermitDue.MISSING: Q(permit_expires_on__isnull=True) & (
            Q(arrived_on__lte=today - PERMIT_AFTER)
            | Q(arrived_on__isnull=True, registered_at__lt=_day_start(today - PERMIT_AFTER + dt.timedelta(days=1)))),
    }[which]


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def permit_mark(resident: Resident, today: dt.date) -> str:
    """:func:`permit_q` for one resident: ``expired``, ``soon``, ``missing`` or nothing."""
    if not resident.is_active or resident.kind != ResidentKind.FLOATING:
        return ""
    expires = resident.permit_expires_on
    if expires is None:
        since = resident.arrived_on or timezone.localdate(resident.registered_at)
        return PermitDue.MISSING if since <= today - PERMIT_AFTER else ""
    if expires < today:
        return PermitDue.EXPIRED
    return PermitDue.SOON if expires < today + PERMIT_SOON_WITHIN else ""


#: 超员、疑似群租: more tenants registered than the house may hold (a house in the registry)
CROWDED_Q = Q(is_active=True, max_occupants__isnull=False, tenants_count__gt=F("max_occupants"))


class RentalHouseQuerySet(RestrictedQuerySet):
    def crowded(self):
        """The over-crowded houses (:data:`CROWDED_Q`)."""
        return self.filter(CROWDED_Q)


class RentalHouse(MasksPersonalData, KeepsAreaPath, models.Model):
    """出租房屋: a flat, house, dormitory or shop let to tenants, and its landlord."""

    #: as typed (its runs of white space one space)
    address = models.CharField(_("address"), max_length=200)
    #: what the address is compared on (:func:`.addresses.address_key`: full-width digits,
    #: spaces and case make no other address); set when the house is written with an address
    #: it has not got yet. A house registered twice at one place before the key existed keeps
    #: its second entry with the key followed by ``:<its id>`` (migration 0002)
    address_key = models.CharField(max_length=100, default="", editable=False)
    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(_("area path"), max_length=255, db_index=True, editable=False)
    kind = models.CharField(_("how it is let"), max_length=12, choices=HouseKind.choices)
    rooms = models.PositiveSmallIntegerField(_("rooms let"), validators=[MinValueValidator(1),
                                                                        MaxValueValidator(500)])
    #: 核定居住人数: how many people the house may hold (none: not set)
    max_occupants = models.PositiveSmallIntegerField(_("may house (people)"), null=True, blank=True,
                                                     validators=[MinValueValidator(1), MaxValueValidator(2000)])
    landlord_name = PersonalDataField(_("landlord"), kind="name", blank=True)
    landlord_name_digest = PersonalDigestField(source="landlord_name")
    landlord_id_number = PersonalDataField(_("landlord's ID number"), kind="id_number", blank=True)
    landlord_id_number_digest = PersonalDigestField(source="landlord_id_number")
    landlord_phone = PersonalDataField(_("landlord's phone"), kind="phone", blank=True)
    landlord_phone_digest = PersonalDigestField(source="landlord_phone")
    caretaker = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("responsible grid worker"), null=True,
                                  blank=True, on_delete=models.SET_NULL, related_name="rental_houses")
    #: the residents in the registry who live here now, kept by the actions that move them
    tenants_count = models.PositiveIntegerField(_("tenants"), default=0)
    is_active = models.BooleanField(_("in the registry"), default=True)
    note = models.TextField(_("note"), blank=True)
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("registered by"), null=True,
                                      blank=True, on_delete=models.SET_NULL, related_name="+")
    removed_at = models.DateTimeField(_("removed from the registry at"), null=True, blank=True)
    removal_reason = models.CharField(_("why removed"), max_length=200, blank=True)
    version = models.PositiveIntegerField(_("version"), default=0)

    objects = RentalHouseQuerySet.as_manager()

    ACCESS = {"view": REGISTRY_VIEWERS, "change": REGISTRARS}

    class Meta:
        ordering = ["area_path", "address", "id"]
        verbose_name = _("rental house")
        verbose_name_plural = _("rental houses")
        constraints = [
            # one entry per address of a place while in the registry (two registrars at once),
            # however it was typed
            models.UniqueConstraint(fields=["area", "address_key"], condition=Q(is_active=True),
                                    name="rental_house_address_key_active_unique"),
        ]

    def __str__(self) -> str:
        return self.address

    def save(self, *args, **kwargs):
        if not self.address_key:  # the actions set it with a new address; any other write here
            self.address_key = addresses.address_key(self.address)
        super().save(*args, **kwargs)

    @classmethod
    def jurisdiction_q(cls, user, action):
        """The grid registries' reach: the area, and for a grid worker the houses in their care."""
        return registry_q(user)

    @property
    def is_crowded(self) -> bool:
        return self.is_active and self.max_occupants is not None and self.tenants_count > self.max_occupants


class ResidentQuerySet(RestrictedQuerySet):
    def permit(self, which: str, today: dt.date):
        return self.filter(permit_q(which, today))


class Resident(MasksPersonalData, KeepsAreaPath, models.Model):
    """实有人口: one person living in the area, where, and (a tenant) in which rental house."""

    name = PersonalDataField(_("name of the person"), kind="name")
    name_digest = PersonalDigestField(source="name")
    id_number = PersonalDataField(_("ID number"), kind="id_number", blank=True)
    id_number_digest = PersonalDigestField(source="id_number")
    phone = PersonalDataField(_("phone"), kind="phone", blank=True)
    phone_digest = PersonalDigestField(source="phone")
    kind = models.CharField(_("kind of resident"), max_length=12, choices=ResidentKind.choices)
    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(_("area path"), max_length=255, db_index=True, editable=False)
    address = models.CharField(_("address"), max_length=200)
    #: the rental house a tenant lives in (its area and address are the resident's)
    house = models.ForeignKey(RentalHouse, verbose_name=_("rental house"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="residents")
    #: 户籍地 or, for a foreign national, the nationality
    origin = models.CharField(_("where from"), max_length=100, blank=True)
    reason = models.CharField(_("why here"), max_length=10, choices=StayReason.choices, blank=True)
    arrived_on = models.DateField(_("arrived on"), null=True, blank=True)
    permit_expires_on = models.DateField(_("residence permit valid until"), null=True, blank=True)
    is_active = models.BooleanField(_("in the registry"), default=True)
    note = models.TextField(_("note"), blank=True)
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("registered by"), null=True,
                                      blank=True, on_delete=models.SET_NULL, related_name="+")
    moved_out_at = models.DateTimeField(_("moved out at"), null=True, blank=True)
    move_out_reason = models.CharField(_("why moved out"), max_length=10, choices=MoveOutReason.choices,
                                       blank=True)
    move_out_note = models.CharField(_("moving out: note"), max_length=200, blank=True)
    version = models.PositiveIntegerField(_("version"), default=0)

    objects = ResidentQuerySet.as_manager()

    ACCESS = {"view": REGISTRY_VIEWERS, "change": REGISTRARS}

    class Meta:
        ordering = ["area_path", "id"]
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        constraints = [
            # one entry per ID number while in the registry: a move is a new entry, the old one
            # moved out in the same transaction
            models.UniqueConstraint(fields=["id_number_digest"], condition=Q(is_active=True) & ~Q(id_number_digest=""),
                                    name="resident_id_active_unique"),
        ]
        indexes = [
            models.Index(fields=["kind", "permit_expires_on"], name="resident_permit_idx"),
            # the area's subtree (``restrict()``), and the lists' counts and counters of an area
            # (a county holds hundreds of thousands) read from this index alone, not from the
            # rows with their encrypted fields; PostgreSQL's prefix search (LIKE 'path%') needs
            # the pattern operator class on the path, the other columns keep their default
            models.Index(fields=["area_path", "id", "is_active", "kind", "permit_expires_on", "arrived_on",
                                 "registered_at"], name="resident_registry_idx",
                         opclasses=["varchar_pattern_ops", "", "", "", "", "", ""]),
        ]

    def __str__(self) -> str:
        return f"{mask_name(self.name)} ({self.get_kind_display()})"

    @classmethod
    def jurisdiction_q(cls, user, action):
        """The grid registries' reach; a grid worker also reaches the tenants of the houses in
        their care."""
        return registry_q(user, caretaker="house__caretaker")

    def permit_mark(self, today: dt.date | None = None) -> str:
        """:func:`permit_mark` on ``today`` (by default the platform's clock's date)."""
        return permit_mark(self, today or timezone.localdate(clock_now()))
