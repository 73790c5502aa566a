"""``/api/v1/alerts/…``: risk alerts (风险预警), their evidence and timeline, and the people's
steps on them (``POST {id}/actions/{name}/``) through the one transition table.

Every queryset goes through ``restrict(user, action)``: outside the jurisdiction → 404, a role
not allowed → 403, anonymous → 401. An alert's matters are listed only where the caller may
see them (``Event.objects.restrict(user, "view")``); the others are only counted
(``hidden_matters``), and evidence that quotes a hidden matter loses the quote.
"""

from __future__ import annotations

import django_filters
from django.db.models import Case, IntegerField, Prefetch, Value, When
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from fengqiao.areas.models import Area, subtree_q
from fengqiao.core.bodies import TEXT_OR_NULL, body_values
from fengqiao.core.filters import FilterSet, InstantFilter
from fengqiao.core.serializers import ModelSerializer, version_field
from fengqiao.core.viewsets import RestrictedViewSetMixin

from . import actions, transitions
from .choices import LEVEL_RANK, Kind, Level, State
from .models import AlertEntry, AlertMatter, RiskAlert

# ---------------------------------------------------------------- evidence


def _visible_evidence(evidence, visible: set[int]) -> dict:
    """``evidence`` as the caller may read it: a signal about one matter (``{"event": id,
    "terms": [… snippet …]}``) quotes that matter's text; when the caller cannot see the
    matter, the id and the quoted snippets are left out (the phrases and levels stay)."""
    if not isinstance(evidence, dict):
        return {}
    event_id = evidence.get("event")
    if event_id is None or event_id in visible:
        return evidence
    out = {k: v for k, v in evidence.items() if k != "event"}
    if isinstance(out.get("terms"), list):
        out["terms"] = [{k: v for k, v in t.items() if k != "snippet"} if isinstance(t, dict) else t
                        for t in out["terms"]]
    return out


# ---------------------------------------------------------------- serializers


class AlertListSerializer(ModelSerializer):
    """An alert in a list: what, how serious, where, since when, and where it stands."""

    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    level_label = serializers.CharField(source="get_level_display", read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    area = serializers.SlugRelatedField(slug_field="code", read_only=True)
    area_name = serializers.CharField(source="area.name", read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = RiskAlert
        fields = ["id", "number", "kind", "kind_label", "level", "level_label", "state", "state_label", "title",
                  "summary", "area", "area_name", "category_code", "matter_count", "first_seen_at", "last_seen_at",
                  "raised_at", "acknowledged_at", "closed_at", "supervised", "version", "url"]

    def get_url(self, alert) -> str:
        return f"/api/v1/alerts/{alert.pk}/"


class AlertMatterRefSerializer(serializers.Serializer):
    """A matter that is evidence of the alert and that the caller may see (its full record is
    ``GET /api/v1/events/{id}/``)."""

    id = serializers.IntegerField()
    number = serializers.CharField()


class AlertEntrySerializer(ModelSerializer):
    """One step of the alert's loop: ``raised``/``grown`` by the scan, or a person's action."""

    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    data = serializers.SerializerMethodField()

    class Meta:
        model = AlertEntry
        fields = ["id", "at", "actor", "actor_name", "action", "from_state", "to_state", "text", "data"]

    @extend_schema_field({"type": "object", "additionalProperties": True})
    def get_data(self, entry) -> dict:
        data = dict(entry.data) if isinstance(entry.data, dict) else {}
        if "evidence" in data:
            data["evidence"] = _visible_evidence(data["evidence"], self.context.get("visible_matters", set()))
        return data


class AlertSerializer(AlertListSerializer):
    """One alert with its evidence, the matters the caller may see, its timeline and the
    actions the caller may take on it now (``transitions.allowed_actions``)."""

    evidence = serializers.SerializerMethodField()
    acknowledged_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    closed_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    matters = serializers.SerializerMethodField()
    hidden_matters = serializers.SerializerMethodField()
    entries = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()

    class Meta(AlertListSerializer.Meta):
        fields = [*AlertListSerializer.Meta.fields, "evidence", "outcome", "acknowledged_by", "closed_by", "matters",
                  "hidden_matters", "entries", "actions"]

    def _matters(self, alert) -> tuple[list[dict], int]:
        """(the linked matters the caller may see, how many others there are), once per alert."""
        cache = self.context.setdefault("_matters", {})
        if alert.pk not in cache:
            request = self.context.get("request")
            readable, linked = alert.matters_for(request.user if request is not None else None)
            shown = list(readable.order_by("id").values("id", "number"))
            cache[alert.pk] = (shown, linked - len(shown))
        return cache[alert.pk]

    def _visible(self, alert) -> set[int]:
        return {m["id"] for m in self._matters(alert)[0]}

    @extend_schema_field({"type": "object", "additionalProperties": True})
    def get_evidence(self, alert) -> dict:
        return _visible_evidence(alert.evidence, self._visible(alert))

    @extend_schema_field(AlertMatterRefSerializer(many=True))
    def get_matters(self, alert):
        return self._matters(alert)[0]

    def get_hidden_matters(self, alert) -> int:
        return self._matters(alert)[1]

    @extend_schema_field(AlertEntrySerializer(many=True))
    def get_entries(self, alert):
        context = {**self.context, "visible_matters": self._visible(alert)}
        return AlertEntrySerializer(alert.entries.all(), many=True, context=context).data

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=list(transitions.ACTIONS))))
    def get_actions(self, alert) -> list[str]:
        request = self.context.get("request")
        return transitions.allowed_actions(alert, request.user) if request is not None else []


class AlertActionSerializer(serializers.Serializer):
    """The body of ``POST alerts/{id}/actions/{name}/`` as the schema documents it (the view
    passes both to ``actions.act``, which checks them and answers bilingually)."""

    text = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=actions.MAX_TEXT, trim_whitespace=False,
        help_text="defuse: the feedback (what was done); dismiss: why it is not a risk; supervise: the "
                  "supervision note; comment: the comment (all required); take_on: an optional note")
    version = version_field("the alert's version the caller saw; when the alert has changed since, 409 stale_version")


# ---------------------------------------------------------------- filters


class AlertFilter(FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=State.choices, label="state (repeat for several)")
    level = django_filters.MultipleChoiceFilter(choices=Level.choices, label="level (repeat for several)")
    kind = django_filters.MultipleChoiceFilter(choices=Kind.choices, label="signal (repeat for several)")
    area = django_filters.CharFilter(method="filter_area", label="area code (its whole subtree)")
    raised_after = InstantFilter(field_name="raised_at", lookup_expr="gte", label="raised at or after (date-time)")
    raised_before = InstantFilter(field_name="raised_at", lookup_expr="lt", label="raised before (date-time)")

    class Meta:
        model = RiskAlert
        fields = ["state", "level", "kind", "area", "raised_after", "raised_before", "supervised"]

    def filter_area(self, queryset, name, value):
        area = Area.objects.filter(code=value.strip()).only("path").first()
        if area is None:
            return queryset.none()
        return queryset.filter(subtree_q(area.path, "area_path"))


# ---------------------------------------------------------------- views

_SEVERITY = Case(*(When(level=level, then=Value(rank)) for level, rank in LEVEL_RANK.items()), default=Value(0),
                 output_field=IntegerField())


class AlertViewSet(RestrictedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                   viewsets.GenericViewSet):
    """风险预警: list and read the alerts of the caller's area; ``POST {id}/actions/{name}/``
    takes one step of the loop (take_on, defuse, dismiss, supervise, comment)."""

    queryset = RiskAlert.objects.select_related("area", "acknowledged_by", "closed_by")
    serializer_class = AlertSerializer
    filterset_class = AlertFilter
    ordering_fields = ["raised_at", "last_seen_at", "severity", "matter_count", "number", "id"]
    ordering = ["-raised_at", "-id"]
    access_actions = {"list": "view", "retrieve": "view", "perform_action": "act"}

    def get_queryset(self):
        qs = super().get_queryset()
        if self.action == "list":
            return qs.annotate(severity=_SEVERITY)
        return qs.prefetch_related(
            Prefetch("links", queryset=AlertMatter.objects.only("id", "alert_id", "event_id")),
            Prefetch("entries", queryset=AlertEntry.objects.select_related("actor")))

    def get_serializer_class(self):
        return AlertListSerializer if self.action == "list" else AlertSerializer

    @extend_schema(
        parameters=[OpenApiParameter("name", str, OpenApiParameter.PATH, enum=list(transitions.ACTIONS),
                                     description="the action: " + "; ".join(
                                         f"{t.action} ({t.zh})" for t in transitions.TABLE.values()))],
        request=AlertActionSerializer, responses=AlertSerializer)
    @action(detail=True, methods=["post"], url_path=r"actions/(?P<name>[^/]+)", url_name="action",
            filter_backends=[], pagination_class=None)
    def perform_action(self, request, pk=None, name=None):
        """One step on the alert, as the transition table allows: 400 for an unknown action or
        missing text, 409 when the state or the caller's role or area does not allow it, or when
        ``version`` is not the alert's version any more."""
        alert = self.get_object()
        transitions.get(name)  # an unknown action: 400 before anything else
        # an object with no other keys, text as text; the text and the version are then checked
        # by the action itself (bilingual 400 / 409)
        body = body_values(request, {"text": TEXT_OR_NULL, "version": "as_sent"},
                           {"as_sent": lambda data, key: data.get(key)})
        actions.act(alert, name, by=request.user, text=body.get("text") or "", version=body.get("version"))
        return Response(self.get_serializer(self.get_queryset().get(pk=alert.pk)).data)
