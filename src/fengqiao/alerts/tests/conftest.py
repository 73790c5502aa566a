"""Alerts fixtures: matters made through the intake action at chosen times, and scans."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

XINHU, HAIYOU, JIANZHONG, JIANTIAO = "331022001001", "331022001", "331022105001", "331022105"
_refs = itertools.count(1)


@pytest.fixture
def matter(users):
    """``matter(title, content, hours_ago=1, phone="", channel=..., area=XINHU, category=None)``:
    a matter taken in by the county centre ``hours_ago`` hours before now."""
    from django.utils import timezone

    from fengqiao.areas.models import Area
    from fengqiao.events import sla
    from fengqiao.events.actions import create_event

    def make(title="路灯损坏", content="路灯不亮,夜间通行不便。", *, hours_ago=1.0, phone="", channel="hotline_12345",
             area=XINHU, category=None, **kw):
        when = timezone.now() - dt.timedelta(hours=hours_ago)
        place = Area.objects.get(code=area)
        with sla.frozen_now(when):
            event, _ = create_event(by=users.county_op, channel=channel, title=title, content=content,
                                    address=place.name, area=place, reporter_name="测试群众" if phone else "",
                                    reporter_phone=phone, category=category, received_at=when,
                                    idempotency_key=f"alerts-test-{next(_refs)}", notify_centre=False, **kw)
        return event

    return make


@pytest.fixture
def scan():
    from fengqiao.alerts.scan import run

    return run


@pytest.fixture
def alerts():
    """The alerts of one kind, oldest first."""
    from fengqiao.alerts.models import RiskAlert

    return lambda kind: list(RiskAlert.objects.filter(kind=kind).order_by("id"))
