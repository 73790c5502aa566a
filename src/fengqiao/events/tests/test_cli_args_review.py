"""``fengqiao events demo --count`` from an outside probe: -5 exited 0 with "0 new", 99999999
ran for many minutes committing thousands of matters. A count outside 1–MAX_DEMO_COUNT is
refused in one bilingual line, exit 1, before anything is written."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from fengqiao.events.management.commands import events
from fengqiao.events.models import Event

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("count", ["-5", "0", "10000", "99999999", "x"])
def test_a_demo_count_out_of_range_is_refused(monkeypatch, count):
    import fengqiao.events.demo as demo

    called = []
    monkeypatch.setattr(demo, "load_demo_events", lambda **kw: called.append(kw) or 0)
    before = Event.objects.count()
    with pytest.raises(CommandError) as exc:
        call_command("events", "demo", "--count", count, stdout=StringIO(), stderr=StringIO())
    message = str(exc.value)
    assert exc.value.returncode == 1
    assert "\n" not in message and message.count(" / ") == 1, message
    zh, en = message.split(" / ")
    assert re.search(r"[\u4e00-\u9fff]", zh) and "--count" in en and "9999" in en
    assert called == [] and Event.objects.count() == before
    assert events.MAX_DEMO_COUNT == 9999


def test_a_demo_count_in_range_loads(monkeypatch):
    import fengqiao.events.demo as demo

    called = []
    monkeypatch.setattr(demo, "load_demo_events", lambda **kw: called.append(kw) or 0)
    for count in ("1", "9999"):
        out = StringIO()
        call_command("events", "demo", "--count", count, stdout=out, stderr=StringIO())
        assert "0 new" in out.getvalue()
    assert called == [{"n": 1}, {"n": 9999}]
