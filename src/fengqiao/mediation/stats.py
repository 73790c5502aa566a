"""Statistics for a user's jurisdiction: read the rows through ``restrict``, then the pure
formulas of :mod:`fengqiao.mediation.kpi`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.dateparse import parse_date

from fengqiao.areas.models import Area, subtree_q
from fengqiao.core.errors import UserError
from fengqiao.core.filters import has_nul
from fengqiao.core.validators import FIRST_YEAR, LAST_YEAR

from . import kpi
from .choices import Source
from .models import Assignment, Dispute, DisputeType

BREAKDOWNS = ("month", "area", "organisation", "mediator", "type", "source")
#: the days a period may start or end on (0001-01-01 less a year overflowed)
FIRST_DAY, LAST_DAY = dt.date(FIRST_YEAR, 1, 1), dt.date(LAST_YEAR, 12, 31)


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        tz = timezone.get_current_timezone()
        lo = dt.datetime.combine(self.start, dt.time.min, tzinfo=tz)
        hi = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        return lo, hi


def _day(params, field: str) -> dt.date | None:
    """The day ``field`` names (``YYYY-MM-DD`` within :data:`FIRST_DAY`–:data:`LAST_DAY`), none
    when it is not given; else a 400 naming that field (``from`` or ``to``, whichever is wrong)."""
    raw = params.get(field) or ""
    if not raw:
        return None
    try:
        day = parse_date(raw)
    except ValueError:  # the shape of a date, but no day of the calendar (2026-02-30, year 0)
        day = None
    if day is None:
        raise UserError("bad_date", "日期格式应为 YYYY-MM-DD", "dates must look like YYYY-MM-DD", field=field)
    if not FIRST_DAY <= day <= LAST_DAY:
        raise UserError("bad_date", f"日期应在 {FIRST_DAY.year}–{LAST_DAY.year} 年之间",
                        f"dates must lie in the years {FIRST_DAY.year}–{LAST_DAY.year}", field=field)
    return day


def parse_period(params) -> Period:
    today = timezone.localdate()
    start, end = _day(params, "from"), _day(params, "to")
    end = end or today
    start = start or (end - dt.timedelta(days=364))
    if start > end:
        raise UserError("bad_period", "开始日期晚于结束日期", "the period starts after it ends", field="from")
    if (end - start).days > 3700:
        raise UserError("bad_period", "统计期间不能超过10年", "the period cannot exceed 10 years", field="from")
    return Period(start, end)


def scoped(user, params) -> tuple[object, Period, dict]:
    """The user's visible disputes registered in the period, narrowed by ``area``/``type``."""
    if has_nul(str(params.get(k) or "") for k in ("from", "to", "area", "type", "organisation")):
        raise UserError("bad_text", "筛选条件含有无效字符", "a filter holds a NUL character")
    period = parse_period(params)
    lo, hi = period.bounds()
    qs = Dispute.objects.restrict(user, "stats").filter(registered_at__gte=lo, registered_at__lt=hi)
    applied = {"from": period.start.isoformat(), "to": period.end.isoformat()}
    code = params.get("area")
    if code:
        area = Area.objects.restrict(user, "view").filter(code=str(code)[:32]).first()
        if area is None:
            raise UserError("unknown_area", "区域不存在或不在您的管辖范围内", "unknown area or outside your jurisdiction",
                            status=404, field="area")
        qs = qs.filter(subtree_q(area.path, "area_path"))
        applied["area"] = area.code
    tcode = params.get("type")
    if tcode:
        t = DisputeType.objects.filter(code=str(tcode)[:64]).first()
        if t is None:
            raise UserError("unknown_type", "纠纷类型不存在", "unknown dispute type", field="type")
        qs = qs.filter(subtree_q(t.path, "type__path"))
        applied["type"] = t.code
    org = params.get("organisation")
    if org:
        try:
            qs = qs.filter(organisation_id=int(org))
        except (TypeError, ValueError):
            raise UserError("invalid", "organisation 应为整数编号", "organisation must be an integer id",
                            field="organisation") from None
        applied["organisation"] = int(org)
    return qs, period, applied


def rows(qs) -> tuple[list[kpi.Row], dict]:
    """Plain rows plus labels for the breakdown keys."""
    type_names = dict(DisputeType.objects.values_list("code", "name"))
    area_names = dict(Area.objects.filter(level__in=["county", "town"]).values_list("code", "name"))
    leads: dict[int, str] = {}
    for did, name in (Assignment.objects.filter(dispute__in=qs.values("pk"), role="lead")
                      .exclude(result="released").order_by("assigned_at", "id")
                      .values_list("dispute_id", "mediator__name")):
        leads[did] = name
    out = []
    tz = timezone.get_current_timezone()
    for (pk, accepted_at, outcome, state, registered_at, concluded_at, amount, recovered, followed_up_at, honoured,
         area_path, org_name, type_path, source) in qs.values_list(
            "pk", "accepted_at", "outcome", "state", "registered_at", "concluded_at", "amount_in_dispute",
            "amount_recovered", "followed_up_at", "honoured", "area_path", "organisation__name", "type__path",
            "source").order_by():
        parts = area_path.strip("/").split("/")
        out.append(kpi.Row(
            accepted=accepted_at is not None, outcome=outcome or "", state=state, registered_at=registered_at,
            concluded_at=concluded_at, amount=amount, recovered=recovered, followed_up=followed_up_at is not None,
            honoured=honoured or "",
            keys={"month": registered_at.astimezone(tz).strftime("%Y-%m"),
                  "area": parts[1] if len(parts) > 1 else parts[0],
                  "organisation": org_name or "", "mediator": leads.get(pk, ""),
                  "type": type_path.strip("/").split("/")[0], "source": source},
        ))
    labels = {"area": area_names, "type": type_names, "source": dict(Source.choices)}
    return out, labels


def compute(user, params) -> dict:
    qs, period, applied = scoped(user, params)
    data, labels = rows(qs)
    result = {"period": applied, **kpi.summarise(data), "breakdowns": {}}
    for key in BREAKDOWNS:
        names = labels.get(key, {})
        result["breakdowns"][key] = kpi.breakdown(data, key, lambda k, names=names: str(names.get(k, k)))
    return result
