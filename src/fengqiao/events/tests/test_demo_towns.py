"""The demo matters are the same on every fresh load, and a load that finds part of them already
there adds exactly the missing ones (each matter's draws do not depend on which rows exist)."""

from __future__ import annotations

import pytest
from django.db import transaction

from fengqiao.events.demo import load_demo_events
from fengqiao.events.models import Event

pytestmark = pytest.mark.django_db


class _Undo(Exception):
    pass


def snapshot() -> list[tuple]:
    return list(Event.objects.filter(channel_ref__startswith="DEMO-").order_by("channel_ref").values_list(
        "channel_ref", "state", "title", "area__code", "created_by__username", "handling_area__code",
        "handling_department__code", "assignee__username"))


def test_demo_matters_are_deterministic_and_a_partial_load_completes_them():
    try:
        with transaction.atomic():
            assert load_demo_events(n=60) >= 60
            fresh = snapshot()
            raise _Undo
    except _Undo:
        pass
    assert not Event.objects.filter(channel_ref__startswith="DEMO-").exists()
    load_demo_events(n=25)
    load_demo_events(n=60)
    assert snapshot() == fresh
    towns = {code[:9] for _ref, _s, _t, code, *_ in fresh}
    assert len(towns) >= 6  # spread over the county's towns, not two of them
