"""Permission and pagination classes shared by every API view.

Kept apart from ``api.py`` because DRF reads these settings while importing its views.
"""

from __future__ import annotations

from rest_framework import exceptions, pagination, permissions

from .restrict import role_allowed


class Pagination(pagination.PageNumberPagination):
    """``?page=N&page_size=M`` (max 500); answers ``{count, next, previous, results}``."""

    page_size_query_param = "page_size"
    max_page_size = 500


class RolePermission(permissions.BasePermission):
    """The caller must be signed in and its role allowed for the view's action on its model.

    Views name the model (``queryset.model`` or ``access_model``) and optionally map DRF
    actions to access actions via ``access_actions`` (default: reads → ``view``, writes →
    ``change``). Jurisdiction is applied afterwards by ``restrict()``; outside it → 404.
    """

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            raise exceptions.NotAuthenticated()
        model = getattr(view, "access_model", None)
        if model is None:
            qs = getattr(view, "queryset", None)
            model = qs.model if qs is not None else None
        if model is None:
            return True
        action = access_action(request, view)
        return role_allowed(model, user, action)


def access_action(request, view) -> str:
    mapping = getattr(view, "access_actions", {})
    drf_action = getattr(view, "action", None)
    if drf_action in mapping:
        return mapping[drf_action]
    return "view" if request.method in permissions.SAFE_METHODS else "change"


