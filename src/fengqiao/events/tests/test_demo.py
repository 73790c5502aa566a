import pytest

from fengqiao.events.demo import load_demo_events
from fengqiao.events.models import Event

pytestmark = pytest.mark.django_db


def test_demo_events_are_deterministic_and_idempotent():
    assert load_demo_events(n=40) == 40
    states = set(Event.objects.filter(channel_ref__startswith="DEMO-").values_list("state", flat=True))
    assert {"received", "dispatched", "closed"} <= states
    first = list(Event.objects.filter(channel_ref__startswith="DEMO-").order_by("channel_ref")
                 .values_list("channel_ref", "state", "title"))
    assert load_demo_events(n=40) == 0
    assert len(first) == 40
