"""Console pages. Every record reaches the page through ``restrict()``."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404
from django.shortcuts import render

from fengqiao.areas.models import Area, Department


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


@login_required
def home(request):
    user = request.user
    areas = Area.objects.restrict(user, "view")
    by_level = dict(areas.values_list("level").annotate(n=Count("id")).values_list("level", "n"))
    return render(request, "web/home.html", {
        "by_level": by_level,
        "departments": Department.objects.restrict(user, "view").count(),
    })


@login_required
def area_browser(request, code: str | None = None):
    area = _restricted_area(request.user, code)
    visible = Area.objects.restrict(request.user, "view")
    children = visible.filter(parent=area).annotate(n_children=Count("children")).order_by("code")
    ancestors = [a for a in area.ancestors() if visible.filter(pk=a.pk).exists()]
    return render(request, "web/areas.html", {"area": area, "children": children, "ancestors": ancestors})
