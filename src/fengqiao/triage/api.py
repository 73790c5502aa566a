"""``/api/v1/triage/``: suggestions while typing, a matter's stored triage, an operator's label.

Views parse input, fetch through ``restrict(user, action)``, call one action, render.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from fengqiao.core.errors import NotFound, UserError
from fengqiao.events.actions.intake import category_by_code
from fengqiao.events.models import Event

from . import actions, service
from .models import TriageResult


def _area(a) -> dict | None:
    if a is None:
        return None
    return {"code": a.code, "name": a.name, "level": a.level}


def _unit(area, department) -> dict | None:
    if department is not None:
        return {"kind": "department", "code": department.code, "name": department.name}
    if area is not None:
        return {"kind": "area", **_area(area)}
    return None


def result_data(r: TriageResult, user) -> dict:
    ids = [pk for pk, _s in r.duplicates or [] if isinstance(pk, int)]
    visible = set(Event.objects.restrict(user, "view").filter(pk__in=ids).values_list("pk", flat=True))
    waiting = r.waits_for_person(r.event.state)
    return {
        "event": r.event_id,
        "categories": r.categories,
        "classifier": r.classifier,
        "model_version": r.model_version.version if r.model_version_id else None,
        "top_confidence": r.top_confidence,
        # as the queue says: one dispatched, merged or ended waits for nobody
        "needs_person": waiting,
        "person_reasons": r.person_reasons if waiting else [],
        "place": {"area": _area(r.area), "label": r.area.full_name() if r.area_id else "",
                  "evidence": r.area_evidence, "text_area": _area(r.text_area),
                  "coordinate_area": _area(r.coordinate_area), "conflict": r.place_conflict},
        "route": {"unit": _unit(r.route_area, r.route_department), "cohandlers": r.route_cohandlers,
                  "rule": r.route_rule_id, "source": r.route_source, "explanation": r.route_text()},
        # Repeats were searched across the town; show only those the caller may see.
        "duplicates": [{"id": pk, "score": s} for pk, s in r.duplicates if pk in visible],
        "auto_dispatched": r.auto_dispatched,
        "error": r.error,
        "timings_ms": r.timings,
        "created_at": r.created_at,
    }


class SuggestSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    content = serializers.CharField(max_length=20000, required=False, allow_blank=True, default="")
    address = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    longitude = serializers.FloatField(required=False, allow_null=True, default=None, min_value=-180, max_value=180)
    latitude = serializers.FloatField(required=False, allow_null=True, default=None, min_value=-90, max_value=90)


# -- OpenAPI only: the shapes ``SuggestView`` and ``TriageEventViewSet`` answer ------------------


class _AreaRef(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.CharField()


class _UnitRef(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["department", "area"])
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.CharField(required=False, help_text="kind area only")


class _CategoryGuess(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    confidence = serializers.FloatField()


class _PlaceGuess(serializers.Serializer):
    area = _AreaRef(allow_null=True)
    label = serializers.CharField()
    evidence = serializers.DictField(help_text="the matched text span ({text, start, end, source}) or the coordinates")
    text_area = _AreaRef(allow_null=True)
    coordinate_area = _AreaRef(allow_null=True)
    conflict = serializers.BooleanField()


class _RouteGuess(serializers.Serializer):
    unit = _UnitRef(allow_null=True)
    cohandlers = serializers.ListField(child=serializers.CharField(), help_text="department codes")
    rule = serializers.IntegerField(allow_null=True)
    source = serializers.CharField()
    explanation = serializers.CharField()


class _Repeat(serializers.Serializer):
    id = serializers.IntegerField()
    score = serializers.FloatField()


class _SuggestedRepeat(_Repeat):
    number = serializers.CharField()
    title = serializers.CharField()
    likely = serializers.BooleanField(help_text="score ≥ LIKELY_SAME_SCORE (0.4): likely the same matter; "
                                                "under it, perhaps related")
    open = serializers.BooleanField(help_text="still being worked on (received to in progress): a repeat can be "
                                              "merged into it")


class TriageSuggestionSerializer(serializers.Serializer):
    categories = _CategoryGuess(many=True)
    classifier = serializers.CharField()
    needs_person = serializers.BooleanField()
    place = _PlaceGuess()
    route = _RouteGuess()
    duplicates = _SuggestedRepeat(many=True)


class TriageResultSerializer(serializers.Serializer):
    event = serializers.IntegerField()
    categories = _CategoryGuess(many=True)
    classifier = serializers.CharField()
    model_version = serializers.IntegerField(allow_null=True, help_text="null: the keyword rules")
    top_confidence = serializers.FloatField(allow_null=True)
    needs_person = serializers.BooleanField()
    person_reasons = serializers.ListField(
        child=serializers.ChoiceField(choices=service.PERSON_REASONS),
        help_text="why the matter needs a person; empty when it does not (needs_person is false once the matter "
                  "is dispatched, merged or ended)")
    place = _PlaceGuess()
    route = _RouteGuess()
    duplicates = _Repeat(many=True)
    auto_dispatched = serializers.BooleanField()
    error = serializers.CharField()
    timings_ms = serializers.DictField(child=serializers.FloatField())
    created_at = serializers.DateTimeField()


class SuggestView(APIView):
    """POST {title, content, address, longitude, latitude} → categories, place, route, repeats."""

    access_model = TriageResult
    action = "suggest"
    access_actions = {"suggest": "suggest"}
    serializer_class = SuggestSerializer

    @extend_schema(request=SuggestSerializer, responses=TriageSuggestionSerializer)
    def post(self, request):
        ser = SuggestSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        if not (d["title"].strip() or d["content"].strip()):
            raise UserError("required", "标题或诉求内容不能都为空", "a title or content is required", field="content")
        s = service.suggest(request.user, d["content"], title=d["title"], address=d["address"],
                            longitude=d["longitude"], latitude=d["latitude"])
        place, rte = s.place, s.route_detail
        return Response({
            "categories": s.categories,
            "classifier": s.classification.classifier,
            "needs_person": s.needs_person,
            "place": {"area": _area(place.area), "label": s.area_label, "evidence": place.evidence,
                      "text_area": _area(place.text_area), "coordinate_area": _area(place.coordinate_area),
                      "conflict": place.conflict},
            "route": {"unit": _unit(rte.area, rte.department), "cohandlers": rte.cohandlers,
                      "rule": rte.rule_id, "source": rte.source,
                      "explanation": rte.explanation},
            "duplicates": s.duplicates,
        })


class LabelSerializer(serializers.Serializer):
    category = serializers.CharField(max_length=100)


class LabelResultSerializer(serializers.Serializer):
    event = serializers.IntegerField()
    category = serializers.CharField()
    category_name = serializers.CharField()
    source = serializers.CharField(help_text="operator_accept or operator_correct")
    suggested = serializers.CharField(help_text="the category triage had suggested")
    label = serializers.IntegerField()
    version = serializers.IntegerField(help_text="the matter's new version")


_MATTER_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="the matter's id")


class TriageEventViewSet(viewsets.ViewSet):
    """GET events/{id}/: the stored triage of a matter; POST events/{id}/label/: accept/correct."""

    access_model = TriageResult
    access_actions = {"retrieve": "view", "label": "label"}

    def _event(self, pk, action_name: str) -> Event:
        try:
            pk = int(pk)
        except (TypeError, ValueError):
            raise NotFound("事件", "matter") from None
        event = Event.objects.restrict(self.request.user, action_name).filter(pk=pk).first()
        if event is None:
            raise NotFound("事件", "matter")
        return event

    @extend_schema(parameters=[_MATTER_ID], responses=TriageResultSerializer)
    def retrieve(self, request, pk=None):
        event = self._event(pk, "view")
        r = (TriageResult.objects.restrict(request.user, "view")
             .select_related("event", "area", "text_area", "coordinate_area", "route_area", "route_department",
                             "model_version")
             .filter(event=event).first())
        if r is None:
            raise NotFound("研判结果", "triage result")
        return Response(result_data(r, request.user))

    @extend_schema(parameters=[_MATTER_ID], request=LabelSerializer, responses=LabelResultSerializer)
    @action(detail=True, methods=["post"])
    def label(self, request, pk=None):
        ser = LabelSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        event = self._event(pk, "change")
        category = category_by_code(ser.validated_data["category"])
        event, label = actions.label_event(event, category, by=request.user)
        return Response({"event": event.pk, "category": category.code, "category_name": category.name,
                         "source": label.source, "suggested": label.suggested, "label": label.pk,
                         "version": event.version})
