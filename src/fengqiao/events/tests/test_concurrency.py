"""Two operators acting on one matter at the same moment: exactly one wins, the other gets 409."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import OperationalError, connection

from fengqiao.accounts.models import User
from fengqiao.core.errors import Conflict
from fengqiao.events import actions
from fengqiao.events.models import Event, TimelineEntry

from .conftest import HAIYOU, JIANTIAO, area, new_event


def _in_memory_sqlite() -> bool:
    return connection.vendor == "sqlite" and connection.is_in_memory_db()


def _call(fn):
    """Run ``fn``; on the in-memory test database SQLite's shared cache answers "table is
    locked" at once where a file database (WAL, busy_timeout) waits: emulate that wait."""
    for _ in range(200):
        try:
            return fn()
        except OperationalError as exc:
            if not (_in_memory_sqlite() and "locked" in str(exc)):
                raise
            time.sleep(0.01)
    raise AssertionError("database stayed locked")


def race(fns):
    barrier = threading.Barrier(len(fns))
    results = [None] * len(fns)

    def run(i, fn):
        try:
            barrier.wait()
            _call(fn)
            results[i] = "ok"
        except Conflict as exc:
            results[i] = exc.code
        except Exception as exc:
            results[i] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_operators_dispatch_at_once(demo_county):
    op1 = User.objects.select_related("area").get(username="county_op")
    op2 = User.objects.select_related("area").get(username="county_op2")
    ev = new_event(op1)
    actions.accept_event(ev, by=op1)

    def dispatch(user, code):
        mine = Event.objects.get(pk=ev.pk)  # both operators opened the matter at version 1
        unit = area(code)

        def fn():
            actions.dispatch_event(mine, to_unit=unit, by=user)
        return fn

    results = race([dispatch(op1, HAIYOU), dispatch(op2, JIANTIAO)])
    assert sorted(results) == ["ok", "stale"], results
    assert TimelineEntry.objects.filter(event_id=ev.pk, action="dispatch").count() == 1
    assert Event.objects.get(pk=ev.pk).version == 2


@pytest.mark.django_db(transaction=True)
def test_same_idempotency_key_at_once_creates_one(demo_county):
    op = User.objects.select_related("area").get(username="county_op")
    made = []

    def create():
        ev, created = actions.create_event(by=op, channel="citizen_app", title="路灯不亮", content="心湖社区路灯不亮",
                                           idempotency_key="same-key")
        made.append((ev.pk, created))

    results = race([create, create])
    assert results == ["ok", "ok"]
    assert len({pk for pk, _ in made}) == 1 and sorted(c for _, c in made) == [False, True]
