"""Console pages. Every record reaches the page through ``restrict()``."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse

from fengqiao.areas.models import Area, subtree_q


def _restricted_area(user, code: str | None) -> Area:
    qs = Area.objects.restrict(user, "view")
    if code:
        area = qs.filter(code=code).first()
    elif user.area_id:
        area = qs.filter(pk=user.area_id).first()
    else:
        area = qs.order_by("depth", "path").first()
    if area is None:
        raise Http404
    return area


def open_matter_counts(user, areas: list[Area]) -> dict[str, int]:
    """Open matters the user can see, per area subtree, in one query."""
    if not areas:
        return {}
    from fengqiao.events.models import Event

    qs = Event.objects.restrict(user, "view").open()
    aggregates = {f"a{i}": Count("id", filter=subtree_q(a.path, "area_path")) for i, a in enumerate(areas)}
    result = qs.aggregate(**aggregates)
    return {a.code: result[f"a{i}"] or 0 for i, a in enumerate(areas)}


@login_required
def area_browser(request, code: str | None = None):
    area = _restricted_area(request.user, code)
    visible = Area.objects.restrict(request.user, "view")
    children = list(visible.filter(parent=area).annotate(n_children=Count("children")).order_by("code"))
    counts = open_matter_counts(request.user, [area, *children])
    for c in children:
        c.open_count = counts.get(c.code, 0)
    ancestor_codes = [c for c in area.path.strip("/").split("/")[:-1] if c]
    ancestors = list(visible.filter(code__in=ancestor_codes).order_by("depth"))
    shapes = children if any(c.boundary for c in children) else [area]
    features = [
        {
            "type": "Feature",
            "geometry": a.boundary,
            "properties": {"code": a.code, "name": a.name, "open": counts.get(a.code, 0),
                           "url": reverse("web:area", args=[a.code])},
        }
        for a in shapes if a.boundary
    ]
    return render(request, "web/areas.html", {
        "area": area, "children": children, "ancestors": ancestors, "open_here": counts.get(area.code, 0),
        "map_data": {"type": "FeatureCollection", "features": features},
        "tile_url": settings.FENGQIAO_TILE_URL,
    })


@login_required
def area_geojson(request, code: str):
    """Children of an area as GeoJSON with open-matter counts (for maps elsewhere)."""
    area = _restricted_area(request.user, code)
    children = list(Area.objects.restrict(request.user, "view").filter(parent=area).exclude(boundary=None))
    counts = open_matter_counts(request.user, children)
    return JsonResponse({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": c.boundary,
         "properties": {"code": c.code, "name": c.name, "level": c.level, "open": counts.get(c.code, 0)}}
        for c in children
    ]})
