"""What a bulk import costs the intakes that arrive meanwhile: `fengqiao events import` of a
12345 export while another thread files matters one after the other, as the hotline does.

A worker process migrates a fresh database, loads the demo county and writes a CSV of N work
orders in the shape of `events/import_mappings/hotline_12345.json`. A second thread then files a
matter every 50 ms (`create_event`, its own database connection) while the main thread imports
the file. Reported: the import's time and rows per second, and the intakes during it: how many,
how many failed (SQLite's "database is locked" after its 20-second wait), their p50, p99 and
longest time. `--src` runs another checkout's code (e.g. the commit before a change) with this
same script, for a before/after row. Writes docs/benchmarks.md (section ``events-import``).

    python benchmarks/events_import.py [--rows 3000] [--database-url postgres://…] [--src OLD/src --label before]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._report import fresh_postgres, write_section

ROOT = Path(__file__).resolve().parent.parent
HEADER = "工单编号,诉求标题,诉求内容,来源渠道,发生地址,联系人,联系电话,受理时间,诉求类型,办理状态"
PLACES = ["海游街道心湖社区", "海游街道城东社区", "健跳镇健中居委会", "珠岙镇珠岙村", "亭旁镇亭旁村"]
TOPICS = ["路灯不亮", "噪音扰民", "占道经营", "垃圾堆放", "欠薪", "窨井盖破损"]


def _csv(path: Path, rows: int) -> None:
    lines = [HEADER]
    for i in range(rows):
        place, topic = PLACES[i % len(PLACES)], TOPICS[i % len(TOPICS)]
        lines.append(f"BENCH{i:06d},{topic}{i},{place}{i % 40 + 1}幢附近{topic}，请尽快处理。,12345热线,{place},"
                     f"张三,13812345678,2026-11-{1 + i % 28:02d} 09:30:00,,待受理")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def worker(rows: int) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from fengqiao.accounts.models import User
    from fengqiao.core import context
    from fengqiao.demo.loader import load_demo
    from fengqiao.events import importer
    from fengqiao.events.actions import create_event

    call_command("migrate", verbosity=0)
    load_demo()
    by = User.objects.select_related("area").get(username="county_op")
    path = Path(os.environ["FENGQIAO_VAR_DIR"]) / "orders.csv"
    _csv(path, rows)
    mapping = importer.load_mapping(ROOT / "src" / "fengqiao" / "events" / "import_mappings" / "hotline_12345.json")
    done = threading.Event()
    times: list[float] = []
    failed: list[str] = []

    def intake():
        from django.db import connection as own

        hotline = User.objects.select_related("area").get(username="county_op")
        n = 0
        with context.acting(hotline, channel="api"):
            while not done.is_set():
                n += 1
                t0 = time.perf_counter()
                try:
                    create_event(by=hotline, channel="hotline_12345", title=f"来电{n}",
                                 content=f"海游街道心湖社区来电{n}：楼道堆物。", triage=False)
                    times.append(time.perf_counter() - t0)
                except Exception as exc:  # what a client would have got as a 500 (or now a 503)
                    failed.append(type(exc).__name__)
                done.wait(0.05)
        own.close()

    thread = threading.Thread(target=intake)
    thread.start()
    time.sleep(0.5)  # the hotline is filing before the import starts
    t0 = time.perf_counter()
    with context.acting(by, channel="cli"):
        report = importer.import_file(path, mapping, by=by)
    seconds = time.perf_counter() - t0
    done.set()
    thread.join()
    ms = sorted(t * 1000 for t in times)
    return {
        "backend": "PostgreSQL" if connection.vendor == "postgresql" else "SQLite (WAL)",
        "rows": rows, "created": report.created, "errors": len(report.errors), "seconds": seconds,
        "intakes": len(ms) + len(failed), "failed": len(failed),
        "p50": statistics.median(ms) if ms else 0.0, "p99": ms[int(0.99 * (len(ms) - 1))] if ms else 0.0,
        "max": ms[-1] if ms else 0.0,
    }


def run(rows: int, database_url: str | None, src: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="fq-bench-import-") as tmp:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "fengqiao.settings.dev", "FENGQIAO_VAR_DIR": tmp,
               "LOG_LEVEL": "ERROR", "PYTHONPATH": str(src)}
        env.pop("DATABASE_URL", None)
        if database_url:
            env["DATABASE_URL"] = fresh_postgres(database_url, "fengqiao_bench_import")
        out = subprocess.run([sys.executable, __file__, "--worker", "--rows", str(rows)], env=env, cwd=ROOT,
                             stdout=subprocess.PIPE, text=True, check=False)
        if out.returncode != 0:
            raise SystemExit(f"worker failed:\n{out.stdout[-3000:]}")
        return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=3000)
    ap.add_argument("--database-url", default="", help="also on PostgreSQL (a scratch database is created)")
    ap.add_argument("--src", default=str(ROOT / "src"), help="the src folder whose code runs (another checkout)")
    ap.add_argument("--label", default="", help="what --src is, for the table (e.g. 'before, c36d6ac')")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.rows)))
        return
    label = args.label or "this checkout"
    results = [run(args.rows, None, Path(args.src))]
    if args.database_url:
        results.append(run(args.rows, args.database_url, Path(args.src)))
    lines = [f"| {label} | {r['backend']} | {r['rows']:,} | {r['created']:,} | {r['seconds']:.1f} "
             f"| {r['created'] / r['seconds']:.0f} | {r['intakes']} | {r['failed']} | {r['p50']:.1f} | {r['p99']:.0f} "
             f"| {r['max']:.0f} |" for r in results]
    for line in lines:
        print(line)
    body = (
        "`events import` of a 12345 export while another thread files a matter every 50 ms, each on its own "
        "database connection. *Intakes*: those filed while the import ran; *failed*: refused by the database "
        "(on SQLite, \"database is locked\" after the 20-second wait: a 500 before ADR 0119, a 503 since).\n\n"
        "| code | backend | rows | created | import s | rows/s | intakes | failed | intake p50 ms | p99 ms "
        "| longest ms |\n|---|---|---|---|---|---|---|---|---|---|---|\n" + "\n".join(lines)
    )
    write_section(f"events-import-{'before' if args.label.startswith('before') else 'now'}",
                  f"Matters: bulk import beside the hotline ({label})", body)


if __name__ == "__main__":
    main()
