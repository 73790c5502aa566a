"""First dashboard (数据看板): intake by channel per day, open matters by state and colour,
on-time resolution and satisfaction per town. Every chart has its numbers in a table below
and links to the matching filtered list: each link's filters select exactly the matters the
number counts (``tests/test_dashboard_review.py`` holds them to it). KPI formulas live in
``kpi.py`` (pure).

The per-unit rates count the matters *resolved* in the period (办结 on a day of the period and
still resolved, verified or closed), as an evaluation of the period's work does; each row links
to exactly those matters (``resolved_from``/``resolved_to`` and the resolved states)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.areas.models import Area, Level, subtree_q
from fengqiao.core.validators import FIRST_YEAR
from fengqiao.events.choices import OPEN_STATES, Channel, Feedback, SlaColor, State

from . import kpi
from .matters import visible_events

SLA_COLOURS = {"green": "#3ebd93", "yellow": "#f7c948", "red": "#e12d39"}
# 已办结及之后: resolve sets resolved_at, reopen clears it, close follows verify.
RESOLVED_STATES = (State.RESOLVED, State.VERIFIED, State.CLOSED)

# The per-unit rates' conditions, shared with the evaluation (考评, ``fengqiao.evaluation``) so
# both pages count the same matters: on time = resolved by the handling deadline (or with no
# deadline); visited = the citizen's feedback recorded (核实回访); satisfied = 满意 or 基本满意.
ON_TIME_Q = Q(handle_due_at__isnull=True) | Q(resolved_at__lte=F("handle_due_at"))
VISITED_Q = ~Q(feedback="")
SATISFIED_Q = Q(feedback__in=[Feedback.SATISFIED, Feedback.BASICALLY_SATISFIED])


def resolved_q(lo: dt.datetime, hi: dt.datetime) -> Q:
    """The matters resolved in ``[lo, hi)`` and still resolved, verified or closed."""
    return Q(state__in=RESOLVED_STATES, resolved_at__gte=lo, resolved_at__lt=hi)


def _period(request) -> tuple[dt.date, dt.date]:
    """The period asked for, held to what can be shown. Whatever is changed is said, never
    silently replaced: a date that cannot be read (the default is shown instead), a period that
    runs backwards (turned round), one longer than 366 days (its last 366 days shown)."""
    today = timezone.localdate()
    days = {}
    for key, default in (("from", today - dt.timedelta(days=29)), ("to", today)):
        typed = request.GET.get(key, "").strip()
        try:
            days[key] = dt.date.fromisoformat(typed)
        except ValueError:
            days[key] = default
            if typed:
                messages.warning(request, _("Not a date: %(value)s; showing %(shown)s instead.")
                                 % {"value": typed.replace("\x00", "")[:40], "shown": default.isoformat()})
    start, end = days["from"], days["to"]
    # the day after the period must exist, and year 1 at +08:00 would be year 0 in UTC
    first, last = dt.date(FIRST_YEAR, 1, 1), dt.date.max - dt.timedelta(days=1)
    start, end = min(max(start, first), last), min(max(end, first), last)
    changed = False
    if start > end:
        start, end, changed = end, start, True
    if (end - start).days > 366:
        start, changed = end - dt.timedelta(days=366), True
    if changed:
        messages.warning(request, _("A period runs forwards and covers at most 366 days; showing %(start)s to "
                                    "%(end)s.") % {"start": start.isoformat(), "end": end.isoformat()})
    return start, end


def list_url(**params) -> str:
    """The matter list filtered by ``params`` (empty values left out)."""
    return reverse("web:matters") + "?" + urlencode({k: v for k, v in params.items() if v})


def home_area(user) -> Area | None:
    """The area node a user's figures are about: its own node, else the top of what it sees."""
    visible = Area.objects.restrict(user, "view")
    return visible.filter(pk=user.area_id).first() if user.area_id else visible.order_by("depth").first()


def units_for(user, root: Area | None = None) -> list[Area]:
    """The rows of the per-unit table: the towns of the user's county, or the villages of its town."""
    visible = Area.objects.restrict(user, "view")
    root = root if root is not None else home_area(user)
    if root is None:
        return []
    child_level = {Level.COUNTY: Level.TOWN, Level.TOWN: Level.VILLAGE, Level.VILLAGE: Level.GRID}.get(root.level)
    return list(visible.filter(parent=root, level=child_level).order_by("code")) if child_level else [root]


@login_required
def dashboard(request):
    from .matters import no_matters_for

    no_matters_for(request.user)
    user = request.user
    start, end = _period(request)
    tz = timezone.get_current_timezone()
    lo = dt.datetime.combine(start, dt.time(), tzinfo=tz)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    events = visible_events(user)
    period = events.filter(received_at__gte=lo, received_at__lt=hi)
    f, t = start.isoformat(), end.isoformat()

    # 1. intake per day by channel
    rows = (period.annotate(day=TruncDate("received_at", tzinfo=tz)).values("day", "channel")
            .annotate(n=Count("id")).order_by("day"))
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    by = {(r["day"], r["channel"]): r["n"] for r in rows}
    channels = [c for c in Channel if any(by.get((d, c.value)) for d in days)]
    intake = {
        "type": "bar", "x": [d.strftime("%m-%d") for d in days],
        "series": [{"name": str(c.label), "stack": "all", "data": [by.get((d, c.value), 0) for d in days]} for c in channels],
        "links": [[list_url(channel=c.value, received_from=d.isoformat(), received_to=d.isoformat()) for d in days]
                  for c in channels],
    }
    intake_table = [{"channel": c.label, "total": sum(by.get((d, c.value), 0) for d in days),
                     "url": list_url(channel=c.value, received_from=f, received_to=t)} for c in channels]

    # 2. open matters by state and by SLA colour (now, not limited to the period)
    open_qs = events.filter(state__in=OPEN_STATES)
    by_state = dict(open_qs.values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    by_colour = dict(open_qs.values_list("sla_color").annotate(n=Count("id")).values_list("sla_color", "n"))
    open_states = [s for s in State if s.value in OPEN_STATES]
    # the colour links must keep the open-states filter: closed matters keep their last colour
    open_param = ",".join(s.value for s in open_states)
    state_chart = {"type": "pie", "series": [{"data": [{"name": str(s.label), "value": by_state.get(s.value, 0)} for s in open_states]}],
                   "links": [list_url(state=s.value) for s in open_states]}
    colour_chart = {"type": "pie", "colors": [SLA_COLOURS[c.value] for c in SlaColor],
                    "series": [{"data": [{"name": str(c.label), "value": by_colour.get(c.value, 0)} for c in SlaColor]}],
                    "links": [list_url(state=open_param, sla_color=c.value) for c in SlaColor]}
    state_table = [{"label": s.label, "n": by_state.get(s.value, 0), "url": list_url(state=s.value)} for s in open_states]
    colour_table = [{"label": c.label, "n": by_colour.get(c.value, 0), "url": list_url(state=open_param, sla_color=c.value)}
                    for c in SlaColor]

    # 3. per unit: on-time resolution and satisfaction rates of the matters resolved in the period
    units = units_for(user)
    resolved = events.filter(resolved_q(lo, hi))
    resolved_param = ",".join(RESOLVED_STATES)
    agg = {}
    for i, u in enumerate(units):
        in_u = subtree_q(u.path, "area_path")
        agg[f"r{i}"] = Count("id", filter=in_u)
        agg[f"o{i}"] = Count("id", filter=in_u & ON_TIME_Q)
        agg[f"v{i}"] = Count("id", filter=in_u & VISITED_Q)
        agg[f"s{i}"] = Count("id", filter=in_u & SATISFIED_Q)
    totals = resolved.aggregate(**agg) if agg else {}
    unit_rows = []
    for i, u in enumerate(units):
        r, o, v, s = (totals.get(f"{k}{i}") or 0 for k in "rovs")
        unit_rows.append({"area": u, "resolved": r, "on_time": o, "visited": v, "satisfied": s,
                          "on_time_rate": kpi.rate(o, r), "satisfaction_rate": kpi.rate(s, v),
                          "on_time_pct": kpi.percent(kpi.rate(o, r)), "satisfaction_pct": kpi.percent(kpi.rate(s, v)),
                          "url": list_url(area=u.code, resolved_from=f, resolved_to=t, state=resolved_param)})
    rates_chart = {
        "type": "bar", "percent": True, "x": [r["area"].name for r in unit_rows],
        "series": [
            {"name": _("On-time resolution rate"), "data": [kpi.percent(r["on_time_rate"]) for r in unit_rows]},
            {"name": _("Satisfaction rate"), "data": [kpi.percent(r["satisfaction_rate"]) for r in unit_rows]},
        ],
        "links": [[r["url"] for r in unit_rows]] * 2,
    }
    return render(request, "web/dashboard.html", {
        "start": start, "end": end, "intake": intake, "intake_table": intake_table,
        "intake_total": sum(row["total"] for row in intake_table),
        "state_chart": state_chart, "colour_chart": colour_chart, "state_table": state_table,
        "colour_table": colour_table, "rates_chart": rates_chart, "unit_rows": unit_rows,
    })
