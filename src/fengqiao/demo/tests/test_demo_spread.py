"""The demo with its history: matters in every town of 三门县, something waiting in every demo
command room and for the 健跳 grid worker and village cadre, and nothing new on a second load.

The suite shares one demo load without history (ADR 0009); this test loads the history inside
its own rolled-back transaction, as the other demo tests do.
"""

from __future__ import annotations

import pytest

from fengqiao.accounts.models import User
from fengqiao.areas.models import Area, Level
from fengqiao.core import roles
from fengqiao.demo.loader import COUNTY, USERS
from fengqiao.events.demo import load_demo_events
from fengqiao.events.models import Event
from fengqiao.web.matters import visible_events
from fengqiao.web.work import queue_counts

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

JIANZHONG = "331022105001"


def waiting(user) -> dict[str, int]:
    """The counters of the user's workbench (工作台), as the home page computes them."""
    return {q["key"]: q["count"] for q in queue_counts(user, visible_events(user))}


def test_demo_history_spreads_over_every_town_and_loads_once():
    from fengqiao.demo.loader import load_demo

    load_demo(history=True)
    demo = Event.objects.filter(channel_ref__startswith="DEMO")
    assert demo.filter(channel_ref__startswith="DEMO-").count() == 300
    assert demo.filter(channel_ref__startswith="DEMOR-", state="merged").count() == 6
    total = demo.count()

    towns = list(Area.objects.filter(parent__code=COUNTY, level=Level.TOWN).order_by("code"))
    assert len(towns) == 10
    per_town = {t.code: demo.filter(area_path__startswith=t.path).count() for t in towns}
    assert sum(per_town.values()) == total  # every matter lies in a town
    assert all(n >= 5 for n in per_town.values()), per_town
    # the two towns with demo village cadres and grid workers keep a good share
    assert per_town["331022001"] >= 0.3 * total and per_town["331022105"] >= 0.15 * total, per_town

    # one demo command room per town, each with matters to sign for and to handle (README)
    operators = User.objects.filter(is_demo=True, role=roles.TOWN_OPERATOR).select_related("area")
    assert sorted(u.area.code for u in operators) == [t.code for t in towns]
    assert {u for u, role, *_ in USERS if role == roles.TOWN_OPERATOR} == {u.username for u in operators}
    for op in operators:
        counts = waiting(op)
        assert counts["to_sign"] > 0 and counts["to_handle"] > 0, (op.username, counts)

    # the 健跳 grid worker reports from its grid and handles some of its reports itself
    grid_worker = User.objects.select_related("area").get(username="grid_jianzhong1")
    filed = Event.objects.filter(created_by=grid_worker, channel="grid_report")
    assert filed.count() >= 5
    assert all(e.area_path.startswith(grid_worker.area.path) for e in filed)
    counts = waiting(grid_worker)
    assert counts["to_sign"] + counts["to_handle"] > 0, counts
    # and some village dispatches go to 健中居委会
    assert Event.objects.filter(handling_area__code=JIANZHONG).exists()
    cadre = User.objects.select_related("area").get(username="cadre_jianzhong")
    counts = waiting(cadre)
    assert counts["to_sign"] + counts["to_handle"] > 0, counts

    # loading again (a second `make demo`) creates nothing
    before = set(Event.objects.values_list("channel_ref", flat=True))
    load_demo(history=True)
    assert load_demo_events() == 0
    assert set(Event.objects.values_list("channel_ref", flat=True)) == before
