"""``/api/v1/events/``, its actions, timeline and attachments; categories; my notifications.

Views parse input, fetch through ``restrict(user, action)``, call one action, render.
"""

from __future__ import annotations

import datetime as dt
import inspect
from dataclasses import dataclass

import django_filters
from django.db.models import Q
from django.http import FileResponse
from django.urls import reverse
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from fengqiao.accounts.models import User
from fengqiao.areas.models import Area, Department, subtree_q
from fengqiao.core import audit, roles
from fengqiao.core.api import small_id
from fengqiao.core.errors import UserError, shown
from fengqiao.core.filters import INSTANT_RANGE, FilterSet, StrictBooleanFilter, clamp_instant
from fengqiao.core.inputs import clean_text
from fengqiao.core.parsers import JSONParser
from fengqiao.core.personal import holds_number, mask_free_text, mask_nested
from fengqiao.core.serializers import (
    ModelSerializer,
    NoUnknownFieldsMixin,
    NumberField,
    ReusedFieldsMixin,
    refuse_unknown,
)
from fengqiao.core.uploads import ALLOWED as ALLOWED_UPLOADS
from fengqiao.core.uploads import file_response
from fengqiao.core.viewsets import (
    RestrictedReadOnlyViewSet,
    RestrictedViewSetMixin,
    UnmaskAuditedMixin,
    wants_unmask,
)

from . import actions, transitions
from .actions import action_parameters
from .actions.attachments import add_attachment
from .choices import Channel, SlaColor, State, Urgency
from .models import Attachment, Category, Event, Notification, TimelineEntry
from .sla import now as sla_now

PERSONAL_FIELDS = ("reporter_name", "reporter_phone", "reporter_id_number")


# ---------------------------------------------------------------- serializers


class AttachmentSerializer(ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "original_name", "content_type", "kind", "size", "sha256", "uploaded_at", "entry", "url"]

    def get_url(self, obj) -> str:
        return reverse("v1:event-attachment-file", kwargs={"pk": obj.event_id, "att_id": obj.pk})


def attachment_response(att: Attachment) -> FileResponse:
    """The file of ``att`` (already checked to be visible to the caller), under its original name."""
    return file_response(att.file, att.content_type, att.original_name)


class AttachmentUploadSerializer(serializers.Serializer):
    """The upload form (OpenAPI only): one file, checked by ``add_attachment`` (type by name and
    content, size)."""

    file = serializers.FileField(help_text="one file of type " + ", ".join(sorted(ALLOWED_UPLOADS))
                                 + " (checked by extension and content; size limit FENGQIAO_ATTACHMENT_MAX_BYTES)")


class TimelineEntrySerializer(ModelSerializer):
    attachments = AttachmentSerializer(many=True, read_only=True)
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = TimelineEntry
        fields = ["id", "at", "actor", "actor_name", "action", "from_state", "to_state", "reason", "data", "attachments"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.context.get("unmask", False):
            for name in TimelineEntry.FREE_TEXT_FIELDS:
                data[name] = mask_nested(data[name])
        return data


class HandlingUnitSerializer(serializers.Serializer):
    """Who holds a matter now (OpenAPI only; ``UnitField`` builds it)."""

    kind = serializers.ChoiceField(choices=["person", "department", "area"])
    code = serializers.CharField(help_text="username, department code or area code")
    name = serializers.CharField()
    level = serializers.CharField(required=False, help_text="the area's level (kind area only)")


@extend_schema_field(HandlingUnitSerializer(allow_null=True))
class UnitField(serializers.Field):
    def to_representation(self, event):
        if event.assignee_id:
            return {"kind": "person", "code": event.assignee.username, "name": str(event.assignee)}
        if event.handling_department_id:
            d = event.handling_department
            return {"kind": "department", "code": d.code, "name": d.name}
        if event.handling_area_id:
            a = event.handling_area
            return {"kind": "area", "code": a.code, "name": a.name, "level": a.level}
        return None


class EventSerializer(ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    category_name = serializers.CharField(source="category.name", read_only=True, default="")
    area = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    area_name = serializers.CharField(source="area.name", read_only=True, default="")
    handling_unit = UnitField(source="*", read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    channel_label = serializers.CharField(source="get_channel_display", read_only=True)
    escalated_to = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    merged_into = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    paused = serializers.BooleanField(source="is_paused", read_only=True)

    class Meta:
        model = Event
        fields = [
            "id", "number", "channel", "channel_label", "channel_ref", "title", "content", "category", "category_name",
            "urgency", "address", "longitude", "latitude", "area", "area_name", "anonymous", *PERSONAL_FIELDS,
            "occurred_at", "received_at", "state", "state_label", "version", "handling_unit", "accepted_at",
            "dispatched_at", "signed_at", "resolved_at", "verified_at", "closed_at", "result", "feedback",
            "reopen_count", "return_count", "sign_due_at", "handle_due_at", "sla_color", "sign_overdue",
            "handle_overdue", "paused", "pause_reason", "extension_pending", "supervised", "supervise_count",
            "listed", "escalated", "escalated_to", "merged_into", "updated_at",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        unmask = self.context.get("unmask", False)
        if not unmask:
            for name in PERSONAL_FIELDS:
                data[name] = Event._meta.get_field(name).mask(data[name] or "")
            for name in Event.FREE_TEXT_FIELDS:
                data[name] = mask_free_text(data[name])
        if self.context.get("with_actions") and request is not None:
            data["allowed_actions"] = transitions.allowed_actions(instance, request.user)
        return data


class EventCreateSerializer(NoUnknownFieldsMixin, ReusedFieldsMixin, serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    content = serializers.CharField(max_length=20000)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    category = serializers.CharField(max_length=100, required=False, allow_blank=True, allow_null=True, default=None)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False, default=Urgency.NORMAL)
    longitude = NumberField(required=False, allow_null=True, default=None, min_value=-180, max_value=180)
    latitude = NumberField(required=False, allow_null=True, default=None, min_value=-90, max_value=90)
    area = serializers.CharField(max_length=32, required=False, allow_blank=True, allow_null=True, default=None)
    reporter_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    reporter_phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    reporter_id_number = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    anonymous = serializers.BooleanField(required=False, default=False)
    channel_ref = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    occurred_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class EventReceiptSerializer(serializers.Serializer):
    """The answer to an intake (受理回执): what a channel needs to track its matter. The full
    record is at ``url`` (``GET /api/v1/events/{id}/``); intake stays cheap for busy channels."""

    id = serializers.IntegerField()
    number = serializers.CharField()
    state = serializers.CharField()
    state_label = serializers.CharField(source="get_state_display")
    channel = serializers.CharField()
    channel_ref = serializers.CharField()
    title = serializers.CharField()
    category = serializers.CharField(source="category.code", read_only=True, allow_null=True)
    area = serializers.CharField(source="area.code", read_only=True, allow_null=True)
    area_name = serializers.CharField(source="area.name", default="")
    received_at = serializers.DateTimeField()
    sign_due_at = serializers.DateTimeField(allow_null=True)
    handle_due_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField()
    url = serializers.SerializerMethodField()

    def get_url(self, event) -> str:
        return f"/api/v1/events/{event.pk}/"

    def to_representation(self, event):
        # The fields above describe the receipt (OpenAPI); it is built directly because every
        # intake answers one (same output as the generic path: see the tests).
        cat, area = event.category, event.area
        when = _DATETIME.to_representation
        return {
            "id": event.pk, "number": event.number, "state": event.state, "state_label": event.get_state_display(),
            "channel": event.channel, "channel_ref": event.channel_ref, "title": event.masked_title,
            "category": cat.code if cat is not None else None, "area": area.code if area is not None else None,
            "area_name": area.name if area is not None else "", "received_at": when(event.received_at),
            "sign_due_at": when(event.sign_due_at), "handle_due_at": when(event.handle_due_at),
            "version": event.version, "url": self.get_url(event),
        }


_DATETIME = serializers.DateTimeField()


class CategorySerializer(ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    department = serializers.CharField(source="department_code", read_only=True)

    class Meta:
        model = Category
        fields = ["code", "name", "parent", "path", "depth", "order", "department", "description", "is_active"]


class NotificationSerializer(ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "event", "created_at", "read_at"]


# ---------------------------------------------------------------- filters


def filter_instant(value: str, end: bool = False, field: str = "received"):
    """A date (local midnight; with ``end`` the next midnight) or a date-time (naive: local),
    held to :data:`~fengqiao.core.filters.INSTANT_RANGE`; ``field`` names the parameter in the
    error."""
    return clamp_instant(_parse_instant(value, end, field))


def _parse_instant(value: str, end: bool, field: str):
    from fengqiao.workcal.calendar import SHANGHAI

    value = (value or "").strip()
    try:
        day = parse_date(value) if len(value) <= 10 else None
    except ValueError:
        day = None
    if day is not None:
        if end and day == dt.date.max:
            return INSTANT_RANGE[1]
        return dt.datetime.combine(day + dt.timedelta(days=1 if end else 0), dt.time(), tzinfo=SHANGHAI)
    try:
        parsed = parse_datetime(value)
    except ValueError:
        parsed = None
    if parsed is None:
        raise serializers.ValidationError(
            {field: [_("not a date or date-time: %(value)s (e.g. 2026-12-06 or 2026-12-06T09:30)")
                     % {"value": shown(value)}]})
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=SHANGHAI)


class EventFilter(FilterSet):
    channel = django_filters.CharFilter(method="filter_in", label="channel (comma-separated)")
    state = django_filters.CharFilter(method="filter_in", label="state (comma-separated)")
    urgency = django_filters.ChoiceFilter(choices=Urgency.choices)
    category = django_filters.CharFilter(method="filter_category", label="category code (with sub-categories)")
    area = django_filters.CharFilter(method="filter_area", label="area code (its whole subtree)")
    handling = django_filters.CharFilter(method="filter_handling", label="handling area or department code")
    sla_color = django_filters.ChoiceFilter(choices=SlaColor.choices)
    received_from = django_filters.CharFilter(method="filter_received_from", label="received on or after (date/time)")
    received_to = django_filters.CharFilter(method="filter_received_to", label="received before the end of (date/time)")
    resolved_from = django_filters.CharFilter(method="filter_resolved_from", label="resolved on or after (date/time)")
    resolved_to = django_filters.CharFilter(method="filter_resolved_to", label="resolved before the end of (date/time)")
    q = django_filters.CharFilter(method="filter_q", label="text in title/content, number or channel reference")
    needs_person = StrictBooleanFilter(
        field_name="triage__needs_person",
        label="triage could not decide (no sure category, a place conflict or nowhere to route): a person must",
    )

    class Meta:
        model = Event
        fields = ["channel", "state", "urgency", "category", "area", "handling", "sla_color", "listed", "supervised",
                  "escalated"]

    VALID = {"channel": set(Channel.values), "state": set(State.values)}

    def filter_in(self, queryset, name, value):
        values = [v.strip() for v in value.split(",") if v.strip()]
        bad = [v for v in values if v not in self.VALID[name]]
        if bad:
            raise serializers.ValidationError(
                {name: [_("unknown value(s): %(values)s; one of %(known)s")
                        % {"values": shown(", ".join(bad)), "known": ", ".join(sorted(self.VALID[name]))}]})
        return queryset.filter(**{f"{name}__in": values}) if values else queryset

    def filter_category(self, queryset, name, value):
        cat = Category.objects.filter(code=value).first()
        if cat is None:
            return queryset.none()
        return queryset.filter(category__path__startswith=cat.path)

    def filter_area(self, queryset, name, value):
        area = Area.objects.filter(code=value).only("path").first()
        if area is None:
            return queryset.none()
        return queryset.filter(subtree_q(area.path, "area_path"))

    def filter_handling(self, queryset, name, value):
        area = Area.objects.filter(code=value).only("path").first()
        if area is not None:
            return queryset.filter(subtree_q(area.path, "handling_path"))
        return queryset.filter(handling_department__code=value)

    def filter_received_from(self, queryset, name, value):
        return queryset.filter(received_at__gte=filter_instant(value, field=name))

    def filter_received_to(self, queryset, name, value):
        return queryset.filter(received_at__lt=filter_instant(value, end=True, field=name))

    def filter_resolved_from(self, queryset, name, value):
        return queryset.filter(resolved_at__gte=filter_instant(value, field=name))

    def filter_resolved_to(self, queryset, name, value):
        return queryset.filter(resolved_at__lt=filter_instant(value, end=True, field=name))

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(content__icontains=value) | Q(number=value)
                               | Q(channel_ref=value) | Q(address__icontains=value))


# ---------------------------------------------------------------- action input


@dataclass(frozen=True)
class ActionInput:
    """How an action parameter is written in the body of ``POST events/{id}/actions/``: its
    ``kind`` (how :func:`action_kwargs` reads it, which field the schema shows) and what it is,
    for the schema (after the names of the actions that take it, read from the functions)."""

    kind: str  # text | unit | matter | ids | integer | boolean | any
    about: str = ""


#: Every parameter an action declares, by name (a name means the same in every action); the
#: order is the schema's. A parameter missing here still reaches the action as sent and is
#: documented as "any value" (the tests ask for an entry).
ACTION_INPUTS: dict[str, ActionInput] = {
    "note": ActionInput("text"),
    "reason": ActionInput("text"),
    "into": ActionInput("matter", "the id or number of the matter to merge into"),
    "to_unit": ActionInput("unit", "area:CODE, department:CODE, user:USERNAME or a bare code"),
    "unit": ActionInput("unit", "as to_unit"),
    "result": ActionInput("text"),
    "evidence": ActionInput("ids", "attachment ids"),
    "feedback": ActionInput("text"),
    "days": ActionInput("integer", "working days"),
    "approve": ActionInput("boolean"),
    "text": ActionInput("text"),
    "attachments": ActionInput("ids", "attachment ids"),
    "place": ActionInput("area", "the code of an area (town, village, grid) in the caller's jurisdiction"),
}
_ANY_INPUT = ActionInput("any")


def action_input(name: str) -> ActionInput:
    return ACTION_INPUTS.get(name, _ANY_INPUT)


#: what a unit input is called in Chinese messages, by input name
UNIT_WORDS = {"to_unit": "承办单位", "unit": "协办单位"}


def resolve_unit(value, user, *, field: str):
    """``area:CODE``, ``department:CODE``, ``user:USERNAME`` or a bare area/department code;
    ``field`` is the caller's input name (``to_unit``, ``unit``), which an error names."""
    if value in (None, ""):
        return None
    what = UNIT_WORDS.get(field, "承办单位")
    if isinstance(value, dict):
        kind, code = next(iter(value.items())) if len(value) == 1 else ("", "")
    elif isinstance(value, str):
        kind, _sep, code = value.partition(":") if ":" in value else ("", "", value)
    else:
        raise UserError("bad_unit", f"{what}格式不正确", "a unit is 'area:CODE', 'department:CODE' or 'user:NAME'",
                        field=field)
    code = str(code).strip()
    if not _plain_code(code):  # too long for any code, or a NUL the database refuses
        code = ""
    if kind in ("", "area"):
        area = Area.objects.filter(code=code, is_active=True).first()
        if area is not None:
            return area
    if kind in ("", "department"):
        dept = Department.objects.filter(code=code, is_active=True).first()
        if dept is not None:
            return dept
    if kind == "user":
        person = User.objects.select_related("area").filter(username=code, is_active=True).first()
        if person is not None:
            return person
    raise UserError("unknown_unit", f"找不到{what}: {shown(value)}", f"no such unit: {shown(value)}", field=field)


#: the longest free text an action takes (a reason, a note, a result report)
MAX_ACTION_TEXT = 5000
#: what a text input is called in messages, by input name
TEXT_WORDS = {"note": ("说明", "the note"), "reason": ("理由", "the reason"), "result": ("办理结果", "the result"),
              "feedback": ("回访意见", "the feedback"), "text": ("内容", "the text")}


#: the longest code or matter number an action input takes (area codes have 12 digits, numbers 17)
CODE_MAX = 64


def _plain_code(text: str) -> bool:
    """A code or number that can be looked up: not too long, no NUL (PostgreSQL refuses it)."""
    return 0 < len(text.strip()) <= CODE_MAX and "\x00" not in text


def action_kwargs(name: str, body: dict, request, event: Event) -> dict:
    """The keyword arguments of the action ``name`` read from ``body`` (the API's JSON, a
    console form), each parameter as its :data:`ACTION_INPUTS` kind says."""
    kwargs = {}
    for p in action_parameters(name):
        if p.name not in body:
            if p.default is inspect.Parameter.empty:
                kwargs[p.name] = None  # the action reports what is missing, bilingually
            continue
        value = body[p.name]
        kind = action_input(p.name).kind
        if kind == "text":
            if value is None:
                value = ""
            if not isinstance(value, str):
                raise UserError("invalid", f"{p.name} 应为文本", f"{p.name} must be text", field=p.name)
            zh, en = TEXT_WORDS.get(p.name, (p.name, p.name))
            # refused, never cut: a report or a reason is kept whole or not at all
            value = clean_text(value, field=p.name, zh=zh, en=en, max_len=MAX_ACTION_TEXT)
        elif kind == "unit":
            value = resolve_unit(value, request.user, field=p.name)
        elif kind == "matter":
            target = None
            if small_id(value):
                target = Event.objects.restrict(request.user, "view").filter(pk=int(value)).first()
            # a number (FQ…) is short, and a NUL would be a database error on PostgreSQL
            if target is None and isinstance(value, str) and _plain_code(value):
                target = Event.objects.restrict(request.user, "view").filter(number=value.strip()).first()
            if target is None:
                said = shown(value)
                raise UserError("unknown_target", f"找不到目标事件: {said}", f"no such matter: {said}", field=p.name)
            value = target
        elif kind == "area":
            if value in (None, ""):
                raise UserError("required", "请选择地点", "choose a place", field=p.name)
            code = str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else None
            place = Area.objects.filter(code=code, is_active=True).first() if code and _plain_code(code) else None
            if place is None:
                said = shown(value)
                raise UserError("unknown_area", f"找不到地点: {said}", f"no such place: {said}", field=p.name)
            value = place
        elif kind == "ids":
            if not isinstance(value, list) or not all(small_id(i) for i in value):
                raise UserError("invalid", f"{p.name} 应为附件编号列表", f"{p.name} must be a list of attachment ids",
                                field=p.name)
        elif kind == "boolean":
            if isinstance(value, str) and value.lower() in {"true", "false", "1", "0"}:
                value = value.lower() in {"true", "1"}
            if not isinstance(value, bool):
                raise UserError("invalid", f"{p.name} 应为 true 或 false", f"{p.name} must be true or false",
                                field=p.name)
        # integer, any: as sent (the action checks it and answers bilingually)
        kwargs[p.name] = value
    return kwargs


class ActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=[(a, a) for a in transitions.ACTIONS])
    #: the version the caller saw; when given and the matter has moved on since, 409 "stale"
    #: (checked by ``actions.perform``)
    version = serializers.IntegerField(required=False, min_value=0, max_value=2**31 - 1)


#: the schema's field for each kind of action input; all optional, each action reads only its own
_INPUT_FIELDS = {
    "text": lambda help_text: serializers.CharField(required=False, allow_blank=True, help_text=help_text),
    "unit": lambda help_text: serializers.CharField(required=False, help_text=help_text),
    "matter": lambda help_text: serializers.CharField(required=False, help_text=help_text),
    "area": lambda help_text: serializers.CharField(required=False, help_text=help_text),
    "ids": lambda help_text: serializers.ListField(child=serializers.IntegerField(), required=False,
                                                   help_text=help_text),
    "integer": lambda help_text: serializers.IntegerField(required=False, help_text=help_text),
    "boolean": lambda help_text: serializers.BooleanField(required=False, help_text=help_text),
    "any": lambda help_text: serializers.JSONField(required=False, help_text=help_text),
}


def action_input_fields() -> dict[str, serializers.Field]:
    """One schema field per parameter of any action (read from the action functions), its help
    text naming the actions that take it: ``"resolve, delist: attachment ids"``."""
    takers: dict[str, list[str]] = {}
    for name in actions.FUNCTIONS:
        for p in action_parameters(name):
            takers.setdefault(p.name, []).append(name)
    order = [n for n in ACTION_INPUTS if n in takers] + [n for n in takers if n not in ACTION_INPUTS]
    fields = {}
    for pname in order:
        spec = action_input(pname)
        help_text = ", ".join(takers[pname]) + (f": {spec.about}" if spec.about else "")
        fields[pname] = _INPUT_FIELDS[spec.kind](help_text)
    return fields


# The body of ``POST events/{id}/actions/`` as the schema documents it (the view reads it with
# ``ActionSerializer`` and ``action_kwargs``); built from the action functions, so a parameter
# added to an action shows in the schema without anyone listing it here.
EventActionSerializer = type(ActionSerializer)("EventActionSerializer", (ActionSerializer,), {
    "__module__": __name__,
    "__doc__": """The body of ``POST events/{id}/actions/`` as the schema documents it: the action, the
    version seen, and the inputs of every action (each action reads only its own; the console
    and this endpoint both take them from the action functions, ``action_parameters``).""",
    **action_input_fields(),
})


class ActionDoneSerializer(serializers.Serializer):
    """What an action answers when the caller no longer sees the matter afterwards (e.g. a
    department that returned it)."""

    id = serializers.IntegerField()
    number = serializers.CharField()
    state = serializers.CharField()
    version = serializers.IntegerField()


# ---------------------------------------------------------------- views


class EventViewSet(RestrictedViewSetMixin, UnmaskAuditedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                   mixins.CreateModelMixin, viewsets.GenericViewSet):
    """事件/工单: list, take in, read; ``actions/`` runs one action of the transition table."""

    queryset = Event.objects.select_related("category", "area", "handling_area", "handling_department", "assignee",
                                            "escalated_to")
    serializer_class = EventSerializer
    filterset_class = EventFilter
    ordering_fields = ["received_at", "sign_due_at", "handle_due_at", "id", "updated_at"]
    ordering = ["-received_at", "-id"]
    access_actions = {"create": "create", "perform_action": "act", "timeline": "view", "attachments": "view"}
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    personal_fields = PERSONAL_FIELDS
    free_text_fields = Event.FREE_TEXT_FIELDS

    def get_serializer_context(self):
        ctx = super().get_serializer_context()
        ctx["with_actions"] = self.action in {"retrieve", "perform_action"}
        return ctx

    @extend_schema(request=EventCreateSerializer, responses={201: EventReceiptSerializer, 200: EventReceiptSerializer})
    def create(self, request, *args, **kwargs):
        """Take in one matter. 201 with its receipt; 200 with the same receipt when the
        ``Idempotency-Key`` or the channel's reference number was seen before."""
        ser = EventCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        key = request.headers.get("Idempotency-Key", "")
        if len(key) > 100:
            raise UserError("invalid", "Idempotency-Key 过长", "the Idempotency-Key header is too long",
                            field="Idempotency-Key")
        event, created = actions.create_event(by=request.user, idempotency_key=key, **ser.validated_data)
        if not created:
            event = self.get_queryset().filter(pk=event.pk).first()
            if event is None:
                raise UserError("duplicate", "该渠道编号已存在", "this channel reference number is already taken",
                                field="channel_ref", status=409)
        return Response(EventReceiptSerializer(event).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=EventActionSerializer, responses=PolymorphicProxySerializer(
        component_name="ActionResult", serializers=[EventSerializer, ActionDoneSerializer],
        resource_type_field_name=None))
    @action(detail=True, methods=["post"], url_path="actions", url_name="actions", filter_backends=[])
    def perform_action(self, request, pk=None):
        event = self.get_object()
        if not isinstance(request.data, dict):
            raise UserError("invalid", "请求体应为对象", "the body must be an object")
        ser = ActionSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        name = ser.validated_data["action"]
        refuse_unknown(request.data, {"action", "version", *(p.name for p in action_parameters(name))})
        kwargs = action_kwargs(name, request.data, request, event)
        actions.perform(event, name, by=request.user, version=ser.validated_data.get("version"), **kwargs)
        visible = self.get_queryset().filter(pk=event.pk).first()
        if visible is None:  # e.g. returned by a unit that now no longer sees it
            return Response(ActionDoneSerializer(event).data)
        return Response(self.get_serializer(visible).data)

    @extend_schema(responses=TimelineEntrySerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def timeline(self, request, pk=None):
        event = self.get_object()
        entries = list(TimelineEntry.objects.restrict(request.user, "view").filter(event=event)
                       .select_related("actor").prefetch_related("attachments"))
        unmask = wants_unmask(request)
        if unmask and any(holds_number(e.reason) or mask_nested(e.data) != e.data for e in entries):
            audit.record("view_personal", event, after={"fields": ["timeline"]})
        return Response(TimelineEntrySerializer(entries, many=True, context={"request": request, "unmask": unmask}).data)

    @extend_schema(methods=["GET"], responses=AttachmentSerializer(many=True))
    @extend_schema(methods=["POST"], request=AttachmentUploadSerializer, responses={201: AttachmentSerializer})
    @action(detail=True, methods=["get", "post"], parser_classes=[MultiPartParser, FormParser], pagination_class=None,
            filter_backends=[])
    def attachments(self, request, pk=None):
        event = self.get_object()
        if request.method == "POST":
            if len(request.FILES.getlist("file")) > 1 or set(request.FILES) - {"file"}:
                # one file a request: a second would otherwise be dropped unsaid
                raise UserError("one_file", "每次只能上传一个文件(字段 file)", "send one file per request, as 'file'",
                                field="file")
            att = add_attachment(event, by=request.user, upload=request.FILES.get("file"))
            return Response(AttachmentSerializer(att, context={"request": request}).data,
                            status=status.HTTP_201_CREATED)
        items = Attachment.objects.restrict(request.user, "view").filter(event=event)
        return Response(AttachmentSerializer(items, many=True, context={"request": request}).data)

    @extend_schema(parameters=[OpenApiParameter("att_id", int, OpenApiParameter.PATH)],
                   responses={(200, "*/*"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path=r"attachments/(?P<att_id>[0-9]{1,18})", url_name="attachment-file",
            pagination_class=None, filter_backends=[])
    def attachment_file(self, request, pk=None, att_id=None):
        """One attachment's file, to whoever may see the matter (the files are not served from
        ``MEDIA_URL``: a matter's photos and documents are as private as the matter)."""
        event = self.get_object()
        att = Attachment.objects.restrict(request.user, "view").filter(event=event, pk=int(att_id)).first()
        if att is None:
            raise UserError("not_found", "附件不存在或不在您的管辖范围内", "attachment not found or outside your jurisdiction",
                            status=404)
        return attachment_response(att)


class CategoryFilter(FilterSet):
    parent = django_filters.CharFilter(field_name="parent__code")
    q = django_filters.CharFilter(field_name="name", lookup_expr="contains")

    class Meta:
        model = Category
        fields = ["parent", "depth", "is_active"]


class CategoryViewSet(RestrictedReadOnlyViewSet):
    """事件分类 (the whole tree; ``?parent=CODE``, ``?depth=0``)."""

    queryset = Category.objects.select_related("parent")
    serializer_class = CategorySerializer
    lookup_field = "code"
    lookup_value_regex = r"[0-9A-Za-z_.-]+"
    filterset_class = CategoryFilter
    ordering = ["path"]
    pagination_class = None


class NotificationFilter(FilterSet):
    unread = StrictBooleanFilter(field_name="read_at", lookup_expr="isnull", label="unread (true) or read (false)")

    class Meta:
        model = Notification
        fields = ["unread", "kind"]


class NotificationViewSet(RestrictedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                          viewsets.GenericViewSet):
    """My inbox. ``?unread=true``; ``POST {id}/read/``, ``POST read_all/``."""

    queryset = Notification.objects.all()
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    access_actions = {"read": "change", "read_all": "change"}
    ordering = ["-created_at", "-id"]

    @extend_schema(request=None)  # no body: the address says which notification
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        note = self.get_object()
        Notification.objects.filter(pk=note.pk, read_at__isnull=True).update(read_at=sla_now())
        note.refresh_from_db()
        return Response(self.get_serializer(note).data)

    @extend_schema(request=None, responses=inline_serializer("MarkedRead", {"marked": serializers.IntegerField()}))
    @action(detail=False, methods=["post"])
    def read_all(self, request):
        n = self.get_queryset().filter(read_at__isnull=True).update(read_at=sla_now())
        return Response({"marked": n})


__all__ = ["CategoryViewSet", "EventViewSet", "NotificationViewSet", "roles"]
