"""``/api/v1/mediation/…``: disputes and their actions, matching, sessions, the walk-in queue,
the registry, agreements, backlog cases, hearings and statistics.

Every queryset goes through ``restrict(user, action)``: outside the jurisdiction → 404, a role
not allowed → 403, anonymous → 401. Parties' personal data are masked unless the caller may see
them and asks (``?unmask=1``); each unmasked read is audited (``view_personal``).
"""

from __future__ import annotations

from collections.abc import Mapping

import django_filters
from django.db.models import Prefetch
from django.http import HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from fengqiao.areas.models import Area
from fengqiao.core import audit
from fengqiao.core.api import small_id
from fengqiao.core.bodies import TEXT_OR_NULL, body_values
from fengqiao.core.errors import NotFound, UserError, shown
from fengqiao.core.filters import FilterSet, IntegerFilter, StrictBooleanFilter
from fengqiao.core.inputs import optional_version
from fengqiao.core.personal import mask_free_text
from fengqiao.core.restrict import role_allowed
from fengqiao.core.serializers import ModelSerializer, refuse_unknown, version_field
from fengqiao.core.viewsets import RestrictedViewSetMixin, UnmaskAuditedMixin, wants_unmask

from . import actions, exports, stats, transitions
from .actions._common import boolean, required_error
from .actions.disputes import unknown_parameters
from .actions.queue import now_serving, today
from .choices import SlaColor, Source, State, TicketStatus
from .models import (
    AgreementTemplate,
    Assignment,
    BacklogCase,
    Dispute,
    DisputeType,
    Hearing,
    Mediator,
    Organisation,
    Party,
    Session,
    Ticket,
)
from .services import agreement_download, match, record_unmask, unmasked_fields

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _int_param(value, field: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise UserError("invalid", f"{field} 应为整数编号", f"{field} must be an integer id", field=field) from None


def _get(qs, pk, what_zh: str, what_en: str):
    obj = qs.filter(pk=_int_param(pk, what_en)).first() if pk not in (None, "") else None
    if obj is None:
        raise NotFound(what_zh, what_en)
    return obj


# ---------------------------------------------------------------- bodies

#: kinds of a write body's values (``core.bodies``) beside text: a record version (a whole
#: number, 400 ``bad_version``), a yes or a no (JSON true/false, a form's "true"/"false"/"1"/"0")
#: and a record id (a whole number)
VERSION, BOOLEAN, ID = "version", "boolean", "id"


def _id_value(data, key: str) -> int:
    value = data.get(key)
    if not small_id(value):
        raise UserError("invalid", f"{key} 应为编号(整数)", f"{key} must be an id (a whole number)", field=key)
    return int(value)


READERS = {
    VERSION: lambda data, key: optional_version(data.get(key)),
    BOOLEAN: lambda data, key: boolean(data.get(key), key),
    ID: _id_value,
}


def _body(request, spec: dict[str, str], *, required: tuple[str, ...] = ()) -> dict:
    """The body's values named in ``spec``, each of its kind: no other key (400
    ``unknown_field``), no value of another kind taken for one (a dict stored as its text, the
    text "false" taken for a yes); ``required`` keys must be there. All before any action runs."""
    body = body_values(request, spec, READERS)
    for key in required:
        if body.get(key) is None:
            raise required_error(key)
    return body


class StrictInputMixin:
    """An input serializer that refuses keys it does not declare (400 ``unknown_field``, before
    anything is written): a misspelt or invented key is said, never dropped for its field's
    default (a party's ``"role": "respondent"`` registered a second applicant). Its text fields
    take text (or null where allowed), never a number or an object turned into its text.
    ``where`` names a nested object (its field and its words), else the key is the field."""

    where: tuple[str, str, str] | None = None  # (field, Chinese, English) of a nested object

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            if self.where is None:
                refuse_unknown(data, self.fields)
            elif unknown := sorted(str(k) for k in data if k not in self.fields):
                names = ", ".join(unknown)[:200]  # of a nested object: named by the field holding it
                field, zh, en = self.where
                raise UserError("unknown_field", f"{zh}不能含有: {names}", f"{en} holds unknown field(s): {names}",
                                field=field)
            for name, f in self.fields.items():
                value = data.get(name)
                if isinstance(f, serializers.CharField) and name in data and not (
                        isinstance(value, str) or (value is None and f.allow_null)):
                    field = self.where[0] if self.where is not None else name
                    raise UserError("invalid", f"{name} 应为文本", f"{name} must be text", field=field)
        return super().to_internal_value(data)


# ---------------------------------------------------------------- serializers


class PartySerializer(ModelSerializer):
    name = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()
    id_number = serializers.SerializerMethodField()

    class Meta:
        model = Party
        fields = ["id", "side", "kind", "name", "phone", "id_number", "org_name", "household_code", "address"]

    def _unmask(self) -> bool:
        return bool(self.context.get("unmask"))

    def get_name(self, p) -> str:
        return p.display_name(self._unmask())

    def get_phone(self, p) -> str:
        return p.phone if self._unmask() else Party._meta.get_field("phone").mask(p.phone)

    def get_id_number(self, p) -> str:
        return p.id_number if self._unmask() else Party._meta.get_field("id_number").mask(p.id_number)


class AssignmentSerializer(ModelSerializer):
    name = serializers.CharField(source="mediator.name", read_only=True)

    class Meta:
        model = Assignment
        fields = ["id", "mediator", "name", "role", "result", "assigned_at", "ended_at", "match_score"]


class SessionSerializer(ModelSerializer):
    dispute_number = serializers.CharField(source="dispute.number", read_only=True)

    class Meta:
        model = Session
        fields = ["id", "dispute", "dispute_number", "seq", "held_at", "place", "attendees", "minutes", "status"]


class DisputeListSerializer(ModelSerializer):
    type = serializers.SlugRelatedField(slug_field="code", read_only=True)
    type_name = serializers.CharField(source="type.name", read_only=True)
    area = serializers.SlugRelatedField(slug_field="code", read_only=True)
    area_name = serializers.CharField(source="area.name", read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True, default="")

    class Meta:
        model = Dispute
        fields = ["id", "number", "title", "type", "type_name", "source", "area", "area_name", "state", "outcome",
                  "amount_in_dispute", "amount_recovered", "organisation", "organisation_name", "registered_at",
                  "accepted_at", "concluded_at", "due_at", "sla_color", "overdue", "is_hard", "version"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.context.get("unmask", False):
            for name in Dispute.FREE_TEXT_FIELDS:
                if name in data:
                    data[name] = mask_free_text(data[name])
        return data


class DisputeTimelineEntrySerializer(serializers.Serializer):
    """One step of a dispute's history (OpenAPI only; ``DisputeSerializer.get_timeline``)."""

    at = serializers.DateTimeField()
    actor = serializers.CharField()
    action = serializers.CharField()
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    reason = serializers.CharField()
    data = serializers.JSONField()


class AgreementSummarySerializer(serializers.Serializer):
    """The signed agreement on a dispute (OpenAPI only; ``DisputeSerializer.get_agreement``)."""

    number = serializers.CharField()
    terms = serializers.CharField()
    signed_at = serializers.DateTimeField()
    version = serializers.IntegerField()
    sha256 = serializers.CharField()
    pdf = serializers.CharField(allow_null=True, help_text="address of the PDF, once rendered")


class DisputeSerializer(DisputeListSerializer):
    parties = serializers.SerializerMethodField()
    assignments = AssignmentSerializer(many=True, read_only=True)
    sessions = SessionSerializer(many=True, read_only=True)
    timeline = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()
    agreement = serializers.SerializerMethodField()
    ticket = serializers.SerializerMethodField()

    class Meta(DisputeListSerializer.Meta):
        fields = [*DisputeListSerializer.Meta.fields, "facts", "claims", "address", "source_ref", "event",
                  "parties", "assignments", "sessions", "timeline", "allowed_actions", "agreement", "ticket",
                  "declined_reason", "failure_reason", "failed_count", "referral", "referral_body", "referral_note",
                  "referred_at", "followed_up_at", "honoured", "follow_up_note", "archived_at", "warn_at",
                  "escalated_to", "supervised", "confirmation_status", "confirmation_deadline",
                  "confirmation_applied_at", "confirmation_court", "confirmation_decided_at", "mediation_started_at"]

    @extend_schema_field(PartySerializer(many=True))
    def get_parties(self, d):
        return PartySerializer(d.parties.all(), many=True, context=self.context).data

    @extend_schema_field(DisputeTimelineEntrySerializer(many=True))
    def get_timeline(self, d):
        return [{"at": e.at, "actor": e.actor_name, "action": e.action, "from_state": e.from_state,
                 "to_state": e.to_state, "reason": e.reason, "data": e.data} for e in d.timeline.all()]

    def get_allowed_actions(self, d) -> list[str]:
        request = self.context.get("request")
        return transitions.allowed_actions(d, request.user) if request else []

    @extend_schema_field(AgreementSummarySerializer(allow_null=True))
    def get_agreement(self, d):
        a = getattr(d, "agreement", None)
        if a is None:
            return None
        return {"number": a.number, "terms": a.terms, "signed_at": a.signed_at, "version": a.version,
                "sha256": a.sha256, "pdf": f"/api/v1/mediation/disputes/{d.pk}/agreement.pdf" if a.file else None}

    def get_ticket(self, d) -> str | None:
        t = getattr(d, "ticket", None)
        return t.label if t is not None else None


class PartyInputSerializer(StrictInputMixin, serializers.Serializer):
    where = ("parties", "当事人", "a party")

    side = serializers.ChoiceField(choices=["applicant", "respondent"], default="applicant")
    kind = serializers.ChoiceField(choices=["person", "organisation"], default="person")
    name = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    id_number = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    household_code = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    org_name = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    credit_code = serializers.CharField(max_length=18, required=False, allow_blank=True, default="")
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class DisputeCreateSerializer(StrictInputMixin, serializers.Serializer):
    type = serializers.SlugRelatedField(slug_field="code", queryset=DisputeType.objects.filter(is_active=True))
    title = serializers.CharField(max_length=200)
    facts = serializers.CharField(max_length=20000)
    claims = serializers.CharField(max_length=20000, required=False, allow_blank=True, default="")
    area = serializers.CharField(max_length=32)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    source = serializers.ChoiceField(choices=["screening", "walk_in", "matter", "court", "petition", "other"],
                                     default="walk_in")
    source_ref = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    amount_in_dispute = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False,
                                                 default=0)
    parties = PartyInputSerializer(many=True, allow_empty=False, max_length=200)
    ticket = serializers.IntegerField(required=False, allow_null=True, default=None)
    event = serializers.IntegerField(required=False, allow_null=True, default=None)
    organisation = serializers.IntegerField(required=False, allow_null=True, default=None)
    is_hard = serializers.BooleanField(required=False, default=False)


class ActionSerializer(serializers.Serializer):
    """``POST disputes/{id}/actions/``: the action, the version the caller saw (a whole number,
    400 ``bad_version`` otherwise; 409 ``stale_version`` when the dispute has moved on) and the
    action's own parameters as further keys (``actions.disputes.PARAMETERS``; any other key is
    a 400 ``unknown_field``)."""

    action = serializers.ChoiceField(choices=list(transitions.ACTIONS))


def _unknown_value(field: str, value, known) -> str:
    """A list filter's refusal of a value it does not know, in both languages (the error's
    ``fields``), naming the values it knows."""
    said = shown(value)
    return (f"未知的取值: {said}(可选: {'、'.join(known)}) / unknown value of {field}: {said} "
            f"(one of {', '.join(known)})")


def _choices_refusal(field: str, choices) -> dict:
    return {"invalid_choice": _unknown_value(field, "%(value)s", [v for v, _label in choices])}


class DisputeFilter(FilterSet):
    """The dispute list's filters. A value a choice filter does not know (``?sla_color=x``,
    ``?source=fax``, ``?type=bad``) is a 400 naming the field, never an empty list."""

    state = django_filters.MultipleChoiceFilter(choices=State.choices,
                                                error_messages=_choices_refusal("state", State.choices))
    source = django_filters.ChoiceFilter(choices=Source.choices,
                                         error_messages=_choices_refusal("source", Source.choices))
    type = django_filters.CharFilter(method="filter_type", label="dispute type code (with its sub-types)")
    area = django_filters.CharFilter(method="filter_area")
    sla_color = django_filters.ChoiceFilter(choices=SlaColor.choices,
                                            error_messages=_choices_refusal("sla_color", SlaColor.choices))
    mine = StrictBooleanFilter(method="filter_mine")
    q = django_filters.CharFilter(method="filter_q")

    class Meta:
        model = Dispute
        fields = ["state", "source", "type", "area", "sla_color", "mine", "q"]

    def filter_type(self, qs, name, value):
        code = value.strip()
        t = DisputeType.objects.filter(code=code).first() if len(code) <= 64 and "\x00" not in code else None
        if t is None:
            raise serializers.ValidationError(
                {name: [_unknown_value(name, value, DisputeType.objects.filter(depth=0).values_list("code", flat=True))]})
        return qs.filter(type__path__startswith=t.path)

    def filter_area(self, qs, name, value):
        a = Area.objects.filter(code=value).first()
        return qs.filter(area_path__startswith=a.path) if a else qs.none()

    def filter_mine(self, qs, name, value):
        if not value:
            return qs
        user = self.request.user
        return qs.filter(pk__in=Assignment.objects.filter(mediator__user=user, result="").values("dispute_id"))

    def filter_q(self, qs, name, value):
        return qs.filter(title__icontains=value) | qs.filter(number__icontains=value)


# ---------------------------------------------------------------- disputes


class MatchReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    zh = serializers.CharField()
    en = serializers.CharField()
    points = serializers.FloatField()


class MatchResultSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    mediator = serializers.IntegerField()
    name = serializers.CharField()
    score = serializers.FloatField()
    role = serializers.CharField(help_text="lead/member in a task force, else empty")
    parts = serializers.DictField(child=serializers.FloatField())
    open_cases = serializers.IntegerField()
    capacity = serializers.IntegerField()
    reasons = MatchReasonSerializer(many=True)


class MatchExcludedSerializer(serializers.Serializer):
    mediator = serializers.IntegerField()
    name = serializers.CharField()
    reasons = MatchReasonSerializer(many=True)


class MatchSerializer(serializers.Serializer):
    """The matching proposal (``services.match``; OpenAPI only)."""

    dispute = serializers.IntegerField()
    task_force = serializers.BooleanField()
    results = MatchResultSerializer(many=True)
    excluded = MatchExcludedSerializer(many=True)


class DisputeViewSet(RestrictedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                     mixins.CreateModelMixin, viewsets.GenericViewSet):
    """矛盾纠纷. ``POST`` registers one; ``POST {id}/actions/`` takes a step of the process."""

    queryset = Dispute.objects.select_related("type", "area", "organisation")
    lookup_value_regex = r"[0-9]+"
    filterset_class = DisputeFilter
    ordering_fields = ["registered_at", "due_at", "number"]
    ordering = ["-registered_at", "-id"]
    access_actions = {"list": "view", "retrieve": "view", "create": "create", "actions": "act",
                      "match": "act", "agreement": "view", "export": "export"}

    def get_queryset(self):
        qs = super().get_queryset()
        if self.action in {"retrieve", "actions"}:
            qs = qs.prefetch_related(
                "parties", Prefetch("assignments", queryset=Assignment.objects.select_related("mediator")),
                "sessions", "timeline")
        return qs

    def get_serializer_class(self):
        if self.action == "create":
            return DisputeCreateSerializer
        return DisputeSerializer if self.action in {"retrieve", "actions"} else DisputeListSerializer

    def _detail(self, d, request, status_code=200):
        unmask = wants_unmask(request)
        if unmask:
            record_unmask(request.user, d, unmasked_fields(d))
        d = self.get_queryset().get(pk=d.pk)
        return Response(DisputeSerializer(d, context={"request": request, "unmask": unmask}).data, status=status_code)

    def retrieve(self, request, *args, **kwargs):
        return self._detail(self.get_object(), request)

    @extend_schema(request=DisputeCreateSerializer, responses={201: DisputeSerializer})
    def create(self, request, *args, **kwargs):
        s = DisputeCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        v = s.validated_data
        user = request.user
        area = Area.objects.restrict(user, "view").filter(code=v["area"]).first()
        if area is None:
            raise UserError("unknown_area", "区域不存在或不在您的管辖范围内", "unknown area or outside your jurisdiction",
                            field="area")
        ticket = event = organisation = None
        if v["ticket"] is not None:
            ticket = _get(Ticket.objects.restrict(user, "change"), v["ticket"], "号票", "ticket")
        if v["event"] is not None:
            from fengqiao.events.models import Event

            event = _get(Event.objects.restrict(user, "view"), v["event"], "事件", "matter")
        if v["organisation"] is not None:
            organisation = _get(Organisation.objects.restrict(user, "view"), v["organisation"], "调解组织",
                                "organisation")
        d = actions.register_dispute(
            by=user, type=v["type"], title=v["title"], facts=v["facts"], claims=v["claims"], area=area,
            address=v["address"], source=v["source"], source_ref=v["source_ref"],
            amount_in_dispute=v["amount_in_dispute"], parties=[dict(p) for p in v["parties"]], ticket=ticket,
            event=event, organisation=organisation, is_hard=v["is_hard"])
        return self._detail(d, request, status.HTTP_201_CREATED)

    @extend_schema(request=inline_serializer("DisputeAction", {
        "action": serializers.ChoiceField(choices=list(transitions.ACTIONS)),
        "version": version_field("the dispute's version the caller saw; when it has changed since, 409 "
                                 "stale_version")}), responses=DisputeSerializer)
    @action(detail=True, methods=["post"])
    def actions(self, request, pk=None):
        d = self.get_object()
        data = request.data
        if not isinstance(data, dict):
            raise UserError("invalid", "请求体应为对象", "the body must be an object")
        s = ActionSerializer(data={k: data[k] for k in ("action",) if k in data})
        if not s.is_valid():
            if data.get("action"):
                transitions.get(str(data.get("action")))  # unknown action: a clear bilingual 400
            s.is_valid(raise_exception=True)
        name = s.validated_data["action"]
        version = optional_version(data.get("version"))  # a whole number, else 400 bad_version
        params = {k: v for k, v in data.items() if k not in {"action", "version"}}
        # only the action's own parameters: a misspelt one is said, never ignored; so is an
        # internal switch of the actions (a key starting with "_"), which is never user input
        unknown = unknown_parameters(name, params)
        if unknown:
            names = ", ".join(unknown)[:200]
            raise UserError("unknown_field", f"操作 {name} 不能含有: {names}",
                            f"the action {name} takes no field(s): {names}", field=unknown[0][:100])
        d = actions.act(d, name, by=request.user, params=params, expected_version=version)
        return self._detail(d, request)

    @extend_schema(responses=MatchSerializer)
    @action(detail=True, methods=["get"])
    def match(self, request, pk=None):
        d = self.get_object()
        task_force = (request.query_params.get("task_force") or "").lower() in {"1", "true", "yes"}
        size = request.query_params.get("size") or 3
        try:
            size = int(size)
        except ValueError:
            raise UserError("invalid", "size 应为2到5的整数", "size must be an integer from 2 to 5", field="size") from None
        if task_force and not 2 <= size <= 5:
            raise UserError("invalid", "专班人数应为2到5人", "a task force has 2 to 5 members", field="size")
        limit = request.query_params.get("limit") or 10
        try:
            limit = int(limit)
        except ValueError:
            raise UserError("invalid", "limit 应为1到50的整数", "limit must be an integer from 1 to 50", field="limit") from None
        if not 1 <= limit <= 50:
            raise UserError("invalid", "limit 应为1到50的整数", "limit must be an integer from 1 to 50", field="limit")
        return Response(match(d, task_force=task_force, size=size, limit=limit, user=request.user))

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path="agreement.pdf")
    def agreement(self, request, pk=None):
        response = agreement_download(request, self.get_object())
        if response is None:
            raise NotFound("调解协议书", "agreement")
        return response

    @extend_schema(responses={(200, XLSX): OpenApiTypes.BINARY})
    @action(detail=False, methods=["get"], url_path="export.xlsx")
    def export(self, request):
        qs = self.filter_queryset(self.get_queryset())[:20000]
        unmask = wants_unmask(request)
        if unmask:
            actions_audit_export(request.user, qs, request.query_params.dict())
        data = exports.register_workbook(qs, unmask=unmask)
        response = HttpResponse(data, content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="mediation-register-{timezone.localdate()}.xlsx"'
        return response


def actions_audit_export(user, qs, filters: dict) -> None:
    """Which unmasked register was read: the filters that chose its disputes (with the caller's
    jurisdiction they name every row) and how many there were; the rows are not copied again."""
    audit.record("view_personal", object_type="mediation.dispute", object_repr="dispute register export",
                 actor=user, after={"fields": "parties", "count": qs.count(),
                                    "filters": {k: str(v)[:200] for k, v in list(filters.items())[:30]}})


class MatchView(APIView):
    """``GET /match/?dispute=ID[&task_force=1&size=3]``: the same as ``disputes/{id}/match/``."""

    access_model = Dispute

    @extend_schema(responses=MatchSerializer)
    def get(self, request):
        if not role_allowed(Dispute, request.user, "act"):
            raise PermissionDenied()
        d = _get(Dispute.objects.restrict(request.user, "act"), request.query_params.get("dispute"), "纠纷", "dispute")
        view = DisputeViewSet()
        view.request, view.kwargs, view.format_kwarg, view.action = request, {"pk": d.pk}, None, "match"
        return DisputeViewSet.match(view, request, pk=d.pk)


class SessionFilter(FilterSet):
    dispute = IntegerFilter()
    status = django_filters.CharFilter()
    today = StrictBooleanFilter(method="filter_today")
    mine = StrictBooleanFilter(method="filter_mine")

    class Meta:
        model = Session
        fields = ["dispute", "status", "today", "mine"]

    def filter_today(self, qs, name, value):
        if not value:
            return qs
        return qs.filter(held_at__date=timezone.localdate())

    def filter_mine(self, qs, name, value):
        if not value:
            return qs
        return qs.filter(dispute__in=Assignment.objects.filter(mediator__user=self.request.user, result="")
                         .values("dispute_id"))


class SessionViewSet(RestrictedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """调解会议 (read; write through the dispute's ``schedule_session``/``record_session``)."""

    queryset = Session.objects.select_related("dispute")
    serializer_class = SessionSerializer
    filterset_class = SessionFilter
    ordering = ["held_at"]
    lookup_value_regex = r"[0-9]+"


# ---------------------------------------------------------------- walk-in queue


class TicketSerializer(ModelSerializer):
    label = serializers.CharField(read_only=True)
    visitor_name = serializers.SerializerMethodField()
    visitor_phone = serializers.SerializerMethodField()
    dispute_number = serializers.CharField(source="dispute.number", read_only=True, default=None, allow_null=True)

    class Meta:
        model = Ticket
        fields = ["id", "centre", "day", "number", "label", "visitor_name", "visitor_phone", "topic", "type",
                  "status", "window", "taken_at", "called_at", "finished_at", "dispute", "dispute_number"]

    def get_visitor_name(self, t) -> str:
        return t.visitor_name if self.context.get("unmask") else Ticket._meta.get_field("visitor_name").mask(t.visitor_name)

    def get_visitor_phone(self, t) -> str:
        return t.visitor_phone if self.context.get("unmask") else Ticket._meta.get_field("visitor_phone").mask(t.visitor_phone)


class TicketCreateSerializer(StrictInputMixin, serializers.Serializer):
    centre = serializers.IntegerField()
    visitor_name = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    visitor_phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    topic = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    type = serializers.SlugRelatedField(slug_field="code", queryset=DisputeType.objects.all(), required=False,
                                        allow_null=True, default=None)


class TicketViewSet(RestrictedViewSetMixin, UnmaskAuditedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                    mixins.CreateModelMixin, viewsets.GenericViewSet):
    """取号/叫号. ``POST`` takes a number; ``POST call-next/`` {centre, window}; ``GET screen/?centre=``."""

    queryset = Ticket.objects.select_related("centre", "dispute")
    serializer_class = TicketSerializer
    lookup_value_regex = r"[0-9]+"
    filterset_fields = ["centre", "status", "day"]
    ordering = ["day", "number"]
    personal_fields = ("visitor_name", "visitor_phone")
    access_actions = {"list": "view", "retrieve": "view", "screen": "view", "create": "create",
                      "call_next": "change", "finish": "change"}

    def get_queryset(self):
        qs = super().get_queryset()
        if self.action == "list" and not self.request.query_params.get("day"):
            qs = qs.filter(day=today())
        return qs

    def _centre(self, request, value, action: str = "view"):
        """The centre ``value`` names, among those the caller reaches for ``action``: "view" for
        the screen, "serve" to take or call a number (``Organisation.ACCESS``: only the centres
        whose tickets the caller may handle; a town's desk does not serve the county's queue)."""
        return _get(Organisation.objects.restrict(request.user, action).filter(kind="centre"), value, "矛调中心",
                    "centre")

    @extend_schema(request=TicketCreateSerializer, responses={201: TicketSerializer})
    def create(self, request, *args, **kwargs):
        s = TicketCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        v = s.validated_data
        centre = self._centre(request, v["centre"], "serve")
        t = actions.take_ticket(centre=centre, by=request.user, visitor_name=v["visitor_name"],
                                visitor_phone=v["visitor_phone"], topic=v["topic"], type=v["type"])
        return Response(TicketSerializer(t, context={"unmask": False}).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=inline_serializer("CallNext", {"centre": serializers.IntegerField(), "window": serializers.CharField()}),
        responses=inline_serializer("Called", {"ticket": TicketSerializer(allow_null=True),
                                               "detail": serializers.CharField(required=False)}))
    @action(detail=False, methods=["post"], url_path="call-next")
    def call_next(self, request):
        body = _body(request, {"centre": ID, "window": TEXT_OR_NULL}, required=("centre",))
        centre = self._centre(request, body["centre"], "serve")
        t = actions.call_next(centre=centre, window=body.get("window") or "", by=request.user)
        if t is None:
            return Response({"ticket": None, "detail": "没有等候的号 (no one is waiting)"}, status=200)
        return Response({"ticket": TicketSerializer(t, context={"unmask": False}).data})

    @extend_schema(request=inline_serializer("FinishTicket", {
        "status": serializers.ChoiceField(choices=TicketStatus.choices, required=False)}), responses=TicketSerializer)
    @action(detail=True, methods=["post"])
    def finish(self, request, pk=None):
        t = self.get_object()
        body = _body(request, {"status": TEXT_OR_NULL})
        t = actions.finish_ticket(t, by=request.user, status=body.get("status") or TicketStatus.DONE)
        return Response(TicketSerializer(t, context={"unmask": False}).data)

    @extend_schema(parameters=[OpenApiParameter("centre", int, required=True, description="mediation centre id")],
                   responses=inline_serializer("QueueScreen", {
                       "centre": serializers.CharField(), "day": serializers.DateField(),
                       "serving": inline_serializer("WindowServing", {
                           "window": serializers.CharField(), "ticket": serializers.CharField(),
                           "called_at": serializers.DateTimeField(allow_null=True)}, many=True),
                       "waiting": serializers.IntegerField(), "next": serializers.ListField(child=serializers.CharField())}))
    @action(detail=False, methods=["get"])
    def screen(self, request):
        centre = self._centre(request, request.query_params.get("centre"))
        return Response(now_serving(centre))


# ---------------------------------------------------------------- registry


class DisputeTypeSerializer(ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = DisputeType
        fields = ["id", "code", "name", "parent", "path", "depth", "department_code", "is_active"]


class DisputeTypeViewSet(RestrictedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = DisputeType.objects.select_related("parent")
    serializer_class = DisputeTypeSerializer
    pagination_class = None
    lookup_field = "code"
    lookup_value_regex = r"[0-9A-Za-z_-]+"


class OrganisationSerializer(ModelSerializer):
    area = serializers.SlugRelatedField(slug_field="code", queryset=Area.objects.all())
    area_name = serializers.CharField(source="area.name", read_only=True)

    class Meta:
        model = Organisation
        fields = ["id", "name", "kind", "area", "area_name", "department", "specialties", "windows", "address",
                  "phone", "is_active"]


class OrganisationViewSet(RestrictedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                          mixins.CreateModelMixin, viewsets.GenericViewSet):
    """调解组织: centres, committees, named studios."""

    queryset = Organisation.objects.select_related("area")
    serializer_class = OrganisationSerializer
    filterset_fields = ["kind", "is_active"]
    lookup_value_regex = r"[0-9]+"
    access_actions = {"create": "change"}

    def create(self, request, *args, **kwargs):
        s = OrganisationSerializer(data=request.data)
        refuse_unknown(request.data, s.fields)
        s.is_valid(raise_exception=True)
        v = s.validated_data
        area = Area.objects.restrict(request.user, "view").filter(pk=v["area"].pk).first()
        if area is None:
            raise UserError("unknown_area", "区域不在您的管辖范围内", "area outside your jurisdiction", field="area")
        org = actions.upsert_organisation(name=v["name"], kind=v["kind"], area=area, department=v.get("department"),
                                          specialties=v.get("specialties") or [], windows=v.get("windows") or [],
                                          address=v.get("address", ""), phone=v.get("phone", ""), by=request.user)
        return Response(OrganisationSerializer(org).data, status=status.HTTP_201_CREATED)


class MediatorSerializer(ModelSerializer):
    area = serializers.SlugRelatedField(slug_field="code", read_only=True)
    area_name = serializers.CharField(source="area.name", read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True, default="")
    open_cases = serializers.IntegerField(read_only=True, default=0)
    succeeded_cases = serializers.IntegerField(read_only=True, default=0)
    failed_cases = serializers.IntegerField(read_only=True, default=0)
    success_rate = serializers.SerializerMethodField()

    class Meta:
        model = Mediator
        fields = ["id", "name", "kind", "level", "organisation", "organisation_name", "department", "area",
                  "area_name", "expertise", "in_expert_pool", "capacity", "open_cases", "succeeded_cases",
                  "failed_cases", "success_rate", "bio", "is_active", "user"]

    def get_success_rate(self, m) -> float | None:
        done = (getattr(m, "succeeded_cases", 0) or 0) + (getattr(m, "failed_cases", 0) or 0)
        return round(m.succeeded_cases / done, 4) if done else None


class MediatorCreateSerializer(StrictInputMixin, serializers.Serializer):
    name = serializers.CharField(max_length=60)
    area = serializers.CharField(max_length=32)
    organisation = serializers.IntegerField(required=False, allow_null=True, default=None)
    kind = serializers.CharField(max_length=24, default="peoples_mediator")
    level = serializers.CharField(max_length=12, default="regular")
    expertise = serializers.ListField(child=serializers.CharField(max_length=64), required=False, default=list,
                                      max_length=50)
    in_expert_pool = serializers.BooleanField(default=False)
    capacity = serializers.IntegerField(default=8, min_value=1, max_value=100)
    id_number = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    household_code = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    bio = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class RelativeSerializer(StrictInputMixin, serializers.Serializer):
    id_number = serializers.CharField(max_length=30)
    relation = serializers.CharField(max_length=12)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class MediatorViewSet(RestrictedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      mixins.CreateModelMixin, viewsets.GenericViewSet):
    """调解员与专家库: expertise, area, level, workload (``open_cases``) and track record."""

    queryset = Mediator.objects.select_related("area", "organisation")
    serializer_class = MediatorSerializer
    filterset_fields = ["kind", "level", "organisation", "in_expert_pool", "is_active"]
    lookup_value_regex = r"[0-9]+"
    access_actions = {"create": "change", "relatives": "change"}

    def get_queryset(self):
        return super().get_queryset().with_record()

    @extend_schema(request=MediatorCreateSerializer, responses={201: MediatorSerializer})
    def create(self, request, *args, **kwargs):
        s = MediatorCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        v = s.validated_data
        area = Area.objects.restrict(request.user, "view").filter(code=v["area"]).first()
        if area is None:
            raise UserError("unknown_area", "区域不在您的管辖范围内", "area outside your jurisdiction", field="area")
        org = None
        if v["organisation"] is not None:
            org = _get(Organisation.objects.restrict(request.user, "view"), v["organisation"], "调解组织", "organisation")
        m = actions.upsert_mediator(name=v["name"], area=area, organisation=org, kind=v["kind"], level=v["level"],
                                    expertise=v["expertise"], in_expert_pool=v["in_expert_pool"],
                                    capacity=v["capacity"], id_number=v["id_number"],
                                    household_code=v["household_code"], bio=v["bio"], by=request.user)
        m = self.get_queryset().get(pk=m.pk)
        return Response(MediatorSerializer(m).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RelativeSerializer, responses={201: inline_serializer("RelativeDeclared", {
        "mediator": serializers.IntegerField(), "declared": serializers.BooleanField()})})
    @action(detail=True, methods=["post"])
    def relatives(self, request, pk=None):
        m = self.get_object()
        s = RelativeSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        actions.declare_relative(m, by=request.user, **s.validated_data)
        return Response({"mediator": m.pk, "declared": True}, status=status.HTTP_201_CREATED)


class TemplateSerializer(ModelSerializer):
    class Meta:
        model = AgreementTemplate
        fields = ["id", "name", "title", "body", "is_active", "updated_at"]
        read_only_fields = ["is_active", "updated_at"]


class AgreementTemplateViewSet(RestrictedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                               mixins.CreateModelMixin, viewsets.GenericViewSet):
    """协议书模板: ``POST`` saves a new active version (placeholders checked)."""

    queryset = AgreementTemplate.objects.all()
    serializer_class = TemplateSerializer
    lookup_value_regex = r"[0-9]+"

    def create(self, request, *args, **kwargs):
        s = TemplateSerializer(data=request.data)
        refuse_unknown(request.data, s.fields)
        s.is_valid(raise_exception=True)
        t = actions.save_template(by=request.user, **{k: s.validated_data[k] for k in ("name", "body", "title")
                                                      if k in s.validated_data})
        return Response(TemplateSerializer(t).data, status=status.HTTP_201_CREATED)


# ---------------------------------------------------------------- backlog and hearings


class HearingSerializer(ModelSerializer):
    class Meta:
        model = Hearing
        fields = ["id", "backlog_case", "dispute", "scheduled_at", "place", "participants", "status", "outcome",
                  "summary", "version"]


class BacklogProgressReportSerializer(serializers.Serializer):
    """One progress report of a backlog case (OpenAPI only; ``BacklogSerializer.get_progress``)."""

    at = serializers.DateTimeField()
    by = serializers.CharField()
    text = serializers.CharField()


def _local_instant(value):
    """A stored instant (ISO text) as the API shows every instant: in local time (reports
    written before were stored in UTC); text that is no instant as it is."""
    instant = parse_datetime(value) if isinstance(value, str) else None
    if instant is None or timezone.is_naive(instant):
        return value
    return serializers.DateTimeField().to_representation(instant)


class BacklogSerializer(ModelSerializer):
    leader_name = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()
    hearings = HearingSerializer(many=True, read_only=True)
    dispute_number = serializers.CharField(source="dispute.number", read_only=True, default=None, allow_null=True)

    class Meta:
        model = BacklogCase
        fields = ["id", "dispute", "dispute_number", "event", "title", "reason", "status", "leader", "leader_name",
                  "plan", "progress", "opened_at", "assigned_at", "closed_at", "result", "hearings", "version"]

    def get_leader_name(self, c) -> str | None:
        return (c.leader.get_full_name() or c.leader.username) if c.leader_id else None

    @extend_schema_field(BacklogProgressReportSerializer(many=True))
    def get_progress(self, c):
        return [{**p, "at": _local_instant(p.get("at"))} if isinstance(p, dict) else p for p in c.progress or []]


class BacklogViewSet(RestrictedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                     viewsets.GenericViewSet):
    """积案: ``POST assign-leader/`` (包案), ``progress/``, ``close/`` (销号). A dispute becomes a
    backlog case through its ``mark_backlog`` action or the sweep."""

    queryset = BacklogCase.objects.select_related("leader", "dispute").prefetch_related("hearings")
    serializer_class = BacklogSerializer
    filterset_fields = ["status", "reason", "leader"]
    lookup_value_regex = r"[0-9]+"
    access_actions = {"assign_leader": "change", "progress": "change", "close": "change"}

    # The bodies are read by kind (``_body``): text as text, ``resolved`` a true or false, the
    # leader an id, the version a whole number; any other key or kind is a 400 naming the field.

    @extend_schema(request=inline_serializer("AssignLeader", {
        "leader": serializers.IntegerField(), "plan": serializers.CharField(required=False, allow_blank=True),
        "version": version_field()}), responses=BacklogSerializer)
    @action(detail=True, methods=["post"], url_path="assign-leader")
    def assign_leader(self, request, pk=None):
        from fengqiao.accounts.models import User

        case = self.get_object()
        body = _body(request, {"leader": ID, "plan": TEXT_OR_NULL, "version": VERSION}, required=("leader",))
        leader = _get(User.objects.restrict(request.user, "view").filter(role="leader"), body["leader"],
                      "领导", "leader")
        case = actions.assign_leader(case, leader=leader, plan=body.get("plan") or "", by=request.user,
                                     expected_version=body.get("version"))
        return Response(BacklogSerializer(case).data)

    @extend_schema(request=inline_serializer("BacklogProgress", {
        "text": serializers.CharField(),
        "resolved": serializers.BooleanField(required=False, help_text="true marks the case resolved (已化解)"),
        "version": version_field()}), responses=BacklogSerializer)
    @action(detail=True, methods=["post"])
    def progress(self, request, pk=None):
        case = self.get_object()
        body = _body(request, {"text": TEXT_OR_NULL, "resolved": BOOLEAN, "version": VERSION})
        case = actions.report_progress(case, text=body.get("text") or "", by=request.user,
                                       resolved=body.get("resolved", False), expected_version=body.get("version"))
        return Response(BacklogSerializer(case).data)

    @extend_schema(request=inline_serializer("BacklogClose", {
        "result": serializers.CharField(), "version": version_field()}), responses=BacklogSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        case = self.get_object()
        body = _body(request, {"result": TEXT_OR_NULL, "version": VERSION})
        case = actions.close_case(case, result=body.get("result") or "", by=request.user,
                                  expected_version=body.get("version"))
        return Response(BacklogSerializer(case).data)


class HearingCreateSerializer(StrictInputMixin, serializers.Serializer):
    backlog_case = serializers.IntegerField(required=False, allow_null=True, default=None)
    dispute = serializers.IntegerField(required=False, allow_null=True, default=None)
    scheduled_at = serializers.DateTimeField()
    place = serializers.CharField(max_length=200)
    participants = serializers.ListField(child=serializers.CharField(max_length=100), allow_empty=False,
                                         max_length=50)


class HearingViewSet(RestrictedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                     mixins.CreateModelMixin, viewsets.GenericViewSet):
    """阳光听证: ``POST`` schedules; ``POST {id}/record/`` {outcome, summary}."""

    queryset = Hearing.objects.all()
    serializer_class = HearingSerializer
    lookup_value_regex = r"[0-9]+"
    filterset_fields = ["status", "backlog_case", "dispute"]
    access_actions = {"create": "create", "record": "change"}

    @extend_schema(request=HearingCreateSerializer, responses={201: HearingSerializer})
    def create(self, request, *args, **kwargs):
        s = HearingCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        v = s.validated_data
        case = dispute = None
        if v["backlog_case"] is not None:
            case = _get(BacklogCase.objects.restrict(request.user, "change"), v["backlog_case"], "积案", "backlog case")
        if v["dispute"] is not None:
            dispute = _get(Dispute.objects.restrict(request.user, "act"), v["dispute"], "纠纷", "dispute")
        h = actions.schedule_hearing(by=request.user, scheduled_at=v["scheduled_at"], place=v["place"],
                                     participants=v["participants"], backlog_case=case, dispute=dispute)
        return Response(HearingSerializer(h).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=inline_serializer("HearingRecord", {
        "outcome": serializers.CharField(), "summary": serializers.CharField(required=False, allow_blank=True),
        "version": version_field()}), responses=HearingSerializer)
    @action(detail=True, methods=["post"])
    def record(self, request, pk=None):
        h = self.get_object()
        body = _body(request, {"outcome": TEXT_OR_NULL, "summary": TEXT_OR_NULL, "version": VERSION})
        h = actions.record_hearing(h, outcome=body.get("outcome") or "", summary=body.get("summary") or "",
                                   by=request.user, expected_version=body.get("version"))
        return Response(HearingSerializer(h).data)


# ---------------------------------------------------------------- statistics


#: the answers ``stats/?as=`` gives
STATS_FORMATS = ("json", "xlsx")


class StatsView(APIView):
    """``GET /stats/?from=YYYY-MM-DD&to=…&area=CODE&type=CODE&organisation=ID`` — the caller's
    whole jurisdiction: ``screened``, ``accepted``, ``succeeded``, ``failed``, ``success_rate`` …
    and ``breakdowns`` by month, area, organisation, mediator, type and source.
    ``?as=xlsx`` answers the same numbers as an Excel workbook."""

    access_model = Dispute

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="first day (default: a year ago)"),
            OpenApiParameter("to", OpenApiTypes.DATE, description="last day (default: today)"),
            OpenApiParameter("area", str, description="area code within the caller's jurisdiction"),
            OpenApiParameter("type", str, description="dispute type code"),
            OpenApiParameter("organisation", int, description="mediation organisation id"),
            OpenApiParameter("as", str, enum=list(STATS_FORMATS),
                             description="json (the default): the figures; xlsx: the same figures as a workbook"),
        ],
        responses={(200, "application/json"): OpenApiTypes.OBJECT, (200, XLSX): OpenApiTypes.BINARY},
    )
    def get(self, request):
        if not role_allowed(Dispute, request.user, "stats"):
            raise PermissionDenied()
        wanted = request.query_params.get("as") or "json"
        if wanted not in STATS_FORMATS:  # never the JSON figures for a format that was asked for
            allowed = ", ".join(STATS_FORMATS)
            raise UserError("bad_format", f"as 只能为 {allowed}", f"as must be one of {allowed}", field="as")
        result = stats.compute(request.user, request.query_params)
        if wanted == "xlsx":
            response = HttpResponse(exports.stats_workbook(result), content_type=XLSX)
            response["Content-Disposition"] = 'attachment; filename="mediation-stats.xlsx"'
            return response
        return Response(result)
