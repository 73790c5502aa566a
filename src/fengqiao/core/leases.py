"""Leases for background jobs: at most one run of a job at a time, across processes and machines,
without a job stopping for good when a worker dies mid-run.

huey's ``lock_task`` keeps its lock until the task returns; a worker stopped with SIGTERM (as
``fengqiao serve`` stops its worker) or killed never returns, and its lock, kept in the queue's
storage, then refuses every later run. Its ``ttl`` needs Redis 7.4 and is refused by the SQLite
storage. A lease is a row of the database instead: taken when free or expired, given back when
the run ends, and lapsing after ``ttl`` seconds if it is never given back (ADR 0118).
"""

from __future__ import annotations

import functools
import logging
import os
import socket
import threading
import uuid
from datetime import timedelta

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import DateTimeField, ExpressionWrapper, Value
from django.db.models.functions import Now

log = logging.getLogger(__name__)

HOST = socket.gethostname()[:40]


def acquire(name: str, ttl: float) -> str | None:
    """Take the lease ``name`` for ``ttl`` seconds: a token to give it back with, or ``None``
    when someone else holds it and it has not expired."""
    from .models import JobLease

    pid = os.getpid()
    token = f"{HOST}:{pid}:{_started(pid)}:{uuid.uuid4().hex[:16]}"
    # the database's clock, not this machine's: workers on several machines compare one clock
    now = Now()
    until = ExpressionWrapper(Now() + Value(timedelta(seconds=ttl)), output_field=DateTimeField())
    with transaction.atomic():
        if JobLease.objects.filter(name=name, expires_at__lte=now).update(holder=token, expires_at=until):
            return token
        try:
            with transaction.atomic():
                JobLease.objects.create(name=name, holder=token, expires_at=until)
        except IntegrityError:  # held, and not expired
            return None
    return token


def clear_dead_here() -> list[str]:
    """Give back the leases held by processes of this machine that no longer run (a worker
    stopped mid-job, then started again): the jobs run at once instead of after their TTL. A
    holder names its host, pid and the process's start time, so a new process that got the
    old one's pid (as a restarted container's worker does) is told apart. Returns the jobs'
    names. Leases of other machines are left to expire."""
    from .models import JobLease

    cleared = []
    for name, holder in JobLease.objects.filter(holder__startswith=f"{HOST}:").values_list("name", "holder"):
        parts = holder.split(":")
        try:
            pid = int(parts[1])
        except (IndexError, ValueError):
            continue
        started = parts[2] if len(parts) == 4 else ""
        # the same pid started at another moment is another process: a container restarted gives
        # its worker the pid the stopped one had
        if _alive(pid) and (not started or started == _started(pid)):
            continue
        if JobLease.objects.filter(name=name, holder=holder).delete()[0]:
            cleared.append(name)
    if cleared:
        log.info("job leases of stopped processes given back: %s", ", ".join(sorted(cleared)))
    return cleared


def _started(pid: int) -> str:
    """When process ``pid`` started, in clock ticks since boot (Linux ``/proc``), or ``""``."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return fields[19]  # field 22 of stat; the split starts at field 3
    except (OSError, IndexError):
        return ""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def release(name: str, token: str) -> None:
    """Give the lease back (only if it is still ours: after expiry another run may hold it)."""
    from .models import JobLease

    JobLease.objects.filter(name=name, holder=token).delete()


def renew(name: str, token: str, ttl: float) -> bool:
    """Extend our lease to ``ttl`` seconds from now (the database's clock); ``False`` when it is
    no longer ours (it lapsed and another run took it)."""
    from .models import JobLease

    until = ExpressionWrapper(Now() + Value(timedelta(seconds=ttl)), output_field=DateTimeField())
    return bool(JobLease.objects.filter(name=name, holder=token).update(expires_at=until))


class _Renewer(threading.Thread):
    """Renews a lease every third of its TTL while its run goes on, so a run longer than the TTL
    (a retraining on a large history, a slow outbox) keeps it, while a dead process's lease still
    lapses one TTL after its last renewal. Its own thread, so its own database connection."""

    def __init__(self, name: str, token: str, ttl: float):
        super().__init__(name=f"lease {name}", daemon=True)
        self.lease, self.token, self.ttl = name, token, ttl
        self.done = threading.Event()

    def run(self) -> None:
        try:
            while not self.done.wait(self.ttl / 3):
                try:
                    if not renew(self.lease, self.token, self.ttl):
                        log.warning("job %s: its lease was lost (it lapsed before it was renewed)", self.lease)
                        return
                except DatabaseError:  # a busy database: try again at the next third
                    log.warning("job %s: its lease could not be renewed now", self.lease, exc_info=True)
        finally:
            connection.close()


def held(name: str, ttl: float):
    """Decorator: run the function under the lease ``name`` (``ttl`` seconds, renewed while the
    run goes on), or log and return ``None`` without running it when another run holds the lease."""

    def wrap(fn):
        @functools.wraps(fn)
        def inner(*args, **kwargs):
            token = acquire(name, ttl)
            if token is None:
                log.info("job %s skipped: another run holds its lease", name)
                return None
            renewer = _Renewer(name, token, ttl)
            renewer.start()
            try:
                return fn(*args, **kwargs)
            finally:
                renewer.done.set()
                renewer.join()
                release(name, token)

        return inner

    return wrap
