"""``/api/v1/key-persons/…``: the key-person registry (重点人员台账) and its visits (走访记录).

Every read goes through ``restrict(user, action)``: a role that never reads the registry gets
403, a person outside the caller's jurisdiction does not exist for them (404), anonymous 401.
The writes parse the body, check the types of its values (400 before the action runs) and call
one action of :mod:`.actions`, whose refusals are the API's bilingual error with their status
(400, 403, 404, 409).

Names, ID numbers and phone numbers are masked: in the list always; on one person
(``GET {id}/``) a role that may unmask sees them in full on ``?unmask=1`` (the convention of
the matters' reporters, :func:`~fengqiao.core.viewsets.wants_unmask`), and each such read writes
one ``view_personal`` audit record. What the writes answer is masked.
"""

from __future__ import annotations

import django_filters
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from fengqiao.areas.models import Area, subtree_q
from fengqiao.core import audit
from fengqiao.core.bodies import TEXT, TEXT_OR_NULL, body_values
from fengqiao.core.errors import UserError
from fengqiao.core.filters import FilterSet
from fengqiao.core.inputs import optional_version
from fengqiao.core.serializers import ModelSerializer, version_field
from fengqiao.core.viewsets import RestrictedViewSetMixin, wants_unmask
from fengqiao.events.sla import now as clock_now

from . import actions
from .choices import Condition, KeyPersonCategory, VisitDue, VisitMethod
from .models import PERSONAL_FIELDS, KeyPerson, Visit, due_q, staff_name

URL = "/api/v1/key-persons/"

# ---------------------------------------------------------------- serializers




class VisitSerializer(ModelSerializer):
    """One visit (走访记录): when, by whom, how, what was found."""

    by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True,
                                      help_text="username of the visitor (by_name: their name)")
    method_label = serializers.CharField(source="get_method_display", read_only=True)
    condition_label = serializers.CharField(source="get_condition_display", read_only=True)

    class Meta:
        model = Visit
        fields = ["id", "visited_at", "by", "by_name", "method", "method_label", "condition", "condition_label",
                  "note", "recorded_at"]


class DueMarks:
    """The fields a registry entry's list row shares (key persons, check-points): its responsible
    grid worker's name and how its next visit or inspection stands, at one ``now`` per answer."""

    def get_caretaker_name(self, entry) -> str:
        return staff_name(entry.caretaker)

    def _now(self):
        if "now" not in self.context:
            self.context["now"] = clock_now()
        return self.context["now"]

    def get_overdue(self, entry) -> bool:
        """In the registry and the next visit (inspection) is past due."""
        return entry.due_mark(self._now()) == VisitDue.OVERDUE

    def get_due_soon(self, entry) -> bool:
        """In the registry and the next visit (inspection) falls due within three days."""
        return entry.due_mark(self._now()) == VisitDue.SOON

    def get_days_overdue(self, entry) -> int:
        """Whole days past the due (0 unless overdue)."""
        return entry.days_overdue(self._now())


class KeyPersonListSerializer(DueMarks, ModelSerializer):
    """A person in the list: name, ID number and phone always masked; where they live, who
    looks after them, and when the next visit falls due."""

    name = serializers.SerializerMethodField()
    id_number = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()
    category_label = serializers.CharField(source="get_category_display", read_only=True)
    area = serializers.SlugRelatedField(slug_field="code", read_only=True)
    area_name = serializers.CharField(source="area.name", read_only=True)
    caretaker = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True,
                                             help_text="username of the responsible grid worker (责任网格员)")
    caretaker_name = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()
    due_soon = serializers.SerializerMethodField()
    days_overdue = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = KeyPerson
        fields = ["id", "name", "id_number", "phone", "category", "category_label", "area", "area_name", "caretaker",
                  "caretaker_name", "visit_every_days", "last_visit_at", "next_visit_due", "overdue", "due_soon",
                  "days_overdue", "is_active", "version", "url"]

    def _shown(self, person: KeyPerson, field: str) -> str:
        return getattr(person, field) if self.context.get("unmask") else person.masked(field)

    def get_name(self, person) -> str:
        return self._shown(person, "name")

    def get_id_number(self, person) -> str:
        return self._shown(person, "id_number")

    def get_phone(self, person) -> str:
        return self._shown(person, "phone")


    def get_url(self, person) -> str:
        return f"{URL}{person.pk}/"


class KeyPersonSerializer(KeyPersonListSerializer):
    """One person: the list's fields (name, ID number and phone in full only when ``unmasked``)
    with the address, note, registration, removal and the visits the caller may see, newest
    first."""

    registered_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    unmasked = serializers.SerializerMethodField()
    visits = serializers.SerializerMethodField()

    class Meta(KeyPersonListSerializer.Meta):
        fields = [*KeyPersonListSerializer.Meta.fields, "address", "note", "registered_at", "registered_by",
                  "removed_at", "removal_reason", "unmasked", "visits"]

    def get_unmasked(self, person) -> bool:
        """Whether name, ID number and phone are shown in full (``?unmask=1`` by a role that may)."""
        return bool(self.context.get("unmask"))

    @extend_schema_field(VisitSerializer(many=True))
    def get_visits(self, person):
        request = self.context.get("request")
        user = request.user if request is not None else None
        visits = (Visit.objects.restrict(user, "view").filter(person=person).select_related("by")
                  .order_by("-visited_at", "-id"))
        return VisitSerializer(visits, many=True, context=self.context).data


class VisitRecordedSerializer(serializers.Serializer):
    """The answer to ``POST {id}/visits/``: the visit recorded and the person after it (the
    next visit due moved when it is the latest visit)."""

    visit = VisitSerializer()
    person = KeyPersonSerializer()


# the bodies of the writes as the schema documents them; the views check the types of the values
# (400 before anything runs), the actions check the values themselves (bilingual 400 / 409)


class KeyPersonCreateSerializer(serializers.Serializer):
    """The body of ``POST /api/v1/key-persons/`` (登记)."""

    name = serializers.CharField(max_length=actions.MAX_NAME, help_text="the person's name (required)")
    category = serializers.ChoiceField(choices=KeyPersonCategory.choices)
    area = serializers.CharField(help_text="code of the village/community or grid where the person lives, "
                                           "within the caller's jurisdiction")
    id_number = serializers.CharField(required=False, allow_blank=True, help_text="18-character ID number; "
                                      "one entry per ID number while in the registry (409 otherwise)")
    phone = serializers.CharField(required=False, allow_blank=True)
    address = serializers.CharField(required=False, allow_blank=True, max_length=200)
    caretaker = serializers.CharField(required=False, allow_blank=True, allow_null=True,
                                      help_text="username of an active grid worker of the person's town")
    visit_every_days = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=365,
                                                help_text="empty: the category's usual interval")
    note = serializers.CharField(required=False, allow_blank=True, max_length=actions.MAX_NOTE)


class KeyPersonUpdateSerializer(serializers.Serializer):
    """The body of ``PATCH /api/v1/key-persons/{id}/`` (修改): only the fields to change (name and
    ID number cannot be changed)."""

    category = serializers.ChoiceField(choices=KeyPersonCategory.choices, required=False)
    area = serializers.CharField(required=False, help_text="code of a village/community or grid")
    address = serializers.CharField(required=False, allow_blank=True, max_length=200)
    phone = serializers.CharField(required=False, allow_blank=True)
    caretaker = serializers.CharField(required=False, allow_blank=True, allow_null=True,
                                      help_text="username of an active grid worker of the person's town; "
                                                "null or empty for none")
    visit_every_days = serializers.IntegerField(required=False, min_value=1, max_value=365)
    note = serializers.CharField(required=False, allow_blank=True, max_length=actions.MAX_NOTE)
    version = version_field()


class KeyPersonRemoveSerializer(serializers.Serializer):
    """The body of ``POST /api/v1/key-persons/{id}/remove/`` (移出台账)."""

    reason = serializers.CharField(max_length=200, help_text="why the person leaves the registry (required)")
    version = version_field()


class VisitCreateSerializer(serializers.Serializer):
    """The body of ``POST /api/v1/key-persons/{id}/visits/`` (走访)."""

    method = serializers.ChoiceField(choices=VisitMethod.choices, required=False, default=VisitMethod.HOME)
    condition = serializers.ChoiceField(choices=Condition.choices, required=False, default=Condition.STABLE)
    note = serializers.CharField(required=False, allow_blank=True, max_length=actions.MAX_NOTE,
                                 help_text="what was found; required unless the condition is stable")
    visited_at = serializers.DateTimeField(required=False, allow_null=True,
                                           help_text="when (up to 30 days back, not in the future); empty: now")


# ---------------------------------------------------------------- bodies

NUMBER, VERSION = "number", "version"
REGISTER_BODY = {"name": TEXT, "category": TEXT, "area": TEXT, "id_number": TEXT, "phone": TEXT, "address": TEXT,
                 "caretaker": TEXT_OR_NULL, "visit_every_days": NUMBER, "note": TEXT}
UPDATE_BODY = {"category": TEXT, "area": TEXT, "address": TEXT, "phone": TEXT, "caretaker": TEXT_OR_NULL,
               "visit_every_days": NUMBER, "note": TEXT, "version": VERSION}
REMOVE_BODY = {"reason": TEXT, "version": VERSION}
VISIT_BODY = {"method": TEXT, "condition": TEXT, "note": TEXT, "visited_at": TEXT_OR_NULL}


def _number(data, key):
    """A whole number, its digits as text (as a form sends it), or null."""
    value = data.get(key)
    if value is None or isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise UserError("invalid", f"{key} 应为整数", f"{key} must be a whole number", field=key)


def _body(request, spec: dict[str, str]) -> dict:
    """The body's values named in ``spec`` (``core.bodies``): a version as a whole number ≥ 0 (or
    its digits), a number as :func:`_number` reads it, anything else a 400 before the action runs."""
    return body_values(request, spec, {VERSION: lambda data, key: optional_version(data.get(key)), NUMBER: _number})



# ---------------------------------------------------------------- filters

ACTIVE_TRUE, ACTIVE_FALSE, ACTIVE_ALL = "true", "false", "all"


class KeyPersonFilter(FilterSet):
    """The filters of the registry's list, the API's and the console's (``views.person_list``,
    which says ``removed`` for ``active=false``). ``now`` is the time the ``due`` filter counts
    from (the platform's clock unless given)."""

    category = django_filters.MultipleChoiceFilter(choices=KeyPersonCategory.choices,
                                                   label="category (repeat for several)")
    area = django_filters.CharFilter(method="filter_area", label="area code (its whole subtree)")
    due = django_filters.ChoiceFilter(choices=VisitDue.choices, method="filter_due",
                                      label="overdue; soon (due within 3 days); due (either)")
    active = django_filters.ChoiceFilter(
        choices=[(ACTIVE_TRUE, _("In the registry")), (ACTIVE_FALSE, _("Removed from the registry")),
                 (ACTIVE_ALL, _("In the registry or removed"))],
        method="filter_active", label="true (default): in the registry; false: removed; all: both")

    class Meta:
        model = KeyPerson
        fields = ["category", "area", "due", "active"]

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None, now=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        self.now = now

    def filter_area(self, queryset, name, value):
        # any area by its code: the result is within the caller's registry anyway, and a grid
        # worker's people in their care may live in another village of the town
        area = Area.objects.filter(code=value.strip()).only("path").first()
        if area is None:
            return queryset.none()
        return queryset.filter(subtree_q(area.path, "area_path"))

    def filter_due(self, queryset, name, value):
        return queryset.filter(due_q(value, self.now or clock_now()))

    def filter_active(self, queryset, name, value):
        if value == ACTIVE_ALL:
            return queryset
        return queryset.filter(is_active=value == ACTIVE_TRUE)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("active"):  # by default the people in the registry
            queryset = queryset.filter(is_active=True)
        return queryset


# ---------------------------------------------------------------- views


class KeyPersonViewSet(RestrictedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                       viewsets.GenericViewSet):
    """重点人员台账: list and read the registry of the caller's area; register (``POST``), change
    (``PATCH {id}/``), remove from the registry (``POST {id}/remove/``) and record a visit
    (``POST {id}/visits/``)."""

    queryset = KeyPerson.objects.select_related("area", "caretaker", "registered_by")
    serializer_class = KeyPersonSerializer
    filterset_class = KeyPersonFilter
    lookup_value_regex = r"[0-9]{1,18}"
    ordering_fields = ["next_visit_due", "last_visit_at", "registered_at", "id"]
    ordering = ["next_visit_due", "id"]
    access_actions = {"list": "view", "retrieve": "view", "create": "change", "partial_update": "change",
                      "remove": "change", "visits": "visit"}
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_class(self):
        return KeyPersonListSerializer if self.action == "list" else KeyPersonSerializer

    def filter_queryset(self, queryset):
        # the filters (by default the people in the registry) narrow the list; one person is
        # found by their id, in the registry or removed from it
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def get_serializer_context(self):
        ctx = super().get_serializer_context()
        ctx["now"] = clock_now()
        ctx["unmask"] = False  # the list always masked; one person on request (retrieve)
        return ctx

    def _detail(self, person: KeyPerson, *, unmask: bool = False) -> dict:
        return KeyPersonSerializer(person, context={**self.get_serializer_context(), "unmask": unmask}).data

    @extend_schema(parameters=[OpenApiParameter(
        "unmask", bool, description="true (or 1, yes): name, ID number and phone in full, for a role that may "
        "unmask (county or town operator; otherwise masked as usual); the read is recorded in the audit trail")])
    def retrieve(self, request, *args, **kwargs):
        """One person with their visits; ``?unmask=1`` shows name, ID number and phone in full
        to a role that may unmask (county or town operator), and writes ``view_personal``."""
        person = self.get_object()
        unmask = wants_unmask(request)
        if unmask:  # the same record as a matter's reporter shown in full
            audit.record_personal_view([person], PERSONAL_FIELDS,
                                       lambda p: any(getattr(p, f) for f in PERSONAL_FIELDS))
        response = Response(self._detail(person, unmask=unmask))
        if unmask:
            patch_cache_control(response, private=True, no_store=True)
        return response

    @extend_schema(request=KeyPersonCreateSerializer, responses={201: KeyPersonSerializer})
    def create(self, request, *args, **kwargs):
        """登记: 400 for a missing or bad value (or an area outside the caller's jurisdiction),
        409 when the ID number is already in the registry."""
        body = {"name": "", "category": "", "area": "", **_body(request, REGISTER_BODY)}
        person = actions.register_key_person(by=request.user, **body)
        return Response(self._detail(person), status=status.HTTP_201_CREATED)

    @extend_schema(request=KeyPersonUpdateSerializer, responses=KeyPersonSerializer)
    def partial_update(self, request, *args, **kwargs):
        """修改: only the fields sent change; 409 when ``version`` is stale or the person was
        removed from the registry."""
        person = self.get_object()
        changes = _body(request, UPDATE_BODY)
        version = changes.pop("version", None)
        if not changes:
            raise UserError("no_changes", "请求中没有要修改的字段", "the body names no field to change")
        person = actions.update_key_person(person, by=request.user, version=version, **changes)
        return Response(self._detail(person))

    @extend_schema(request=KeyPersonRemoveSerializer, responses=KeyPersonSerializer)
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def remove(self, request, pk=None):
        """移出台账 with a reason: the person and their visits are kept; 409 when ``version`` is
        stale or the person was already removed."""
        person = self.get_object()
        body = _body(request, REMOVE_BODY)
        person = actions.remove_key_person(person, by=request.user, reason=body.get("reason", ""),
                                           version=body.get("version"))
        return Response(self._detail(person))

    @extend_schema(request=VisitCreateSerializer, responses={201: VisitRecordedSerializer, 200: VisitRecordedSerializer},
                   parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
                                                description="a retry with the same key and the same visit "
                                                            "answers the first visit with 200 and records nothing; "
                                                            "the same key with another visit is 422 "
                                                            "idempotency_key_reused")])
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def visits(self, request, pk=None):
        """走访: the visit and the person after it (the next visit falls due one interval after
        the latest visit); 409 when the person was removed from the registry. With an
        ``Idempotency-Key`` seen before (from the same caller, for this person) and the same
        visit, the first visit again with 200, nothing written; with another visit (method,
        condition, note, or the time sent) 422 ``idempotency_key_reused``, nothing written."""
        person = self.get_object()
        visit = actions.record_visit(person, by=request.user, idempotency_key=request.headers.get("Idempotency-Key", ""),
                                     **_body(request, VISIT_BODY))
        data = {"visit": VisitSerializer(visit, context=self.get_serializer_context()).data,
                "person": self._detail(visit.person)}
        return Response(data, status=status.HTTP_200_OK if visit.repeated else status.HTTP_201_CREATED)
