"""Base API views: every queryset goes through ``restrict(request.user, action)``."""

from __future__ import annotations

from rest_framework import viewsets

from .permissions import access_action


class RestrictedViewSetMixin:
    """Subclasses set ``queryset`` (unrestricted); ``get_queryset`` narrows it to the caller."""

    def get_queryset(self):
        qs = super().get_queryset()
        return qs.restrict(self.request.user, access_action(self.request, self))


class RestrictedReadOnlyViewSet(RestrictedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass
