"""Two requests of one patroller at the same moment (two open copies of the phone page flushing
the same queue, two devices): the patroller's writes run one after another."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from fengqiao.patrols import actions
from fengqiao.patrols.models import Patrol

pytestmark = pytest.mark.django_db(transaction=True)


def _both(*fns):
    out = [None] * len(fns)

    def run(i, fn):
        try:
            out[i] = fn()
        except Exception as exc:  # the answer under test
            out[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return out


def test_the_same_start_sent_twice_at_once_answers_one_patrol(demo_county, users, monkeypatch):
    by = users.grid_xinhu1
    barrier = threading.Barrier(2, timeout=10)
    real = actions.clock_now

    def together():  # both have passed the key's look-up before either writes
        barrier.wait()
        return real()

    monkeypatch.setattr(actions, "clock_now", together)
    got = _both(lambda: actions.start_patrol(by=by, idempotency_key="K1"),
                lambda: actions.start_patrol(by=by, idempotency_key="K1"))
    assert all(isinstance(g, Patrol) for g in got), got
    assert got[0].pk == got[1].pk and sorted([got[0].repeated, got[1].repeated]) == [False, True]
    assert Patrol.objects.filter(by=by).count() == 1
