"""Demo risks (风险预警演示): a few matters that the risk scan should catch, then one scan, so the
demo county opens with alerts of several kinds. Refs ``DEMOK-nn``; skipped when present."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from fengqiao.accounts.models import User
from fengqiao.areas.models import Area
from fengqiao.events import actions, sla
from fengqiao.events.models import Event

# (ref, town, hours ago, channel, category, title, content, reporter phone)
MATTERS = [
    # escalation language (民转刑 risk)
    ("DEMOK-01", "海游街道", 5, "hotline_12345", "dispute.neighbour", "宅基地纠纷激化",
     "{place}两户村民因宅基地围墙再次发生争吵,一方扬言再不解决就和对方同归于尽,请尽快介入。", "13957611001"),
    ("DEMOK-02", "亭旁镇", 6, "police_110", "labour.unpaid_wages", "工人讨薪情绪激动",
     "{place}某工地二十多名工人讨薪,有人拉横幅堵在项目部门口,情绪激动。", "13957611002"),
    # the same person again and again (同一人反复反映), twice as a petition
    ("DEMOK-03", "健跳镇", 24 * 18, "hotline_12345", "noise.business", "石料加工厂夜间噪声",
     "{place}石料加工厂每天夜里作业到凌晨,噪声很大,影响休息。", "13957611003"),
    ("DEMOK-04", "健跳镇", 24 * 11, "petition", "noise.business", "再次反映石料厂噪声",
     "{place}石料加工厂夜间噪声问题反映过一次,至今没有改善。", "13957611003"),
    ("DEMOK-05", "健跳镇", 24 * 4, "petition", "noise.business", "石料厂噪声问题仍未解决",
     "{place}石料加工厂夜间作业问题多次反映,希望领导重视。", "13957611003"),
    ("DEMOK-06", "健跳镇", 20, "hotline_12345", "noise.business", "第四次反映石料厂噪声",
     "{place}石料加工厂昨夜又作业到两点,要求停产整改。", "13957611003"),
]
# a spike (激增): seven water-pollution reports from one town within a day
SPIKE = [(f"DEMOK-{10 + i:02d}", "珠岙镇", 2 + 2.5 * i, "hotline_12345", "environment.water", title,
          "{place}溪里出现大量死鱼,水面发黑有异味,怀疑上游有企业偷排。", f"1395761{2000 + i:04d}")
         for i, title in enumerate(["溪里大量死鱼", "河水发黑发臭", "溪水异味", "河道死鱼", "怀疑企业偷排污水",
                                    "溪水变色", "饮用水源担心被污染"])]


def load_demo_risks() -> int:
    """Create the demo's risky matters and run one scan; return how many matters were new."""
    county_op = User.objects.filter(username="county_op").first()
    if county_op is None:
        return 0
    existing = set(Event.objects.filter(channel_ref__startswith="DEMOK-").values_list("channel_ref", flat=True))
    now = sla.now()
    created = 0
    for ref, town_name, hours, channel, category, title, content, phone in [*MATTERS, *SPIKE]:
        if ref in existing:
            continue
        town = Area.objects.filter(level="town", name=town_name).first()
        if town is None:
            continue
        village = town.children.order_by("code").first() or town
        at = now - dt.timedelta(hours=hours)
        with transaction.atomic(), sla.frozen_now(at):
            _event, new = actions.create_event(
                by=county_op, channel=channel, title=title, content=content.format(place=f"{town.name}{village.name}"),
                category=category, address=f"{town.name}{village.name}", reporter_name="演示群众",
                reporter_phone=phone, area=village, channel_ref=ref, received_at=at, notify_centre=False)
        created += int(new)
    from .scan import run

    run()
    return created
