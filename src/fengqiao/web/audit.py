"""审计日志: the audit trail in the console, for auditors (the same records and filters as
``/api/v1/audit/``, read through ``restrict()``)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render

from fengqiao.core.audit_api import AuditFilter
from fengqiao.core.models import AuditRecord
from fengqiao.core.restrict import role_allowed

PAGE_SIZE = 50
FILTER_KEYS = ("action", "object_type", "object_id", "actor_username", "since", "until")


@login_required
def audit_trail(request):
    if not role_allowed(AuditRecord, request.user, "view"):
        raise PermissionDenied
    query = {k: request.GET[k].strip() for k in FILTER_KEYS if request.GET.get(k, "").strip()}
    records = AuditRecord.objects.restrict(request.user, "view").order_by("-id")
    filters = AuditFilter(query, queryset=records)
    errors = None
    if filters.is_valid():
        records = filters.qs
    else:
        errors = {k: " ".join(map(str, v)) for k, v in filters.errors.items()}
        records = records.none()
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/audit.html", {
        "page": page, "query": query, "querystring": urlencode(query), "errors": errors,
        "actions": AuditRecord.objects.restrict(request.user, "view").order_by("action")
        .values_list("action", flat=True).distinct()[:200],
    }, status=400 if errors else 200)
