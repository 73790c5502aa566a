"""12345/110 feedback through the outbox against a real local HTTP receiver: retries with
backoff, and each change processed exactly once as the receiver sees it."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from fengqiao.events import actions, notify, outbox
from fengqiao.events.models import Notification, Outbox

from .conftest import HAIYOU, area, new_event

pytestmark = pytest.mark.django_db


class Receiver:
    """Fails twice, then processes the change but loses its answer, then answers normally.
    Processes a key only once (the contract the Idempotency-Key header serves)."""

    def __init__(self, script):
        self.script = list(script)
        self.calls: list[str] = []
        self.processed: list[dict] = []
        self.seen: set[str] = set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                key = self.headers.get("Idempotency-Key", "")
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                receiver.calls.append(key)
                step = receiver.script.pop(0) if receiver.script else "ok"
                if step == "fail":
                    self.send_response(500)
                    self.end_headers()
                    return
                if key not in receiver.seen:
                    receiver.seen.add(key)
                    receiver.processed.append(body)
                if step == "lose":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/feedback"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def test_retries_with_backoff_and_exactly_once(users, settings):
    with Receiver(["fail", "fail", "lose"]) as rx:
        settings.FENGQIAO_WEBHOOKS = {"hotline_12345": rx.url}
        ev = new_event(users.county_op, channel_ref="12345-A1")
        actions.accept_event(ev, by=users.county_op)
        row = Outbox.objects.get(event=ev)
        t0 = row.next_attempt_at
        assert outbox.deliver_due(at=t0) == {"sent": 0, "failed": 1, "dead": 0}
        row.refresh_from_db()
        assert row.attempts == 1 and row.next_attempt_at == t0 + dt.timedelta(seconds=30)
        assert outbox.deliver_due(at=t0 + dt.timedelta(seconds=10))["failed"] == 0  # not due yet
        assert outbox.deliver_due(at=t0 + dt.timedelta(seconds=31))["failed"] == 1
        row.refresh_from_db()
        assert row.next_attempt_at == t0 + dt.timedelta(seconds=31 + 60)
        assert outbox.deliver_due(at=t0 + dt.timedelta(seconds=100))["failed"] == 1  # answer lost
        assert outbox.deliver_due(at=t0 + dt.timedelta(seconds=300))["sent"] == 1
        row.refresh_from_db()
        assert row.status == "delivered" and row.attempts == 4
        assert outbox.deliver_due(at=t0 + dt.timedelta(hours=2)) == {"sent": 0, "failed": 0, "dead": 0}
        assert rx.calls == [row.idempotency_key] * 4
        assert len(rx.processed) == 1 and rx.processed[0]["state"] == "accepted"
        assert rx.processed[0]["channel_ref"] == "12345-A1"

        actions.dispatch_event(ev, to_unit=area(HAIYOU), by=users.county_op)
        assert outbox.deliver_due(at=t0 + dt.timedelta(hours=3))["sent"] == 1
        assert [p["action"] for p in rx.processed] == ["accept", "dispatch"]
        assert rx.processed[1]["unit"] == "海游街道"


def test_gives_up_after_max_attempts(users, settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: connection refused
    settings.FENGQIAO_WEBHOOKS = {"police_110": f"http://127.0.0.1:{port}/x"}
    ev = new_event(users.county_op, channel="police_110", channel_ref="110-9")
    actions.accept_event(ev, by=users.county_op)
    at = Outbox.objects.get(event=ev).next_attempt_at
    for _ in range(outbox.MAX_ATTEMPTS):
        outbox.deliver_due(at=at)
        at += dt.timedelta(hours=2)
    row = Outbox.objects.get(event=ev)
    assert row.status == "dead" and row.attempts == outbox.MAX_ATTEMPTS and row.last_error


def test_channels_without_feedback_or_webhook_queue_nothing(users, settings):
    settings.FENGQIAO_WEBHOOKS = {}
    ev = new_event(users.county_op, channel_ref="12345-B")
    actions.accept_event(ev, by=users.county_op)
    assert not Outbox.objects.filter(event=ev).exists()


def test_notification_adapters(users, settings, tmp_path, django_capture_on_commit_callbacks):
    path = tmp_path / "n.jsonl"
    settings.FENGQIAO_NOTIFY_CHANNELS = ["inbox", "file", "webhook"]
    settings.FENGQIAO_NOTIFY_FILE = str(path)
    settings.FENGQIAO_WEBHOOKS = {"notifications": "http://127.0.0.1:9/hook"}
    with django_capture_on_commit_callbacks(execute=True):
        notify.notify_on_commit([users.town_haiyou.pk], "test", "标题", "正文")
    assert Notification.objects.filter(user=users.town_haiyou, kind="test").count() == 1
    line = json.loads(path.read_text(encoding="utf-8").splitlines()[-1])
    assert line["title"] == "标题" and line["user_ids"] == [users.town_haiyou.pk]
    assert Outbox.objects.filter(topic="notification", target="notifications").count() == 1


def _two_due(users, settings, url):
    settings.FENGQIAO_WEBHOOKS = {"hotline_12345": url}
    for ref in ("12345-S1", "12345-S2"):
        ev = new_event(users.county_op, channel_ref=ref)
        actions.accept_event(ev, by=users.county_op)
    rows = list(Outbox.objects.order_by("next_attempt_at", "id"))
    assert len(rows) == 2
    return rows


def test_a_row_in_flight_is_not_due_for_another_run_however_long_this_one_took(users, settings, monkeypatch):
    """The claim is stamped when the row is handled, not when the run began: a run that spent
    minutes on slow receivers no longer hands the row it is sending to the next run."""
    clock = {"now": None}
    posted, nested = [], []

    with Receiver([]) as rx:
        first, second = _two_due(users, settings, rx.url)
        clock["now"] = max(first.next_attempt_at, second.next_attempt_at)
        monkeypatch.setattr(outbox, "_now", lambda: clock["now"])
        real_post = outbox._post

        def slow_post(url, payload, key, topic):
            posted.append(key)
            if len(posted) == 1:  # the rows before took the run past the claim's two minutes
                clock["now"] += dt.timedelta(seconds=outbox.LEASE_SECONDS + 30)
            else:  # while the second row is in flight (a few seconds), the next run starts
                clock["now"] += dt.timedelta(seconds=5)
                nested.append(outbox.deliver_due())
            return real_post(url, payload, key, topic)

        monkeypatch.setattr(outbox, "_post", slow_post)
        assert outbox.deliver_due() == {"sent": 2, "failed": 0, "dead": 0}
    assert nested == [{"sent": 0, "failed": 0, "dead": 0}]
    assert posted == [first.idempotency_key, second.idempotency_key]  # each sent once
    assert rx.calls == posted


def test_a_run_claims_nothing_more_once_its_time_is_spent(users, settings, monkeypatch):
    ticks = iter([0.0, 1.0, outbox.RUN_BUDGET_SECONDS + 1.0])  # start, first row, second row
    with Receiver([]) as rx:
        first, second = _two_due(users, settings, rx.url)
        monkeypatch.setattr(outbox.time, "monotonic", lambda: next(ticks))
        at = max(first.next_attempt_at, second.next_attempt_at)
        assert outbox.deliver_due(at=at) == {"sent": 1, "failed": 0, "dead": 0}
    second.refresh_from_db()
    assert second.status == "pending" and second.attempts == 0 and second.next_attempt_at <= at  # still due
