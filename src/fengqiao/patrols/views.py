"""Console pages of the patrols (巡逻记录, ``/patrols/``): the list of the patrols in the user's
reach, with its filters and its counters, and one patrol with its figures, its note, the matters
reported on the way and its track drawn on a map.

Views parse input, read through ``restrict()`` and render; the patrols are written only by the
actions (:mod:`.actions`), from the phone. A role that never reads patrols gets 403; a patrol
outside the user's reach does not exist for them (404). The matters reported on a patrol are read
through the matters' own ``restrict()``: one the reader may not open is counted, never shown.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengqiao.areas.models import Area, subtree_q
from fengqiao.core.filters import ListFilters
from fengqiao.core.restrict import role_allowed
from fengqiao.events.models import Event
from fengqiao.events.sla import now as clock_now
from fengqiao.grid.views import _area_options

from .api import PatrolFilter
from .choices import PatrolState
from .models import PATROLLERS, Patrol, TrackPoint

PAGE_SIZE = 30
#: the list's GET parameters, the API's filters (:class:`.api.PatrolFilter`): an area's code (its
#: subtree), running/ended, the patroller's username, the first and the last day they started on
FILTER_KEYS = ("area", "state", "by", "started_after", "started_before")
#: the patrollers the list's box offers at most
PATROLLER_OPTIONS_LIMIT = 300


# ---------------------------------------------------------------- shared


def _need(user) -> None:
    if not role_allowed(Patrol, user, "view"):
        raise PermissionDenied(_("Your role does not open the patrol records."))


def _patrol(user, pk) -> Patrol:
    return Patrol.objects.restrict(user, "view").select_related("area", "by").one_or_404(pk)


def hours_minutes(span: dt.timedelta) -> str:
    """A duration as hours and minutes (``1 h 05 min``)."""
    minutes = max(0, int(span.total_seconds() // 60))
    return _("%(h)d h %(m)02d min") % {"h": minutes // 60, "m": minutes % 60}


def _coverage(p: Patrol) -> int | None:
    share = p.coverage()
    return None if share is None else round(share * 100)


# ---------------------------------------------------------------- list


#: the list's boxes, read through the API's FilterSet (one meaning for both: an area's code and
#: its subtree, running or ended, the patroller's username, the first and the last day they
#: started on); a value that cannot be read empties the list and is said, never ignored
LIST_FILTERS = ListFilters(
    PatrolFilter, FILTER_KEYS, in_reach=Area.in_view,
    said={"state": gettext_lazy("Unknown patrol state: %(value)s"), "by": gettext_lazy("Unknown patroller: %(value)s"),
          "started_after": gettext_lazy("Not a date: %(value)s"),
          "started_before": gettext_lazy("Not a date: %(value)s")})


def _counters(qs, now: dt.datetime) -> dict:
    """The filtered patrols: how many, how many run now, their hours, their kilometres and the
    matters reported on them. The ended patrols' figures are kept columns (one pass, no
    arithmetic per row); the running ones, one per patroller at most, add their time so far."""
    sums = qs.order_by().aggregate(patrols=Count("id"), seconds=Sum("duration_s"), metres=Sum("distance_m"),
                                   matters=Sum("report_count"))
    running = list(qs.running().order_by().values_list("started_at", flat=True))
    seconds = (sums["seconds"] or 0) + sum(max(0.0, (now - at).total_seconds()) for at in running)
    return {
        "patrols": sums["patrols"], "running": len(running),
        "hours": round(seconds / 3600, 1),
        "km": round((sums["metres"] or 0) / 1000, 1),
        "matters": sums["matters"] or 0,
    }


def _patroller_options(user) -> list[dict]:
    """The patrollers of the user's area (the box of the list's filter): the grid workers and
    village cadres whose accounts lie in it, and the user if they patrol. Read from the accounts
    (hundreds), not from the patrols (a county's year of them); a patroller since moved away is
    still found by their username in the address."""
    from fengqiao.accounts.models import User

    if user.area_id is None:
        return []
    people = (User.objects.filter(role__in=PATROLLERS, is_active=True)
              .filter(subtree_q(user.area.path, "area__path") | Q(pk=user.pk))
              .order_by("first_name", "last_name", "username")[:PATROLLER_OPTIONS_LIMIT])
    return [{"username": u.username, "name": u.get_full_name() or u.username} for u in people]


@login_required
def patrol_list(request):
    _need(request.user)
    now = clock_now()
    qs, query, errors = LIST_FILTERS.apply(request)
    counters = _counters(qs, now)
    page = Paginator(qs.select_related("area").order_by("-started_at", "-id"),
                     PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"patrol": p, "duration": hours_minutes(p.duration(now)), "km": f"{p.distance_m / 1000:.2f}",
             "coverage": _coverage(p)} for p in page.object_list]
    return render(request, "patrols/list.html", {
        "page": page, "rows": rows, "query": query, "querystring": urlencode(query), "errors": errors,
        "counters": counters, "running_query": urlencode({**query, "state": PatrolState.RUNNING}),
        "states": PatrolState.choices, "patrollers": _patroller_options(request.user),
        "area_options": _area_options(request.user),
        "area_depth": request.user.area.depth + 1 if request.user.area_id else 0,
    })


# ---------------------------------------------------------------- one patrol


def _map_data(user, patrol: Patrol) -> dict:
    """What the page's map draws: the area's boundary, the track (``[lat, lng]`` in time order)."""
    track = [[lat, lng] for lng, lat in TrackPoint.objects.restrict(user, "view").filter(patrol=patrol).order_by("at")
             .values_list("longitude", "latitude")]
    centre = ([patrol.area.center_lat, patrol.area.center_lng]
              if patrol.area.center_lat is not None and patrol.area.center_lng is not None else None)
    return {"boundary": patrol.area.boundary or None, "area": patrol.area.name, "track": track, "centre": centre,
            "labels": {"start": _("Start of the track"),
                       "end": _("Last position") if patrol.is_running else _("End of the track")}}


@login_required
def patrol_detail(request, pk):
    _need(request.user)
    user = request.user
    patrol = _patrol(user, pk)
    now = clock_now()
    matters = list(Event.objects.restrict(user, "view").filter(patrol_report__patrol=patrol)
                   .select_related("category").order_by("received_at", "id"))
    return render(request, "patrols/detail.html", {
        "patrol": patrol, "duration": hours_minutes(patrol.duration(now)), "km": f"{patrol.distance_m / 1000:.2f}",
        "coverage": _coverage(patrol), "matters": matters, "hidden_matters": max(0, patrol.report_count - len(matters)),
        "map_data": _map_data(user, patrol), "tile_url": settings.FENGQIAO_TILE_URL,
    })
