"""``/api/v1/patrols/…``: patrols (巡逻), the rounds grid workers and village cadres walk with
their phone recording the track; built like the check-point API (:mod:`fengqiao.grid.point_api`).

Every read goes through ``restrict(user, "view")``: a role that never reads patrols gets 403, a
patrol outside the caller's area does not exist for them (404), anonymous 401. The writes (start,
add a batch of points, end) are the patroller's own: a role that never patrols gets 403, anybody
else's patrol is a 404 from the action (``restrict(user, "patrol")``). The views read the body's
values by type (``core.bodies``: 400 before anything runs) and call one action of
:mod:`.actions`, which holds every rule and answers its refusals as the API's bilingual error
(400, 403, 404, 409).

The matters reported on a patrol are listed only where the caller may read them
(``Event.objects.restrict(user, "view")``), by number, title and state; the matter itself is
``GET /api/v1/events/{id}/``. Boundaries are not repeated here (``GET /api/v1/areas/{code}/``).
"""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from fengqiao.areas.models import Area, subtree_q
from fengqiao.core.bodies import TEXT, TEXT_OR_NULL, body_values
from fengqiao.core.filters import INSTANT_RANGE, FilterSet, clamp_instant
from fengqiao.core.inputs import same_sender
from fengqiao.core.serializers import ModelSerializer
from fengqiao.core.viewsets import RestrictedViewSetMixin
from fengqiao.events.models import Event
from fengqiao.events.sla import now as clock_now
from fengqiao.grid.inputs import MAX_NOTE

from . import actions
from .choices import EndReason, PatrolState
from .models import MAX_POINTS, Patrol, TrackPoint

URL = "/api/v1/patrols/"
EVENTS_URL = "/api/v1/events/"


# ---------------------------------------------------------------- serializers


class AreaRefSerializer(serializers.Serializer):
    """The area a patrol walks (the patroller's village, grid or micro-grid when it started)."""

    code = serializers.CharField()
    name = serializers.CharField()


class PatrolListSerializer(ModelSerializer):
    """A patrol in the list: where, who, when, how it ended, how far and how much of it inside
    its area; ``report_count`` the matters reported on it (all of them; one patrol lists those
    the caller may read)."""

    area = AreaRefSerializer(read_only=True)
    by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True,
                                      help_text="username of the patroller (by_name: their name); null when the "
                                                "account is gone")
    end_reason = serializers.ChoiceField(choices=EndReason.choices, read_only=True, allow_blank=True,
                                         help_text="finished: ended by the patroller; timed_out: ended "
                                                   "automatically (the phone went quiet); empty while running")
    end_reason_label = serializers.CharField(source="get_end_reason_display", read_only=True)
    state = serializers.SerializerMethodField()
    state_label = serializers.SerializerMethodField()
    duration_s = serializers.SerializerMethodField()
    coverage = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Patrol
        fields = ["id", "url", "area", "by", "by_name", "started_at", "ended_at", "end_reason", "end_reason_label",
                  "state", "state_label", "duration_s", "distance_m", "point_count", "coverage", "report_count",
                  "note"]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=PatrolState.choices))
    def get_state(self, patrol) -> str:
        return PatrolState.RUNNING if patrol.is_running else PatrolState.ENDED

    def get_state_label(self, patrol) -> str:
        return str(PatrolState(self.get_state(patrol)).label)

    def get_duration_s(self, patrol) -> int:
        """Seconds from its start to its end (to now while it runs)."""
        return max(0, int(patrol.duration(self.context.get("now") or clock_now()).total_seconds()))

    @extend_schema_field(serializers.FloatField(allow_null=True, min_value=0, max_value=1, help_text=(
        "the share of its points inside its area's boundary (0–1); null when the area has no boundary or the "
        "track no point")))
    def get_coverage(self, patrol):
        return patrol.coverage()

    def get_url(self, patrol) -> str:
        return f"{URL}{patrol.pk}/"


class TrackPointSerializer(serializers.Serializer):
    """One position of the track."""

    at = serializers.DateTimeField()
    longitude = serializers.FloatField()
    latitude = serializers.FloatField()
    accuracy = serializers.FloatField(source="accuracy_m", allow_null=True,
                                      help_text="the phone's error estimate (m); null when it sent none")
    inside = serializers.BooleanField(allow_null=True,
                                      help_text="inside the patrol area's boundary; null when the area has none")


class PatrolMatterSerializer(serializers.Serializer):
    """A matter reported on the patrol, that the caller may read (its record is ``url``)."""

    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    state = serializers.CharField()
    state_label = serializers.CharField(source="get_state_display")
    url = serializers.SerializerMethodField()

    def get_url(self, event) -> str:
        return f"{EVENTS_URL}{event.pk}/"


class PatrolSerializer(PatrolListSerializer):
    """One patrol: the list's fields with its ``track`` (every position, in time order) and the
    matters reported on it that the caller may read (``reports``, in the order they came in)."""

    track = serializers.SerializerMethodField()
    reports = serializers.SerializerMethodField()

    class Meta(PatrolListSerializer.Meta):
        fields = [*PatrolListSerializer.Meta.fields, "track", "reports"]

    def _user(self):
        request = self.context.get("request")
        return request.user if request is not None else None

    @extend_schema_field(TrackPointSerializer(many=True))
    def get_track(self, patrol):
        points = (TrackPoint.objects.restrict(self._user(), "view").filter(patrol=patrol).order_by("at")
                  .values("at", "longitude", "latitude", "accuracy_m", "inside"))
        return TrackPointSerializer(points, many=True).data

    @extend_schema_field(PatrolMatterSerializer(many=True))
    def get_reports(self, patrol):
        matters = (Event.objects.restrict(self._user(), "view").filter(patrol_report__patrol=patrol)
                   .only("id", "number", "title", "state").order_by("received_at", "id"))
        return PatrolMatterSerializer(matters, many=True).data


class PatrolEndedSerializer(PatrolListSerializer):
    """The answer to ``POST {id}/finish/``: the patrol (the list's fields) and whether this
    request ended it (false: it had been ended by its patroller already, a retry)."""

    changed = serializers.SerializerMethodField()

    class Meta(PatrolListSerializer.Meta):
        fields = [*PatrolListSerializer.Meta.fields, "changed"]

    def get_changed(self, patrol) -> bool:
        return bool(getattr(patrol, "changed", False))


class PointsAddedSerializer(serializers.Serializer):
    """The answer to ``POST {id}/points/``: what became of the batch, and the patrol's figures
    after it."""

    accepted = serializers.IntegerField(help_text="points added to the track")
    repeated = serializers.IntegerField(help_text="points the track held already (a batch sent again)")
    refused = serializers.IntegerField(help_text=f"points outside the patrol's time, or beyond {MAX_POINTS} points")
    point_count = serializers.IntegerField(help_text="the track's points now")
    distance_m = serializers.IntegerField(help_text="the walked length now (m), measured from the whole track")


# the bodies of the writes as the schema documents them; the views check the types of the values
# (400 before anything runs), the actions check the values themselves (bilingual 400 / 409)

_TIME_HELP = "ISO 8601 date and time (without a zone: the server's local time)"


class PatrolStartSerializer(serializers.Serializer):
    """The body of ``POST /api/v1/patrols/`` (开始巡逻)."""

    started_at = serializers.DateTimeField(required=False, allow_null=True, help_text=(
        f"when it started, by the phone's clock: {_TIME_HELP}; up to 12 hours back and not in the future; "
        "empty: now"))


class PositionSerializer(serializers.Serializer):
    """One position the phone recorded."""

    at = serializers.DateTimeField(help_text=f"when: {_TIME_HELP}; one point per moment (a point sent again "
                                             "is counted as repeated)")
    longitude = serializers.FloatField(min_value=-180, max_value=180)
    latitude = serializers.FloatField(min_value=-90, max_value=90)
    accuracy = serializers.FloatField(required=False, allow_null=True, min_value=0,
                                      max_value=actions.MAX_ACCURACY_TAKEN,
                                      help_text="the phone's error estimate (m); a fix worse than 100 m is kept "
                                                "but not measured")


class PatrolPointsSerializer(serializers.Serializer):
    """The body of ``POST /api/v1/patrols/{id}/points/``: a batch of the track."""

    points = PositionSerializer(many=True, min_length=1, max_length=actions.MAX_BATCH,
                                help_text=f"1 to {actions.MAX_BATCH} positions, in any order; a bad one "
                                          "refuses the batch (400 naming it) and nothing is added")


class PatrolFinishSerializer(serializers.Serializer):
    """The body of ``POST /api/v1/patrols/{id}/finish/`` (结束巡逻)."""

    note = serializers.CharField(required=False, allow_blank=True, max_length=MAX_NOTE,
                                 help_text="what was seen (巡逻情况)")
    ended_at = serializers.DateTimeField(required=False, allow_null=True, help_text=(
        f"when it ended, by the phone's clock: {_TIME_HELP}; not in the future nor before the start; never "
        "before its last point nor more than 12 hours after the start; empty: now"))


# ---------------------------------------------------------------- bodies

RAW = "raw"
START_BODY = {"started_at": TEXT_OR_NULL}
POINTS_BODY = {"points": RAW}
FINISH_BODY = {"note": TEXT, "ended_at": TEXT_OR_NULL}


def _body(request, spec: dict[str, str]) -> dict:
    """The body's values named in ``spec`` (``core.bodies``): text as text, the points as sent
    (the action reads the whole batch before writing anything), anything else a 400."""
    return body_values(request, spec, {RAW: lambda data, key: data.get(key)})


# ---------------------------------------------------------------- filters


class LocalDateField(forms.DateField):
    """A day as ``YYYY-MM-DD`` (and only so), in the server's local time."""

    input_formats = ["%Y-%m-%d"]
    default_error_messages = {"invalid": "须为 YYYY-MM-DD 格式的日期 / must be a date as YYYY-MM-DD"}


class LocalDateFilter(django_filters.DateFilter):
    field_class = LocalDateField


def day_start(day: dt.date) -> dt.datetime:
    """The first moment of ``day`` in the server's local time, held to the filters' instants."""
    return clamp_instant(timezone.make_aware(dt.datetime.combine(day, dt.time())))


def day_end(day: dt.date) -> dt.datetime:
    """The first moment after ``day`` (local time)."""
    return INSTANT_RANGE[1] if day >= dt.date(8999, 12, 31) else day_start(day + dt.timedelta(days=1))


class PatrolFilter(FilterSet):
    """The filters of the patrol list, for the API and the console."""

    area = django_filters.CharFilter(method="filter_area", max_length=32, label="area code (its whole subtree)")
    state = django_filters.ChoiceFilter(choices=PatrolState.choices, method="filter_state",
                                        label="running or ended")
    by = django_filters.CharFilter(method="filter_by", max_length=150, label="username of the patroller")
    started_after = LocalDateFilter(method="filter_started_after",
                                    label="started on or after this day (YYYY-MM-DD, local time)")
    started_before = LocalDateFilter(method="filter_started_before",
                                     label="started on or before this day (YYYY-MM-DD, local time)")

    class Meta:
        model = Patrol
        fields = ["area", "state", "by", "started_after", "started_before"]

    def filter_area(self, queryset, name, value):
        # any area by its code: the result is within the caller's reach anyway (an unknown code
        # or one elsewhere answers an empty list)
        area = Area.objects.filter(code=value.strip()).only("path").first()
        if area is None:
            return queryset.none()
        return queryset.filter(subtree_q(area.path, "area_path"))

    def filter_state(self, queryset, name, value):
        return queryset.state(value)

    def filter_by(self, queryset, name, value):
        return queryset.filter(by__username=value.strip())

    def filter_started_after(self, queryset, name, value):
        return queryset.filter(started_at__gte=day_start(value))

    def filter_started_before(self, queryset, name, value):
        return queryset.filter(started_at__lt=day_end(value))


# ---------------------------------------------------------------- views

_IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
    description="a retry with the same key (up to 100 characters, from the same caller) answers the patrol "
                "started the first time with 200 and starts nothing")


class PatrolViewSet(RestrictedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                    viewsets.GenericViewSet):
    """巡逻: list and read the patrols of the caller's area; the patroller starts one
    (``POST``), sends its track in batches (``POST {id}/points/``) and ends it
    (``POST {id}/finish/``)."""

    queryset = Patrol.objects.select_related("area", "by")
    serializer_class = PatrolSerializer
    filterset_class = PatrolFilter
    lookup_value_regex = r"[0-9]{1,18}"
    ordering_fields = ["started_at", "ended_at", "distance_m", "point_count", "id"]
    ordering = ["-started_at", "-id"]
    # the writes are the patroller's: "patrol" lets only the patrolling roles in (403 for the
    # others), and the action finds only the caller's own patrol (404 for anybody else's)
    access_actions = {"list": "view", "retrieve": "view", "create": "patrol", "points": "patrol",
                      "finish": "patrol"}
    http_method_names = ["get", "post", "head", "options"]

    def get_serializer_class(self):
        return PatrolListSerializer if self.action == "list" else PatrolSerializer

    def get_serializer_context(self):
        ctx = super().get_serializer_context()
        ctx["now"] = clock_now()
        return ctx

    @extend_schema(request=PatrolStartSerializer, responses={201: PatrolListSerializer, 200: PatrolListSerializer},
                   parameters=[_IDEMPOTENCY_KEY])
    def create(self, request, *args, **kwargs):
        """开始巡逻 in the caller's own area (a village, grid or micro-grid): 201 with the patrol.
        One patrol runs per person: 409 ``patrol_running`` while another runs (one the phone
        has gone quiet on is ended first). With an ``Idempotency-Key`` seen before, the patrol
        started the first time with 200."""
        same_sender(request)
        body = _body(request, START_BODY)
        patrol = actions.start_patrol(by=request.user, started_at=body.get("started_at"),
                                      idempotency_key=request.headers.get("Idempotency-Key", ""))
        data = PatrolListSerializer(patrol, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_200_OK if patrol.repeated else status.HTTP_201_CREATED)

    @extend_schema(request=PatrolPointsSerializer, responses=PointsAddedSerializer)
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def points(self, request, pk=None):
        """A batch of the track (the patroller's own patrol, running or ended): points it held
        already are counted as ``repeated``, points outside its time as ``refused``; the length
        is measured again from the whole track."""
        same_sender(request)
        body = _body(request, POINTS_BODY)
        done = actions.add_points(pk, by=request.user, points=body.get("points"))
        patrol = done["patrol"]
        return Response({"accepted": done["accepted"], "repeated": done["repeated"], "refused": done["refused"],
                         "point_count": patrol.point_count, "distance_m": patrol.distance_m})

    @extend_schema(request=PatrolFinishSerializer, responses=PatrolEndedSerializer)
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def finish(self, request, pk=None):
        """结束巡逻 with what was seen: the patrol, ``changed`` false when its patroller had
        ended it already (a retry; nothing written)."""
        same_sender(request)
        body = _body(request, FINISH_BODY)
        patrol = actions.finish_patrol(pk, by=request.user, note=body.get("note", ""), ended_at=body.get("ended_at"))
        return Response(PatrolEndedSerializer(patrol, context=self.get_serializer_context()).data)
