"""Demo population registry (出租房屋与实有人口演示).

Four rental houses in 心湖社区 and 健中居委会 (one of them the rental check-point 心湖路12号,
one over-crowded), their tenants from other provinces with every state of the residence
permit (valid, expiring within 30 days, expired, none after half a year), two registered
residents at their own homes and a foreign national. Names and ID numbers are made up (valid
check digits). Skipped when the registry holds houses."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from fengqiao.accounts.models import User
from fengqiao.core.personal import id_check_digit
from fengqiao.events import sla

from . import actions
from .models import RentalHouse

XINHU, JIANZHONG = "331022001001", "331022105001"

# (key, village, address, kind, rooms, may house, landlord, days since registered)
HOUSES = [
    ("12", XINHU, "三门县海游街道心湖路12号", "rooms", 4, 8, "陈阿福", 200),
    ("26", XINHU, "三门县海游街道心湖路26号海游工业园员工宿舍", "dormitory", 10, 20, "三门县海游工业园管委会", 300),
    ("31", XINHU, "三门县海游街道心湖路31号(沿街商住)", "shop_home", 1, 2, "叶春生", 120),
    ("j9", JIANZHONG, "三门县健跳镇健中村中街9号", "whole", 2, 4, "郑永康", 90),
]

# (name, kind, house key or (village, address), region code, origin, reason, days since arrival,
#  permit: days from today until it ends (negative: ended), or None)
PEOPLE = [
    ("王建军", "floating", "12", "411202", "河南省三门峡市", "work", 400, 150),
    ("刘芳", "floating", "12", "411202", "河南省三门峡市", "family", 380, 12),  # ends within 30 days
    ("张伟", "floating", "12", "520102", "贵州省贵阳市", "work", 250, None),  # half a year, no permit
    ("杨丽", "floating", "26", "340102", "安徽省合肥市", "work", 500, -20),  # ended
    ("赵强", "floating", "26", "360102", "江西省南昌市", "work", 60, None),
    ("黄敏", "floating", "26", "510104", "四川省成都市", "study", 100, None),
    ("孙磊", "floating", "31", "411202", "河南省三门峡市", "business", 110, 250),
    ("孙小梅", "floating", "31", "411202", "河南省三门峡市", "family", 110, None),
    ("周杰", "floating", "31", "411202", "河南省三门峡市", "work", 30, None),  # the third in a house for two
    ("吴桂兰", "floating", "j9", "360102", "江西省南昌市", "work", 80, None),
    ("陈国平", "registered", (XINHU, "三门县海游街道心湖路5号"), "331022", "浙江省三门县", "", 0, None),
    ("叶小燕", "registered", (JIANZHONG, "三门县健跳镇健中村东街2号"), "331022", "浙江省三门县", "", 0, None),
    ("阮文雄", "foreign", "26", "", "越南", "work", 70, None),
]


def _id_number(region: str, n: int) -> str:
    if not region:
        return ""
    first17 = f"{region}19{80 + n % 20:02d}{n % 12 + 1:02d}{n % 27 + 1:02d}{n:03d}"
    return first17 + id_check_digit(first17)


def load_demo_population() -> int:
    """Register the demo houses and residents; return how many houses were registered."""
    cadres = {u.area.code: u for u in User.objects.filter(role="village_cadre").select_related("area")}
    workers = {u.area.parent.code: u for u in User.objects.filter(role="grid_worker").select_related("area__parent")}
    if RentalHouse.objects.exists() or not cadres:
        return 0
    now = sla.now()
    today = timezone.localdate(now)
    houses = {}
    for key, village, address, kind, rooms, max_occupants, landlord, days in HOUSES:
        cadre = cadres.get(village)
        if cadre is None:
            continue
        with sla.frozen_now(now - dt.timedelta(days=days)):
            houses[key] = actions.register_house(
                by=cadre, area=village, address=address, kind=kind, rooms=rooms, max_occupants=max_occupants,
                landlord_name=landlord, landlord_phone=f"1390576{len(houses) + 1:04d}", caretaker=workers.get(village))
    for n, (name, kind, where, region, origin, reason, arrived, permit) in enumerate(PEOPLE, start=1):
        house = houses.get(where) if isinstance(where, str) else None
        village = house.area.code if house is not None else where[0] if not isinstance(where, str) else None
        # a grid worker registers the tenants of the houses in their care; the cadre the others
        by = (workers.get(village) if house is not None else None) or cadres.get(village)
        if by is None:
            continue
        place = {"house": house} if house is not None else {"area": where[0], "address": where[1]}
        with sla.frozen_now(now - dt.timedelta(days=max(arrived - 2, 0))):
            actions.register_resident(
                by=by, name=name, kind=kind, id_number=_id_number(region, n), phone=f"1350576{n:04d}",
                origin=origin, reason=reason, arrived_on=(today - dt.timedelta(days=arrived)) if arrived else None,
                permit_expires_on=today + dt.timedelta(days=permit) if permit is not None else None, **place)
    return len(houses)
