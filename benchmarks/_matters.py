"""The database benchmarks' set-up: a fresh database with the demo county (:func:`demo_database`),
then matters spread over its villages over the past year (:func:`insert_matters`;
``bulk_create``, no actions: the point is the volume)."""

from __future__ import annotations

import os
import random
import tempfile


def demo_database(prefix: str, database_url: str = "") -> None:
    """Point Django at a fresh SQLite database in a temporary var directory (or at
    ``database_url``), set it up, migrate it and load the demo county without its history.
    Static files are served plainly (no collected manifest) for in-process page requests."""
    var = tempfile.mkdtemp(prefix=prefix)
    os.environ["FENGQIAO_VAR_DIR"] = var
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{var}/bench.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "fengqiao.settings.dev"
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    from fengqiao.demo.loader import load_demo

    call_command("migrate", verbosity=0)
    load_demo(history=False)


def insert_matters(n: int, *, seed: int = 7, lifecycle: bool = False) -> int:
    """Insert matters ``BENCH00000000`` … until the table holds ``n``; return how many were
    inserted. Each gets a random village, category, channel, state and SLA colour and a
    received time in the past year. ``lifecycle`` also fills what the closed loop would have
    written for its state (sign-for, resolution, feedback times, due times, late flags) and
    timeline entries (intake, a return before the sign-for of every fifth signed matter, the
    sign-for, the resolution), so indicators that read them (the evaluation) have the work and
    the timeline volume of a real year to count."""
    from django.utils import timezone

    from fengqiao.areas.models import Area, Level
    from fengqiao.events.models import Category, Event, TimelineEntry

    rng = random.Random(seed)
    villages = list(Area.objects.filter(level=Level.VILLAGE).only("id", "path"))
    cats = list(Category.objects.filter(depth__gte=1).only("id"))
    states = ["received", "accepted", "dispatched", "signed", "in_progress", "resolved", "verified", "closed"]
    colours = ["green"] * 8 + ["yellow", "red"]
    channels = ["hotline_12345", "police_110", "grid_report", "citizen_app", "petition", "walk_in"]
    feedbacks = ["satisfied"] * 6 + ["basically_satisfied"] * 3 + ["unsatisfied"]
    now = timezone.now()
    minutes = timezone.timedelta(minutes=1)
    batch: list = []
    entries: list = []  # (number, at, action, from state, to state)
    existing = Event.objects.count()

    def flush() -> None:
        Event.objects.bulk_create(batch)
        if lifecycle:
            numbers = {e.number: e for e in batch}
            TimelineEntry.objects.bulk_create(
                TimelineEntry(event_id=numbers[num].pk, at=at, action=action, from_state=a, to_state=b)
                for num, at, action, a, b in entries)
        batch.clear()
        entries.clear()

    for i in range(existing, n):
        v = rng.choice(villages)
        received = now - minutes * rng.randint(0, 60 * 24 * 365)
        channel, category, state, colour = (rng.choice(channels), rng.choice(cats), rng.choice(states),
                                            rng.choice(colours))  # the order the draws always had
        e = Event(
            number=f"BENCH{i:08d}", channel=channel, title=f"基准测试事件{i} 道路破损需维修",
            content="某小区门口道路破损,雨天积水严重,请尽快维修。", category_id=category.id,
            area_id=v.id, area_path=v.path, handling_area_id=v.id, handling_path=v.path,
            state=state, sla_color=colour, received_at=received,
            handle_due_at=received + timezone.timedelta(days=5),
        )
        if lifecycle:
            entries.append((e.number, received, "create", "", "received"))
        if lifecycle and states.index(state) >= states.index("signed"):
            e.sign_due_at = received + minutes * 120
            e.signed_at = min(received + minutes * rng.randint(5, 200), now)
            e.sign_overdue = e.signed_at > e.sign_due_at
            if rng.random() < 0.2:
                entries.append((e.number, received + minutes * 3, "return", "dispatched", "accepted"))
            entries.append((e.number, e.signed_at, "sign", "dispatched", "signed"))
            if states.index(state) >= states.index("resolved"):
                e.resolved_at = min(e.signed_at + minutes * rng.randint(60, 60 * 24 * 8), now)
                entries.append((e.number, e.resolved_at, "resolve", "in_progress", "resolved"))
                if state in ("verified", "closed"):
                    e.verified_at = min(e.resolved_at + minutes * 240, now)
                    e.feedback = rng.choice(feedbacks)
                if state == "closed":
                    e.closed_at = e.verified_at
        batch.append(e)
        if len(batch) == 5000:
            flush()
    if batch:
        flush()
    return max(0, n - existing)
