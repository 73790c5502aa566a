"""The risk scan (风险预警): what its escalation-language list catches on real messages, and what
a scan costs on a demo database with 100,000 matters.

    python benchmarks/alerts_scan.py [--matters 100000] [--new 500] [--runs 5] [--database-url URL]

1. Real text (skipped when ../shared/data is absent): the default list (migration
   ``alerts 0002``) over the TipDM hot and training messages; how many messages a word flags and
   which words, and the matcher's speed.
2. Cost: a fresh SQLite database (or --database-url) with the demo county, ``--matters`` matters
   over the past year (``benchmarks/_matters.py``, inserted in random time order, so ids do not
   follow time), reporters drawn from 20,000 people for the citizen channels. Timed: the first
   scan (from the lowest id received within the new-matter signals' longest window, 30 days by
   default; ids out of time order make it read most of the table), a scan after
   ``--new`` new matters (hot-message texts when the data is there), and a scan with nothing new.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

CITIZEN = ("hotline_12345", "police_110", "petition", "citizen_app", "walk_in")


def _messages(name: str) -> list[str]:
    from benchmarks._report import SHARED_DATA

    path = SHARED_DATA / name
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as fh:
        return [f"{r.get('title') or ''}\n{r.get('body') or ''}" for r in csv.DictReader(fh)]


def real_text() -> str:
    from fengqiao.alerts.scan import matcher

    m = matcher()
    lines = []
    for name in ("tipdm2020_hot_messages.csv", "tipdm2020_messages_train.csv"):
        texts = _messages(name)
        if not texts:
            return "Real text: skipped (../shared/data is absent).\n"
        words: Counter = Counter()
        levels: Counter = Counter()
        flagged = 0
        start = time.perf_counter()
        for text in texts:
            hits = m.scan(text)
            if hits:
                flagged += 1
                levels[max((h.level for h in hits), key=["yellow", "orange", "red"].index)] += 1
            words.update({h.phrase for h in hits})
        ms = (time.perf_counter() - start) * 1000 / len(texts)
        top = ", ".join(f"{w} {n}" for w, n in words.most_common(12))
        lines.append(f"| `{name}` | {len(texts):,} | {flagged} ({flagged / len(texts):.1%}) | "
                     f"{levels['red']} / {levels['orange']} / {levels['yellow']} | {ms:.3f} | {top} |")
    return ("Escalation language on real messages (the default list, 预警词): messages flagged, by the "
            "highest level matched.\n\n| file | messages | flagged | red / orange / yellow | ms per message "
            "| most frequent words (messages) |\n|---|---|---|---|---|---|\n" + "\n".join(lines) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--matters", type=int, default=100_000)
    ap.add_argument("--new", type=int, default=500)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--database-url", default="")
    args = ap.parse_args()
    from benchmarks._matters import demo_database, insert_matters

    demo_database("fq-bench-alerts-", args.database_url)
    from django.db import connection
    from django.utils import timezone

    from benchmarks._report import write_section
    from fengqiao.alerts.models import RiskAlert
    from fengqiao.alerts.scan import run
    from fengqiao.core.maintenance import analyze_database
    from fengqiao.events.models import Event

    text_section = real_text()
    print(text_section, flush=True)

    t0 = time.perf_counter()
    insert_matters(args.matters)
    with connection.cursor() as cur:  # the same 20,000 people keep calling through the citizen channels
        placeholders = ", ".join(["%s"] * len(CITIZEN))
        # id modulo 20,000 in arithmetic both databases read alike (no "%": a placeholder for psycopg)
        cur.execute(f"UPDATE events_event SET reporter_phone_digest = 'bench' || (id - (id / 20000) * 20000) "
                    f"WHERE channel IN ({placeholders})", list(CITIZEN))
    analyze_database()
    load_s = time.perf_counter() - t0
    total = Event.objects.count()

    start = time.perf_counter()
    first = run()
    first_s = time.perf_counter() - start
    print("first scan", first_s, first, flush=True)

    texts = [t for t in _messages("tipdm2020_hot_messages.csv")] or ["某小区门口道路破损,雨天积水严重,请尽快维修。"]
    template = Event.objects.filter(number__startswith="BENCH").order_by("-received_at").first()
    new_times, idle_times, results = [], [], []
    for r in range(args.runs):
        now = timezone.now()
        batch = []
        for i in range(args.new):
            k = r * args.new + i
            text = texts[k % len(texts)]
            batch.append(Event(number=f"BENCHNEW{k:07d}", channel=CITIZEN[k % len(CITIZEN)], title=text[:60],
                               content=text[:2000], category_id=template.category_id, area_id=template.area_id,
                               area_path=template.area_path, handling_path=template.handling_path,
                               received_at=now, reporter_phone_digest=f"bench{k % 20000}"))
        Event.objects.bulk_create(batch)
        start = time.perf_counter()
        results.append(run())
        new_times.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        run()
        idle_times.append((time.perf_counter() - start) * 1000)
    raised = Counter(RiskAlert.objects.values_list("kind", flat=True))
    engine = connection.vendor
    body = (
        text_section + "\n"
        f"Scan cost. Database: {engine}, {total:,} matters over the past year (inserted in {load_s:.0f} s), "
        f"the citizen channels' reporters drawn from 20,000 people; default rules.\n\n"
        "| scan | p50 ms | max ms | runs |\n|---|---|---|---|\n"
        f"| first scan (from the lowest id of the last 30 days: {first.get('matters_read', 0):,} matters) | "
        f"{first_s * 1000:.0f} | "
        f"{first_s * 1000:.0f} | 1 |\n"
        f"| after {args.new} new matters | {statistics.median(new_times):.0f} | {max(new_times):.0f} | {args.runs} |\n"
        f"| nothing new (spikes, reopened matters, overdue disputes) | {statistics.median(idle_times):.0f} | "
        f"{max(idle_times):.0f} | {args.runs} |\n\n"
        f"Alerts at the end: {sum(raised.values())} ("
        + ", ".join(f"{k} {n}" for k, n in sorted(raised.items())) + "). The worker scans every two minutes."
    )
    write_section(f"alerts-scan-{engine}", f"Risk early warning: scan ({engine})", body)


if __name__ == "__main__":
    main()
