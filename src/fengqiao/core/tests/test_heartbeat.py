"""The worker says it is alive (ADR 0014, *Later*): without it no time limit turns and nothing
is sent while the web serves on, so ``/healthz`` and the console's keepers are told when its beats
stop."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from fengqiao.core import heartbeat, jobs
from fengqiao.core.models import WorkerBeat

pytestmark = pytest.mark.django_db


def _health(client, **params):
    resp = client.get("/healthz", params)
    return resp.status_code, resp.json()["checks"]


def test_a_beating_worker_is_ok(client):
    jobs.worker_heartbeat.call_local()
    assert WorkerBeat.objects.count() == 1
    jobs.worker_heartbeat.call_local()  # the same process keeps one row
    assert WorkerBeat.objects.count() == 1
    assert _health(client) == (200, {"database": "ok", "migrations": "ok", "worker": "ok"})
    assert _health(client, worker="1")[0] == 200


def test_stopped_beats_are_reported_and_fail_the_worker_check_only(client):
    WorkerBeat.objects.create(holder="other-host:42", seen_at=timezone.now() - dt.timedelta(minutes=12))
    status, checks = _health(client)
    assert status == 200 and checks["worker"] == "stale: last seen 12 min ago"  # the web itself is fine
    assert _health(client, worker="1") == (503, checks)


def test_no_worker_ever_is_reported(client):
    assert _health(client)[1]["worker"] == "not seen"
    assert _health(client, worker="1")[0] == 503


def test_a_beat_forgets_processes_gone_for_a_day():
    WorkerBeat.objects.create(holder="old-host:1", seen_at=timezone.now() - dt.timedelta(days=2))
    WorkerBeat.objects.create(holder="other-host:2", seen_at=timezone.now() - dt.timedelta(hours=3))
    heartbeat.beat()
    assert {h.split(":")[0] for h in WorkerBeat.objects.values_list("holder", flat=True)} == {
        heartbeat.HOST, "other-host"}


@pytest.mark.parametrize("username, told", [("county_op", True), ("admin", True), ("leader", False),
                                            ("town_haiyou", False)])
def test_the_console_tells_its_keepers_when_the_worker_stopped(users, username, told):
    client = Client()
    client.force_login(getattr(users, username))
    WorkerBeat.objects.create(holder="worker-host:7", seen_at=timezone.now() - dt.timedelta(minutes=30))
    page = client.get("/").content.decode()
    assert ('id="worker-stopped"' in page) is told
    if told:
        assert "30" in page.split('id="worker-stopped"')[1].split("</p>")[0]


def test_no_warning_while_the_worker_beats(users):
    heartbeat.beat()
    client = Client()
    client.force_login(users.county_op)
    assert 'id="worker-stopped"' not in client.get("/").content.decode()


def test_no_beat_yet_is_news_only_once_a_worker_had_time_for_its_first(monkeypatch):
    state = heartbeat.worker_state()
    assert state.status == "unseen"
    monkeypatch.setattr(heartbeat, "_STARTED", heartbeat.time.monotonic())
    assert not state.stopped  # just started: the worker has a minute for its first beat
    monkeypatch.setattr(heartbeat, "_STARTED", heartbeat.time.monotonic() - 600)
    assert state.stopped
