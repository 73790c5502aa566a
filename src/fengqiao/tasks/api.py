"""``/api/v1/tasks/…``: top-down tasks and notices (统一发布) and each receiving unit's receipt
(签收、反馈), with the publisher's and the units' steps through the two transition tables.

Every read goes through ``restrict(user, action)``: a role that never reads tasks gets 403
before any query, a task or receipt outside the caller's jurisdiction does not exist for them
(404), anonymous 401. A task's detail lists only the receipts and timeline entries the caller
may read (``Receipt.objects.restrict``, ``TaskEntry.objects.restrict``): a receiving town sees
its own receipt and those below it, never another town's receipt or report; the progress
counts are counted over the same receipts. The writes parse the body, check the types of its
values (400 before the action runs) and call one action of :mod:`.actions`, whose refusals are
the API's bilingual error with their status (400, 403, 404, 409).
"""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile
from django.http import QueryDict
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from fengqiao.areas.models import Level
from fengqiao.core.bodies import TEXT, TEXT_OR_NULL, body_values
from fengqiao.core.errors import UserError
from fengqiao.core.filters import IntegerFilter
from fengqiao.core.inputs import MAX_TEXT
from fengqiao.core.permissions import RolePermission
from fengqiao.core.serializers import ModelSerializer
from fengqiao.core.uploads import file_response
from fengqiao.core.viewsets import RestrictedViewSetMixin
from fengqiao.events.sla import now as clock_now

from . import actions, filters, transitions
from .choices import Kind
from .models import RECIPIENT_LEVELS, Receipt, Task, TaskEntry, TaskFile

URL = "/api/v1/tasks/"
RECEIPTS_URL = f"{URL}receipts/"
#: the levels a sending may go to, in the area tree's order (a frozenset has none)
TO_LEVELS = [(level.value, level.label) for level in Level if level in RECIPIENT_LEVELS]
#: the roles that may take some step on a receipt (the units' and the publisher's); a leader reads
RECEIPT_STEP_ROLES = frozenset().union(*(t.roles for t in transitions.RECEIPT_TABLE.values()))


# ---------------------------------------------------------------- serializers


def _user(context):
    request = context.get("request")
    return request.user if request is not None else None


def _now(context):
    if "now" not in context:
        context["now"] = clock_now()
    return context["now"]


class TaskProgressSerializer(serializers.Serializer):
    """Where the receiving units stand: the receipts the caller may read (the publishing side:
    all of them) by state, and how many still owe something after the deadline."""

    total = serializers.IntegerField(help_text="the receipts counted (the publishing side: recipient_count)")
    pending = serializers.IntegerField(help_text="not acknowledged (待签收)")
    acknowledged = serializers.IntegerField(help_text="acknowledged, not reported (已签收)")
    reported = serializers.IntegerField(help_text="completion reported, awaiting the publisher (已反馈)")
    done = serializers.IntegerField(help_text="accepted as done (已完成)")
    overdue = serializers.IntegerField(help_text="still owing after the deadline while the task is published")


class TaskRefSerializer(ModelSerializer):
    """The task a receipt belongs to: what, from whom, by when (its full record is
    ``GET /api/v1/tasks/{id}/``)."""

    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    area = serializers.SlugRelatedField(slug_field="code", read_only=True,
                                        help_text="code of the publishing unit (area_name: its name)")
    area_name = serializers.CharField(source="area.name", read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Task
        fields = ["id", "number", "kind", "kind_label", "state", "state_label", "title", "area", "area_name",
                  "published_by_name", "published_at", "due_at", "url"]

    def get_url(self, task) -> str:
        return f"{URL}{task.pk}/"


class TaskListSerializer(TaskRefSerializer):
    """A task in a list: the reference with the receiving units' progress."""

    progress = serializers.SerializerMethodField()

    class Meta(TaskRefSerializer.Meta):
        fields = [*TaskRefSerializer.Meta.fields, "closed_at", "recipient_count", "progress"]

    @extend_schema_field(TaskProgressSerializer)
    def get_progress(self, task) -> dict:
        counts = self.context.setdefault("progress", {})
        if task.pk not in counts:
            counts.update(filters.progress(_user(self.context), [task.pk], _now(self.context)))
        return counts[task.pk]


class TaskEntrySerializer(ModelSerializer):
    """One line of the timeline: ``published``, the publisher's ``remind`` / ``close`` /
    ``withdraw``, the worker's ``overdue``, or one unit's step (``receipt`` and ``area`` set)."""

    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    area = serializers.CharField(source="receipt.area.code", read_only=True, allow_null=True, default=None,
                                 help_text="the receiving unit of a step on a receipt; null for the task's own")
    area_name = serializers.CharField(source="receipt.area.name", read_only=True, allow_null=True, default=None)
    data = serializers.SerializerMethodField()

    class Meta:
        model = TaskEntry
        fields = ["id", "at", "action", "actor", "actor_name", "from_state", "to_state", "text", "receipt", "area",
                  "area_name", "data"]

    @extend_schema_field({"type": "object", "additionalProperties": True})
    def get_data(self, entry) -> dict:
        return dict(entry.data) if isinstance(entry.data, dict) else {}


class TaskFileSerializer(ModelSerializer):
    """附件: a document of the task (the publisher's) or a photo or document of one unit's report;
    ``url`` streams it to whoever may read it (never a public address)."""

    url = serializers.SerializerMethodField()

    class Meta:
        model = TaskFile
        fields = ["id", "original_name", "content_type", "kind", "size", "sha256", "uploaded_by_name", "uploaded_at",
                  "url"]

    def get_url(self, f) -> str:
        return f"{URL}{f.task_id}/files/{f.pk}/"


class TaskReceiptSerializer(ModelSerializer):
    """One receiving unit's receipt as its task shows it: where it stands, who acknowledged and
    reported when, the report, how often it was sent back, and the steps the caller may take on
    it now (``transitions.RECEIPT_RULES``)."""

    area = serializers.SlugRelatedField(slug_field="code", read_only=True)
    area_name = serializers.CharField(source="area.name", read_only=True)
    area_level = serializers.CharField(source="area.level", read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    overdue = serializers.SerializerMethodField()
    late = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()
    files = TaskFileSerializer(many=True, read_only=True, help_text="the photos and documents of the unit's reports")
    url = serializers.SerializerMethodField()

    class Meta:
        model = Receipt
        fields = ["id", "area", "area_name", "area_level", "state", "state_label", "acknowledged_at",
                  "acknowledged_by_name", "reported_at", "reported_by_name", "report", "accepted_at", "returned_count",
                  "return_reason", "reminded_at", "overdue", "late", "actions", "files", "url"]

    def get_overdue(self, receipt) -> bool:
        """Still owes (acknowledgement, or a task's report) and the deadline has passed."""
        return receipt.overdue(_now(self.context))

    def get_late(self, receipt) -> bool:
        """Reported (a notice: acknowledged) after the deadline."""
        return receipt.late()

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(
        choices=list(transitions.RECEIPT_ACTIONS))))
    def get_actions(self, receipt) -> list[str]:
        user = _user(self.context)
        return transitions.RECEIPT_RULES.allowed_actions(receipt, user) if user is not None else []

    def get_url(self, receipt) -> str:
        return f"{RECEIPTS_URL}{receipt.pk}/"


class ReceiptListSerializer(TaskReceiptSerializer):
    """A receipt in the list: the unit's receipt with its task."""

    task = TaskRefSerializer(read_only=True)

    class Meta(TaskReceiptSerializer.Meta):
        fields = [*TaskReceiptSerializer.Meta.fields, "task"]


class ReceiptSerializer(ReceiptListSerializer):
    """One receipt with its task and its own timeline (this unit's steps and the publisher's
    answers to them)."""

    entries = serializers.SerializerMethodField()

    class Meta(ReceiptListSerializer.Meta):
        fields = [*ReceiptListSerializer.Meta.fields, "entries"]

    @extend_schema_field(TaskEntrySerializer(many=True))
    def get_entries(self, receipt):
        rows = (TaskEntry.objects.restrict(_user(self.context), "view").filter(receipt=receipt)
                .select_related("actor", "receipt__area"))
        return TaskEntrySerializer(rows, many=True, context=self.context).data


class TaskSerializer(TaskListSerializer):
    """One task: the list's fields with its content, how it ended, the receipts the caller may
    read (a receiving unit: its own and those below it), the timeline entries the caller may
    read, and the steps the caller may take on the task now (``transitions.TASK_RULES``)."""

    receipts = serializers.SerializerMethodField()
    entries = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()

    files = serializers.SerializerMethodField()

    class Meta(TaskListSerializer.Meta):
        fields = [*TaskListSerializer.Meta.fields, "body", "files", "closed_by_name", "close_note", "receipts",
                  "entries", "actions"]

    @extend_schema_field(TaskFileSerializer(many=True))
    def get_files(self, task):
        """The task's own documents (a unit's report photos are on its receipt)."""
        rows = TaskFile.objects.restrict(_user(self.context), "view").filter(task=task, receipt__isnull=True)
        return TaskFileSerializer(rows, many=True, context=self.context).data

    @extend_schema_field(TaskReceiptSerializer(many=True))
    def get_receipts(self, task):
        rows = list(Receipt.objects.restrict(_user(self.context), "view").filter(task=task).select_related("area")
                    .prefetch_related("files"))
        for row in rows:
            row.task = task
        return TaskReceiptSerializer(rows, many=True, context=self.context).data

    @extend_schema_field(TaskEntrySerializer(many=True))
    def get_entries(self, task):
        """The latest entries the caller may read (at most ``filters.TIMELINE_LIMIT``), oldest first."""
        rows = list(TaskEntry.objects.restrict(_user(self.context), "view").filter(task=task)
                    .select_related("actor", "receipt__area").order_by("-at", "-id")[:filters.TIMELINE_LIMIT])
        return TaskEntrySerializer(rows[::-1], many=True, context=self.context).data

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=list(transitions.TASK_ACTIONS))))
    def get_actions(self, task) -> list[str]:
        user = _user(self.context)
        return transitions.TASK_RULES.allowed_actions(task, user) if user is not None else []


# the bodies of the writes as the schema documents them; the views check the types of the values
# (400 before anything runs), the actions check the values themselves (bilingual 400 / 403 / 409)

_TEXT_HELP = ("close: an optional closing note; withdraw: why it is withdrawn (required); remind: an optional "
              "message to the units (else a standard one)")


class TaskPublishSerializer(serializers.Serializer):
    """The body of ``POST /api/v1/tasks/`` (统一发布)."""

    kind = serializers.ChoiceField(choices=Kind.choices, help_text="task: acknowledged, then reported on; "
                                   "notice: only acknowledged")
    title = serializers.CharField(max_length=actions.MAX_TITLE)
    body = serializers.CharField(required=False, allow_blank=True, max_length=actions.MAX_BODY)
    recipients = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, max_length=actions.MAX_RECIPIENTS,
        help_text="codes of the receiving towns, villages or grids below the caller's area; with to_level, the "
                  "areas under which every unit of that level receives it (none: the caller's own area)")
    to_level = serializers.ChoiceField(choices=TO_LEVELS, required=False, allow_null=True,
                                       help_text="send to every active unit of this level under the recipients")
    due_at = serializers.CharField(required=False, allow_null=True, allow_blank=True,
                                   help_text="deadline: a date (2026-12-31: the end of that day) or an ISO date-time, "
                                             "in the future and at most a year ahead; required for a task")
    files = serializers.ListField(
        child=serializers.FileField(), required=False, max_length=actions.MAX_FILES_PER_STEP,
        help_text="the task's documents (multipart/form-data, the field repeated); types and size as a matter's "
                  "attachments")


class TaskActSerializer(serializers.Serializer):
    """The body of ``POST /api/v1/tasks/{id}/act/``: the publisher's step on the task."""

    action = serializers.ChoiceField(choices=list(transitions.TASK_ACTIONS),
                                     help_text="; ".join(f"{t.action} ({t.zh})" for t in transitions.TASK_TABLE.values()))
    text = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=MAX_TEXT,
                                 trim_whitespace=False, help_text=_TEXT_HELP)


class ReceiptActSerializer(serializers.Serializer):
    """The body of ``POST /api/v1/tasks/receipts/{id}/act/``: a unit's step or the publisher's answer."""

    action = serializers.ChoiceField(
        choices=list(transitions.RECEIPT_ACTIONS),
        help_text="; ".join(f"{t.action} ({t.zh})" for t in transitions.RECEIPT_TABLE.values()))
    text = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=MAX_TEXT,
                                 trim_whitespace=False,
                                 help_text="report: what was done; return: why it is sent back (both required)")
    files = serializers.ListField(
        child=serializers.FileField(), required=False, max_length=actions.MAX_FILES_PER_STEP,
        help_text="report only: its photos or documents (multipart/form-data, the field repeated)")


# ---------------------------------------------------------------- bodies

CODES, FILES = "codes", "files"
PUBLISH_BODY = {"kind": TEXT, "title": TEXT, "body": TEXT, "recipients": CODES, "to_level": TEXT_OR_NULL, "files": FILES,
                "due_at": TEXT_OR_NULL}
ACT_BODY = {"action": TEXT, "text": TEXT_OR_NULL}
#: a unit's report may carry its photos and documents (multipart)
RECEIPT_ACT_BODY = {**ACT_BODY, "files": FILES}


def _codes(data, key):
    """A list of area codes as text (a form repeats the field)."""
    value = [v for v in data.getlist(key) if v != ""] if isinstance(data, QueryDict) else data.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UserError("invalid", f"{key} 应为区域代码(文本)的列表", f"{key} must be a list of area codes (text)",
                        field=key)
    return value


def _files(data, key):
    """Uploaded files (a multipart body repeats the field); anything else is no file."""
    value = data.getlist(key) if isinstance(data, QueryDict) else data.get(key)
    if not isinstance(value, list) or not all(isinstance(v, UploadedFile) for v in value):
        raise UserError("invalid", f"{key} 应为上传的文件(multipart/form-data)",
                        f"{key} must be uploaded files (multipart/form-data)", field=key)
    return value


def _body(request, spec: dict[str, str]) -> dict:
    """The body's values named in ``spec`` (``core.bodies``), the recipients a list of texts,
    the files uploaded files: anything else is a 400 before the action runs."""
    return body_values(request, spec, {CODES: _codes, FILES: _files})


def _step(request, spec=ACT_BODY) -> tuple[str, str, list]:
    """(action, text, files) of an ``act`` body; the action itself refuses an unknown name,
    missing text or files where they do not belong."""
    body = _body(request, spec)
    name = body.get("action") or ""
    if not name:
        raise UserError("action_required", "请指定操作", "the action is required", field="action")
    return name, body.get("text") or "", body.get("files") or []


# ---------------------------------------------------------------- filters


class ReceiptApiFilter(filters.ReceiptFilter):
    """The receipts' filters, and ``task`` (its id: an id outside the caller's jurisdiction or
    that does not exist gives the same empty list)."""

    task = IntegerFilter(field_name="task_id", min_value=1, max_value=2**63 - 1, label="the task's id")

    class Meta(filters.ReceiptFilter.Meta):
        fields = [*filters.ReceiptFilter.Meta.fields, "task"]


# ---------------------------------------------------------------- views


class TaskViewSet(RestrictedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                  viewsets.GenericViewSet):
    """统一发布: list and read the tasks and notices of the caller's area (published in it or
    received by a unit in it); publish (``POST``); the publisher's remind, close and withdraw
    (``POST {id}/act/``)."""

    queryset = Task.objects.select_related("area")
    serializer_class = TaskSerializer
    filterset_class = filters.TaskFilter
    lookup_value_regex = r"[0-9]{1,18}"
    ordering_fields = ["published_at", "due_at", "number", "id"]
    ordering = ["-published_at", "-id"]
    # every step on a task is the publisher's (transitions.TASK_TABLE): other roles 403 before any query
    access_actions = {"list": "view", "retrieve": "view", "create": "publish", "act": "publish", "file": "view"}
    http_method_names = ["get", "post", "head", "options"]

    def get_serializer_class(self):
        return TaskListSerializer if self.action == "list" else TaskSerializer

    def filter_queryset(self, queryset):
        # the filters narrow the list; one task is found by its id whatever the query string says
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def get_serializer_context(self):
        ctx = super().get_serializer_context()
        ctx["now"] = clock_now()
        return ctx

    def list(self, request, *args, **kwargs):
        rows = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        ctx = self.get_serializer_context()
        ctx["progress"] = filters.progress(request.user, [t.pk for t in rows], ctx["now"])
        return self.get_paginated_response(TaskListSerializer(rows, many=True, context=ctx).data)

    def _detail(self, pk: int) -> dict:
        return TaskSerializer(self.get_queryset().get(pk=pk), context=self.get_serializer_context()).data

    @extend_schema(request=TaskPublishSerializer, responses={201: TaskSerializer})
    def create(self, request, *args, **kwargs):
        """统一发布: 403 for a role that does not publish; 400 for a missing or bad value (a
        recipient outside the caller's area, a task without a deadline …)."""
        body = {"kind": "", "title": "", **_body(request, PUBLISH_BODY)}
        task = actions.publish_task(by=request.user, kind=body["kind"], title=body["title"], body=body.get("body", ""),
                                    recipients=body.get("recipients", []), to_level=body.get("to_level"),
                                    due_at=body.get("due_at"), files=body.get("files", []))
        return Response(self._detail(task.pk), status=status.HTTP_201_CREATED)

    @extend_schema(request=TaskActSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def act(self, request, pk=None):
        """The publisher's step: remind (催办), close (结束), withdraw (撤回, with a reason). 400
        for an unknown action or missing text, 409 when the task's state or the caller's relation
        to it does not allow the step (a receiving town: not_in_charge), or it was reminded within
        the last half hour."""
        task = self.get_object()
        name, text, _files = _step(request)
        actions.act_on_task(task, name, by=request.user, text=text)
        return Response(self._detail(task.pk))

    @extend_schema(parameters=[OpenApiParameter("file_id", int, OpenApiParameter.PATH)],
                   responses={(200, "*/*"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path=r"files/(?P<file_id>[0-9]{1,18})", url_name="file",
            filter_backends=[], pagination_class=None)
    def file(self, request, pk=None, file_id=None):
        """One file of the task or of a receipt, to whoever may read it (404 otherwise); photos and
        PDFs inline, other types as downloads, sandboxed (ADR 0111)."""
        task = self.get_object()
        f = TaskFile.objects.restrict(request.user, "view").filter(task=task, pk=int(file_id)).first()
        if f is None:
            raise UserError("not_found", "附件不存在或不在您的管辖范围内", "file not found or outside your jurisdiction",
                            status=404)
        return file_response(f.file, f.content_type, f.original_name)


class _MayTakeReceiptSteps(permissions.BasePermission):
    """A step on a receipt: only a role the receipt table lets take some step (a leader reads)."""

    def has_permission(self, request, view) -> bool:
        return view.action != "act" or getattr(request.user, "role", None) in RECEIPT_STEP_ROLES


class ReceiptViewSet(RestrictedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                     viewsets.GenericViewSet):
    """签收单: the receipts the caller may read (their own unit's and those below it, and every
    receipt of the tasks their area published); a unit's acknowledge and report, the publisher's
    accept and send back (``POST {id}/act/``)."""

    queryset = Receipt.objects.select_related("area", "task", "task__area")
    serializer_class = ReceiptSerializer
    filterset_class = ReceiptApiFilter
    permission_classes = [RolePermission, _MayTakeReceiptSteps]
    lookup_value_regex = r"[0-9]{1,18}"
    ordering_fields = ["area_path", "acknowledged_at", "reported_at", "id"]
    ordering = ["-task__published_at", "-task_id", "area_path", "id"]
    access_actions = {"list": "view", "retrieve": "view", "act": "view"}
    http_method_names = ["get", "post", "head", "options"]

    def get_serializer_class(self):
        return ReceiptListSerializer if self.action == "list" else ReceiptSerializer

    def filter_queryset(self, queryset):
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def get_serializer_context(self):
        ctx = super().get_serializer_context()
        ctx["now"] = clock_now()
        return ctx

    @extend_schema(request=ReceiptActSerializer, responses=ReceiptSerializer)
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def act(self, request, pk=None):
        """A step on the receipt: acknowledge (签收) and report (反馈, with what was done) by the
        receiving unit itself; accept (确认完成) and return (退回重办, with a reason) by the
        publisher. 400 for an unknown action or missing text, 409 when the receipt's state, the
        task's state or the caller's relation to the receipt does not allow the step."""
        receipt = self.get_object()
        name, text, files = _step(request, RECEIPT_ACT_BODY)
        actions.act_on_receipt(receipt, name, by=request.user, text=text, files=files)
        fresh = self.get_queryset().get(pk=receipt.pk)
        return Response(ReceiptSerializer(fresh, context=self.get_serializer_context()).data)
