"""Operational endpoints."""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

_migrated: dict[str, bool] = {}


@never_cache
def healthz(request):
    """200 when the database answers and every migration is applied; 503 otherwise."""
    checks: dict[str, str] = {}
    ok = True
    try:
        conn = connections[DEFAULT_DB_ALIAS]
        with conn.cursor() as cur:
            cur.execute("SELECT 1")
        checks["database"] = "ok"
        if not _migrated.get(conn.alias):
            # reading every migration file is slow: once all are applied, this process
            # (whose code cannot change under it) does not look again
            executor = MigrationExecutor(conn)
            pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
            _migrated[conn.alias] = not pending
            checks["migrations"] = "ok" if not pending else f"{len(pending)} pending"
            ok = not pending
        else:
            checks["migrations"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {exc.__class__.__name__}"
        ok = False
    return JsonResponse({"status": "ok" if ok else "error", "checks": checks}, status=200 if ok else 503)
