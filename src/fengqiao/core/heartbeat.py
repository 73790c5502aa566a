"""Whether the background worker runs: the worker that schedules the periodic jobs writes a beat
every minute, and ``/healthz`` and the console read the newest one (ADR 0014).

Without a worker nothing turns yellow or red, no reminder or notification goes out and no
delivery leaves the outbox, while the web keeps serving as if all were well: a worker stopped
for good (``fengqiao serve`` gives up after five restarts in ten minutes, a separate worker
service that was never started) has to be said somewhere a person looks."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Max
from django.utils import timezone

from .leases import HOST

#: a beat older than this says the worker has stopped (it beats every minute)
STALE_AFTER = timedelta(minutes=5)
#: beats of processes gone for longer than this are deleted by the next beat
FORGET_AFTER = timedelta(days=1)
#: when this process started: before STALE_AFTER has passed, no beat yet is no news
_STARTED = time.monotonic()


def beat() -> None:
    """Record that this worker process is alive and forget long-gone processes. Machines' clocks
    are compared (the web reads what a worker elsewhere wrote): they agree well within
    ``STALE_AFTER`` when synchronised, as a county's servers are."""
    from .models import WorkerBeat

    now = timezone.now()
    WorkerBeat.objects.update_or_create(holder=f"{HOST}:{os.getpid()}", defaults={"seen_at": now})
    WorkerBeat.objects.filter(seen_at__lt=now - FORGET_AFTER).delete()


@dataclass(frozen=True)
class WorkerState:
    #: "ok", "stale" (beats stopped) or "unseen" (no beat at all)
    status: str
    last_seen: datetime | None

    @property
    def minutes(self) -> int | None:
        """Whole minutes since the last beat."""
        if self.last_seen is None:
            return None
        return int((timezone.now() - self.last_seen).total_seconds() // 60)

    @property
    def stopped(self) -> bool:
        """Whether to tell people: beats stopped, or none has come although this process has
        been up longer than a worker needs for its first."""
        return self.status == "stale" or (self.status == "unseen"
                                          and time.monotonic() - _STARTED > STALE_AFTER.total_seconds())

    def label(self) -> str:
        if self.status == "ok":
            return "ok"
        if self.status == "unseen":
            return "not seen"
        return f"stale: last seen {self.minutes} min ago"


def worker_state() -> WorkerState:
    from .models import WorkerBeat

    last = WorkerBeat.objects.aggregate(last=Max("seen_at"))["last"]
    if last is None:
        return WorkerState("unseen", None)
    return WorkerState("ok" if timezone.now() - last <= STALE_AFTER else "stale", last)
