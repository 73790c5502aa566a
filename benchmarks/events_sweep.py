"""Time-limit sweep over one million open matters on PostgreSQL.

Creates a fresh database, migrates, loads the demo county, inserts ``--rows`` open matters with
one set-based ``INSERT … SELECT generate_series`` (clocks spread so that about 5 % have just
passed their 75 % warning and 1 % their due time), then times one sweep (colour changes plus
escalation of the newly overdue ones with timeline entries and notifications) and a second,
idempotent one. Writes the figures to docs/benchmarks.md.

    python benchmarks/events_sweep.py --database-url postgres://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._report import fresh_postgres, write_section
from benchmarks.events_intake import FENGQIAO, ROOT, run


def insert_sql(table: str, fields, rows: int, now_sql: str) -> str:
    """``INSERT … SELECT`` with a value expression for every NOT NULL column."""
    special = {
        "number": "'B' || g",
        "channel": "CASE WHEN g % 3 = 0 THEN 'police_110' ELSE 'hotline_12345' END",
        "channel_ref": "'BENCH-' || g",
        "title": "'小区门口夜间烧烤噪音扰民'",
        "content": "'心湖社区门口烧烤摊每晚营业到凌晨,噪音大。'",
        "state": "(ARRAY['dispatched','signed','in_progress'])[1 + g % 3]",
        "area_path": "(SELECT paths FROM p)[1 + g % 40]",
        "area_id": "(SELECT ids FROM p)[1 + g % 40]",
        "handling_path": "(SELECT paths FROM p)[1 + g % 40]",
        "handling_area_id": "(SELECT ids FROM p)[1 + g % 40]",
        "received_at": f"{now_sql} - interval '3 days'",
        "updated_at": f"{now_sql} - interval '1 day'",
        "dispatched_at": f"{now_sql} - interval '3 days'",
        "sla_color": "CASE WHEN g % 100 BETWEEN 1 AND 5 THEN 'green' WHEN g % 100 = 0 THEN 'yellow' ELSE 'green' END",
        # 1 % overdue just now, 5 % past their warning, the rest comfortably inside the limit.
        "sla_warn_at": (f"CASE WHEN g % 100 = 0 THEN {now_sql} - interval '2 hours' "
                        f"WHEN g % 100 BETWEEN 1 AND 5 THEN {now_sql} - interval '30 seconds' "
                        f"ELSE {now_sql} + (g % 1000) * interval '1 minute' + interval '1 hour' END"),
        "sla_due_at": (f"CASE WHEN g % 100 = 0 THEN {now_sql} - interval '30 seconds' "
                       f"ELSE {now_sql} + (g % 1000) * interval '1 minute' + interval '1 day' END"),
        "handle_due_at": f"{now_sql} + interval '2 days'",
        "sign_due_at": f"{now_sql} - interval '2 days'",
        "handle_unit": "'working_days'",
        "handle_limit": "5",
    }
    cols, exprs = [], []
    for f in fields:
        if f.primary_key:
            continue
        col = f.column
        if col in special:
            cols.append(col)
            exprs.append(special[col])
            continue
        if f.null:
            continue
        default = f.get_default()
        if isinstance(default, bool):
            expr = "true" if default else "false"
        elif isinstance(default, (int, float)):
            expr = str(default)
        elif isinstance(default, dict):
            expr = "'{}'::jsonb"
        elif isinstance(default, str):
            expr = "''"
        else:
            expr = now_sql
        cols.append(col)
        exprs.append(expr)
    return ("WITH p AS (SELECT array_agg(id ORDER BY id) AS ids, array_agg(path ORDER BY id) AS paths FROM "
            "(SELECT id, path FROM areas_area WHERE level IN ('town','village') ORDER BY id LIMIT 40) a) "
            f"INSERT INTO {table} ({', '.join(cols)}) SELECT {', '.join(exprs)} FROM generate_series(1, {rows}) g")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", required=True, help="PostgreSQL server URL (a fresh database is created)")
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()
    url = fresh_postgres(args.database_url, "fengqiao_bench_sweep")
    tmp = tempfile.mkdtemp(prefix="fq-sweep-")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "fengqiao.settings.dev", "FENGQIAO_VAR_DIR": tmp,
           "DATABASE_URL": url, "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT / "src")}
    run([*FENGQIAO, "migrate", "--no-input"], env)
    run([*FENGQIAO, "demo", "load"], env)
    os.environ.update({k: env[k] for k in ("DJANGO_SETTINGS_MODULE", "FENGQIAO_VAR_DIR", "DATABASE_URL", "LOG_LEVEL")})
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from fengqiao.events.models import Event, TimelineEntry
    from fengqiao.events.sweep import colour, escalate_pending, sweep

    now = timezone.now()
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(insert_sql(Event._meta.db_table, Event._meta.concrete_fields, args.rows, "%s::timestamptz")
                    .replace("%s::timestamptz", "'" + now.isoformat() + "'::timestamptz"))
        cur.execute(f"ANALYZE {Event._meta.db_table}")
    insert_s = time.perf_counter() - t0
    open_n = Event.objects.open().count()
    print(f"inserted {args.rows} open matters in {insert_s:.1f} s ({open_n} open)")
    t0 = time.perf_counter()
    yellow, red = colour(now)
    colour_s = time.perf_counter() - t0
    escalated = escalate_pending(now)
    first_s = time.perf_counter() - t0
    first = {"yellow": yellow, "red": red, "escalated": escalated}
    print(f"colours {colour_s:.2f} s, escalation {first_s - colour_s:.2f} s")
    t0 = time.perf_counter()
    second = sweep(now)
    second_s = time.perf_counter() - t0
    connection.close()  # a backend reports its table statistics when it ends
    time.sleep(1.0)
    with connection.cursor() as cur:
        cur.execute("SHOW shared_buffers")
        shared_buffers = cur.fetchone()[0]
        cur.execute("SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = %s",
                    [Event._meta.db_table])
        updated, hot = cur.fetchone()
    entries = TimelineEntry.objects.filter(action="escalate", actor__isnull=True).count()
    print(f"sweep 1: {first} in {first_s:.2f} s; sweep 2: {second} in {second_s:.2f} s; {entries} timeline entries")
    body = (
        f"PostgreSQL {connection.pg_version // 10000}, {open_n:,} open matters inserted with one "
        f"`INSERT … SELECT generate_series` ({insert_s:.0f} s). Clocks are spread so that about 5 % have just passed "
        "75 % of their limit and 1 % their due time. One sweep = two set-based conditional UPDATEs (yellow, red) "
        "plus escalation of the newly overdue rows (claimed in batches of 2,000 with `FOR UPDATE SKIP LOCKED`, one "
        "timeline entry each, one audit record and one digest notification per supervising centre). "
        "Target: < 10 s.\n\n"
        "| sweep | turned yellow | turned red | escalated | seconds |\n|---|---|---|---|---|\n"
        f"| first | {first['yellow']:,} | {first['red']:,} | {first['escalated']:,} | {first_s:.2f} |\n"
        f"| second (idempotent) | {second['yellow']:,} | {second['red']:,} | {second['escalated']:,} | {second_s:.2f} |"
        f"\n\nFirst sweep: colours {colour_s:.2f} s, escalation {first_s - colour_s:.2f} s (shared_buffers "
        f"{shared_buffers}). The sweep writes no indexed column and the table keeps a fifth of each page free "
        f"(ADR 0012): {hot:,} of the {updated:,} row updates were HOT (no index entry written)."
    )
    write_section("events_sweep", "Matters: time-limit sweep over 1M open matters", body)
    subprocess.run(["rm", "-rf", tmp], check=False)


if __name__ == "__main__":
    main()
