"""Place resolution (gazetteer + polygons) and routing on the demo county's real place names."""

from __future__ import annotations

import pytest

from fengqiao.areas.models import Area, Level
from fengqiao.events.models import Category
from fengqiao.triage import service
from fengqiao.triage.models import PlaceName, RoutingRule

from .conftest import CHENGXI, HAIYOU, JIANTIAO, XINHU, area

pytestmark = pytest.mark.usefixtures("triage_db")


def test_text_names_the_most_specific_place_with_its_span():
    text = "海游街道心湖社区某小区门口烧烤摊每晚营业到凌晨"
    place = service.resolve_place(text)
    assert place.area.code == XINHU
    assert place.evidence["text"] == "心湖社区"
    assert text[place.evidence["start"]:place.evidence["end"]] == "心湖社区"
    assert not place.conflict


def test_alias_of_a_village():
    place = service.resolve_place("城西村村口的路灯坏了一个月")
    assert place.area.code == CHENGXI
    assert place.evidence == {"text": "城西村", "start": 0, "end": 3, "source": "alias"}


def test_town_alone():
    assert service.resolve_place("健跳镇码头附近有人乱倒垃圾").area.code == JIANTIAO


def test_admin_place_name_is_used_at_once():
    assert service.resolve_place("金鳌花园地下车库积水").area is None
    PlaceName.objects.create(name="金鳌花园", kind="estate", area=area(XINHU))
    place = service.resolve_place("金鳌花园地下车库积水")
    assert place.area.code == XINHU
    assert place.evidence["source"] == "place_name"


def _grid_outside_microgrids():
    return (Area.objects.filter(level=Level.GRID, path__startswith=f"/331022/{JIANTIAO}/")
            .exclude(children__isnull=False).order_by("path").first())


def test_point_at_a_grid_centre_is_that_grid():
    grid = _grid_outside_microgrids()
    place = service.resolve_place("", grid.center_lng, grid.center_lat)
    assert place.area == grid
    assert place.coordinate_area == grid
    assert place.evidence["source"] == "coordinates"


def test_point_in_xinhu_lands_on_a_micro_grid_of_the_grid():
    grid = Area.objects.filter(level=Level.GRID, parent__code=XINHU).order_by("path").first()
    found = service.area_at(grid.center_lng, grid.center_lat)
    assert found.level in {Level.GRID, Level.MICROGRID}
    assert found.path.startswith(grid.path)


def test_point_outside_the_county_finds_nothing():
    assert service.area_at(0.0, 0.0) is None


def test_text_and_point_agree_the_finer_wins():
    grid = Area.objects.filter(level=Level.GRID, path__startswith=f"/331022/{HAIYOU}/").exclude(
        children__isnull=False).order_by("path").first()
    place = service.resolve_place("海游街道有人占道经营", grid.center_lng, grid.center_lat)
    assert place.area == grid
    assert place.text_area.code == HAIYOU
    assert not place.conflict


def test_text_and_point_disagree_conflict_is_flagged():
    grid = _grid_outside_microgrids()  # in 健跳镇
    place = service.resolve_place("海游街道有人占道经营", grid.center_lng, grid.center_lat)
    assert place.conflict
    assert place.text_area.code == HAIYOU
    assert place.coordinate_area == grid


def test_place_resolver_hook_signature():
    assert service.resolve_area("心湖社区", longitude=None, latitude=None, within=area(HAIYOU)).code == XINHU
    assert service.resolve_area("心湖社区", within=area(JIANTIAO)) is None


# ---------------------------------------------------------------- routing


def test_rule_routes_to_department_with_explanation():
    cat = Category.objects.get(code="street_vending.stall")
    r = service.route(cat, area(HAIYOU))
    rule = RoutingRule.objects.get(name="占道经营 → 综合行政执法局")
    assert r.department.code == "ZF" and r.source == "rule" and r.rule_id == rule.pk
    assert r.explanation == f"category 流动摊贩 at 海游街道 → 三门县综合行政执法局 by rule #{rule.pk} «{rule.name}»"


def test_rule_routes_to_the_village_when_placed_precisely():
    cat = Category.objects.get(code="dispute.neighbour")
    grid = Area.objects.filter(level=Level.GRID, parent__code=XINHU).first()
    r = service.route(cat, grid)
    assert r.area.code == XINHU and r.department is None
    # placed only to the town: the village rule does not apply, the town-level dispute rule does
    r = service.route(cat, area(HAIYOU))
    assert r.area.code == HAIYOU
    town_rule = RoutingRule.objects.get(name="矛盾纠纷 → 所在乡镇(街道)")
    assert r.rule_id == town_rule.pk and f"#{town_rule.pk} «{town_rule.name}»" in r.explanation


def test_cohandlers_and_priority():
    cat = Category.objects.get(code="hazard.fire.ebike")
    r = service.route(cat, area(XINHU))
    assert r.department.code == "XFJY" and r.cohandlers == ["ZF"]
    special = RoutingRule.objects.create(name="心湖社区消防 → 社区", category=Category.objects.get(code="hazard.fire"),
                                         area=area(XINHU), target_level="village", priority=50)
    r = service.route(cat, area(XINHU))
    assert r.rule_id == special.pk and r.area.code == XINHU
    r = service.route(cat, area(JIANTIAO))  # outside the rule's area subtree
    assert r.department.code == "XFJY"


def test_history_fallback_then_category_department(users):
    from fengqiao.events import actions

    from .conftest import new_event

    cat = Category.objects.get(code="traffic.parking")  # no routing rule; usual department 公安
    r = service.route(cat, area(XINHU))
    assert r.source == "category" and r.department.code == "GA"
    county, zhifa = users.county_op, users.dept_zhifa
    for i in range(2):
        ev = new_event(county, title=f"乱停车{i}", content="心湖社区门口乱停车", address="海游街道心湖社区",
                       category="traffic.parking")
        actions.accept_event(ev, by=county)
        actions.dispatch_event(ev, to_unit=zhifa.department, by=county)
        actions.sign_event(ev, by=zhifa)
        actions.resolve_event(ev, by=zhifa, result="已处理")
        actions.verify_event(ev, by=county, feedback="satisfied")
        actions.close_event(ev, by=county)
    assert service.route(cat, area(XINHU)).source == "category"  # history is recounted every 10 minutes
    service.invalidate()
    r = service.route(cat, area(XINHU))
    assert r.source == "history" and r.department.code == "ZF"
    assert "2 of 2" in r.explanation and "海游街道" in r.explanation


def test_no_category_needs_a_person():
    r = service.route(None, area(HAIYOU))
    assert r.unit is None and r.explanation
