"""``/api/v1/rental-houses/…`` and ``/api/v1/residents/…``: the population registry (实有人口与
出租房屋), built like the key-person and check-point APIs (:mod:`fengqiao.grid.api`,
:mod:`fengqiao.grid.point_api`), whose body readers it shares.

Every read goes through ``restrict(user, action)``: a role that never reads the registry gets
403, an entry outside the caller's jurisdiction does not exist for them (404), anonymous 401.
The writes read the body's values by type (``core.bodies``: 400 before anything runs) and call
one action of :mod:`.actions`, whose refusals are the API's bilingual error with their status
(400, 403, 404, 409).

Personal data (a landlord's name, ID number and phone; a resident's) are masked: in the lists
always; on one entry (``GET {id}/``) a role that may unmask sees them in full on ``?unmask=1``
(:func:`~fengqiao.core.viewsets.wants_unmask`), and each such read writes one ``view_personal``
audit record. What the writes answer is masked.

A person is looked up by name, ID number or phone number with ``POST residents/lookup/``, the
values in the body: in a query string they would be written, in full, to the web server's and
the reverse proxy's access logs and to Referer headers. The look-up writes nothing and is a read
("view"), open to the roles that read the list.
"""

from __future__ import annotations

import django_filters
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from fengqiao.areas.models import Area, subtree_q
from fengqiao.core import audit
from fengqiao.core.bodies import TEXT, TEXT_OR_NULL
from fengqiao.core.errors import UserError
from fengqiao.core.fields import digest_for
from fengqiao.core.filters import FilterSet, IntegerFilter, StrictBooleanFilter, contains_word
from fengqiao.core.personal import PersonalDataError
from fengqiao.core.serializers import ModelSerializer, version_field
from fengqiao.core.viewsets import RestrictedViewSetMixin, wants_unmask
from fengqiao.events.sla import now as clock_now
from fengqiao.grid.api import (
    ACTIVE_ALL,
    ACTIVE_FALSE,
    ACTIVE_TRUE,
    NUMBER,
    VERSION,
    _body,
)
from fengqiao.grid.inputs import MAX_NAME, MAX_NOTE
from fengqiao.grid.models import staff_name

from . import actions
from .choices import HouseKind, MoveOutReason, PermitDue, ResidentKind, StayReason
from .models import (
    CROWDED_Q,
    HOUSE_PERSONAL_FIELDS,
    RESIDENT_PERSONAL_FIELDS,
    RentalHouse,
    Resident,
    permit_mark,
    permit_q,
)

HOUSES_URL = "/api/v1/rental-houses/"
RESIDENTS_URL = "/api/v1/residents/"
#: the longest ``q`` (words in the address) taken, and how many of its words count
MAX_QUERY, MAX_WORDS = 100, 5
#: the longest move-out note and removal reason (the model's columns)
MAX_REASON = 200

_UNMASK_PARAMETER = OpenApiParameter(
    "unmask", bool, description="true (or 1, yes): the personal data in full, for a role that may unmask (county "
    "or town operator; otherwise masked as usual); the read is recorded in the audit trail")


# ---------------------------------------------------------------- serializers


class RegistryMarks:
    """The fields the population registry's rows share (the grid registries' ``DueMarks``):
    personal data masked unless the context says ``unmask``, the responsible grid worker's name,
    and one ``today`` per answer (the platform's clock) for the permit marks."""

    def _shown(self, entry, field: str) -> str:
        return getattr(entry, field) if self.context.get("unmask") else entry.masked(field)

    def _today(self):
        if "today" not in self.context:
            self.context["today"] = timezone.localdate(clock_now())
        return self.context["today"]

    def get_caretaker_name(self, entry) -> str:
        return staff_name(entry.caretaker)

    def get_unmasked(self, entry) -> bool:
        """Whether the personal data are shown in full (``?unmask=1`` by a role that may)."""
        return bool(self.context.get("unmask"))


def _caretaker_field() -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True,
                                        help_text="username of the responsible grid worker (责任网格员; "
                                                  "caretaker_name: their name)")


class RentalHouseListSerializer(RegistryMarks, ModelSerializer):
    """A rental house in the list: where it is, how it is let, its landlord (always masked), who
    looks after it, and how many registered tenants live in it against how many it may house."""

    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    area = serializers.SlugRelatedField(slug_field="code", read_only=True)
    area_name = serializers.CharField(source="area.name", read_only=True)
    landlord_name = serializers.SerializerMethodField()
    landlord_id_number = serializers.SerializerMethodField()
    landlord_phone = serializers.SerializerMethodField()
    caretaker = _caretaker_field()
    caretaker_name = serializers.SerializerMethodField()
    crowded = serializers.BooleanField(source="is_crowded", read_only=True,
                                       help_text="in the registry, with more tenants than it may house (超员)")
    url = serializers.SerializerMethodField()

    class Meta:
        model = RentalHouse
        fields = ["id", "address", "area", "area_name", "kind", "kind_label", "rooms", "max_occupants",
                  "tenants_count", "crowded", "landlord_name", "landlord_id_number", "landlord_phone", "caretaker",
                  "caretaker_name", "is_active", "version", "url"]

    def get_landlord_name(self, house) -> str:
        return self._shown(house, "landlord_name")

    def get_landlord_id_number(self, house) -> str:
        return self._shown(house, "landlord_id_number")

    def get_landlord_phone(self, house) -> str:
        return self._shown(house, "landlord_phone")

    def get_url(self, house) -> str:
        return f"{HOUSES_URL}{house.pk}/"


class RentalHouseSerializer(RentalHouseListSerializer):
    """One rental house: the list's fields (the landlord in full only when ``unmasked``) with
    the note, registration, removal and the address of its tenants' list."""

    registered_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    unmasked = serializers.SerializerMethodField()
    tenants_url = serializers.SerializerMethodField()

    class Meta(RentalHouseListSerializer.Meta):
        fields = [*RentalHouseListSerializer.Meta.fields, "note", "registered_at", "registered_by", "removed_at",
                  "removal_reason", "unmasked", "tenants_url"]

    def get_tenants_url(self, house) -> str:
        return f"{HOUSES_URL}{house.pk}/tenants/"


class ResidentListSerializer(RegistryMarks, ModelSerializer):
    """A resident in the list: name, ID number and phone always masked; the kind, where they live
    (and in which rental house), where from and why, and how their residence permit stands."""

    name = serializers.SerializerMethodField()
    id_number = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    area = serializers.SlugRelatedField(slug_field="code", read_only=True)
    area_name = serializers.CharField(source="area.name", read_only=True)
    house = serializers.IntegerField(source="house_id", read_only=True, allow_null=True,
                                     help_text="id of the rental house a tenant lives in (null: none)")
    reason_label = serializers.CharField(source="get_reason_display", read_only=True)
    permit = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Resident
        fields = ["id", "name", "id_number", "phone", "kind", "kind_label", "area", "area_name", "address", "house",
                  "origin", "reason", "reason_label", "arrived_on", "permit_expires_on", "permit", "is_active",
                  "version", "url"]

    def get_name(self, resident) -> str:
        return self._shown(resident, "name")

    def get_id_number(self, resident) -> str:
        return self._shown(resident, "id_number")

    def get_phone(self, resident) -> str:
        return self._shown(resident, "phone")

    @extend_schema_field(serializers.ChoiceField(
        choices=PermitDue.choices, allow_blank=True,
        help_text="a floating resident's residence permit (居住证): expired, soon (expires within 30 days), missing "
                  "(none after half a year's stay); empty: nothing to follow"))
    def get_permit(self, resident) -> str:
        return permit_mark(resident, self._today())

    def get_url(self, resident) -> str:
        return f"{RESIDENTS_URL}{resident.pk}/"


class ResidentSerializer(ResidentListSerializer):
    """One resident: the list's fields (name, ID number and phone in full only when
    ``unmasked``) with the note, registration and moving out."""

    registered_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    move_out_reason_label = serializers.CharField(source="get_move_out_reason_display", read_only=True)
    unmasked = serializers.SerializerMethodField()

    class Meta(ResidentListSerializer.Meta):
        fields = [*ResidentListSerializer.Meta.fields, "note", "registered_at", "registered_by", "moved_out_at",
                  "move_out_reason", "move_out_reason_label", "move_out_note", "unmasked"]


class ResidentRegisteredSerializer(ResidentSerializer):
    """The answer to ``POST /api/v1/residents/``: the resident registered, and whether an entry
    of the same ID number elsewhere in the county was moved out by it (来登去销; where, is not
    said)."""

    moved_from_elsewhere = serializers.SerializerMethodField()

    class Meta(ResidentSerializer.Meta):
        fields = [*ResidentSerializer.Meta.fields, "moved_from_elsewhere"]

    def get_moved_from_elsewhere(self, resident) -> bool:
        """The person was registered elsewhere in the county; that entry is now moved out."""
        return bool(getattr(resident, "moved_from_elsewhere", False))


# the bodies of the writes as the schema documents them; the views check the types of the values
# (400 before anything runs), the actions check the values themselves (bilingual 400 / 409)

_AREA_HELP = "code of the village/community or grid, within the caller's jurisdiction"
_CARETAKER_HELP = "username of an active grid worker of the house's town; null or empty for none"


class RentalHouseCreateSerializer(serializers.Serializer):
    """The body of ``POST /api/v1/rental-houses/`` (登记出租房屋)."""

    address = serializers.CharField(max_length=actions.MAX_ADDRESS, help_text=(
        "one house per address within a village or community (a village and its grids count as one place), "
        "compared without spaces, full-width forms or case (测试路９９号 is 测试路 99号); 409 otherwise; kept as typed"))
    area = serializers.CharField(help_text=_AREA_HELP)
    kind = serializers.ChoiceField(choices=HouseKind.choices)
    rooms = serializers.IntegerField(min_value=1, max_value=500, help_text="rooms let")
    max_occupants = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2000,
                                             help_text="how many people it may house (核定居住人数); empty: not set")
    landlord_name = serializers.CharField(required=False, allow_blank=True, max_length=MAX_NAME)
    landlord_id_number = serializers.CharField(required=False, allow_blank=True, help_text="18-character ID number")
    landlord_phone = serializers.CharField(required=False, allow_blank=True)
    caretaker = serializers.CharField(required=False, allow_blank=True, allow_null=True, help_text=_CARETAKER_HELP)
    note = serializers.CharField(required=False, allow_blank=True, max_length=MAX_NOTE)


class RentalHouseUpdateSerializer(serializers.Serializer):
    """The body of ``PATCH /api/v1/rental-houses/{id}/`` (修改): only the fields to change. A house
    moved to another place takes its tenants along."""

    address = serializers.CharField(required=False, max_length=actions.MAX_ADDRESS)
    area = serializers.CharField(required=False, help_text=_AREA_HELP)
    kind = serializers.ChoiceField(choices=HouseKind.choices, required=False)
    rooms = serializers.IntegerField(required=False, min_value=1, max_value=500)
    max_occupants = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2000,
                                             help_text="null or empty: not set")
    landlord_name = serializers.CharField(required=False, allow_blank=True, max_length=MAX_NAME)
    landlord_id_number = serializers.CharField(required=False, allow_blank=True)
    landlord_phone = serializers.CharField(required=False, allow_blank=True)
    caretaker = serializers.CharField(required=False, allow_blank=True, allow_null=True, help_text=_CARETAKER_HELP)
    note = serializers.CharField(required=False, allow_blank=True, max_length=MAX_NOTE)
    version = version_field()


class RentalHouseRemoveSerializer(serializers.Serializer):
    """The body of ``POST /api/v1/rental-houses/{id}/remove/`` (移出台账): only a house nobody
    lives in (409 ``has_tenants`` otherwise)."""

    reason = serializers.CharField(max_length=MAX_REASON, help_text="why the house leaves the registry (required)")
    version = version_field()


_HOUSE_HELP = ("id of a rental house in the registry, within the caller's reach: the resident lives there (its "
               "area and address are the resident's); null or empty: none")


class ResidentCreateSerializer(serializers.Serializer):
    """The body of ``POST /api/v1/residents/`` (登记实有人口)."""

    name = serializers.CharField(max_length=MAX_NAME, help_text="the person's name (required)")
    kind = serializers.ChoiceField(choices=ResidentKind.choices)
    id_number = serializers.CharField(required=False, allow_blank=True, help_text=(
        "18-character ID number, required but for a foreign national; one entry per ID number in the county: "
        "registered in the caller's jurisdiction already, 409; elsewhere, that entry is moved out"))
    phone = serializers.CharField(required=False, allow_blank=True)
    area = serializers.CharField(required=False, help_text=f"{_AREA_HELP} (required without a house)")
    address = serializers.CharField(required=False, allow_blank=True, max_length=actions.MAX_ADDRESS,
                                    help_text="required without a house")
    house = serializers.IntegerField(required=False, allow_null=True, help_text=_HOUSE_HELP)
    origin = serializers.CharField(required=False, allow_blank=True, max_length=actions.MAX_ORIGIN,
                                   help_text="户籍地, or a foreign national's nationality")
    reason = serializers.ChoiceField(choices=StayReason.choices, required=False, allow_blank=True)
    arrived_on = serializers.DateField(required=False, allow_null=True, help_text="not in the future")
    permit_expires_on = serializers.DateField(required=False, allow_null=True,
                                              help_text="the residence permit (居住证) is valid until")
    note = serializers.CharField(required=False, allow_blank=True, max_length=MAX_NOTE)


class ResidentUpdateSerializer(serializers.Serializer):
    """The body of ``PATCH /api/v1/residents/{id}/`` (修改): only the fields to change. The name
    and the ID number cannot be changed (move the entry out as registered by mistake and
    register the person again)."""

    kind = serializers.ChoiceField(choices=ResidentKind.choices, required=False)
    area = serializers.CharField(required=False, help_text=f"{_AREA_HELP} (not for a tenant: a tenant lives "
                                                           "where the house is)")
    address = serializers.CharField(required=False, max_length=actions.MAX_ADDRESS)
    house = serializers.IntegerField(required=False, allow_null=True, help_text=_HOUSE_HELP)
    phone = serializers.CharField(required=False, allow_blank=True)
    origin = serializers.CharField(required=False, allow_blank=True, max_length=actions.MAX_ORIGIN)
    reason = serializers.ChoiceField(choices=StayReason.choices, required=False, allow_blank=True)
    arrived_on = serializers.DateField(required=False, allow_null=True)
    permit_expires_on = serializers.DateField(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=MAX_NOTE)
    version = version_field()


class ResidentLookupSerializer(serializers.Serializer):
    """The body of ``POST /api/v1/residents/lookup/`` (查找人员): one or more of the person's full
    name, ID number and phone number, each compared, normalised as stored, through its keyed
    digest; a person is found when every value sent is theirs."""

    name = serializers.CharField(required=False, allow_blank=True, max_length=MAX_NAME,
                                 help_text="the full name (exact; spaces around and between words do not count)")
    id_number = serializers.CharField(required=False, allow_blank=True, max_length=MAX_NAME,
                                      help_text="the ID number (exact; a lower-case x and spaces are read as stored)")
    phone = serializers.CharField(required=False, allow_blank=True, max_length=MAX_NAME,
                                  help_text="the phone number (exact; spaces and +86 are read as stored)")
    active = serializers.ChoiceField(choices=[ACTIVE_TRUE, ACTIVE_FALSE, ACTIVE_ALL], required=False,
                                     help_text="true (default): in the registry; false: moved out; all: both")


class ResidentMoveOutSerializer(serializers.Serializer):
    """The body of ``POST /api/v1/residents/{id}/move-out/`` (注销)."""

    reason = serializers.ChoiceField(choices=MoveOutReason.choices, help_text=(
        "left, died or wrong (registered by mistake); moved is set only by a registration elsewhere in the county "
        "and is refused here"))
    note = serializers.CharField(required=False, allow_blank=True, max_length=MAX_REASON)
    version = version_field()


# ---------------------------------------------------------------- bodies

HOUSE_BODY = {"address": TEXT, "area": TEXT, "kind": TEXT, "rooms": NUMBER, "max_occupants": NUMBER,
              "landlord_name": TEXT, "landlord_id_number": TEXT, "landlord_phone": TEXT, "caretaker": TEXT_OR_NULL,
              "note": TEXT}
HOUSE_UPDATE_BODY = {**HOUSE_BODY, "version": VERSION}
HOUSE_REMOVE_BODY = {"reason": TEXT, "version": VERSION}
RESIDENT_BODY = {"name": TEXT, "kind": TEXT, "id_number": TEXT, "phone": TEXT, "area": TEXT, "address": TEXT,
                 "house": NUMBER, "origin": TEXT, "reason": TEXT, "arrived_on": TEXT_OR_NULL,
                 "permit_expires_on": TEXT_OR_NULL, "note": TEXT}
RESIDENT_UPDATE_BODY = {**{k: v for k, v in RESIDENT_BODY.items() if k not in ("name", "id_number")},
                        "version": VERSION}
MOVE_OUT_BODY = {"reason": TEXT, "note": TEXT, "version": VERSION}
#: the look-up's kinds of personal data (each compared through its keyed digest)
LOOKUP_KINDS = ("name", "id_number", "phone")
LOOKUP_BODY = {**dict.fromkeys(LOOKUP_KINDS, TEXT), "active": TEXT}


def _changes(request, spec: dict[str, str]) -> tuple[dict, int | None]:
    """A ``PATCH`` body: the fields to change and the version read; naming none is a 400."""
    changes = _body(request, spec)
    version = changes.pop("version", None)
    if not changes:
        raise UserError("no_changes", "请求中没有要修改的字段", "the body names no field to change")
    return changes, version


def _lookup(request) -> tuple[dict[str, str], str]:
    """The look-up's body: the keyed digest of each personal value sent (normalised as stored,
    :func:`~fengqiao.core.fields.digest_for`) and ``active``. A value that is no ID number or
    phone number (a wrong check digit), is too long or holds NUL is a 400 ``invalid`` naming it
    under ``fields``, as the list's filters do; a body with none of the values a 400 ``required``."""
    body = _body(request, LOOKUP_BODY)
    digests, refused = {}, {}
    for kind in LOOKUP_KINDS:
        value = body.get(kind, "").strip()
        if not value:
            continue
        if "\x00" in value:
            refused[kind] = ["不能包含空字符 / null characters are not allowed"]
        elif len(value) > MAX_NAME:
            refused[kind] = [f"最多 {MAX_NAME} 个字符 / at most {MAX_NAME} characters"]
        else:
            try:
                digests[kind] = digest_for(kind, value)
            except PersonalDataError as exc:
                refused[kind] = [f"{exc.message_zh} / {exc.message_en}"]
    active = body.get("active") or ACTIVE_TRUE
    if active not in (ACTIVE_TRUE, ACTIVE_FALSE, ACTIVE_ALL):
        refused["active"] = ["须为 true、false 或 all / must be true, false or all"]
    if refused:
        raise serializers.ValidationError(refused)
    if not digests:
        raise UserError("required", "请填写姓名、身份证号或电话号码(至少一项)",
                        "give at least one of name, id_number and phone")
    return digests, active


# ---------------------------------------------------------------- filters

_ACTIVE_CHOICES = [(ACTIVE_TRUE, _("In the registry")), (ACTIVE_FALSE, _("Out of the registry")),
                   (ACTIVE_ALL, _("In the registry or out of it"))]


def _area_filter(queryset, name, value):
    # any area by its code: the result is within the caller's registry anyway, and a grid
    # worker's houses in their care (and their tenants) may lie in another village of the town
    area = Area.objects.filter(code=value.strip()).only("path").first()
    if area is None:
        return queryset.none()
    return queryset.filter(subtree_q(area.path, "area_path"))


def _active_filter(queryset, name, value):
    if value == ACTIVE_ALL:
        return queryset
    return queryset.filter(is_active=value == ACTIVE_TRUE)


class RentalHouseFilter(FilterSet):
    """The filters of the rental-house list, for the API and the console."""

    area = django_filters.CharFilter(method="filter_area", label="area code (its whole subtree)")
    kind = django_filters.MultipleChoiceFilter(choices=HouseKind.choices, label="kind (repeat for several)")
    crowded = StrictBooleanFilter(method="filter_crowded",
                                  label="true: more tenants than it may house (超员); false: the others")
    caretaker = django_filters.CharFilter(method="filter_caretaker", max_length=150,
                                          label="username of the responsible grid worker")
    q = django_filters.CharFilter(method="filter_q", max_length=MAX_QUERY,
                                  label=f"words in the address, each in it (the first {MAX_WORDS} words)")
    active = django_filters.ChoiceFilter(choices=_ACTIVE_CHOICES, method="filter_active",
                                         label="true (default): in the registry; false: removed; all: both")

    class Meta:
        model = RentalHouse
        fields = ["area", "kind", "crowded", "caretaker", "q", "active"]

    def filter_area(self, queryset, name, value):
        return _area_filter(queryset, name, value)

    def filter_crowded(self, queryset, name, value):
        # the model's one rule (RentalHouseQuerySet.crowded), either way
        return queryset.crowded() if value else queryset.exclude(CROWDED_Q)

    def filter_caretaker(self, queryset, name, value):
        return queryset.filter(caretaker__username=value.strip())

    def filter_q(self, queryset, name, value):
        for word in value.split()[:MAX_WORDS]:
            queryset = queryset.filter(contains_word(["address"], word))
        return queryset

    def filter_active(self, queryset, name, value):
        return _active_filter(queryset, name, value)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("active"):  # by default the houses in the registry
            queryset = queryset.filter(is_active=True)
        return queryset


class ResidentFilter(FilterSet):
    """The filters of the resident list, for the API and the console. ``today`` is the day the
    ``permit`` filter counts from (the platform's clock unless given). A person is not looked up
    here by name, ID number or phone (they would stand in the address, and so in access logs):
    ``POST residents/lookup/`` takes them in the body."""

    kind = django_filters.MultipleChoiceFilter(choices=ResidentKind.choices, label="kind (repeat for several)")
    area = django_filters.CharFilter(method="filter_area", label="area code (its whole subtree)")
    permit = django_filters.ChoiceFilter(choices=PermitDue.choices, method="filter_permit",
                                         label="a floating resident's residence permit: expired; soon (expires "
                                               "within 30 days); missing (none after half a year's stay)")
    house = IntegerFilter(field_name="house", label="id of a rental house: its tenants")
    active = django_filters.ChoiceFilter(choices=_ACTIVE_CHOICES, method="filter_active",
                                         label="true (default): in the registry; false: moved out; all: both")

    class Meta:
        model = Resident
        fields = ["kind", "area", "permit", "house", "active"]

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None, today=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        self.today = today

    def filter_area(self, queryset, name, value):
        return _area_filter(queryset, name, value)

    def filter_permit(self, queryset, name, value):
        return queryset.filter(permit_q(value, self.today or timezone.localdate(clock_now())))

    def filter_active(self, queryset, name, value):
        return _active_filter(queryset, name, value)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("active"):  # by default the residents in the registry
            queryset = queryset.filter(is_active=True)
        return queryset


# ---------------------------------------------------------------- views


def _unmasked_read(request, entry, fields) -> bool:
    """Whether one entry is shown unmasked (``?unmask=1`` by a role that may); such a read is
    audited as a matter's reporter shown in full (``view_personal``, when there is anything
    personal to show)."""
    unmask = wants_unmask(request)
    if unmask:
        audit.record_personal_view([entry], fields, lambda e: any(getattr(e, f) for f in fields))
    return unmask


def _private(response: Response, unmask: bool) -> Response:
    if unmask:
        patch_cache_control(response, private=True, no_store=True)
    return response


class RentalHouseViewSet(RestrictedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                         viewsets.GenericViewSet):
    """出租房屋: list and read the rental houses of the caller's area; register (``POST``), change
    (``PATCH {id}/``), remove from the registry (``POST {id}/remove/``) and list the registered
    tenants (``GET {id}/tenants/``)."""

    queryset = RentalHouse.objects.select_related("area", "caretaker", "registered_by")
    serializer_class = RentalHouseSerializer
    filterset_class = RentalHouseFilter
    lookup_value_regex = r"[0-9]{1,18}"
    ordering_fields = ["address", "tenants_count", "registered_at", "id"]
    ordering = ["area_path", "address", "id"]
    access_actions = {"list": "view", "retrieve": "view", "tenants": "view", "create": "change",
                      "partial_update": "change", "remove": "change"}
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_class(self):
        return RentalHouseListSerializer if self.action == "list" else RentalHouseSerializer

    def filter_queryset(self, queryset):
        # the filters (by default the houses in the registry) narrow the list; one house is
        # found by its id, in the registry or removed from it
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def get_serializer_context(self):
        ctx = super().get_serializer_context()
        ctx["today"] = timezone.localdate(clock_now())
        ctx["unmask"] = False  # the list always masked; one house on request (retrieve)
        return ctx

    def _detail(self, house: RentalHouse, *, unmask: bool = False) -> dict:
        return RentalHouseSerializer(house, context={**self.get_serializer_context(), "unmask": unmask}).data

    @extend_schema(parameters=[_UNMASK_PARAMETER])
    def retrieve(self, request, *args, **kwargs):
        """One rental house; ``?unmask=1`` shows the landlord's name, ID number and phone in full
        to a role that may unmask (county or town operator), and writes ``view_personal``."""
        house = self.get_object()
        unmask = _unmasked_read(request, house, HOUSE_PERSONAL_FIELDS)
        return _private(Response(self._detail(house, unmask=unmask)), unmask)

    @extend_schema(request=RentalHouseCreateSerializer, responses={201: RentalHouseSerializer})
    def create(self, request, *args, **kwargs):
        """登记: 400 for a missing or bad value (or an area outside the caller's jurisdiction),
        409 when a house at this address is already in the registry (one house per address
        within a village or community; a village and its grids count as one place; spaces,
        full-width digits and letters and case make no other address)."""
        body = {"area": "", "address": "", "kind": "", "rooms": None, **_body(request, HOUSE_BODY)}
        house = actions.register_house(by=request.user, **body)
        return Response(self._detail(house), status=status.HTTP_201_CREATED)

    @extend_schema(request=RentalHouseUpdateSerializer, responses=RentalHouseSerializer)
    def partial_update(self, request, *args, **kwargs):
        """修改: only the fields sent change (a house moved to another place takes its tenants
        along); 409 when ``version`` is stale, the address is taken, or the house was removed."""
        house = self.get_object()
        changes, version = _changes(request, HOUSE_UPDATE_BODY)
        house = actions.update_house(house, by=request.user, version=version, **changes)
        return Response(self._detail(house))

    @extend_schema(request=RentalHouseRemoveSerializer, responses=RentalHouseSerializer)
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def remove(self, request, pk=None):
        """移出台账 with a reason: only a house nobody lives in (409 ``has_tenants``); 409 when
        ``version`` is stale or it was already removed."""
        house = self.get_object()
        body = _body(request, HOUSE_REMOVE_BODY)
        house = actions.remove_house(house, by=request.user, reason=body.get("reason", ""),
                                     version=body.get("version"))
        return Response(self._detail(house))

    @extend_schema(responses=ResidentListSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[])
    def tenants(self, request, pk=None):
        """在册租住人员: the residents in the registry who live in the house (masked), paginated
        like the lists."""
        house = self.get_object()
        tenants = (Resident.objects.restrict(request.user, "view").filter(house=house, is_active=True)
                   .select_related("area").order_by("id"))
        page = self.paginate_queryset(tenants)
        return self.get_paginated_response(
            ResidentListSerializer(page, many=True, context=self.get_serializer_context()).data)


class ResidentViewSet(RestrictedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      viewsets.GenericViewSet):
    """实有人口: list and read the residents of the caller's area, look a person up by name, ID
    number or phone (``POST lookup/``, a read); register (``POST``), change (``PATCH {id}/``) and
    move out (``POST {id}/move-out/``)."""

    queryset = Resident.objects.select_related("area", "registered_by")
    serializer_class = ResidentSerializer
    filterset_class = ResidentFilter
    lookup_value_regex = r"[0-9]{1,18}"
    ordering_fields = ["arrived_on", "permit_expires_on", "registered_at", "id"]
    ordering = ["area_path", "id"]
    # the look-up is a POST that writes nothing: a read, for the roles that read the list (a POST
    # not named here would be a "change", refused to the leaders)
    access_actions = {"list": "view", "retrieve": "view", "lookup": "view", "create": "change",
                      "partial_update": "change", "move_out": "change"}
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_class(self):
        if self.action == "lookup":
            return ResidentLookupSerializer  # its body (the browsable API's form); answered as the list
        return ResidentListSerializer if self.action == "list" else ResidentSerializer

    def filter_queryset(self, queryset):
        # the filters (by default the residents in the registry) narrow the list, the look-up is
        # ordered as the list; one resident is found by their id, in the registry or moved out
        return super().filter_queryset(queryset) if self.action in ("list", "lookup") else queryset

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if getattr(self, "action", None) == "lookup":  # an answer to personal data sent: kept by no cache
            patch_cache_control(response, private=True, no_store=True)
        return response

    def get_serializer_context(self):
        ctx = super().get_serializer_context()
        ctx["today"] = timezone.localdate(clock_now())
        ctx["unmask"] = False  # the list always masked; one resident on request (retrieve)
        return ctx

    def _detail(self, resident: Resident, *, unmask: bool = False, serializer=ResidentSerializer) -> dict:
        return serializer(resident, context={**self.get_serializer_context(), "unmask": unmask}).data

    @extend_schema(parameters=[_UNMASK_PARAMETER])
    def retrieve(self, request, *args, **kwargs):
        """One resident (also after moving out); ``?unmask=1`` shows name, ID number and phone in
        full to a role that may unmask (county or town operator), and writes ``view_personal``."""
        resident = self.get_object()
        unmask = _unmasked_read(request, resident, RESIDENT_PERSONAL_FIELDS)
        return _private(Response(self._detail(resident, unmask=unmask)), unmask)

    @extend_schema(request=ResidentLookupSerializer, responses=ResidentListSerializer(many=True))
    @action(detail=False, methods=["post"], url_path="lookup", filter_backends=[OrderingFilter])
    def lookup(self, request):
        """查找人员: the residents within the caller's reach whose full name, ID number and phone
        number are those sent (each value sent; normalised as stored and compared through the
        keyed digests), masked and paginated as the list and ordered as it; ``active`` as the
        list's filter. The values are in the body, not the address, so that no access log or
        Referer holds them. Writes nothing; answered with ``Cache-Control: no-store``."""
        digests, active = _lookup(request)
        residents = self.filter_queryset(self.get_queryset()).filter(
            **{f"{kind}_digest": digest for kind, digest in digests.items()})
        residents = _active_filter(residents, "active", active)
        page = self.paginate_queryset(residents)
        return self.get_paginated_response(
            ResidentListSerializer(page, many=True, context=self.get_serializer_context()).data)

    @extend_schema(request=ResidentCreateSerializer, responses={201: ResidentRegisteredSerializer})
    def create(self, request, *args, **kwargs):
        """登记 (来登): 400 for a missing or bad value (or a place outside the caller's
        jurisdiction), 409 when the ID number is in the caller's registry already. A person
        registered elsewhere in the county has moved here: that entry is moved out in the same
        transaction and the answer says ``moved_from_elsewhere`` (not where)."""
        body = {"name": "", "kind": "", **_body(request, RESIDENT_BODY)}
        resident = actions.register_resident(by=request.user, **body)
        return Response(self._detail(resident, serializer=ResidentRegisteredSerializer),
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=ResidentUpdateSerializer, responses=ResidentSerializer)
    def partial_update(self, request, *args, **kwargs):
        """修改: only the fields sent change (name and ID number cannot); 409 when ``version`` is
        stale or the person has moved out."""
        resident = self.get_object()
        changes, version = _changes(request, RESIDENT_UPDATE_BODY)
        resident = actions.update_resident(resident, by=request.user, version=version, **changes)
        return Response(self._detail(resident))

    @extend_schema(request=ResidentMoveOutSerializer, responses=ResidentSerializer)
    @action(detail=True, methods=["post"], url_path="move-out", filter_backends=[], pagination_class=None)
    def move_out(self, request, pk=None):
        """注销 (去销) with a reason (``left``, ``died``, ``wrong``) and a note: the entry is kept,
        out of the registry, and a tenant's house counts one fewer; 409 when ``version`` is stale
        or the person has moved out already."""
        resident = self.get_object()
        body = _body(request, MOVE_OUT_BODY)
        resident = actions.move_out_resident(resident, by=request.user, reason=body.get("reason", ""),
                                             note=body.get("note", ""), version=body.get("version"))
        return Response(self._detail(resident))
