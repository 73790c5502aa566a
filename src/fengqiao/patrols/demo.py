"""Demo patrols (巡逻演示).

The grid workers of 心湖社区第1网格 and 健中村's first grid walked their grid every morning of the
past week (about an hour, a position every 30 seconds, round the inside of the grid), one of the
walks strayed into the next grid, one reported a matter on the way, and 健中村's grid worker is
out on a patrol now. Tracks are generated from the grids' boundaries, deterministically. Skipped
when patrols exist."""

from __future__ import annotations

import datetime as dt
import math

from django.utils import timezone
from shapely.geometry import shape

from fengqiao.accounts.models import User
from fengqiao.events import sla
from fengqiao.events.actions import create_event
from fengqiao.events.choices import Channel

from . import actions
from .models import Patrol

WALKERS = ("grid_xinhu1", "grid_jianzhong1")
DAYS = 7
#: seconds between two positions, and positions per walk (an hour)
EVERY_S, POINTS = 30, 120
NOTES = ("巡逻正常,未发现异常。", "沿街商铺消防通道畅通。", "提醒两户居民电动车不要楼道充电。",
         "小区门口车辆乱停,已劝离。", "河道沿线护栏完好。", "夜间路灯一处不亮,已上报。", "巡逻正常。")


def loop(boundary, n: int, *, phase: float = 0.0, stray: bool = False) -> list[tuple[float, float]]:
    """``n`` positions round the inside of ``boundary``'s bounding box (inset by a fifth), with
    a little wobble; ``stray`` takes the middle of the walk over the eastern edge."""
    x0, y0, x1, y1 = shape(boundary).bounds
    w, h = x1 - x0, y1 - y0
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    out = []
    for i in range(n):
        a = 2 * math.pi * i / n + phase
        wobble = 0.04 * math.sin(7 * a + phase)
        x = cx + (0.3 + wobble) * w * math.cos(a)
        y = cy + (0.3 + wobble) * h * math.sin(a)
        if stray and n // 3 <= i < n // 2:
            x += 0.45 * w  # over the edge into the neighbour
        out.append((round(x, 6), round(y, 6)))
    return out


def _walk(patrol: Patrol, by, start: dt.datetime, count: int, *, phase: float, stray: bool = False) -> None:
    points = [{"at": (start + dt.timedelta(seconds=i * EVERY_S)).isoformat(), "longitude": lon, "latitude": lat,
               "accuracy": 8 + (i * 7) % 15}
              for i, (lon, lat) in enumerate(loop(patrol.area.boundary, POINTS, phase=phase, stray=stray)[:count])]
    actions.add_points(patrol, by=by, points=points)


def load_demo_patrols() -> int:
    """Record the demo patrols; return how many were recorded."""
    walkers = list(User.objects.filter(username__in=WALKERS, is_active=True).select_related("area"))
    if Patrol.objects.exists() or not walkers:
        return 0
    now = sla.now()
    today = timezone.localtime(now).replace(hour=9, minute=0, second=0, microsecond=0)
    made = 0
    for w, by in enumerate(sorted(walkers, key=lambda u: u.username)):
        if not by.area.boundary:
            continue
        for day in range(DAYS, 0, -1):
            start = today - dt.timedelta(days=day, minutes=17 * w)
            end = start + dt.timedelta(seconds=EVERY_S * (POINTS - 1))
            with sla.frozen_now(start):
                patrol = actions.start_patrol(by=by)
            with sla.frozen_now(end):
                _walk(patrol, by, start, POINTS, phase=day + w, stray=day == 3)
                if day == 2:
                    event, _created = create_event(
                        by=by, channel=Channel.GRID_REPORT, title="巡逻发现楼道堆放杂物",
                        content="巡逻时发现居民楼楼道堆放纸箱杂物,堵塞消防通道,需清理。",
                        address=by.area.full_name(), area=by.area, area_checked=True)
                    actions.link_report(patrol.pk, event, by=by)
                actions.finish_patrol(patrol, by=by, note=NOTES[day % len(NOTES)])
            made += 1
    # 健中村's grid worker is out now: started 20 minutes ago, points so far
    out = next((u for u in walkers if u.username == "grid_jianzhong1" and u.area.boundary), None)
    if out is not None:
        start = now - dt.timedelta(minutes=20)
        with sla.frozen_now(start):
            patrol = actions.start_patrol(by=out)
        with sla.frozen_now(now):
            _walk(patrol, out, start, 40, phase=0.5)
        made += 1
    return made
