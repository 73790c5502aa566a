"""Console pages of the check-point registry (平安点位, ``/grid/check-points/``): the list, the
registration form, one check-point with its checklist and its inspections (巡查记录), and the forms
that record an inspection, change the entry or remove it from the registry.

Views parse input, read through ``restrict()``, call one action of :mod:`.points` and render,
as the key-person pages (:mod:`.views`) do and with their helpers. A role that never reads the
registry gets 403; a check-point outside the user's jurisdiction does not exist for them (404); a
refused action re-shows its form with the action's bilingual message and its 4xx status. The
hazard matter an inspection reported is linked only for a user who may read that matter.
"""

from __future__ import annotations

import datetime as dt
import uuid
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fengqiao.core.errors import UserError
from fengqiao.core.filters import ListFilters
from fengqiao.core.restrict import role_allowed
from fengqiao.events.models import Event
from fengqiao.events.sla import now as clock_now

from . import points
from .choices import DEFAULT_CHECKLISTS, DEFAULT_INSPECT_EVERY_DAYS, CheckPointKind, VisitDue
from .models import CheckPoint, Inspection, due_q, staff_name
from .point_api import MAX_QUERY, CheckPointFilter
from .views import (
    ACTIVE_REMOVED,
    MARKS,
    _active_choices,
    _area_options,
    _caretaker_options,
    _place_options,
    after_edit,
    area_in_reach,
    edit_places,
)

PAGE_SIZE = 30
INSPECTIONS_PAGE_SIZE = 20
FILTER_KEYS = ("kind", "area", "due", "active", "q")
#: what the registration form sends, each an argument of ``points.register_point``
REGISTER_FIELDS = ("name", "kind", "area", "address", "caretaker", "inspect_every_days", "checklist", "note")


# ---------------------------------------------------------------- shared


def _need(user, action: str = "view") -> None:
    if not role_allowed(CheckPoint, user, "view"):
        raise PermissionDenied(_("Your role does not open the check-point registry."))
    if action != "view" and not role_allowed(CheckPoint, user, action):
        raise PermissionDenied(_("Your role may not register check-points."))


def _point(user, pk) -> CheckPoint:
    return (CheckPoint.objects.restrict(user, "view")
            .select_related("area", "caretaker", "caretaker__area", "registered_by").one_or_404(pk))


def _mark(point: CheckPoint, now: dt.datetime) -> str:
    """red: the inspection is overdue; yellow: due within three days (in the registry only)."""
    return MARKS.get(point.due_mark(now), "")


# ---------------------------------------------------------------- list


#: the list's boxes, read through the API's FilterSet (one meaning for both); by default the
#: check-points in the registry; a longer search is cut, not refused
LIST_FILTERS = ListFilters(
    CheckPointFilter, FILTER_KEYS, in_reach=area_in_reach, out=ACTIVE_REMOVED, cut={"q": MAX_QUERY},
    said={"kind": gettext_lazy("Unknown check-point kind: %(value)s"), "due": gettext_lazy("Unknown inspection status: %(value)s"),
          "active": gettext_lazy("Unknown registry status: %(value)s")})


def _counts(user, now) -> dict:
    """The check-points in the registry of the user's area: all, overdue, due soon (one query)."""
    field = "next_inspection_due"
    return (CheckPoint.objects.restrict(user, "view").filter(is_active=True).order_by()
            .aggregate(total=Count("id"), overdue=Count("id", filter=due_q(VisitDue.OVERDUE, now, field)),
                       soon=Count("id", filter=due_q(VisitDue.SOON, now, field))))


@login_required
def point_list(request):
    _need(request.user)
    now = clock_now()
    qs, query, errors = LIST_FILTERS.apply(request, now=now)
    qs = qs.select_related("area", "caretaker").order_by("next_inspection_due", "id")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"point": p, "mark": _mark(p, now), "days_overdue": p.days_overdue(now),
             "caretaker": staff_name(p.caretaker)} for p in page.object_list]
    return render(request, "grid/points/list.html", {
        "page": page, "rows": rows, "query": query, "querystring": urlencode(query), "errors": errors,
        "counts": _counts(request.user, now),
        "kinds": CheckPointKind.choices, "due_choices": VisitDue.choices, "active_choices": _active_choices(),
        "area_options": _area_options(request.user),
        "area_depth": request.user.area.depth + 1 if request.user.area_id else 0,
        "may_register": role_allowed(CheckPoint, request.user, "change"),
    })


def due_count(user) -> int:
    """Check-points in the user's registry whose inspection is overdue or due within three days."""
    if not role_allowed(CheckPoint, user, "view"):
        return 0
    return CheckPoint.objects.restrict(user, "view").due(VisitDue.DUE, clock_now()).count()


# ---------------------------------------------------------------- registration


def _kind_defaults() -> list[dict]:
    """Each kind with its usual interval and checklist: the form's help, and what its script puts
    in the empty boxes as placeholders."""
    return [{"value": value, "label": label, "days": DEFAULT_INSPECT_EVERY_DAYS[CheckPointKind(value)],
             "checklist": DEFAULT_CHECKLISTS[CheckPointKind(value)],
             "lines": "\n".join(DEFAULT_CHECKLISTS[CheckPointKind(value)])}
            for value, label in CheckPointKind.choices]


@login_required
def point_new(request):
    """登记: the registration form; a refusal keeps what was typed and shows the action's message."""
    _need(request.user, "change")
    status, error, posted = 200, None, {}
    if request.method == "POST":
        posted = {k: request.POST.get(k, "") for k in REGISTER_FIELDS}
        try:
            point = points.register_point(by=request.user, **{
                **posted, "note": posted["note"].replace("\r\n", "\n"),
                # blank: the kind's usual interval and checklist
                "inspect_every_days": posted["inspect_every_days"].strip() or None,
                "checklist": posted["checklist"] if posted["checklist"].strip() else None})
        except UserError as exc:
            status, error = exc.status, exc
        else:
            messages.success(request, _("Check-point registered."))
            return HttpResponseRedirect(reverse("grid:point-detail", args=[point.pk]))
    return render(request, "grid/points/new.html", {
        "posted": posted, "error": error.message() if error else "", "error_field": error.field if error else "",
        "kinds": _kind_defaults(), "places": _place_options(request.user),
        "caretakers": _caretaker_options(request.user),
    }, status=status)


# ---------------------------------------------------------------- one check-point


def _form_values(point: CheckPoint, failed: str, posted) -> dict:
    """What each form shows: what was typed into the form just refused, else the entry's values."""
    def typed(form: str, key: str, default=""):
        return posted.get(key, default) if posted is not None and failed == form else default

    again = posted is not None and failed == "inspect"
    ticked = set(posted.getlist("problem")) if again else set()
    items = [{"index": i, "item": item, "ticked": str(i) in ticked, "note": typed("inspect", f"note_{i}")}
             for i, item in enumerate(point.checklist)]
    return {
        "inspect": {"items": items, "note": typed("inspect", "note"), "inspected_at": typed("inspect", "inspected_at"),
                    # ticked by default; a refused form keeps what was chosen
                    "report": "report" in posted if again else True},
        "edit": {"name": typed("edit", "name", point.name), "kind": typed("edit", "kind", point.kind),
                 "area": typed("edit", "area", point.area.code), "address": typed("edit", "address", point.address),
                 "caretaker": typed("edit", "caretaker", point.caretaker.username if point.caretaker else ""),
                 "inspect_every_days": typed("edit", "inspect_every_days", str(point.inspect_every_days)),
                 "checklist": typed("edit", "checklist", "\n".join(point.checklist)),
                 "note": typed("edit", "note", point.note)},
        "remove": {"reason": typed("remove", "reason")},
    }


def _hazards(user, inspections) -> dict[int, dict]:
    """The hazard matters the page's inspections reported: id → its number and whether ``user``
    may open it (the link is shown only then)."""
    ids = {i.hazard_id for i in inspections if i.hazard_id}
    if not ids:
        return {}
    readable = set(Event.objects.restrict(user, "view").filter(pk__in=ids).values_list("pk", flat=True))
    return {pk: {"number": number or str(pk), "readable": pk in readable}
            for pk, number in Event.objects.filter(pk__in=ids).values_list("pk", "number")}


def _render_detail(request, point: CheckPoint, *, status: int = 200, failed: str = "", posted=None,
                   error: UserError | None = None):
    user = request.user
    now = clock_now()
    may_inspect = point.is_active and role_allowed(CheckPoint, user, "inspect")
    may_change = point.is_active and role_allowed(CheckPoint, user, "change")
    inspections = Paginator(Inspection.objects.restrict(user, "view").filter(point=point)
                            .order_by("-inspected_at", "-id"), INSPECTIONS_PAGE_SIZE).get_page(request.GET.get("page"))
    hazards = _hazards(user, inspections.object_list)
    history = [{"inspection": i, "problems": i.problems(), "hazard": hazards.get(i.hazard_id)}
               for i in inspections.object_list]
    offered = {"inspect": may_inspect, "edit": may_change, "remove": may_change}
    message = error.message() if error is not None else ""
    ctx = {
        "point": point, "mark": _mark(point, now), "days_overdue": point.days_overdue(now),
        "caretaker": staff_name(point.caretaker), "registered_by": staff_name(point.registered_by),
        "inspections": inspections, "history": history,
        "may_inspect": may_inspect, "may_change": may_change,
        "checklist_key": points.checklist_key(point.checklist),
        # one per form shown: a second click (or a resent form) records the inspection once
        "idempotency_key": uuid.uuid4().hex,
        "values": _form_values(point, failed, posted),
        "failed": failed if offered.get(failed) else "",
        "form_error": message if offered.get(failed) else "",
        "error_field": error.field if error is not None else "",
        # a refusal whose form went away (someone removed the check-point meanwhile): said above the forms
        "error": message if error is not None and not offered.get(failed) else "",
        "kinds": CheckPointKind.choices,
        "places": edit_places(user, point) if may_change else [],
        "caretakers": _caretaker_options(user, point.caretaker, person=point) if may_change else [],
    }
    return render(request, "grid/points/detail.html", ctx, status=status)


@login_required
def point_detail(request, pk):
    _need(request.user)
    return _render_detail(request, _point(request.user, pk))


def _refused(request, pk, form: str, exc: UserError):
    # a checklist changed meanwhile: what was ticked by item number would land on other items
    posted = None if exc.code == "checklist_changed" else request.POST
    return _render_detail(request, _point(request.user, pk), status=exc.status, failed=form, posted=posted,
                          error=exc)


def _posted_problems(post) -> list[dict]:
    """The items ticked 有问题, each with what was typed under it (the action checks both)."""
    return [{"item": i, "note": post.get(f"note_{i}", "")} for i in post.getlist("problem")]


@login_required
@require_POST
def point_inspect(request, pk):
    _need(request.user)
    point = _point(request.user, pk)
    p = request.POST
    try:
        inspection = points.record_inspection(
            point, by=request.user, problems=_posted_problems(p), note=p.get("note", "").replace("\r\n", "\n"),
            inspected_at=p.get("inspected_at", ""), report="report" in p, shown_checklist=p.get("checklist_key", ""),
            idempotency_key=p.get("idempotency_key", ""))
    except UserError as exc:
        return _refused(request, pk, "inspect", exc)
    if inspection.repeated:
        messages.info(request, _("This inspection was recorded already."))
        return HttpResponseRedirect(reverse("grid:point-detail", args=[point.pk]))
    messages.success(request, _("Inspection recorded. Next inspection due: %(due)s") % {
        "due": timezone.localtime(inspection.point.next_inspection_due).strftime("%Y-%m-%d %H:%M")})
    if inspection.hazard is not None:
        messages.info(request, _("The problems were reported as matter %(number)s.") % {
            "number": inspection.hazard.number or inspection.hazard.pk})
    return HttpResponseRedirect(reverse("grid:point-detail", args=[point.pk]))


@login_required
@require_POST
def point_edit(request, pk):
    """The edit form sends every box back; the action keeps what is as it was and writes nothing
    when nothing changed."""
    _need(request.user)
    point = _point(request.user, pk)
    # a textarea sends CR LF
    boxes = {key: request.POST[key].replace("\r\n", "\n") for key in points.FIELDS if key in request.POST}
    try:
        edited = points.update_point(point, by=request.user, version=request.POST.get("version"), **boxes)
    except UserError as exc:
        return _refused(request, pk, "edit", exc)
    return after_edit(request, point, edited, reverse("grid:point-detail", args=[point.pk]))


@login_required
@require_POST
def point_remove(request, pk):
    _need(request.user)
    point = _point(request.user, pk)
    try:
        points.remove_point(point, by=request.user, reason=request.POST.get("reason", ""),
                            version=request.POST.get("version"))
    except UserError as exc:
        return _refused(request, pk, "remove", exc)
    messages.success(request, _("Removed from the registry."))
    return HttpResponseRedirect(reverse("grid:point-detail", args=[point.pk]))
