"""Demo matters for the demo county (三门县): a few hundred, in every state, made through the
actions, spread over every town that has a demo command room (``town_operator``). Deterministic
and idempotent (``DEMO-nnnn`` channel references are skipped when present). Call
``load_demo_events(n=300)`` after ``fengqiao.demo.loader.load_demo``."""

from __future__ import annotations

import datetime as dt
import random
from bisect import bisect_right
from itertools import accumulate

from django.db import transaction

from fengqiao.accounts.models import User
from fengqiao.areas.models import Area, Department, Level
from fengqiao.core import roles

from . import actions, sla
from .models import Event

# category code, title, content template ({place} is filled in)
TEMPLATES = [
    ("noise.social", "夜间广场舞噪音扰民", "{place}广场每晚广场舞音响声音过大,持续到十点以后,影响休息。"),
    ("noise.business", "烧烤店夜间噪音", "{place}沿街烧烤店凌晨仍在营业,喧哗声大。"),
    ("street_vending.stall", "流动摊贩占道经营", "{place}路口流动摊贩占用人行道,影响通行。"),
    ("property.service", "物业不及时清运垃圾", "{place}小区垃圾多日未清运,物业不作为。"),
    ("property.elevator", "小区电梯频繁故障", "{place}小区3号楼电梯频繁故障困人,物业维修不及时。"),
    ("labour.unpaid_wages", "工地拖欠农民工工资", "在{place}某工地务工,老板拖欠三个月工资共计2万余元。"),
    ("dispute.neighbour", "邻里宅基地界线纠纷", "{place}两户村民因宅基地界线发生争执,多次调解未果。"),
    ("dispute.family", "家庭赡养纠纷", "{place}老人反映子女不履行赡养义务。"),
    ("hazard.fire.ebike", "楼道电动车违规充电", "{place}居民楼楼道内有电动车飞线充电,存在火灾隐患。"),
    ("hazard.fire.lane", "消防通道被占用", "{place}小区消防通道长期停放车辆。"),
    ("environment.smell", "餐饮油烟扰民", "{place}餐馆油烟直排,附近居民无法开窗。"),
    ("urban.road", "道路破损坑洼", "{place}主干道路面出现大面积坑洼,雨天积水。"),
    ("urban.illegal_building", "违章搭建", "{place}有住户在楼顶违章搭建彩钢棚。"),
    ("market.food", "无证食品作坊", "{place}有无证食品加工作坊,卫生条件差。"),
    ("public_order.fight", "酒后打架", "{place}夜宵摊有人酒后打架。"),
    ("civil_affairs.hardship", "困难家庭求助", "{place}一户家庭因病致贫,申请临时救助。"),
    ("education.enrolment", "子女入学咨询", "{place}外来务工人员咨询子女就近入学政策。"),
    ("traffic.parking", "违章停车堵路", "{place}学校门口接送车辆乱停,早晚高峰拥堵。"),
]
CHANNELS = ["hotline_12345"] * 5 + ["grid_report"] * 3 + ["police_110", "citizen_app", "citizen_app", "petition",
                                                          "walk_in", "department"]
# (final state, weight)
STATES = [("received", 8), ("accepted", 5), ("rejected", 3), ("cancelled", 2), ("dispatched", 14), ("signed", 12),
          ("in_progress", 18), ("resolved", 10), ("verified", 6), ("closed", 22)]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林叶郑"
# The towns' shares of the matters: 海游街道 (the county seat) and 健跳镇, whose village cadre and
# grid worker have demo users too, keep about 35 % and 20 %; the other towns share the rest in
# proportion to their villages, each counted as at least MIN_VILLAGES (蛇蟠乡 has 4), so the
# smallest town's command room still has a few matters.
FOCUS_TOWNS = {"331022001": 0.35, "331022105": 0.20}
MIN_VILLAGES = 15
WORKING = ("dispatched", "signed", "in_progress")


def _users() -> dict[str, User] | None:
    names = ["county_op", "dept_zhifa", "dept_police", "dept_zhujian", "leader"]
    found = {u.username: u for u in User.objects.select_related("area", "department").filter(username__in=names)}
    return found if len(found) == len(names) else None


def _local_staff() -> tuple[dict[int, User], dict[int, User], dict[int, User]]:
    """The demo users matters go to inside a town, each keyed by the town's id: its command room
    (town operator), a village cadre and a grid worker (the first by username where a town has
    several)."""
    town_ops: dict[int, User] = {}
    cadres: dict[int, User] = {}
    workers: dict[int, User] = {}
    staff = (User.objects.filter(is_demo=True, is_active=True, area__isnull=False,
                                 role__in=[roles.TOWN_OPERATOR, roles.VILLAGE_CADRE, roles.GRID_WORKER])
             .select_related("area", "area__parent", "area__parent__parent").order_by("username"))
    for u in staff:
        a = u.area
        if u.role == roles.TOWN_OPERATOR and a.level == Level.TOWN:
            town_ops.setdefault(a.pk, u)
        elif u.role == roles.VILLAGE_CADRE and a.level == Level.VILLAGE and a.parent_id:
            cadres.setdefault(a.parent_id, u)
        elif u.role == roles.GRID_WORKER and a.level == Level.GRID and a.parent_id and a.parent.parent_id:
            workers.setdefault(a.parent.parent_id, u)
    return town_ops, cadres, workers


def _town_weights(towns: list[Area], villages: dict[int, list[Area]]) -> list[float]:
    focus = [FOCUS_TOWNS.get(t.code, 0.0) for t in towns]
    rest = 1.0 - sum(focus)
    sizes = [0 if t.code in FOCUS_TOWNS else max(len(villages[t.pk]), MIN_VILLAGES) for t in towns]
    if not sum(sizes):  # only the focus towns have a command room
        return [f / sum(focus) for f in focus]
    return [f + rest * n / sum(sizes) for f, n in zip(focus, sizes, strict=True)]


def load_demo_events(n: int = 300, *, seed: int = 2026) -> int:
    """Create up to ``n`` demo matters (``DEMO-0001`` …); return how many were new."""
    users = _users()
    town_ops, cadres, workers = _local_staff()
    if users is None or not town_ops:
        return 0
    existing = set(Event.objects.filter(channel_ref__startswith="DEMO-").values_list("channel_ref", flat=True))
    if len(existing) >= n:
        return 0
    rng = random.Random(seed)
    towns = list(Area.objects.filter(pk__in=town_ops).order_by("code"))
    villages: dict[int, list[Area]] = {t.pk: [] for t in towns}
    for v in Area.objects.filter(parent__in=towns, level=Level.VILLAGE).order_by("code"):
        villages[v.parent_id].append(v)
    bounds = list(accumulate(_town_weights(towns, villages)))
    depts = {d.code: d for d in Department.objects.filter(code__in=["ZF", "GA", "ZJ"]).order_by("code")}
    handler_of_dept = {"ZF": users["dept_zhifa"], "GA": users["dept_police"], "ZJ": users["dept_zhujian"]}
    seen: set[tuple[str, int]] = set()
    now = sla.now()
    created = 0
    state_names = [s for s, w in STATES for _ in range(w)]
    for i in range(1, n + 1):
        # Draw everything first so the sequence does not depend on which rows exist.
        tpl = rng.choice(TEMPLATES)
        channel = rng.choice(CHANNELS)
        town = towns[min(bisect_right(bounds, rng.random() * bounds[-1]), len(towns) - 1)]
        village_draw = rng.random()
        final = rng.choice(state_names)
        target_kind = rng.choice(["town", "town", "village", "dept"])
        dept_code = rng.choice(list(depts))
        days_ago = rng.uniform(0.2, 30)
        feedback_first = rng.choice(["satisfied", "satisfied", "basically_satisfied", "unsatisfied"])
        name = rng.choice(SURNAMES) + rng.choice("伟芳娜敏静丽强磊军洋勇艳杰涛明超")
        phone = f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}"
        extras = rng.random()
        sign_after, start_after, resolve_after = rng.uniform(20, 200), rng.uniform(30, 600), rng.uniform(600, 4000)
        if i <= len(STATES):  # the first matters end once in every state, so even a small demo shows each
            final = STATES[i - 1][0]
        worker, cadre = workers.get(town.pk), cadres.get(town.pk)
        by_worker = channel == "grid_report" and worker is not None
        # After the matters that show every state, a town's first matter waits at its command
        # room to be signed for and its second to be handled there, and a grid worker's first
        # report left in someone's hands goes to its grid, so every town operator has something
        # to sign for and to handle, and every grid worker something waiting (decided by the
        # order alone: the same matters on every load).
        if i > len(STATES) and ("town", town.pk) not in seen:
            seen.add(("town", town.pk))
            target_kind, final = "town", "dispatched"
        elif i > len(STATES) and ("town handles", town.pk) not in seen:
            seen.add(("town handles", town.pk))
            target_kind, final = "town", final if final == "signed" else "in_progress"
        elif final in WORKING:
            if by_worker and ("grid", worker.pk) not in seen:
                seen.add(("grid", worker.pk))
                target_kind = "village"
        ref = f"DEMO-{i:04d}"
        if ref in existing:
            continue
        start = now - dt.timedelta(days=days_ago)
        county = users["county_op"]
        if by_worker:
            # the grid worker reports from the street in its own grid
            creator, area = worker, worker.area
            village = area.parent
        else:
            creator = county
            if target_kind == "village" and cadre is not None:
                village = cadre.area
            else:
                choices = villages[town.pk]
                village = choices[int(village_draw * len(choices))] if choices else town
            area = village
        place = f"{town.name}{village.name}" if village != town else town.name
        with transaction.atomic():
            step = start

            def at(minutes: float):
                nonlocal step
                step = min(step + dt.timedelta(minutes=minutes), now)
                return sla.frozen_now(step)

            with sla.frozen_now(step):
                ev, new = actions.create_event(
                    by=creator, channel=channel, title=tpl[1], content=tpl[2].format(place=place), category=tpl[0],
                    address=place, reporter_name=name, reporter_phone=phone, anonymous=channel == "grid_report",
                    area=area, channel_ref=ref, received_at=step, notify_centre=False,
                )
            if not new:
                continue
            created += 1
            if final == "received":
                continue
            if final in {"rejected", "cancelled"}:
                with at(20):
                    fn = actions.reject_event if final == "rejected" else actions.cancel_event
                    fn(ev, by=county, reason="不属于受理范围" if final == "rejected" else "群众撤回诉求")
                continue
            with at(15):
                actions.accept_event(ev, by=county)
            if final == "accepted":
                continue
            if target_kind == "dept":
                unit, handler = depts[dept_code], handler_of_dept[dept_code]
            elif target_kind == "village" and creator is worker:
                unit, handler = worker.area, worker  # the grid handles its own report on the spot (就地处置)
            elif target_kind == "village" and cadre is not None:
                unit, handler = cadre.area, cadre
            else:  # a town without a demo village cadre handles its villages' matters itself
                unit, handler = town, town_ops[town.pk]
            with at(30):
                actions.dispatch_event(ev, to_unit=unit, by=county)
            if final == "dispatched":
                continue
            with at(sign_after):
                actions.sign_event(ev, by=handler)
            if extras < 0.1:
                with at(60):
                    actions.supervise_event(ev, by=users["leader"], reason="请加快办理进度")
            if extras > 0.93 and tpl[0].startswith("hazard"):
                with at(30):
                    actions.list_event(ev, by=users["leader"], reason="重大安全隐患挂牌督办")
            if final == "signed":
                continue
            with at(start_after):
                actions.start_event(ev, by=handler)
            if 0.1 <= extras < 0.15:
                with at(120):
                    actions.request_extension(ev, by=handler, days=3, reason="需多部门协调")
                with at(60):
                    actions.approve_extension(ev, by=county, approve=True)
            if final == "in_progress":
                continue
            minutes = resolve_after
            if i % 8 == 0:
                # one matter in eight is resolved after its time limit (a day past it, or as late
                # as the demo's "now" allows), so the on-time rates are not all 100 %
                ev.refresh_from_db(fields=["handle_due_at"])
                if ev.handle_due_at is not None:
                    minutes = max(minutes, (ev.handle_due_at - step).total_seconds() / 60 + 1440)
            with at(minutes):
                actions.resolve_event(ev, by=handler, result="已现场核查并处置,向群众反馈处理结果。")
            if final == "resolved":
                continue
            with at(240):
                actions.verify_event(ev, by=county, feedback=feedback_first)
            # an unsatisfied citizen's matter is mostly reopened and handled again; one in three is
            # closed as it stands, so the satisfaction rates count some "unsatisfied"
            if feedback_first == "unsatisfied" and i % 3 != 0:
                with at(30):
                    actions.reopen_event(ev, by=county, reason="群众不满意,重新办理")
                with at(1440):
                    actions.resolve_event(ev, by=handler, result="再次上门沟通,问题已解决。")
                with at(120):
                    actions.verify_event(ev, by=county, feedback="satisfied")
            if final == "verified":
                continue
            stays_unsatisfied = feedback_first == "unsatisfied" and i % 3 == 0
            with at(60):
                actions.close_event(ev, by=county, reason="已尽力解释政策,群众仍不满意,经中心研判予以归档" if stays_unsatisfied else "")
    return created + _repeat_reports(users, rng)


def _repeat_reports(users: dict[str, User], rng: random.Random, count: int = 6) -> int:
    """Repeat reports (重复反映): another citizen reports an open demo matter again a few hours
    later; the operator merges the repeat into it (已合并), which keeps both reporters. Refs
    ``DEMOR-nnnn``; skipped when present."""
    county = users["county_op"]
    targets = list(Event.objects.filter(channel_ref__startswith="DEMO-", merged_into=None,
                                        state__in=["dispatched", "signed", "in_progress"])
                   .order_by("channel_ref")[:count * 7:7])
    created = 0
    for target in targets:
        ref = f"DEMOR-{target.channel_ref[5:]}"
        if Event.objects.filter(channel_ref=ref).exists():
            continue
        name = rng.choice(SURNAMES) + rng.choice("伟芳娜敏静丽强磊军洋勇艳杰涛明超")
        phone = f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}"
        at = min(target.received_at + dt.timedelta(hours=rng.uniform(2, 20)), sla.now())
        with transaction.atomic(), sla.frozen_now(at):
            repeat, new = actions.create_event(
                by=county, channel="hotline_12345", title=f"再次反映:{target.title}",
                content=f"又有群众来电反映:{target.content}", category=target.category.code if target.category else None,
                address=target.address, reporter_name=name, reporter_phone=phone, channel_ref=ref,
                received_at=at, notify_centre=False,
            )
            if new:
                actions.merge_event(repeat, by=county, into=target, reason="同一事项重复反映,合并办理")
                created += 1
    return created
