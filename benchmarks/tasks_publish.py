"""Top-down publishing (统一发布): what publishing to every grid of a county costs, what one
unit's answer costs, and what the lists read once a county has a year of tasks behind it.

    python benchmarks/tasks_publish.py [--history 1000] [--runs 5] [--database-url URL]

A fresh SQLite database (or --database-url) with the demo county (its generated grids). Timed
through the app's own code:

1. ``publish_task`` to every grid of the county (one receipt per grid, the grid workers told),
   ``--runs`` times; and to every town.
2. One unit's ``acknowledge`` and ``report`` (each locks the task, then the receipt).
3. Reads, after ``--history`` past tasks were added directly (bulk inserts, a tenth of them to
   every grid, the rest to every town, answered at random): the list's first page with progress
   counts (``filters.progress`` over ``TaskFilter``'s page) for the county centre and a town, the owing
   count a grid worker's menu shows, and the receipts of one all-grid task as the county reads
   them on its page.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))


def _ms(fn, runs: int) -> tuple[float, float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times), result


def _history(n: int, county_op, seed: int = 11) -> int:
    """``n`` past tasks from the county with their receipts, inserted directly; return receipts."""
    import datetime as dt

    from django.utils import timezone

    from fengqiao.areas.models import Area, Level
    from fengqiao.tasks.models import Receipt, Task

    rng = random.Random(seed)
    towns = list(Area.objects.filter(level=Level.TOWN, is_active=True))
    grids = list(Area.objects.filter(level=Level.GRID, is_active=True))
    now = timezone.now()
    total = 0
    for i in range(n):
        at = now - dt.timedelta(days=rng.uniform(1, 365))
        task = Task.objects.create(number=f"BENCH{i:07d}", kind=rng.choice(["task", "task", "notice"]),
                                   title=f"历史任务 {i}", area=county_op.area, published_by=county_op,
                                   published_by_name="王芳", published_at=at, due_at=at + dt.timedelta(days=5),
                                   state=rng.choice(["closed", "closed", "published"]))
        units = grids if i % 10 == 0 else towns
        states = ["pending", "acknowledged", "reported", "done", "done", "done"]
        rows = [Receipt(task=task, area=a, area_path=a.path, state=rng.choice(states)) for a in units]
        Receipt.objects.bulk_create(rows, batch_size=2000)
        Task.objects.filter(pk=task.pk).update(recipient_count=len(rows))
        total += len(rows)
    return total


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--history", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--database-url", default="")
    args = ap.parse_args()
    from benchmarks._matters import demo_database

    demo_database("fq-bench-tasks-", args.database_url)
    import datetime as dt

    from django.db import connection
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext

    from benchmarks._report import write_section
    from fengqiao.accounts.models import User
    from fengqiao.areas.models import Area, Level
    from fengqiao.core.maintenance import analyze_database
    from fengqiao.events.sla import now
    from fengqiao.tasks import actions
    from fengqiao.tasks.filters import TaskFilter, owing_count, progress
    from fengqiao.tasks.models import Receipt, Task

    users = {u.username: u for u in User.objects.select_related("area")}
    county_op, town = users["county_op"], users["town_haiyou"]
    grids = Area.objects.filter(level=Level.GRID, is_active=True).count()
    towns = Area.objects.filter(level=Level.TOWN, is_active=True).count()

    def publish(level):
        return lambda: actions.publish_task(by=county_op, kind="task", title="冬季消防安全隐患大排查", body="请按时反馈。",
                                            to_level=level, due_at=now() + dt.timedelta(days=3))

    grid_p50, grid_max, task = _ms(publish("grid"), args.runs)
    town_p50, town_max, _ = _ms(publish("town"), args.runs)
    worker = users["grid_xinhu1"]
    mine = Receipt.objects.get(task=task, area_id=worker.area_id)
    ack_p50, ack_max, _ = _ms(lambda: actions.act_on_receipt(mine, "acknowledge", by=worker), 1)
    report_p50, report_max, _ = _ms(lambda: actions.act_on_receipt(mine, "report", by=worker, text="已入户宣传 42 户"), 1)

    t0 = time.perf_counter()
    receipts = _history(args.history, county_op)
    analyze_database()
    load_s = time.perf_counter() - t0

    def first_page(user, box):
        request = RequestFactory().get("/tasks/", {"box": box})
        request.user = user
        qs = TaskFilter({"box": box}, Task.objects.restrict(user), request=request).qs
        page = list(qs.order_by("-published_at", "-id")[:30])
        return page, progress(user, [t.pk for t in page])

    reads = []
    for label, fn in [
        ("county centre: list, first page of 30 with progress", lambda: first_page(county_op, "published")),
        ("town command room: received, first page of 30 with progress", lambda: first_page(town, "received")),
        ("grid worker: owing count (menu, phone page)", lambda: owing_count(worker)),
        (f"county centre: the {grids:,} receipts of one all-grid task",
         lambda: list(Receipt.objects.restrict(county_op).filter(task=task).select_related("area"))),
    ]:
        with CaptureQueriesContext(connection) as ctx:
            fn()
        p50, mx, _ = _ms(fn, args.runs)
        reads.append(f"| {label} | {p50:.1f} | {mx:.1f} | {len(ctx.captured_queries)} |")

    engine = connection.vendor
    body = (
        f"Database: {engine}; the demo county ({towns} towns, {grids:,} generated grids).\n\n"
        "| write | p50 ms | max ms | runs |\n|---|---|---|---|\n"
        f"| publish a task to every grid ({grids:,} receipts, grid workers told) | {grid_p50:.0f} | {grid_max:.0f} | "
        f"{args.runs} |\n"
        f"| publish a task to every town ({towns} receipts) | {town_p50:.1f} | {town_max:.1f} | {args.runs} |\n"
        f"| a grid worker acknowledges | {ack_p50:.1f} | {ack_max:.1f} | 1 |\n"
        f"| the same grid worker reports | {report_p50:.1f} | {report_max:.1f} | 1 |\n\n"
        f"Reads after {args.history:,} past tasks with {receipts:,} receipts (inserted in {load_s:.0f} s):\n\n"
        "| read | p50 ms | max ms | queries |\n|---|---|---|---|\n" + "\n".join(reads) + "\n"
    )
    write_section(f"tasks-publish-{engine}", f"Top-down tasks: publishing and reading ({engine})", body)


if __name__ == "__main__":
    main()
