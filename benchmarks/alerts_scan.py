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
   Every new matter gets a triage result, as intake writes it: a third of them name one or two
   earlier matters as same-matter candidates (half of those at a score the hot-topic signal
   groups), every 25th closes a group of four people reporting the same thing (a hot topic
   is raised), and every fiftieth is merged into an earlier matter by an operator. Each scan's
   database queries are counted.
"""

from __future__ import annotations

import argparse
import csv
import random
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


def same_matter_signals(batch, earlier: list[int], rng: random.Random) -> dict:
    """What intake and operators leave for the hot-topic signal on ``batch`` (saved new matters):
    a triage result for each, same-matter candidates and merges as the module's docstring says."""
    from fengqiao.events.models import Event, TimelineEntry
    from fengqiao.triage.dedupe import GROUP_THRESHOLD
    from fengqiao.triage.models import TriageResult

    results, merges = [], []
    counts = Counter()
    for i, e in enumerate(batch):
        dups = []
        if i % 25 == 24:  # every 25th: the fourth of four people reporting one thing names the three before it
            dups = [[batch[i - j].pk, round(GROUP_THRESHOLD + 0.1 * j, 2)] for j in (1, 2, 3)]
            counts["topics"] += 1
        elif i % 3 == 0:
            dups = [[rng.choice(earlier), round(rng.choice((0.3, 0.45, 0.6, 0.8)), 2)] for _ in range(rng.randint(1, 2))]
        counts["candidates"] += bool(dups)
        results.append(TriageResult(event_id=e.pk, duplicates=dups, needs_person=True))
        if i % 50 == 49:
            merges.append(e)
    TriageResult.objects.bulk_create(results)
    for e in merges:
        target = rng.choice(earlier)
        Event.objects.filter(pk=e.pk).update(state="merged", merged_into_id=target)
        TimelineEntry.objects.create(event_id=e.pk, action="merge", from_state="received", to_state="merged")
    counts["merges"] = len(merges)
    return counts


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
    from django.test.utils import CaptureQueriesContext
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
    earlier = list(Event.objects.filter(received_at__gte=timezone.now() - timezone.timedelta(days=7))
                   .values_list("pk", flat=True))
    rng = random.Random(11)
    new_times, idle_times, results, new_queries, idle_queries = [], [], [], [], []
    signals: Counter = Counter()
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
        signals.update(same_matter_signals(batch, earlier, rng))
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            results.append(run())
            new_times.append((time.perf_counter() - start) * 1000)
        new_queries.append(len(queries))
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            run()
            idle_times.append((time.perf_counter() - start) * 1000)
        idle_queries.append(len(queries))
    raised = Counter(RiskAlert.objects.values_list("kind", flat=True))
    engine = connection.vendor
    body = (
        text_section + "\n"
        f"Scan cost. Database: {engine}, {total:,} matters over the past year (inserted in {load_s:.0f} s), "
        f"the citizen channels' reporters drawn from 20,000 people; default rules.\n\n"
        f"Each batch of new matters carries triage results ({signals['candidates'] // args.runs} of "
        f"{args.new} with same-matter candidates, {signals['topics'] // args.runs} hot topics of four "
        f"people) and {signals['merges'] // args.runs} merges.\n\n"
        "| scan | p50 ms | max ms | queries (max) | runs |\n|---|---|---|---|---|\n"
        f"| first scan (from the lowest id of the last 30 days: {first.get('matters_read', 0):,} matters) | "
        f"{first_s * 1000:.0f} | "
        f"{first_s * 1000:.0f} | | 1 |\n"
        f"| after {args.new} new matters | {statistics.median(new_times):.0f} | {max(new_times):.0f} | "
        f"{max(new_queries)} | {args.runs} |\n"
        f"| nothing new (spikes, reopened matters, overdue disputes) | {statistics.median(idle_times):.0f} | "
        f"{max(idle_times):.0f} | {max(idle_queries)} | {args.runs} |\n\n"
        f"Alerts at the end: {sum(raised.values())} ("
        + ", ".join(f"{k} {n}" for k, n in sorted(raised.items())) + "). The worker scans every two minutes."
    )
    write_section(f"alerts-scan-{engine}", f"Risk early warning: scan ({engine})", body)


if __name__ == "__main__":
    main()
