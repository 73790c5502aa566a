"""Check-points (平安点位): what a county-sized registry costs to read and to inspect.

    python benchmarks/check_points.py [--points 20000] [--inspections 10] [--runs 20] [--database-url URL]

A fresh SQLite database (or --database-url, an empty database) with the demo county and its
users, then ``--points`` check-points with ``--inspections`` past inspections each, inserted
directly (``bulk_create``, no actions: the point is the volume) with what the actions would have
written: ``area_path`` (``KeepsAreaPath`` fills it on save, which ``bulk_create`` skips), the
last inspection and its outcome, and the next inspection due one interval after it.

- The check-points lie in the county's grids (two thirds) and villages, of mixed kinds with
  their usual interval and checklist; the responsible grid worker is the demo's grid worker of
  the check-point's town where there is one, else nobody; one in fifty was removed from the
  registry.
- The inspections are spread over the past year, the latest within 1.3 intervals of now (so
  about a quarter of the check-points are overdue); one in ten found problems, half of those
  reported as a hazard matter (inserted too, at the check-point's place), the rest put right on
  the spot.

Timed through the app's own code (p50 and max over ``--runs`` after one warm-up, each with its
database queries): the menu's due count (``point_views.due_count``) for the county centre, a
town and a grid worker; the console's list and one check-point's page through Django's test
client (in-process, no network); the API's list; and ``points.record_inspection`` by a grid
worker, all in order and with two problems reported (a hazard matter taken in, triage on intake
included), each run on another check-point in their reach, at the platform's clock.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

#: how often each kind occurs (the "nine small places" and rental housing are most of a registry)
KIND_WEIGHTS = {"small_venue": 30, "rental": 25, "other": 8, "building": 8, "school": 6, "crowded": 6,
                "market": 5, "water": 5, "fuel": 4, "chemicals": 3}
KIND_NAMES = {"small_venue": "小超市", "rental": "出租房", "other": "安全点位", "building": "危旧房", "school": "幼儿园",
              "crowded": "文化广场", "market": "农贸市场", "water": "山塘", "fuel": "加油站", "chemicals": "化工仓库"}
#: inspectors of the check-points no demo grid worker looks after (made-up names)
INSPECTORS = ["陈伟", "李娜", "王强", "刘洋", "张静", "杨磊", "黄丽", "周杰", "吴敏", "徐涛"]
PROBLEM_NOTES = ["消防器材过期", "通道堆放杂物", "电线私拉乱接", "警示标志缺失", "电动车室内充电"]
BATCH = 2000


def _insert_registry(n_points: int, per_point: int, *, now: dt.datetime, registrar, seed: int = 5) -> dict:
    """Insert the check-points, their inspections and the hazard matters reported; return counts."""
    from fengqiao.accounts.models import User
    from fengqiao.areas.models import Area, Level
    from fengqiao.core import roles
    from fengqiao.events.models import Category, Event
    from fengqiao.grid.choices import (
        DEFAULT_CHECKLISTS,
        DEFAULT_HAZARD_CATEGORY,
        DEFAULT_INSPECT_EVERY_DAYS,
        HAZARD_CATEGORIES,
        CheckPointKind,
        InspectionOutcome,
    )
    from fengqiao.grid.models import CheckPoint, Inspection, staff_name, town_path

    rng = random.Random(seed)
    grids = list(Area.objects.filter(level=Level.GRID, is_active=True).only("id", "path", "name"))
    villages = list(Area.objects.filter(level=Level.VILLAGE, is_active=True).only("id", "path", "name"))
    workers = {}
    for u in User.objects.filter(role=roles.GRID_WORKER, is_active=True).select_related("area").order_by("username"):
        workers.setdefault(town_path(u.area.path), u)
    categories = dict(Category.objects.values_list("code", "id"))
    kinds, weights = list(KIND_WEIGHTS), list(KIND_WEIGHTS.values())
    year = dt.timedelta(days=365)
    counts = {"points": 0, "inspections": 0, "problems": 0, "hazards": 0, "removed": 0, "cared": 0}

    def inspections_of(point: CheckPoint, inspector, days: int) -> list[dict]:
        if per_point == 0:
            return []
        last = now - dt.timedelta(days=days * rng.uniform(0, 1.3))
        times = sorted(now - year + (last - (now - year)) * rng.random() for _ in range(per_point - 1)) + [last]
        out = []
        for at in times:
            wrong = {}
            if rng.random() < 0.1:
                for i in rng.sample(range(len(point.checklist)), min(len(point.checklist), rng.randint(1, 2))):
                    wrong[i] = rng.choice(PROBLEM_NOTES)
            results = [{"item": item, "ok": i not in wrong, "note": wrong.get(i, "")}
                       for i, item in enumerate(point.checklist)]
            out.append({"at": at, "results": results, "wrong": bool(wrong), "report": bool(wrong) and rng.random() < 0.5,
                        "note": "已责令整改,需复查。" if wrong else "", "by": inspector})
        return out

    for start in range(0, n_points, BATCH):
        batch, plans = [], []
        for i in range(start, min(n_points, start + BATCH)):
            area = rng.choice(grids) if rng.random() < 2 / 3 else rng.choice(villages)
            kind = CheckPointKind(rng.choices(kinds, weights)[0])
            days = DEFAULT_INSPECT_EVERY_DAYS[kind]
            caretaker = workers.get(town_path(area.path))
            point = CheckPoint(
                name=f"{area.name}{KIND_NAMES[kind]}{i:05d}", kind=kind, area_id=area.id, area_path=area.path,
                address=f"{area.name}{rng.randint(1, 300)}号", caretaker=caretaker, inspect_every_days=days,
                checklist=list(DEFAULT_CHECKLISTS[kind]), registered_by=registrar,
                registered_at=now - dt.timedelta(days=rng.uniform(366, 1000)))
            inspector = (caretaker, staff_name(caretaker)) if caretaker else (None, rng.choice(INSPECTORS))
            history = inspections_of(point, inspector, days)
            if history:
                point.last_inspected_at = history[-1]["at"]
                point.last_outcome = InspectionOutcome.PROBLEMS if history[-1]["wrong"] else InspectionOutcome.PASSED
            point.next_inspection_due = point.due_after(point.last_inspected_at or point.registered_at)
            if rng.random() < 0.02:
                point.is_active = False
                point.removed_at = min(now, (point.last_inspected_at or point.registered_at) + dt.timedelta(days=1))
                point.removal_reason = "已停业"
                counts["removed"] += 1
            counts["cared"] += caretaker is not None
            batch.append(point)
            plans.append(history)
        CheckPoint.objects.bulk_create(batch)
        assert all(p.pk for p in batch), "bulk_create did not return the ids"

        hazards = []  # (point, plan entry, event)
        for point, history in zip(batch, plans, strict=True):
            for h in history:
                if not h["report"]:
                    continue
                n = counts["hazards"] + len(hazards)
                code = HAZARD_CATEGORIES.get(point.kind, DEFAULT_HAZARD_CATEGORY)
                closed = h["at"] < now - dt.timedelta(days=10)
                text = "\n".join([f"平安点位「{point.name}」巡查发现以下问题:"]
                                 + [f"{r['item']}:{r['note']}" for r in h["results"] if not r["ok"]])
                event = Event(number=f"BENCHHZ{n:08d}", channel="grid_report", title=f"平安点位巡查发现隐患:{point.name}",
                              content=text, category_id=categories.get(code), address=point.address,
                              area_id=point.area_id, area_path=point.area_path, handling_area_id=point.area_id,
                              handling_path=point.area_path, state="closed" if closed else "signed",
                              received_at=h["at"], occurred_at=h["at"], updated_at=h["at"],
                              created_by=h["by"][0], closed_at=h["at"] + dt.timedelta(days=5) if closed else None)
                hazards.append(event)
                h["hazard"] = event
        Event.objects.bulk_create(hazards)

        rows = []
        for point, history in zip(batch, plans, strict=True):
            for h in history:
                hazard = h.get("hazard")
                rows.append(Inspection(point_id=point.pk, inspected_at=h["at"], by=h["by"][0], by_name=h["by"][1],
                                       results=h["results"], note=h["note"], hazard_id=hazard.pk if hazard else None,
                                       outcome=InspectionOutcome.PROBLEMS if h["wrong"] else InspectionOutcome.PASSED,
                                       recorded_at=min(now, h["at"] + dt.timedelta(minutes=rng.randint(1, 600)))))
                counts["problems"] += h["wrong"]
        Inspection.objects.bulk_create(rows, batch_size=BATCH)
        counts["points"] += len(batch)
        counts["inspections"] += len(rows)
        counts["hazards"] += len(hazards)
    return counts


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=20_000)
    ap.add_argument("--inspections", type=int, default=10, help="past inspections per check-point")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--database-url", default="", help="an empty database (default: a fresh SQLite one)")
    args = ap.parse_args()
    from benchmarks._matters import demo_database

    demo_database("fq-bench-points-", args.database_url)
    from django.db import connection

    from benchmarks._report import Pages, timed_queries, write_section
    from fengqiao.accounts.models import User
    from fengqiao.areas.models import Area, Level
    from fengqiao.core.maintenance import analyze_database
    from fengqiao.evaluation import query as evaluation
    from fengqiao.evaluation.periods import parse_period
    from fengqiao.events.sla import now as clock_now
    from fengqiao.grid import point_views, points
    from fengqiao.grid.choices import CheckPointKind, VisitDue
    from fengqiao.grid.models import CheckPoint, Inspection

    if CheckPoint.objects.exists():
        raise SystemExit("the database already holds check-points: give an empty one")
    users = {u.username: u for u in User.objects.select_related("area")}
    county_op, town, worker = users["county_op"], users["town_haiyou"], users["grid_xinhu1"]
    grids = Area.objects.filter(level=Level.GRID, is_active=True).count()
    villages = Area.objects.filter(level=Level.VILLAGE, is_active=True).count()

    t0 = time.perf_counter()
    counts = _insert_registry(args.points, args.inspections, now=clock_now(), registrar=county_op)
    analyze_database()
    load_s = time.perf_counter() - t0
    print(f"inserted {counts} in {load_s:.0f} s", flush=True)

    now = clock_now()
    reach = {name: CheckPoint.objects.restrict(u, "view").filter(is_active=True).count()
             for name, u in (("county", county_op), ("town", town), ("worker", worker))}
    due = {name: CheckPoint.objects.restrict(u, "view").due(VisitDue.DUE, now).count()
           for name, u in (("county", county_op), ("town", town), ("worker", worker))}
    # the town's page: a check-point with a reported hazard among its inspections (its link is read)
    shown = (CheckPoint.objects.restrict(town, "view").filter(is_active=True, inspections__hazard__isnull=False)
             .order_by("id").first() or CheckPoint.objects.restrict(town, "view").order_by("id").first())
    shown_inspections = Inspection.objects.filter(point=shown).count()
    # the grid worker's writes: other check-points in their reach each run (two items at least)
    mine = list(CheckPoint.objects.restrict(worker, "inspect").filter(is_active=True).exclude(pk=shown.pk)
                .exclude(kind=CheckPointKind.OTHER).order_by("id")[:2 * (args.runs + 1)])
    if not mine:
        raise SystemExit("no check-point in the grid worker's reach: more --points")
    in_order, with_problems = mine[::2], mine[1::2] or mine[::2]

    # the evaluation's inspection completion (平安点位巡查完成率) of the towns, this month so far
    # and the same month a year earlier: its two queries over the county's registry
    month = evaluation._Spans(parse_period(now.strftime("%Y-%m"), now.date()), now)
    towns = evaluation.units_for(county_op, county_op.area)

    def completion(_run):
        return evaluation._round_counts(county_op, county_op.area, towns, month, evaluation.CHECK_POINT_ROUNDS)

    def completion_with_jit(run):
        """The same with PostgreSQL's JIT compilation on, as the server has it by default (the
        connections turn it off: ADR 0017); two SET statements more. Nothing prepared meanwhile:
        a statement prepared with JIT off keeps its plan, and with it no JIT."""
        raw = connection.connection
        threshold, raw.prepare_threshold = raw.prepare_threshold, None
        with connection.cursor() as cursor:
            cursor.execute("SET jit = on")
        try:
            return completion(run)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SET jit = off")
            raw.prepare_threshold = threshold

    pages = Pages((county_op, town))
    get = pages.get

    hazards = []

    def inspect_in_order(run):
        points.record_inspection(in_order[run % len(in_order)], by=worker)

    def inspect_problems(run):
        inspection = points.record_inspection(
            with_problems[run % len(with_problems)], by=worker, note="已告知负责人,需执法队复查。", report=True,
            problems=[{"item": 0, "note": "消防器材过期"}, {"item": 1, "note": "通道堆放杂物"}])
        hazards.append(inspection.hazard_id)

    cases = [
        (f"menu due count, county centre ({due['county']:,} of {reach['county']:,} due)",
         lambda _r: point_views.due_count(county_op)),
        (f"menu due count, town 海游 ({due['town']:,} of {reach['town']:,})", lambda _r: point_views.due_count(town)),
        (f"menu due count, grid worker 心湖1 ({due['worker']:,} of {reach['worker']:,})",
         lambda _r: point_views.due_count(worker)),
        ("console list, first page of 30, county centre", get("county_op", "/grid/check-points/")),
        ("console list, first page of 30, town", get("town_haiyou", "/grid/check-points/")),
        ("console list `?due=overdue`, county centre", get("county_op", "/grid/check-points/", {"due": "overdue"})),
        ("console list `?due=overdue`, town", get("town_haiyou", "/grid/check-points/", {"due": "overdue"})),
        (f"check-point page with its {shown_inspections} inspections, town",
         get("town_haiyou", f"/grid/check-points/{shown.pk}/")),
        ("API list `/api/v1/check-points/`, first page, county centre", get("county_op", "/api/v1/check-points/")),
        ("evaluation: inspection completion of the county's towns, this month and a year earlier", completion),
        *([("the same with PostgreSQL's JIT on (the server's default; the connections turn it off, ADR 0017)",
            completion_with_jit)] if connection.vendor == "postgresql" else []),
        ("`record_inspection`, all in order, grid worker", inspect_in_order),
        ("`record_inspection`, two problems reported (hazard matter taken in, triaged), grid worker",
         inspect_problems),
    ]
    rows = []
    for label, fn in cases:
        p50, mx, queries = timed_queries(fn, args.runs)
        rows.append(f"| {label} | {p50:.1f} | {mx:.1f} | {queries} | {args.runs} |")
        print(rows[-1], flush=True)
    assert all(hazards), "an inspection with problems reported no hazard matter"
    reused = "" if len(mine) >= 2 * (args.runs + 1) else (
        f" (only {len(mine)} check-points in the grid worker's reach: some were inspected more than once)")

    engine = connection.vendor
    body = (
        f"Database: {engine}; the demo county ({villages} villages, {grids:,} generated grids) with "
        f"{counts['points']:,} check-points ({counts['removed']:,} removed from the registry, "
        f"{counts['cared']:,} looked after by a demo grid worker) and {counts['inspections']:,} past inspections "
        f"over the past year ({counts['problems']:,} found problems, {counts['hazards']:,} reported as hazard "
        f"matters), inserted directly in {load_s:.0f} s (`bulk_create`, what the actions would have written, "
        "then `ANALYZE`). The latest inspection of each lies within 1.3 intervals of now. Pages through Django's "
        "test client (in-process, no network; the console pages include the menu's counts); the writes call "
        f"`points.record_inspection` by the grid worker 心湖1, each run on another check-point in their reach{reused}. "
        f"p50 and max of {args.runs} runs after one warm-up; queries per run.\n\n"
        "| what | p50 ms | max ms | queries | runs |\n|---|---|---|---|---|\n" + "\n".join(rows) + "\n"
    )
    write_section(f"check-points-{engine}", f"Check-points: registry and inspections ({engine})", body)


if __name__ == "__main__":
    main()
