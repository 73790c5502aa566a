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
import uuid
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

log = logging.getLogger(__name__)


def acquire(name: str, ttl: float) -> str | None:
    """Take the lease ``name`` for ``ttl`` seconds: a token to give it back with, or ``None``
    when someone else holds it and it has not expired."""
    from .models import JobLease

    now = timezone.now()
    token = f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:16]}"
    until = now + timedelta(seconds=ttl)
    with transaction.atomic():
        if JobLease.objects.filter(name=name, expires_at__lte=now).update(holder=token, expires_at=until):
            return token
        try:
            with transaction.atomic():
                JobLease.objects.create(name=name, holder=token, expires_at=until)
        except IntegrityError:  # held, and not expired
            return None
    return token


def release(name: str, token: str) -> None:
    """Give the lease back (only if it is still ours: after expiry another run may hold it)."""
    from .models import JobLease

    JobLease.objects.filter(name=name, holder=token).delete()


def held(name: str, ttl: float):
    """Decorator: run the function under the lease ``name`` (``ttl`` seconds), or log and return
    ``None`` without running it when another run holds the lease."""

    def wrap(fn):
        @functools.wraps(fn)
        def inner(*args, **kwargs):
            token = acquire(name, ttl)
            if token is None:
                log.info("job %s skipped: another run holds its lease", name)
                return None
            try:
                return fn(*args, **kwargs)
            finally:
                release(name, token)

        return inner

    return wrap
