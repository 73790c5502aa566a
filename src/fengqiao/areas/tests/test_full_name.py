"""A place's full name, as a Chinese address reads."""

from __future__ import annotations

import pytest

from fengqiao.areas.models import Area

pytestmark = pytest.mark.django_db


def test_a_grid_named_after_its_village_does_not_repeat_it():
    grid = Area.objects.get(code="331022001001001")
    assert grid.name == "心湖社区第1网格"
    assert grid.full_name() == "三门县海游街道心湖社区第1网格"


def test_names_that_do_not_repeat_are_run_together():
    assert Area.objects.get(code="331022001001").full_name() == "三门县海游街道心湖社区"
    assert Area.objects.get(code="331022").full_name() == "三门县"
