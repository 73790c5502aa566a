"""``fengqiao worker --workers 0`` (or less) started with no thread and never ran anything: it
is refused in one bilingual line, exit 1, before the worker starts."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from fengqiao.core.management.commands import worker


@pytest.fixture
def started(monkeypatch):
    calls = []
    monkeypatch.setattr(worker, "call_command", lambda *a, **kw: calls.append((a, kw)))
    return calls


@pytest.mark.parametrize("value", ["0", "-1", "65", "x"])
def test_a_worker_count_out_of_range_is_refused(started, value):
    with pytest.raises(CommandError) as exc:
        call_command("worker", "--workers", value, stdout=StringIO(), stderr=StringIO())
    message = str(exc.value)
    assert exc.value.returncode == 1
    assert "\n" not in message and message.count(" / ") == 1, message
    zh, en = message.split(" / ")
    assert re.search(r"[\u4e00-\u9fff]", zh) and "--workers" in en and "64" in en
    assert started == []


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["1", "64"])
def test_a_worker_count_in_range_starts(started, value):
    call_command("worker", "--workers", value, stdout=StringIO(), stderr=StringIO())
    assert started == [(("run_huey",), {"workers": int(value)})]
