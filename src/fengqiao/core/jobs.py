"""Periodic housekeeping run by the huey worker (``fengqiao worker``)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import audit, heartbeat
from .maintenance import analyze_database


@db_periodic_task(crontab(minute="*"))
def worker_heartbeat():
    """Every minute: say this worker is alive (``/healthz``'s ``worker`` check, the console's
    warning when it stops)."""
    heartbeat.beat()


@db_periodic_task(crontab(minute="*"))
def seal_audit_trail():
    """Every minute: seal audit records that no request sealed (e.g. a process stopped between
    its commit and its seal)."""
    audit.seal()


@db_periodic_task(crontab(hour="3", minute="17"))
def nightly_analyze():
    """Every night: refresh the database's statistics so list pages keep using their indexes."""
    analyze_database()
