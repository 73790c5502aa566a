"""``/api/v1/check-points/…``: the check-point registry (平安点位) and its inspections (巡查记录).

Built like the key-person API (:mod:`.api`), whose body readers it shares: every read goes
through ``restrict(user, action)`` (a role that never reads the registry gets 403, a
check-point outside the caller's jurisdiction does not exist for them: 404; anonymous 401). The
writes read the body's values by type (``core.bodies``: 400 before anything runs) and call one
action of :mod:`.points`, whose refusals are the API's bilingual error with their status (400,
403, 404, 409).

Check-points hold no personal data: nothing is masked. The hazard matter (安全隐患) an inspection
reported is shown only by its id and number; the matter itself is ``GET /api/v1/events/{id}/``
for those who may read it.
"""

from __future__ import annotations

import django_filters
from django.db.models import F
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from fengqiao.areas.models import Area, subtree_q
from fengqiao.core.bodies import TEXT, TEXT_OR_NULL, body_values
from fengqiao.core.errors import UserError
from fengqiao.core.filters import FALSE, TRUE, FilterSet, contains_word
from fengqiao.core.inputs import optional_version
from fengqiao.core.serializers import ModelSerializer, version_field
from fengqiao.core.viewsets import RestrictedViewSetMixin
from fengqiao.events.sla import now as clock_now

from . import points
from .api import (
    ACTIVE_ALL,
    ACTIVE_FALSE,
    ACTIVE_TRUE,
    NUMBER,
    VERSION,
    DueMarks,
    _number,
)
from .choices import CheckPointKind, VisitDue
from .inputs import MAX_NOTE
from .models import MAX_CHECKLIST_ITEMS, MAX_ITEM, CheckPoint, Inspection, due_q

URL = "/api/v1/check-points/"
#: how many inspections one check-point shows, newest first (all of them: ``{id}/inspections/``)
LATEST_INSPECTIONS = 20

def _kind_field(**kwargs) -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=CheckPointKind.choices, **kwargs)


# ---------------------------------------------------------------- serializers


class HazardRefSerializer(serializers.Serializer):
    """The hazard matter (安全隐患) an inspection reported: its id and number only (the matter is
    ``GET /api/v1/events/{id}/``, for those who may read it)."""

    id = serializers.IntegerField()
    number = serializers.CharField(allow_null=True)


class InspectionResultSerializer(serializers.Serializer):
    """One checklist item as the inspection found it."""

    item = serializers.CharField(help_text="the checklist item, as it stood at the inspection")
    ok = serializers.BooleanField(help_text="false: found wrong")
    note = serializers.CharField(allow_blank=True, help_text="what was found (for an item found wrong)")


class InspectionSerializer(ModelSerializer):
    """One inspection (巡查记录): when, by whom, each checklist item, the outcome and the hazard
    matter it reported (``null``: nothing reported)."""

    point = serializers.IntegerField(source="point_id", read_only=True, help_text="id of the check-point")
    by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True,
                                      help_text="username of the inspector (by_name: their name)")
    outcome_label = serializers.CharField(source="get_outcome_display", read_only=True)
    results = InspectionResultSerializer(many=True, read_only=True)
    hazard = serializers.SerializerMethodField()

    class Meta:
        model = Inspection
        fields = ["id", "point", "inspected_at", "by", "by_name", "outcome", "outcome_label", "results", "note",
                  "hazard", "recorded_at"]

    @extend_schema_field(HazardRefSerializer(allow_null=True))
    def get_hazard(self, inspection):
        if inspection.hazard_id is None:
            return None
        # the lists read the number with the inspection (inspections_of); an inspection just
        # recorded holds its matter
        number = inspection.hazard_number if hasattr(inspection, "hazard_number") else inspection.hazard.number
        return {"id": inspection.hazard_id, "number": number}


def inspections_of(user, point: CheckPoint):
    """The inspections of ``point`` that ``user`` may read, newest first, with the hazard's
    number (not the matter's row)."""
    return (Inspection.objects.restrict(user, "view").filter(point=point).select_related("by")
            .annotate(hazard_number=F("hazard__number")).order_by("-inspected_at", "-id"))


class CheckPointListSerializer(DueMarks, ModelSerializer):
    """A check-point in the list: what and where it is, who looks after it, how it stood at the
    last inspection and when the next one falls due."""

    kind = _kind_field(read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    area = serializers.SlugRelatedField(slug_field="code", read_only=True)
    area_name = serializers.CharField(source="area.name", read_only=True)
    caretaker = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True,
                                             help_text="username of the responsible grid worker (责任网格员)")
    caretaker_name = serializers.SerializerMethodField()
    last_outcome = serializers.CharField(read_only=True, help_text="passed or problems; empty before the first "
                                                                   "inspection")
    last_outcome_label = serializers.CharField(source="get_last_outcome_display", read_only=True)
    checklist_items = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()
    due_soon = serializers.SerializerMethodField()
    days_overdue = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = CheckPoint
        fields = ["id", "name", "kind", "kind_label", "area", "area_name", "address", "caretaker", "caretaker_name",
                  "inspect_every_days", "checklist_items", "last_inspected_at", "last_outcome", "last_outcome_label",
                  "next_inspection_due", "overdue", "due_soon", "days_overdue", "is_active", "version", "url"]

    def get_checklist_items(self, point) -> int:
        """How many items the checklist holds."""
        return len(point.checklist)

    def get_url(self, point) -> str:
        return f"{URL}{point.pk}/"


class CheckPointSerializer(CheckPointListSerializer):
    """One check-point: the list's fields with its checklist, note, registration, removal and
    its latest inspections the caller may see (newest first, at most 20; all of them at
    ``inspections_url``)."""

    checklist = serializers.ListField(child=serializers.CharField(), read_only=True,
                                      help_text="what an inspection looks at, in order")
    registered_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    checklist_key = serializers.SerializerMethodField(
        help_text="a fingerprint of the checklist: send it back with an inspection so that item numbers are not "
                  "read against a checklist changed meanwhile")
    inspections = serializers.SerializerMethodField()
    inspections_url = serializers.SerializerMethodField()

    class Meta(CheckPointListSerializer.Meta):
        fields = [*CheckPointListSerializer.Meta.fields, "checklist", "checklist_key", "note", "registered_at",
                  "registered_by", "removed_at", "removal_reason", "inspections", "inspections_url"]

    def get_checklist_key(self, point) -> str:
        return points.checklist_key(point.checklist)

    @extend_schema_field(InspectionSerializer(many=True))
    def get_inspections(self, point):
        request = self.context.get("request")
        user = request.user if request is not None else None
        latest = inspections_of(user, point)[:LATEST_INSPECTIONS]
        return InspectionSerializer(latest, many=True, context=self.context).data

    def get_inspections_url(self, point) -> str:
        return f"{URL}{point.pk}/inspections/"


class InspectionRecordedSerializer(serializers.Serializer):
    """The answer to ``POST {id}/inspect/``: the inspection recorded (with the hazard matter it
    reported) and the check-point after it (the next inspection due moved when it is the latest
    inspection)."""

    inspection = InspectionSerializer()
    point = CheckPointSerializer()


# the bodies of the writes as the schema documents them; the views check the types of the values
# (400 before anything runs), the actions check the values themselves (bilingual 400 / 409)

_CHECKLIST_HELP = (f"what an inspection looks at, in order: 1 to {MAX_CHECKLIST_ITEMS} texts of at most "
                   f"{MAX_ITEM} characters (also one text with an item per line); empty lines and repeats "
                   "are dropped")


class CheckPointCreateSerializer(serializers.Serializer):
    """The body of ``POST /api/v1/check-points/`` (登记平安点位)."""

    name = serializers.CharField(max_length=points.MAX_POINT_NAME, help_text="the check-point's name (required)")
    kind = _kind_field()
    area = serializers.CharField(help_text="code of the village/community or grid where it lies, within the "
                                           "caller's jurisdiction")
    address = serializers.CharField(required=False, allow_blank=True, max_length=200)
    caretaker = serializers.CharField(required=False, allow_blank=True, allow_null=True,
                                      help_text="username of an active grid worker of the check-point's town")
    inspect_every_days = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=365,
                                                  help_text="empty: the kind's usual interval")
    checklist = serializers.ListField(child=serializers.CharField(max_length=MAX_ITEM), required=False,
                                      allow_null=True, max_length=MAX_CHECKLIST_ITEMS,
                                      help_text=f"{_CHECKLIST_HELP}; empty: the kind's usual checklist")
    note = serializers.CharField(required=False, allow_blank=True, max_length=MAX_NOTE)


class CheckPointUpdateSerializer(serializers.Serializer):
    """The body of ``PATCH /api/v1/check-points/{id}/`` (修改): only the fields to change. A new
    interval moves the next inspection due (counted from the last inspection)."""

    name = serializers.CharField(required=False, max_length=points.MAX_POINT_NAME)
    kind = _kind_field(required=False)
    area = serializers.CharField(required=False, help_text="code of a village/community or grid")
    address = serializers.CharField(required=False, allow_blank=True, max_length=200)
    caretaker = serializers.CharField(required=False, allow_blank=True, allow_null=True,
                                      help_text="username of an active grid worker of the check-point's town; "
                                                "null or empty for none")
    inspect_every_days = serializers.IntegerField(required=False, min_value=1, max_value=365)
    checklist = serializers.ListField(child=serializers.CharField(max_length=MAX_ITEM), required=False,
                                      min_length=1, max_length=MAX_CHECKLIST_ITEMS, help_text=_CHECKLIST_HELP)
    note = serializers.CharField(required=False, allow_blank=True, max_length=MAX_NOTE)
    version = version_field()


class CheckPointRemoveSerializer(serializers.Serializer):
    """The body of ``POST /api/v1/check-points/{id}/remove/`` (移出台账)."""

    reason = serializers.CharField(max_length=200, help_text="why the check-point leaves the registry (required)")
    version = version_field()


class InspectionProblemSerializer(serializers.Serializer):
    """A checklist item found wrong."""

    item = serializers.IntegerField(min_value=0, max_value=MAX_CHECKLIST_ITEMS - 1,
                                    help_text="the item's index in the check-point's checklist (from 0)")
    note = serializers.CharField(required=False, allow_blank=True, max_length=points.MAX_PROBLEM_NOTE,
                                 help_text="what was found")


class InspectionCreateSerializer(serializers.Serializer):
    """The body of ``POST /api/v1/check-points/{id}/inspect/`` (巡查)."""

    problems = serializers.ListField(
        child=InspectionProblemSerializer(), required=False, allow_null=True, max_length=MAX_CHECKLIST_ITEMS,
        help_text="the items found wrong, each once (also just their indexes: [0, 2]); empty: all in order")
    note = serializers.CharField(required=False, allow_blank=True, max_length=MAX_NOTE,
                                 help_text="what was found; required when there are problems")
    inspected_at = serializers.DateTimeField(required=False, allow_null=True,
                                             help_text="when (up to 30 days back, not in the future); empty: now")
    report = serializers.BooleanField(required=False, default=True,
                                      help_text="with problems: report them as one hazard matter (安全隐患, the "
                                                "default); false when already reported or put right on the spot")
    checklist_key = serializers.CharField(required=False, allow_blank=True, max_length=64,
                                          help_text="the check-point's checklist_key when the items were read: a "
                                                    "checklist changed since is refused (409 checklist_changed)")


# ---------------------------------------------------------------- bodies

CHECKLIST, PROBLEMS, FLAG = "checklist", "problems", "flag"
REGISTER_BODY = {"name": TEXT, "kind": TEXT, "area": TEXT, "address": TEXT, "caretaker": TEXT_OR_NULL,
                 "inspect_every_days": NUMBER, "checklist": CHECKLIST, "note": TEXT}
UPDATE_BODY = {**REGISTER_BODY, "version": VERSION}
REMOVE_BODY = {"reason": TEXT, "version": VERSION}
INSPECT_BODY = {"problems": PROBLEMS, "note": TEXT, "inspected_at": TEXT_OR_NULL, "report": FLAG,
                "checklist_key": TEXT}


def _values(data, key) -> list | None:
    """The values of a form's key sent more than once; ``None`` for JSON or a key sent once."""
    getlist = getattr(data, "getlist", None)
    return getlist(key) if getlist is not None and len(getlist(key)) > 1 else None


def _checklist(data, key):
    """A list of texts, one text (an item per line) or null; which items the action checks."""
    value = _values(data, key) or data.get(key)
    if value is None or isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str)
                                                                                      for v in value)):
        return value
    raise UserError("invalid", f"{key} 应为文字列表", f"{key} must be a list of texts", field=key)


def _problems(data, key):
    """The items found wrong: a list (or null) of item indexes (whole numbers, or their digits
    as a form sends them) or of ``{"item": index, "note": text}``. Whether each item exists the
    action checks."""
    if hasattr(data, "getlist"):  # a form: one index per value (an empty one names none)
        value = [v for v in data.getlist(key) if v != ""]
    else:
        value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, list):
        raise UserError("invalid", f"{key} 应为列表", f"{key} must be a list", field=key)
    if len(value) > MAX_CHECKLIST_ITEMS:
        raise UserError("too_many_items", f"问题项不能超过 {MAX_CHECKLIST_ITEMS} 项",
                        f"at most {MAX_CHECKLIST_ITEMS} problems", field=key)
    for entry in value:
        if isinstance(entry, dict):
            unknown = sorted(str(k) for k in entry if k not in ("item", "note"))
            if unknown:
                names = ", ".join(unknown)[:200]
                raise UserError("unknown_field", f"问题项不能含有: {names}", f"a problem holds unknown key(s): {names}",
                                field=key)
            item, note = entry.get("item"), entry.get("note", "")
        else:
            item, note = entry, ""
        if not (isinstance(item, str) or (isinstance(item, int) and not isinstance(item, bool))):
            raise UserError("invalid", "问题项应为检查项序号(整数)", "a problem's item must be the item's index (a whole "
                            "number)", field=key)
        if not isinstance(note, str):
            raise UserError("invalid", "问题说明应为文本", "a problem's note must be text", field=key)
    return value


def _flag(data, key) -> bool:
    """true or false (a form's true/false, 1/0, yes/no, on/off)."""
    value = data.get(key)
    if isinstance(value, bool):
        return value
    text = value.strip().lower() if isinstance(value, str) else None
    if text in TRUE or text in FALSE:
        return text in TRUE
    raise UserError("invalid", f"{key} 应为 true 或 false", f"{key} must be true or false", field=key)


def _body(request, spec: dict[str, str]) -> dict:
    """The body's values named in ``spec`` (``core.bodies``), each of its kind, else a 400
    before the action runs."""
    return body_values(request, spec, {
        VERSION: lambda data, key: optional_version(data.get(key)), NUMBER: _number, CHECKLIST: _checklist,
        PROBLEMS: _problems, FLAG: _flag})


# ---------------------------------------------------------------- filters

MAX_QUERY = 100


class CheckPointFilter(FilterSet):
    """The filters of the check-point list. ``now`` is the time the ``due`` filter counts from
    (the platform's clock unless given)."""

    kind = django_filters.MultipleChoiceFilter(choices=CheckPointKind.choices, label="kind (repeat for several)")
    area = django_filters.CharFilter(method="filter_area", label="area code (its whole subtree)")
    due = django_filters.ChoiceFilter(choices=VisitDue.choices, method="filter_due",
                                      label="overdue; soon (due within 3 days); due (either)")
    active = django_filters.ChoiceFilter(
        choices=[(ACTIVE_TRUE, _("In the registry")), (ACTIVE_FALSE, _("Removed from the registry")),
                 (ACTIVE_ALL, _("In the registry or removed"))],
        method="filter_active", label="true (default): in the registry; false: removed; all: both")
    q = django_filters.CharFilter(method="filter_q", max_length=MAX_QUERY,
                                  label="words in the name or the address (each word in one of them)")

    class Meta:
        model = CheckPoint
        fields = ["kind", "area", "due", "active", "q"]

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None, now=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        self.now = now

    def filter_area(self, queryset, name, value):
        # any area by its code: the result is within the caller's registry anyway, and a grid
        # worker's check-points in their care may lie in another village of the town
        area = Area.objects.filter(code=value.strip()).only("path").first()
        if area is None:
            return queryset.none()
        return queryset.filter(subtree_q(area.path, "area_path"))

    def filter_due(self, queryset, name, value):
        return queryset.filter(due_q(value, self.now or clock_now(), "next_inspection_due"))

    def filter_active(self, queryset, name, value):
        if value == ACTIVE_ALL:
            return queryset
        return queryset.filter(is_active=value == ACTIVE_TRUE)

    def filter_q(self, queryset, name, value):
        for word in value.split()[:5]:
            queryset = queryset.filter(contains_word(["name", "address"], word))
        return queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("active"):  # by default the check-points in the registry
            queryset = queryset.filter(is_active=True)
        return queryset


# ---------------------------------------------------------------- views


class CheckPointViewSet(RestrictedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                        viewsets.GenericViewSet):
    """平安点位: list and read the check-points of the caller's area; register (``POST``), change
    (``PATCH {id}/``), remove from the registry (``POST {id}/remove/``), record an inspection
    (``POST {id}/inspect/``) and read all inspections (``GET {id}/inspections/``)."""

    queryset = CheckPoint.objects.select_related("area", "caretaker", "registered_by")
    serializer_class = CheckPointSerializer
    filterset_class = CheckPointFilter
    lookup_value_regex = r"[0-9]{1,18}"
    ordering_fields = ["next_inspection_due", "last_inspected_at", "registered_at", "name", "id"]
    ordering = ["next_inspection_due", "id"]
    access_actions = {"list": "view", "retrieve": "view", "inspections": "view", "create": "change",
                      "partial_update": "change", "remove": "change", "inspect": "inspect"}
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_class(self):
        return CheckPointListSerializer if self.action == "list" else CheckPointSerializer

    def filter_queryset(self, queryset):
        # the filters (by default the check-points in the registry) narrow the list; one
        # check-point is found by its id, in the registry or removed from it
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def get_serializer_context(self):
        ctx = super().get_serializer_context()
        ctx["now"] = clock_now()
        return ctx

    def _detail(self, point: CheckPoint) -> dict:
        return CheckPointSerializer(point, context=self.get_serializer_context()).data

    @extend_schema(request=CheckPointCreateSerializer, responses={201: CheckPointSerializer})
    def create(self, request, *args, **kwargs):
        """登记: 400 for a missing or bad value (or an area outside the caller's jurisdiction).
        Without an interval or a checklist, those of the kind; the first inspection falls due
        one interval after registration."""
        body = {"name": "", "kind": "", "area": "", **_body(request, REGISTER_BODY)}
        point = points.register_point(by=request.user, **body)
        return Response(self._detail(point), status=status.HTTP_201_CREATED)

    @extend_schema(request=CheckPointUpdateSerializer, responses=CheckPointSerializer)
    def partial_update(self, request, *args, **kwargs):
        """修改: only the fields sent change; 409 when ``version`` is stale or the check-point
        was removed from the registry."""
        point = self.get_object()
        changes = _body(request, UPDATE_BODY)
        version = changes.pop("version", None)
        if not changes:
            raise UserError("no_changes", "请求中没有要修改的字段", "the body names no field to change")
        point = points.update_point(point, by=request.user, version=version, **changes)
        return Response(self._detail(point))

    @extend_schema(request=CheckPointRemoveSerializer, responses=CheckPointSerializer)
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def remove(self, request, pk=None):
        """移出台账 with a reason: the check-point and its inspections are kept; 409 when
        ``version`` is stale or it was already removed."""
        point = self.get_object()
        body = _body(request, REMOVE_BODY)
        point = points.remove_point(point, by=request.user, reason=body.get("reason", ""), version=body.get("version"))
        return Response(self._detail(point))

    @extend_schema(request=InspectionCreateSerializer,
                   responses={201: InspectionRecordedSerializer, 200: InspectionRecordedSerializer},
                   parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
                                                description="a retry with the same key and the same "
                                                            "inspection answers the first inspection with 200 and "
                                                            "records nothing; the same key with another inspection "
                                                            "is 422 idempotency_key_reused")])
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def inspect(self, request, pk=None):
        """巡查: the inspection and the check-point after it (the next inspection falls due one
        interval after the latest one). Problems found are reported as one hazard matter unless
        ``report`` is false; 409 when the check-point was removed from the registry. With an
        ``Idempotency-Key`` seen before (from the same caller, for this check-point) and the
        same inspection, the first inspection again with 200, nothing written; with another
        inspection (problems, note, report, checklist_key or the time sent) 422
        ``idempotency_key_reused``, nothing written."""
        point = self.get_object()
        body = _body(request, INSPECT_BODY)
        if "checklist_key" in body:
            body["shown_checklist"] = body.pop("checklist_key")
        inspection = points.record_inspection(point, by=request.user,
                                              idempotency_key=request.headers.get("Idempotency-Key", ""), **body)
        data = {"inspection": InspectionSerializer(inspection, context=self.get_serializer_context()).data,
                "point": self._detail(inspection.point)}
        return Response(data, status=status.HTTP_200_OK if inspection.repeated else status.HTTP_201_CREATED)

    @extend_schema(responses=InspectionSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[])
    def inspections(self, request, pk=None):
        """巡查记录: every inspection of the check-point the caller may see, newest first,
        paginated like the lists."""
        point = self.get_object()
        page = self.paginate_queryset(inspections_of(request.user, point))
        return self.get_paginated_response(
            InspectionSerializer(page, many=True, context=self.get_serializer_context()).data)
