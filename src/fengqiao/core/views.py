"""Operational endpoints."""

from __future__ import annotations

import os

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from .heartbeat import worker_state

_migrated: dict[str, bool] = {}


@never_cache
def healthz(request):
    """200 when the database answers, takes writes and every migration is applied; 503
    otherwise. A database that answers but cannot be written (an SQLite file or folder mounted
    read-only, a PostgreSQL standby) refuses every intake and every background job.

    ``checks.worker`` says whether the background worker beats (``ok``, ``not seen``, ``stale:
    last seen N min ago``). It does not make the web unhealthy, as a load balancer would then take
    working web servers away; ``?worker=1`` counts it too, for a monitor of the worker."""
    checks: dict[str, str] = {}
    ok = True
    with_worker = request.GET.get("worker") == "1"
    try:
        conn = connections[DEFAULT_DB_ALIAS]
        with conn.cursor() as cur:
            cur.execute("SELECT 1")
            writable = _writable(conn, cur)
        checks["database"] = "ok" if writable else "read-only"
        ok = writable
        if not _migrated.get(conn.alias):
            # reading every migration file is slow: once all are applied, this process
            # (whose code cannot change under it) does not look again
            executor = MigrationExecutor(conn)
            pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
            _migrated[conn.alias] = not pending
            checks["migrations"] = "ok" if not pending else f"{len(pending)} pending"
            ok = ok and not pending
        else:
            checks["migrations"] = "ok"
        if checks["migrations"] == "ok":  # the beats' table may be one of those pending
            worker = worker_state()
            checks["worker"] = worker.label()
            ok = ok and (worker.status == "ok" or not with_worker)
        elif with_worker:
            checks["worker"] = "unknown"
    except Exception as exc:
        checks["database"] = f"error: {exc.__class__.__name__}"
        ok = False
    return JsonResponse({"status": "ok" if ok else "error", "checks": checks}, status=200 if ok else 503)


def _writable(conn, cur) -> bool:
    """Whether the database takes writes: the SQLite file and its folder (the journal lives
    there) are writable, or the PostgreSQL session is not read-only."""
    if conn.vendor == "sqlite":
        name = str(conn.settings_dict["NAME"])
        if name == ":memory:" or name.startswith("file:"):
            return True
        return os.access(name, os.W_OK) and os.access(os.path.dirname(os.path.abspath(name)), os.W_OK)
    if conn.vendor == "postgresql":
        cur.execute("SHOW transaction_read_only")
        return cur.fetchone()[0] != "on"
    return True


#: What ``GET /api/v1/`` lists: (key, URL name) of every collection and entry point.
API_INDEX = (
    ("me", "v1:me"),
    ("events", "v1:event-list"),
    ("categories", "v1:category-list"),
    ("notifications", "v1:notification-list"),
    ("areas", "v1:area-list"),
    ("departments", "v1:department-list"),
    ("audit", "v1:audit-list"),
    ("triage_suggest", "triage-suggest"),
    ("mediation", "api-root"),
    ("alerts", "alert-list"),
    ("key_persons", "key-person-list"),
    ("check_points", "check-point-list"),
    ("rental_houses", "rental-house-list"),
    ("residents", "resident-list"),
    ("patrols", "patrol-list"),
    ("tasks", "task-list"),
    ("open311_services", ("open311-services", {"fmt": "json"})),
    ("schema", "schema"),
    ("docs", "api-docs"),
)


@extend_schema(exclude=True)
class ApiRoot(APIView):
    """The API's index: every collection and entry point with its address (the routers'
    own index pages each listed only their part)."""

    def get(self, request):
        out = {}
        for key, name in API_INDEX:
            name, kwargs = name if isinstance(name, tuple) else (name, {})
            out[key] = request.build_absolute_uri(reverse(name, kwargs=kwargs))
        return Response(out)
