"""Permission and pagination classes shared by every API view.

Kept apart from ``api.py`` because DRF reads these settings while importing its views.
"""

from __future__ import annotations

from rest_framework import exceptions, pagination, permissions

from .errors import UserError
from .restrict import role_allowed


class Pagination(pagination.PageNumberPagination):
    """``?page=N&page_size=M`` (max 500); answers ``{count, next, previous, results}``. A
    ``page_size`` that is not a whole number from 1 to 500 is a 400 (DRF would silently use the
    default size)."""

    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param, "").strip()
        if raw:
            if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= self.max_page_size:
                raise UserError("bad_page_size", f"每页条数须为 1 到 {self.max_page_size} 的整数",
                                f"page_size must be a whole number from 1 to {self.max_page_size}",
                                field=self.page_size_query_param)
            return int(raw)
        return self.page_size

    def paginate_queryset(self, queryset, request, view=None):
        raw = request.query_params.get(self.page_query_param, "").strip()
        if raw and raw != "last" and not (raw.isascii() and raw.isdigit() and 1 <= int(raw) < 10**9):
            raise UserError("bad_page", "页码须为正整数", "page must be a whole number from 1", field=self.page_query_param)
        try:
            return super().paginate_queryset(queryset, request, view)
        except exceptions.NotFound:  # DRF's "Invalid page": past the last page
            raise UserError("no_such_page", f"没有第 {raw} 页", f"there is no page {raw}", status=404,
                            field=self.page_query_param) from None

    def get_schema_operation_parameters(self, view):
        params = super().get_schema_operation_parameters(view)
        for param in params:
            if param["name"] == self.page_size_query_param:
                param["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
        return params


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
        method = request.method.lower()
        if method not in view.http_method_names or not hasattr(view, method):
            return True  # the view does not take this method: DRF answers 405, for every role alike
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


