"""Demo key persons (重点人员演示): a few people in 心湖社区 and 健中居委会 with their visits, one of
them overdue and one visit that found trouble, so the registry, the evaluation's visit
completion and the risk alerts have something to show. Names and ID numbers are made up
(valid check digits, birth dates in 1960–1990); skipped when the demo registry holds people."""

from __future__ import annotations

import datetime as dt

from fengqiao.accounts.models import User
from fengqiao.core.personal import id_check_digit
from fengqiao.events import sla

from . import actions
from .models import KeyPerson

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
