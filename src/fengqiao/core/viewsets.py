"""Base API views: every queryset goes through ``restrict(request.user, action)``."""

from __future__ import annotations

from rest_framework import viewsets
from rest_framework.response import Response

from . import audit
from .permissions import access_action
from .personal import holds_number


def wants_unmask(request) -> bool:
    """``?unmask=1`` (or ``true``/``yes``) from a user whose role may see personal data; else
    personal data stay masked. Works on Django's and DRF's requests."""
    if request is None:
        return False
    flag = (request.GET.get("unmask") or "").lower() in {"1", "true", "yes"}
    return bool(flag and getattr(request.user, "can_unmask", False))


class RestrictedViewSetMixin:
    """Subclasses set ``queryset`` (unrestricted); ``get_queryset`` narrows it to the caller."""

    def get_queryset(self):
        qs = super().get_queryset()
        return qs.restrict(self.request.user, access_action(self.request, self))


class RestrictedReadOnlyViewSet(RestrictedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class UnmaskAuditedMixin:
    """List and detail views of rows with personal data: the serializer context says whether
    to unmask (:func:`wants_unmask`), and every unmasked read writes ``view_personal`` naming
    the rows shown that hold any of ``personal_fields`` (``audit.record_personal_view``)."""

    personal_fields: tuple[str, ...] = ()
    #: free text whose phone and ID numbers are masked like the personal fields (a row whose
    #: free text holds one counts as personal when shown unmasked)
    free_text_fields: tuple[str, ...] = ()
    #: the reads that unmask on request, each audited below; every other answer (to a write,
    #: for one) stays masked whatever the query string asks
    unmasking_actions = frozenset({"list", "retrieve"})

    def get_serializer_context(self):
        ctx = super().get_serializer_context()
        ctx["unmask"] = self.action in self.unmasking_actions and wants_unmask(self.request)
        return ctx

    def audit_unmask(self, rows) -> None:
        if wants_unmask(self.request):
            personal, free = self.personal_fields, self.free_text_fields
            audit.record_personal_view(
                rows, (*personal, *free),
                lambda row: any(getattr(row, f) for f in personal) or any(holds_number(getattr(row, f)) for f in free))

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        self.audit_unmask(page)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        row = self.get_object()
        self.audit_unmask([row])
        return Response(self.get_serializer(row).data)
