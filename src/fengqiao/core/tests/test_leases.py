"""Job leases (core.leases): one run of a job at a time, and a lease a dead worker never gave back
lapses instead of stopping the job for good (ADR 0118)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from fengqiao.core import leases
from fengqiao.core.models import JobLease

pytestmark = pytest.mark.django_db


def test_a_lease_is_held_by_one_run_until_given_back():
    token = leases.acquire("job", 60)
    assert token and leases.acquire("job", 60) is None
    assert leases.acquire("other job", 60)  # leases of different jobs are independent
    leases.release("job", token)
    again = leases.acquire("job", 60)
    assert again and again != token


def test_a_lease_never_given_back_lapses():
    """A worker killed mid-run (SIGTERM from `fengqiao serve`, the OOM killer) never releases."""
    dead = leases.acquire("job", 60)
    assert leases.acquire("job", 60) is None
    JobLease.objects.filter(name="job").update(expires_at=timezone.now() - timedelta(seconds=1))
    alive = leases.acquire("job", 60)
    assert alive and alive != dead
    leases.release("job", dead)  # the dead run's late release does not free the new holder's lease
    assert JobLease.objects.get(name="job").holder == alive
    assert leases.acquire("job", 60) is None


def test_held_skips_the_run_while_another_holds_the_lease(caplog):
    calls = []

    @leases.held("job", ttl=60)
    def job(x):
        calls.append(x)
        return x * 2

    token = leases.acquire("job", 60)
    with caplog.at_level("INFO", logger="fengqiao.core.leases"):
        assert job(1) is None
    assert calls == [] and "job job skipped" in caplog.text
    leases.release("job", token)
    assert job(2) == 4 and calls == [2]
    assert not JobLease.objects.filter(name="job").exists()  # given back after the run


def test_held_gives_the_lease_back_when_the_run_fails():
    @leases.held("job", ttl=60)
    def job():
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        job()
    assert not JobLease.objects.filter(name="job").exists()


def test_the_worker_jobs_skip_while_their_lease_is_held():
    from fengqiao.alerts.jobs import risk_scan
    from fengqiao.events.jobs import deliver_outbox, sla_sweep
    from fengqiao.mediation.tasks import mediation_sweep
    from fengqiao.patrols.jobs import close_idle
    from fengqiao.tasks.jobs import remind_due

    for name, job in (("events-sla-sweep", sla_sweep), ("events-outbox", deliver_outbox),
                      ("alerts-scan", risk_scan), ("patrols-close-idle", close_idle),
                      ("tasks-remind-due", remind_due), ("mediation-sweep", mediation_sweep)):
        token = leases.acquire(name, 60)
        assert job.call_local() is None, name
        leases.release(name, token)
    # and run when it is free: the sweep answers with its counts
    assert isinstance(sla_sweep.call_local(), dict)


def test_the_lease_expires_by_the_database_clock():
    leases.acquire("job", 600)
    row = JobLease.objects.get(name="job")
    now = timezone.now()
    assert now + timedelta(seconds=590) < row.expires_at < now + timedelta(seconds=610)


def test_a_restarted_worker_gives_back_the_leases_of_stopped_processes_here():
    import subprocess
    import sys

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    dead_pid = int(gone.stdout)
    JobLease.objects.create(name="events-sla-sweep", holder=f"{leases.HOST}:{dead_pid}:abc",
                            expires_at=timezone.now() + timedelta(minutes=10))
    live = leases.acquire("alerts-scan", 600)  # this process: alive
    JobLease.objects.create(name="tasks-remind-due", holder=f"another-host:{dead_pid}:abc",
                            expires_at=timezone.now() + timedelta(minutes=10))
    assert leases.clear_dead_here() == ["events-sla-sweep"]
    assert set(JobLease.objects.values_list("name", flat=True)) == {"alerts-scan", "tasks-remind-due"}
    assert JobLease.objects.get(name="alerts-scan").holder == live



def test_a_new_process_with_the_old_ones_pid_is_not_taken_for_it():
    """A restarted container's worker gets the pid its stopped predecessor had (PID 4, say): the
    start time in the holder tells them apart, so the predecessor's leases are given back."""
    import os

    me = os.getpid()
    JobLease.objects.create(name="events-sla-sweep", holder=f"{leases.HOST}:{me}:1:abc",  # started at tick 1
                            expires_at=timezone.now() + timedelta(minutes=10))
    mine = leases.acquire("alerts-scan", 600)  # this very process
    assert mine.split(":")[2] == leases._started(me) != "1"
    assert leases.clear_dead_here() == ["events-sla-sweep"]
    assert JobLease.objects.get(name="alerts-scan").holder == mine


def test_the_worker_command_clears_dead_leases_and_can_leave_scheduling_to_another(monkeypatch):
    from django.core.management import call_command as real_call

    from fengqiao.core.management.commands import worker

    calls = []
    monkeypatch.setattr(worker, "call_command", lambda name, **kw: calls.append((name, kw)))
    JobLease.objects.create(name="events-sla-sweep", holder=f"{leases.HOST}:1:1:abc",  # pid 1 started at tick 1
                            expires_at=timezone.now() + timedelta(minutes=10))
    real_call("worker", "--workers", "3")
    real_call("worker", "--no-periodic")
    assert calls == [("run_huey", {"workers": 3}), ("run_huey", {"workers": 2, "periodic": False})]
    assert not JobLease.objects.filter(name="events-sla-sweep").exists()


def test_renew_extends_only_our_own_lease():
    token = leases.acquire("job", 5)
    assert leases.renew("job", token, 600)
    now = timezone.now()
    assert JobLease.objects.get(name="job").expires_at > now + timedelta(seconds=590)
    assert not leases.renew("job", "someone else", 600)
    leases.release("job", token)
    assert not leases.renew("job", token, 600)  # given back: nothing to renew


@pytest.mark.django_db(transaction=True)
def test_a_run_longer_than_its_ttl_keeps_its_lease():
    """A retraining on a large history can outlast its TTL; its lease is renewed while it runs, so
    no second run starts beside it, and it is given back at the end."""
    import time

    seen = []

    @leases.held("long job", ttl=1.2)
    def job():
        time.sleep(2.0)  # beyond the TTL: without renewal the lease would have lapsed
        seen.append(leases.acquire("long job", 1.2))

    job()
    assert seen == [None]
    assert not JobLease.objects.filter(name="long job").exists()
