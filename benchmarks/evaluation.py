"""Server time of the evaluation (考评) on a demo database with 100,000 matters.

    python benchmarks/evaluation.py [--matters 100000] [--requests 10] [--database-url URL]

Builds a fresh SQLite database under a temporary var directory (or uses --database-url),
loads the demo county, bulk-inserts a year of matters with their sign-for, resolution and
feedback times and some returns (``benchmarks/_matters.py``), then, for a county operator, a
leader and a town operator, times the indicator computation (``evaluation.query.evaluate``) for
the last full month and for yesterday, the ``/evaluation/`` page and the Excel export through
Django's test client (in-process: the server's time, no network), with the SQL query count.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))


def _timed(fn, repeats: int) -> tuple[float, float, int]:
    """p50 and p95 in ms of ``repeats`` calls of ``fn`` (after one warm-up), and the SQL
    queries of the last call."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fn()
    times, queries = [], 0
    for _ in range(repeats):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            fn()
            times.append((time.perf_counter() - start) * 1000)
        queries = len(ctx.captured_queries)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))], queries


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--matters", type=int, default=100_000)
    ap.add_argument("--requests", type=int, default=10)
    ap.add_argument("--database-url", default="")
    args = ap.parse_args()
    from benchmarks._matters import demo_database, insert_matters

    demo_database("fq-bench-eval-", args.database_url)
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from benchmarks._report import write_section
    from fengqiao.accounts.models import User
    from fengqiao.core.maintenance import analyze_database
    from fengqiao.evaluation import query
    from fengqiao.evaluation.periods import parse_period
    from fengqiao.events.models import Event

    t0 = time.perf_counter()
    insert_matters(args.matters, lifecycle=True)
    analyze_database()
    load_s = time.perf_counter() - t0
    total = Event.objects.count()

    today = timezone.localdate()
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    rows = []
    for username in ("county_op", "leader", "town_haiyou"):
        user = User.objects.get(username=username)
        client = Client()
        client.force_login(user)
        cases = [
            (f"evaluate() {last_month}", lambda u=user: query.evaluate(u, parse_period(last_month, today))),
            (f"evaluate() {yesterday}", lambda u=user: query.evaluate(u, parse_period(yesterday, today))),
            (f"page {last_month}", lambda c=client: _ok(c.get("/evaluation/", {"period": last_month}))),
            (f"Excel {last_month}", lambda c=client: _ok(c.get("/evaluation/export.xlsx", {"period": last_month}))),
        ]
        for label, fn in cases:
            p50, p95, queries = _timed(fn, args.requests)
            rows.append(f"| {username} | {label} | {p50:.0f} | {p95:.0f} | {queries} |")
            print(rows[-1], flush=True)
    engine = connection.vendor
    body = (
        f"Database: {engine}, {total:,} matters over the past year (inserted in {load_s:.0f} s), "
        f"{args.requests} runs per row after one warm-up; server time measured in-process "
        "(Django's test client for the page and the export, no network).\n\n"
        "| user | what | p50 ms | p95 ms | SQL queries |\n|---|---|---|---|---|\n" + "\n".join(rows)
    )
    write_section(f"evaluation-{engine}", f"Evaluation (考评): indicators, page and export ({engine})", body)


def _ok(resp):
    assert resp.status_code == 200, resp.status_code
    return resp


if __name__ == "__main__":
    main()
