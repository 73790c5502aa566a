"""The demo's check-points: every due state and both outcomes are shown, and a second load adds
nothing."""

from __future__ import annotations

import pytest
from django.utils import timezone

from fengqiao.grid.demo import load_demo_check_points
from fengqiao.grid.models import CheckPoint, Inspection

pytestmark = pytest.mark.django_db


def test_the_demo_check_points_show_every_state(users):
    assert load_demo_check_points() == 6
    assert load_demo_check_points() == 0
    now = timezone.now()
    marks = {p.name: p.due_mark(now) for p in CheckPoint.objects.all()}
    assert marks["城东加油站"] == "overdue" and marks["健中水库"] == "soon" and marks["心湖社区幼儿园"] == ""
    market = Inspection.objects.get(point__name="海游农贸市场")
    assert market.outcome == "problems" and market.hazard.category.code == "hazard.fire"
    assert market.hazard.channel == "grid_report" and "插线板" in market.hazard.content
    rental = Inspection.objects.filter(point__name="心湖路12号出租房").first()
    assert rental.outcome == "problems" and rental.hazard is None
    assert not CheckPoint.objects.get(name="健中小超市").inspections.exists()
    # the demo's grid worker has something due on the phone
    assert CheckPoint.objects.restrict(users.grid_xinhu1, "view").due("due", now).exists()
