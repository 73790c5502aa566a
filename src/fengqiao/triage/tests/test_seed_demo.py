"""The default routing rules after the demo is loaded (a fresh-demo review found the five rules
to departments missing, and 物业服务 without its co-handler: the migration seeds the rules
before the county's departments exist)."""

from __future__ import annotations

import pytest

from fengqiao.triage.models import RoutingRule
from fengqiao.triage.seed import DEFAULT_ROUTES

pytestmark = pytest.mark.django_db


def test_demo_load_leaves_every_default_rule_with_its_co_handlers():
    from fengqiao.demo.loader import load_demo

    RoutingRule.objects.filter(department__isnull=False).delete()  # as after the migration alone
    rule = RoutingRule.objects.get(name="物业服务 → 所在社区")
    rule.cohandlers.clear()
    load_demo(history=False)
    assert set(RoutingRule.objects.values_list("name", flat=True)) >= {r[0] for r in DEFAULT_ROUTES}
    for name, _cat, _level, target, co, _prio in DEFAULT_ROUTES:
        rule = RoutingRule.objects.get(name=name)
        if target.startswith("dept:"):
            assert rule.department.code == target[5:], name
        assert sorted(rule.cohandlers.values_list("code", flat=True)) == sorted(co), name
