"""Patrols (巡逻): what a county's year of patrols costs to read, and a phone's batch to write.

    python benchmarks/patrols.py [--workers 1000] [--days 100] [--tracked 10000] [--runs 20] [--database-url URL]

A fresh SQLite database (or --database-url, an empty database) with the demo county and its
users, then ``--workers`` grid workers (one per generated grid, as many as there are grids),
each with a patrol a day for ``--days`` days, inserted directly (``bulk_create``, no actions: the
point is the volume) with the figures the actions keep (points, length, points inside the area);
the ``--tracked`` latest patrols also get their tracks (120 positions each, an hour at one every 30
seconds). Then ``ANALYZE`` (on PostgreSQL ``VACUUM`` first, as autovacuum would after a bulk load).

Timed through the app's own code (p50 and max over ``--runs`` after one warm-up, each with its
database queries): the console's list and one patrol's page with its track, the API's list and
one patrol, and the writes a phone makes: a batch of 20 positions to a patrol that holds 100 and
one that holds 4,000 (each batch measures the whole track again, so the second shows what the
longest patrols cost), and a start followed by an end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

BATCH = 5000
POINTS = 120  # an hour, one position every 30 seconds


def _track(rng: random.Random, bounds, start: dt.datetime, n: int) -> list[tuple]:
    x0, y0, x1, y1 = bounds
    cx, cy, w, h = (x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0
    phase = rng.random() * 6
    return [(start + dt.timedelta(seconds=30 * i), cx + 0.3 * w * math.cos(phase + 2 * math.pi * i / n),
             cy + 0.3 * h * math.sin(phase + 2 * math.pi * i / n), 5 + rng.random() * 20) for i in range(n)]


def _insert(workers: int, days: int, tracked: int, *, now: dt.datetime, seed: int = 5) -> dict:
    from shapely.geometry import shape

    from fengqiao.accounts.models import User
    from fengqiao.areas.models import Area, Level
    from fengqiao.patrols.geo import track_length
    from fengqiao.patrols.models import Patrol, TrackPoint

    rng = random.Random(seed)
    grids = list(Area.objects.filter(level=Level.GRID, is_active=True, boundary__isnull=False).order_by("code")
                 [:workers])
    User.objects.bulk_create([User(username=f"bench_grid_{g.code}", role="grid_worker", area=g,
                                   first_name=f"网格员{i}") for i, g in enumerate(grids)], batch_size=BATCH)
    people = list(User.objects.filter(username__startswith="bench_grid_").select_related("area").order_by("pk"))
    bounds = {g.pk: shape(g.boundary).bounds for g in grids}
    today = now.replace(hour=1, minute=0, second=0, microsecond=0)
    rows = []
    for day in range(days, 0, -1):
        for u in people:
            start = today - dt.timedelta(days=day, minutes=rng.randint(0, 600))
            minutes = rng.randint(30, 150)
            rows.append(Patrol(area=u.area, area_path=u.area.path, by=u, by_name=u.first_name, started_at=start,
                               ended_at=start + dt.timedelta(minutes=minutes), end_reason="finished",
                               duration_s=minutes * 60,
                               note="巡逻正常", point_count=minutes * 2, distance_m=minutes * 40,
                               inside_count=minutes * 2, last_point_at=start + dt.timedelta(minutes=minutes),
                               heard_at=start + dt.timedelta(minutes=minutes), recorded_at=start))
    for i in range(0, len(rows), BATCH):
        Patrol.objects.bulk_create(rows[i:i + BATCH])
    latest = list(Patrol.objects.order_by("-started_at", "-id")[:tracked])
    points = []
    for p in latest:
        track = _track(rng, bounds[p.area_id], p.started_at, POINTS)
        points += [TrackPoint(patrol_id=p.pk, at=at, longitude=lon, latitude=lat, accuracy_m=acc, inside=True)
                   for at, lon, lat, acc in track]
        p.point_count, p.inside_count = POINTS, POINTS
        p.distance_m = round(track_length(track))
        p.ended_at = p.last_point_at = track[-1][0]
        p.duration_s = int((p.ended_at - p.started_at).total_seconds())
        if len(points) >= BATCH * 4:
            TrackPoint.objects.bulk_create(points, batch_size=BATCH)
            points = []
    TrackPoint.objects.bulk_create(points, batch_size=BATCH)
    Patrol.objects.bulk_update(latest, ["point_count", "inside_count", "distance_m", "ended_at", "last_point_at", "duration_s"],
                               batch_size=BATCH)
    return {"workers": len(people), "patrols": len(rows), "tracked": len(latest)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=1000)
    ap.add_argument("--days", type=int, default=100)
    ap.add_argument("--tracked", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--database-url", default="", help="an empty database (default: a fresh SQLite one)")
    args = ap.parse_args()
    from benchmarks._matters import demo_database

    demo_database("fq-bench-patrols-", args.database_url)
    from django.db import connection

    from benchmarks._report import Pages, timed_queries, write_section
    from fengqiao.accounts.models import User
    from fengqiao.core.maintenance import analyze_database
    from fengqiao.events import sla
    from fengqiao.patrols import actions
    from fengqiao.patrols.models import Patrol, TrackPoint

    if Patrol.objects.exists():
        raise SystemExit("the database already holds patrols: give an empty one")
    t0 = time.perf_counter()
    counts = _insert(args.workers, args.days, args.tracked, now=sla.now())
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("VACUUM patrols_patrol, patrols_trackpoint")
    analyze_database()
    load_s = time.perf_counter() - t0
    stored_points = TrackPoint.objects.count()
    print(f"inserted {counts}, {stored_points:,} points in {load_s:.0f} s", flush=True)

    users = {u.username: u for u in User.objects.filter(username__in=["county_op", "town_haiyou", "grid_xinhu1"])
             .select_related("area")}
    county_op, town, worker = users["county_op"], users["town_haiyou"], users["grid_xinhu1"]
    reach = {name: Patrol.objects.restrict(u, "view").count() for name, u in (("county", county_op), ("town", town))}
    shown = Patrol.objects.restrict(town, "view").filter(point_count=POINTS).order_by("-started_at").first()
    pages = Pages((county_op, town))
    get = pages.get

    # the grid worker's own patrol, long enough for every run's batch
    now = sla.now()
    lon, lat = 121.3, 29.1
    with sla.frozen_now(now - dt.timedelta(hours=11)):
        patrol = actions.start_patrol(by=worker)

    def points(start: dt.datetime, n: int) -> list[dict]:
        return [{"at": (start + dt.timedelta(seconds=i)).isoformat(), "longitude": lon + i * 1e-5,
                 "latitude": lat, "accuracy": 8} for i in range(n)]

    actions.add_points(patrol, by=worker, points=points(patrol.started_at, 100))
    cursor = {"at": patrol.started_at + dt.timedelta(seconds=100)}

    def batch(_run):
        actions.add_points(patrol, by=worker, points=points(cursor["at"], 20))
        cursor["at"] += dt.timedelta(seconds=20)

    cases = [
        (f"console patrol list, first page, county centre ({reach['county']:,} patrols in reach)",
         get("county_op", "/patrols/")),
        (f"console patrol list, first page, town 海游 ({reach['town']:,})", get("town_haiyou", "/patrols/")),
        (f"console patrol page with its track ({POINTS} positions), town", get("town_haiyou", f"/patrols/{shown.pk}/")),
        ("API `/api/v1/patrols/`, first page, county centre", get("county_op", "/api/v1/patrols/")),
        (f"API `/api/v1/patrols/{{id}}/` with its track ({POINTS} positions), town",
         get("town_haiyou", f"/api/v1/patrols/{shown.pk}/")),
        ("`add_points`, a batch of 20 to a patrol holding about 100", batch),
    ]
    rows = []

    def row(label, fn):
        p50, mx, queries = timed_queries(fn, args.runs)
        rows.append(f"| {label} | {p50:.1f} | {mx:.1f} | {queries} | {args.runs} |")
        print(rows[-1], flush=True)

    for label, fn in cases:
        row(label, fn)
    # grow the patrol to 4,000 positions (in batches, as a phone would over 11 hours)
    while Patrol.objects.get(pk=patrol.pk).point_count < 4000 - 20 * (args.runs + 1):
        actions.add_points(patrol, by=worker, points=points(cursor["at"], 500))
        cursor["at"] += dt.timedelta(seconds=500)
    row("`add_points`, a batch of 20 to a patrol holding about 4,000", batch)
    actions.finish_patrol(patrol, by=worker)
    after = sla.now()

    def start_and_end(run):
        with sla.frozen_now(after + dt.timedelta(minutes=run + 1)):
            p = actions.start_patrol(by=worker)
            actions.finish_patrol(p, by=worker, note="巡逻正常")

    row("`start_patrol` then `finish_patrol`, grid worker", start_and_end)

    engine = connection.vendor
    body = (
        f"Database: {engine}; the demo county with {counts['workers']:,} grid workers (one per generated grid) "
        f"and {counts['patrols']:,} patrols ({args.days} days, one a day each), the {counts['tracked']:,} latest "
        f"with their tracks ({stored_points:,} positions), inserted directly in {load_s:.0f} s (`bulk_create` "
        "with the figures the actions keep, then `ANALYZE`, and on PostgreSQL `VACUUM` first). Pages through "
        "Django's test client (in-process, no network; the console pages include the menu's counts); the writes "
        f"call the actions as the grid worker 心湖1. p50 and max of {args.runs} runs after one warm-up; queries per "
        "run.\n\n"
        "| what | p50 ms | max ms | queries | runs |\n|---|---|---|---|---|\n" + "\n".join(rows) + "\n"
    )
    write_section(f"patrols-{engine}", f"Patrols ({engine})", body)


if __name__ == "__main__":
    main()
