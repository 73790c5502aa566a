"""Server time of the console's matter list (50 rows) on a demo database with 100,000 matters.

    python benchmarks/console_list.py [--matters 100000] [--requests 30] [--database-url URL]

Builds a fresh SQLite database under a temporary var directory (or uses --database-url),
loads the demo county, bulk-inserts matters spread over its villages, then requests
``/matters/`` through Django's test client (in-process: the time is the server's, without
network) for several users and filters, and records p50/p95 and the SQL query count.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--matters", type=int, default=100_000)
    ap.add_argument("--requests", type=int, default=30)
    ap.add_argument("--database-url", default="")
    ap.add_argument("--no-analyze", action="store_true",
                    help="skip ANALYZE after loading (shows the plans without statistics)")
    args = ap.parse_args()
    from benchmarks._matters import demo_database, insert_matters

    demo_database("fq-bench-list-", args.database_url)
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from benchmarks._report import write_section
    from fengqiao.accounts.models import User
    from fengqiao.events.models import Event

    t0 = time.perf_counter()
    insert_matters(args.matters)
    from fengqiao.core.maintenance import analyze_database

    if not args.no_analyze:
        analyze_database()  # what the worker's nightly job does; see docs/operations.md
    load_s = time.perf_counter() - t0
    total = Event.objects.count()

    cases = [
        ("county_op", {}), ("county_op", {"state": "dispatched"}), ("county_op", {"sla_color": "red", "sort": "due"}),
        ("county_op", {"q": "道路"}), ("town_haiyou", {}), ("town_haiyou", {"queue": "overdue"}),
        ("cadre_xinhu", {}),
    ]
    rows = []
    for username, params in cases:
        client = Client()
        client.force_login(User.objects.get(username=username))
        client.get("/matters/", params)  # warm up
        times = []
        queries = 0
        for _ in range(args.requests):
            reset_queries()
            with CaptureQueriesContext(connection) as ctx:
                start = time.perf_counter()
                resp = client.get("/matters/", params)
                times.append((time.perf_counter() - start) * 1000)
            assert resp.status_code == 200, resp.status_code
            queries = len(ctx.captured_queries)
        times.sort()
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        label = " ".join(f"{k}={v}" for k, v in params.items()) or "(no filter)"
        rows.append(f"| {username} | {label} | {statistics.median(times):.0f} | {p95:.0f} | {queries} |")
        print(rows[-1])
    engine = connection.vendor
    body = (
        f"Database: {engine}, {total:,} matters (inserted in {load_s:.0f} s), {args.requests} requests per row, "
        "server time measured in-process with Django's test client (no network).\n\n"
        "| user | filter | p50 ms | p95 ms | SQL queries |\n|---|---|---|---|---|\n" + "\n".join(rows)
    )
    if args.no_analyze:
        body = body.replace("server time measured", "no ANALYZE (no planner statistics), server time measured")
    write_section(f"console-list-{engine}{'-no-analyze' if args.no_analyze else ''}", f"Console: matter list, 50 rows ({engine})", body)


if __name__ == "__main__":
    main()
