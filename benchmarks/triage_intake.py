"""Intake with triage on, in-process: ``create_event`` then its triage (``on_intake``) for real messages.

For each backend (a fresh SQLite database, and PostgreSQL with ``--database-url``) a worker
process migrates, loads the demo county, seeds the triage rules, then takes in ``--count``
messages of ``tipdm2020_hot_messages.csv`` (title + body; a demo place name is prepended so the
gazetteer and routing have something to find, the messages themselves name pseudonymised
districts) one after another, timing intake and triage separately. It reports matters/s with
triage on, the intake-only cost, and p50/p99 of the triage cost (classify, place, route,
repeats), and writes them to docs/benchmarks.md (section ``triage-intake``).

    python benchmarks/triage_intake.py [--count 500] [--database-url postgres://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._report import SHARED_DATA, fresh_postgres, write_section

ROOT = Path(__file__).resolve().parent.parent
HOT = SHARED_DATA / "tipdm2020_hot_messages.csv"
PLACES = ["海游街道心湖社区", "海游街道", "健跳镇", "城西村", "海润街道", "沙柳街道"]


def percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    if not s:
        return 0.0
    k = min(len(s) - 1, max(0, round(q / 100 * (len(s) - 1))))
    return s[k]


def worker(count: int) -> dict:
    import django

    django.setup()
    from django.core.management import call_command

    from fengqiao.accounts.models import User
    from fengqiao.demo.loader import load_demo
    from fengqiao.events.actions import create_event
    from fengqiao.triage import actions, service

    call_command("migrate", verbosity=0)
    load_demo()
    actions.seed_rules()
    by = User.objects.select_related("area").get(username="county_op")
    with open(HOT, encoding="utf-8-sig", newline="") as fh:
        rows = [r for _i, r in zip(range(count), csv.DictReader(fh), strict=False)]
    # warm the per-process caches (jieba, automata, STRtree) outside the measured loop
    ev, _ = create_event(by=by, channel="hotline_12345", title="预热", content="海游街道心湖社区预热", channel_ref="warm",
                         triage=False)
    service.on_intake(ev)
    intake, triage, parts = [], [], {"classify": [], "place": [], "route": [], "duplicates": []}
    errors = 0
    n_dups = 0
    started = time.perf_counter()
    for i, r in enumerate(rows):
        place = PLACES[i % len(PLACES)]
        t0 = time.perf_counter()
        ev, _created = create_event(by=by, channel="hotline_12345", title=(r["title"] or "无标题")[:200],
                                    content=f"{place}{r['body'] or r['title']}", address=place,
                                    channel_ref=f"hot-{r['id']}", triage=False)
        t1 = time.perf_counter()
        # what create_event runs after its transaction when triage is on, timed on its own
        res = service.on_intake(ev)
        t2 = time.perf_counter()
        intake.append((t1 - t0) * 1000)
        triage.append((t2 - t1) * 1000)
        if res is None or res.error:
            errors += 1
        else:
            n_dups += bool(res.duplicates)
            for k in parts:
                parts[k].append(res.timings.get(k, 0.0))
    wall = time.perf_counter() - started
    from django.db import connection

    return {
        "backend": "PostgreSQL" if connection.vendor == "postgresql" else "SQLite (WAL)",
        "n": len(rows), "errors": errors, "with_repeats": n_dups, "rate": len(rows) / wall,
        "intake_p50": percentile(intake, 50), "intake_p99": percentile(intake, 99),
        "triage_p50": percentile(triage, 50), "triage_p99": percentile(triage, 99),
        "parts": {k: (percentile(v, 50), percentile(v, 99)) for k, v in parts.items()},
    }




def run_backend(count: int, database_url: str | None) -> dict:
    with tempfile.TemporaryDirectory(prefix="fq-bench-triage-") as tmp:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "fengqiao.settings.dev", "FENGQIAO_VAR_DIR": tmp,
               "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT / "src")}
        env.pop("DATABASE_URL", None)
        if database_url:
            env["DATABASE_URL"] = fresh_postgres(database_url, "fengqiao_bench_triage")
        out = subprocess.run([sys.executable, __file__, "--worker", "--count", str(count)], env=env, cwd=ROOT,
                             capture_output=True, text=True, check=False)
        if out.returncode != 0:
            raise SystemExit(f"worker failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
        return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=500)
    ap.add_argument("--database-url", default="")
    ap.add_argument("--no-sqlite", action="store_true")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if not HOT.is_file():
        print(f"skipped: {HOT} not found")
        return
    if args.worker:
        print(json.dumps(worker(args.count)))
        return
    results = []
    if not args.no_sqlite:
        results.append(run_backend(args.count, None))
    if args.database_url:
        results.append(run_backend(args.count, args.database_url))
    rows = "\n".join(
        f"| {r['backend']} | {r['n']} | {r['errors']} | {r['rate']:.0f} | {r['intake_p50']:.1f} / {r['intake_p99']:.1f} "
        f"| {r['triage_p50']:.1f} / {r['triage_p99']:.1f} | "
        + " | ".join(f"{r['parts'][k][0]:.1f} / {r['parts'][k][1]:.1f}" for k in ("classify", "place", "route",
                                                                               "duplicates"))
        + f" | {r['with_repeats']} |"
        for r in results)
    body = (
        "In-process intake with triage on: `create_event(triage=False)` (validation, place, encryption, "
        "timeline, audit, inbox) and then the triage `create_event` runs after its transaction when triage is "
        "on (`triage.service.on_intake`: classify with the keyword rules — no model is "
        "trained in the fresh database —, gazetteer + polygons, routing rules, same-matter index over the "
        f"town's recent matters, one stored `TriageResult`), one matter after another, {args.count} real "
        "messages of `tipdm2020_hot_messages.csv` (a demo place name prepended). Times in ms, p50 / p99. "
        "Compare the intake column with the triage-free HTTP figures of `events_intake` above.\n\n"
        "| backend | matters | triage errors | matters/s (intake + triage) | intake ms | triage ms | classify ms "
        "| place ms | route ms | repeats ms | matters with repeat candidates |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|\n" + rows
    )
    write_section("triage-intake", "Triage: intake with triage on (in-process)", body)


if __name__ == "__main__":
    main()
