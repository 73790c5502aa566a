"""Demo grid registries.

- Key persons (重点人员演示): a few people in 心湖社区 and 健中居委会 with their visits, one of
  them overdue and one visit that found trouble, so the registry, the evaluation's visit
  completion and the risk alerts have something to show. Names and ID numbers are made up
  (valid check digits, birth dates in 1960–1990); skipped when the demo registry holds people.
- Check-points (平安点位演示): a school, a market, a rental house, a fuel station, a reservoir
  and a small shop in the same two villages with their inspections: two overdue, one due soon,
  one inspection that found problems and reported them as a hazard matter, one put right on
  the spot. Skipped when the registry holds check-points."""

from __future__ import annotations

import datetime as dt

from fengqiao.accounts.models import User
from fengqiao.core.personal import id_check_digit
from fengqiao.events import sla

from . import actions, points
from .models import CheckPoint, KeyPerson

# (name, category, village code, days since registered, visits: days ago, condition, note)
PEOPLE = [
    ("周海平", "community_correction", "331022001001", 60, [(20, "stable", ""), (13, "stable", ""), (6, "stable", "")]),
    ("林秀英", "mental_disorder", "331022001001", 45, [(16, "stable", ""), (9, "attention", "近期睡眠差,家属陪护。"),
                                                     (0.3, "abnormal", "自行停药一周,情绪激动,与邻居争吵。")]),
    ("郑国强", "released_prisoner", "331022001001", 90, [(25, "stable", "已在镇上企业就业。")]),
    ("吴志明", "drug_user", "331022001001", 40, [(26, "stable", "尿检阴性。")]),  # 14-day interval: overdue
    ("徐红梅", "key_petitioner", "331022105001", 50, [(12, "stable", "征地补偿问题已解释,情绪平稳。")]),
    ("黄建华", "community_correction", "331022105001", 20, [(5, "stable", "")]),
]


def load_demo_key_persons() -> int:
    """Register the demo key persons and their visits; return how many were registered."""
    cadres = {u.area.code: u for u in User.objects.filter(role="village_cadre").select_related("area")}
    workers = {u.area.parent.code: u for u in User.objects.filter(role="grid_worker").select_related("area__parent")}
    if KeyPerson.objects.exists() or not cadres:
        return 0
    now = sla.now()
    created = 0
    for n, (name, category, village, registered_days, visits) in enumerate(PEOPLE, start=1):
        cadre, worker = cadres.get(village), workers.get(village)
        if cadre is None:
            continue
        first17 = f"33102219{60 + 5 * n}0{n % 9 + 1}1{n:01d}08{n % 10}"[:17]
        with sla.frozen_now(now - dt.timedelta(days=registered_days)):
            person = actions.register_key_person(
                by=cadre, name=name, category=category, area=village, id_number=first17 + id_check_digit(first17),
                phone=f"1385761{n:04d}", caretaker=worker, address="演示地址")
        for days_ago, condition, note in visits:
            with sla.frozen_now(now - dt.timedelta(days=days_ago)):
                actions.record_visit(person, by=worker or cadre, condition=condition, note=note)
        created += 1
    return created


# (name, kind, village code, address, days since registered, inspections: days ago, problems, note, report)
POINTS = [
    ("心湖社区幼儿园", "school", "331022001001", "心湖路8号", 40,
     [(15, [], "", True), (8, [], "", True), (1, [], "", True)]),
    ("海游农贸市场", "market", "331022001001", "海游街道人民路66号", 60,
     [(9, [(0, "东侧消防通道被摊位占用"), (2, "水产区插线板串接")], "已责令摊主当日清理,需执法队跟进。", True)]),
    ("心湖路12号出租房", "rental", "331022001001", "心湖路12号", 50,
     [(40, [], "", True), (12, [(2, "一楼楼道有电动车充电")], "已劝导移出,当场整改。", False)]),
    ("城东加油站", "fuel", "331022001001", "东环路1号", 30, [(10, [], "", True)]),  # 7-day interval: overdue
    ("健中水库", "water", "331022105001", "健跳镇健中村后山", 30, [(12, [], "雨后水位略高,正常范围内。", True)]),
    ("健中小超市", "small_venue", "331022105001", "健跳镇健中村中街3号", 20, []),
]


def load_demo_check_points() -> int:
    """Register the demo check-points and their inspections; return how many were registered."""
    cadres = {u.area.code: u for u in User.objects.filter(role="village_cadre").select_related("area")}
    workers = {u.area.parent.code: u for u in User.objects.filter(role="grid_worker").select_related("area__parent")}
    if CheckPoint.objects.exists() or not cadres:
        return 0
    now = sla.now()
    created = 0
    for name, kind, village, address, registered_days, inspections in POINTS:
        cadre, worker = cadres.get(village), workers.get(village)
        if cadre is None:
            continue
        with sla.frozen_now(now - dt.timedelta(days=registered_days)):
            point = points.register_point(by=cadre, name=name, kind=kind, area=village, address=address,
                                          caretaker=worker)
        for days_ago, problems, note, report in inspections:
            with sla.frozen_now(now - dt.timedelta(days=days_ago)):
                points.record_inspection(point, by=worker or cadre, note=note, report=report,
                                         problems=[{"item": i, "note": text} for i, text in problems])
        created += 1
    return created
