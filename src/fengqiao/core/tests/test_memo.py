"""Per-process memos: kept for their time limit, forgotten when a watched model changes."""

from __future__ import annotations

import pytest

from fengqiao.core import memo as memo_mod
from fengqiao.core.memo import Memo

pytestmark = pytest.mark.django_db


def test_value_is_kept_until_it_expires(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(memo_mod.time, "monotonic", lambda: now[0])
    calls = []
    m = Memo("test", 10)
    assert m.get("k", lambda: calls.append(1) or "v1") == "v1"
    assert m.get("k", lambda: calls.append(1) or "v2") == "v1"
    now[0] += 11
    assert m.get("k", lambda: calls.append(1) or "v3") == "v3"
    assert len(calls) == 2


def test_zero_seconds_turns_it_off():
    m = Memo("test", lambda: 0)
    values = iter(["a", "b"])
    assert m.get("k", lambda: next(values)) == "a"
    assert m.get("k", lambda: next(values)) == "b"


def test_a_save_of_a_watched_model_clears_it(users):
    m = Memo("test", 300, invalidated_by=["accounts.user"])
    assert m.get("k", lambda: "old") == "old"
    u = users.county_op
    u.title = "changed"
    u.save()
    assert m.get("k", lambda: "new") == "new"


def test_size_is_bounded():
    m = Memo("test", 300, max_entries=3)
    for i in range(10):
        m.get(i, lambda i=i: i)
    assert len(m._data) <= 3


def test_misses_can_be_left_out():
    m = Memo("test", 300)
    assert m.get("unknown", lambda: None, keep_none=False) is None
    assert "unknown" not in m._data
    assert m.get("unknown", lambda: "now known", keep_none=False) == "now known"
