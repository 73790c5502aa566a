"""``/api/v1/audit/``: the audit trail, for auditors only (read-only)."""

from __future__ import annotations

from .filters import FilterSet, InstantFilter
from .models import AuditRecord
from .serializers import ModelSerializer
from .viewsets import RestrictedReadOnlyViewSet


class AuditRecordSerializer(ModelSerializer):
    class Meta:
        model = AuditRecord
        fields = ["id", "seq", "at", "actor_id", "actor_username", "action", "object_type", "object_id", "object_repr",
                  "before", "after", "ip", "request_id", "channel", "prev_hash", "hash"]


class AuditFilter(FilterSet):
    since = InstantFilter(field_name="at", lookup_expr="gte")
    until = InstantFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = AuditRecord
        fields = ["action", "object_type", "object_id", "actor_username", "since", "until"]


class AuditRecordViewSet(RestrictedReadOnlyViewSet):
    queryset = AuditRecord.objects.all()
    serializer_class = AuditRecordSerializer
    filterset_class = AuditFilter
    ordering = ["-id"]
