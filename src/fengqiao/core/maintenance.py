"""Database housekeeping that keeps query plans good as tables grow.

SQLite only picks the right index for the console's lists (e.g. newest-first within a
jurisdiction) once it has statistics; ``benchmarks/console_list.py --no-analyze`` shows the
difference on a 100,000-matter list page. PostgreSQL's autovacuum keeps its own
statistics, so there this is a plain ``ANALYZE`` that is cheap to repeat.
"""

from __future__ import annotations

import logging
import time

from django.db import connection

log = logging.getLogger(__name__)


def analyze_database() -> float:
    """Refresh the planner's statistics; returns the seconds it took."""
    start = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
        if connection.vendor == "sqlite":
            cur.execute("PRAGMA optimize")
    took = time.perf_counter() - start
    log.info("database statistics refreshed", extra={"seconds": round(took, 3), "vendor": connection.vendor})
    return took
