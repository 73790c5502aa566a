import pytest

from fengqiao.events.demo import load_demo_events
from fengqiao.events.models import Event

pytestmark = pytest.mark.django_db


def test_demo_events_are_deterministic_and_idempotent():
    created = load_demo_events(n=40)
    states = set(Event.objects.filter(channel_ref__startswith="DEMO-").values_list("state", flat=True))
    assert {"received", "dispatched", "closed"} <= states
    # repeat reports merged into open matters, so the demo shows 已合并 too
    repeats = Event.objects.filter(channel_ref__startswith="DEMOR-")
    assert created == 40 + repeats.count() and repeats.count() >= 2
    for r in repeats:
        assert r.state == "merged" and r.merged_into.channel_ref == "DEMO-" + r.channel_ref[6:]
        assert r.merged_into.timeline.filter(action="merged_in").exists()
    first = list(Event.objects.filter(channel_ref__startswith="DEMO-").order_by("channel_ref")
                 .values_list("channel_ref", "state", "title"))
    assert load_demo_events(n=40) == 0
    assert len(first) == 40
