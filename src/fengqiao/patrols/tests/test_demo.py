"""The demo's patrols: a week of walks per grid worker inside their grid, one straying, one with a
matter reported, one running now; a second load adds nothing."""

from __future__ import annotations

import pytest

from fengqiao.patrols.choices import EndReason
from fengqiao.patrols.demo import DAYS, POINTS, WALKERS, load_demo_patrols
from fengqiao.patrols.models import Patrol

pytestmark = pytest.mark.django_db


def test_the_demo_patrols(users):
    assert load_demo_patrols() == len(WALKERS) * DAYS + 1
    assert load_demo_patrols() == 0
    ended = Patrol.objects.filter(end_reason=EndReason.FINISHED)
    assert ended.count() == len(WALKERS) * DAYS
    assert all(p.point_count == POINTS and 500 < p.distance_m < 5000 and p.note for p in ended)
    assert sorted({round(p.coverage(), 2) for p in ended})[-1] == 1.0
    assert min(p.coverage() for p in ended) < 0.95  # the walk that strayed
    assert sum(p.reports.count() for p in ended) == len(WALKERS)
    running = Patrol.objects.running().get()
    assert running.by.username == "grid_jianzhong1" and running.point_count == 40
    # each walker sees their own; the town sees its grid workers'
    assert set(Patrol.objects.restrict(users.grid_xinhu1).values_list("by__username", flat=True)) == {"grid_xinhu1"}
    assert Patrol.objects.restrict(users.town_haiyou).count() == DAYS
    assert Patrol.objects.restrict(users.county_op).count() == len(WALKERS) * DAYS + 1
