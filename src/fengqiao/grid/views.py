"""Console pages of the key-person registry (重点人员台账, ``/grid/key-persons/``): the list, the
registration form, one person with their visits (走访记录), and the forms that record a visit,
change the entry or remove it from the registry.

Views parse input, read through ``restrict()``, call one action of :mod:`.actions` and render.
A role that never reads the registry gets 403; a person outside the user's jurisdiction does not
exist for them (404); a refused action is the action's bilingual message with its 4xx status.
Names, ID numbers and phone numbers are masked, in the list always; on one person's page a role
that may unmask sees them in full on request, and that view is audited (``view_personal``).
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
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fengqiao.accounts.models import User
from fengqiao.areas.models import Area, Level, subtree_q
from fengqiao.core import audit, roles
from fengqiao.core.errors import UserError
from fengqiao.core.filters import ListFilters
from fengqiao.core.restrict import role_allowed
from fengqiao.core.viewsets import wants_unmask
from fengqiao.events.sla import now as clock_now

from . import actions
from .api import KeyPersonFilter
from .choices import DEFAULT_VISIT_EVERY_DAYS, Condition, KeyPersonCategory, VisitDue, VisitMethod
from .models import PERSONAL_FIELDS, KeyPerson, Visit, due_q, staff_name, town_path

PAGE_SIZE = 30
VISITS_PAGE_SIZE = 20
FILTER_KEYS = ("category", "area", "due", "active")
#: the registry box's own values: nothing for the people in the registry, ``removed`` for the
#: FilterSet's ``active=false``, ``all`` for both
ACTIVE_REMOVED, ACTIVE_ALL = "removed", "all"
AREA_OPTIONS_LIMIT = 800
#: the colour of a person whose visit is overdue or due soon (``KeyPerson.due_mark``)
MARKS = {VisitDue.OVERDUE: "red", VisitDue.SOON: "yellow"}
#: the fields the edit form changes (phone and ID number are not edited on this page)
EDITABLE = ("category", "caretaker", "visit_every_days", "address", "note")
#: the levels the list's area box offers below each level of the user's own area
FILTER_LEVELS = {
    Level.COUNTY: [Level.TOWN, Level.VILLAGE],
    Level.TOWN: [Level.VILLAGE, Level.GRID],
    Level.VILLAGE: [Level.GRID, Level.MICROGRID],
    Level.GRID: [Level.MICROGRID],
}


def _need(user, action: str = "view") -> None:
    if not role_allowed(KeyPerson, user, "view"):
        raise PermissionDenied(_("Your role does not open the key-person registry."))
    if action != "view" and not role_allowed(KeyPerson, user, action):
        raise PermissionDenied(_("Your role may not register key persons."))


def _person(user, pk) -> KeyPerson:
    return (KeyPerson.objects.restrict(user, "view")
            .select_related("area", "caretaker", "caretaker__area", "registered_by").one_or_404(pk))



def _mark(person: KeyPerson, now: dt.datetime) -> str:
    """red: the visit is overdue; yellow: due within three days (people in the registry only)."""
    return MARKS.get(person.due_mark(now), "")



# ---------------------------------------------------------------- list


def _area_options(user):
    """The areas the list can be narrowed to: the two levels below the user's own area."""
    if user.area_id is None:
        return []
    levels = FILTER_LEVELS.get(user.area.level, [])
    return (Area.objects.restrict(user, "view").filter(level__in=levels, is_active=True)
            .order_by("path")[:AREA_OPTIONS_LIMIT])


def area_in_reach(user, code: str) -> Area | None:
    """The area a list's area filter names, if the user's entries can lie in it: their area, or
    for a grid worker their town (entries in their care lie anywhere in it)."""
    if user.area_id is None:
        return None
    reach = town_path(user.area.path) if user.role == roles.GRID_WORKER else user.area.path
    return Area.objects.filter(code=code, path__startswith=reach).first()


def edit_places(user, entry) -> list[Area]:
    """Where an entry can be moved: the villages and grids of the user's area, and where it lies."""
    places = list(_place_options(user))
    if all(a.pk != entry.area_id for a in places):
        places.insert(0, entry.area)
    return places


def _active_choices():
    return [(ACTIVE_REMOVED, _("Removed from the registry")), (ACTIVE_ALL, _("In the registry or removed"))]


#: the list's boxes, read through the API's FilterSet (one meaning for both)
LIST_FILTERS = ListFilters(
    KeyPersonFilter, FILTER_KEYS, in_reach=Area.in_view, out=ACTIVE_REMOVED,
    said={"category": gettext_lazy("Unknown category: %(value)s"), "due": gettext_lazy("Unknown visit status: %(value)s"),
          "active": gettext_lazy("Unknown registry status: %(value)s")})


def _counts(user, now) -> dict:
    """The people in the registry of the user's area: all, overdue, due soon (one query)."""
    return (KeyPerson.objects.restrict(user, "view").filter(is_active=True).order_by()
            .aggregate(total=Count("id"), overdue=Count("id", filter=due_q(VisitDue.OVERDUE, now)),
                       soon=Count("id", filter=due_q(VisitDue.SOON, now))))


@login_required
def person_list(request):
    _need(request.user)
    now = clock_now()
    qs, query, errors = LIST_FILTERS.apply(request, now=now)
    qs = qs.select_related("area", "caretaker").order_by("next_visit_due", "id")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"person": p, "name": p.masked("name"), "mark": _mark(p, now), "days_overdue": p.days_overdue(now),
             "caretaker": staff_name(p.caretaker)}
            for p in page.object_list]
    return render(request, "grid/list.html", {
        "page": page, "rows": rows, "query": query, "querystring": urlencode(query), "errors": errors,
        "counts": _counts(request.user, now),
        "categories": KeyPersonCategory.choices, "due_choices": VisitDue.choices, "active_choices": _active_choices(),
        "area_options": _area_options(request.user),
        # the second level of the area box is indented under the first
        "area_depth": request.user.area.depth + 1 if request.user.area_id else 0,
        "may_register": role_allowed(KeyPerson, request.user, "change"),
    })


def due_count(user) -> int:
    """People in the user's registry whose visit is overdue or due within three days."""
    if not role_allowed(KeyPerson, user, "view"):
        return 0
    return KeyPerson.objects.restrict(user, "view").due(clock_now()).count()


# ---------------------------------------------------------------- registration


def _place_options(user):
    """Where a person can be registered: the villages and grids of the user's area."""
    return Area.objects.restrict(user, "view").filter(level__in=[Level.VILLAGE, Level.GRID],
                                                      is_active=True).order_by("path")


def _caretaker_options(user, current: User | None = None, *, person: KeyPerson | None = None) -> list[User]:
    """The active grid workers of the user's area, or for a registered person of the person's
    town (the only ones the action accepts), and the person's current one, kept."""
    found = []
    if user.area_id is not None:
        where = town_path(person.area_path) if person is not None else user.area.path
        found = list(User.objects.filter(role=roles.GRID_WORKER, is_active=True)
                     .filter(subtree_q(user.area.path, "area__path"), subtree_q(where, "area__path"))
                     .select_related("area").order_by("area__path", "username"))
    if current is not None and all(u.pk != current.pk for u in found):
        found.insert(0, current)
    return found


def _defaults():
    return [(label, DEFAULT_VISIT_EVERY_DAYS[KeyPersonCategory(value)]) for value, label in KeyPersonCategory.choices]


REGISTER_FIELDS = ("name", "category", "area", "id_number", "phone", "address", "caretaker", "visit_every_days", "note")


@login_required
def person_new(request):
    """登记: the registration form; a refusal keeps what was typed and shows the action's message."""
    _need(request.user, "change")
    status, error, posted = 200, None, {}
    if request.method == "POST":
        posted = {k: request.POST.get(k, "") for k in REGISTER_FIELDS}
        try:
            person = actions.register_key_person(by=request.user, **posted)
        except UserError as exc:
            status, error = exc.status, exc
        else:
            messages.success(request, _("Key person registered."))
            return HttpResponseRedirect(reverse("grid:detail", args=[person.pk]))
    return render(request, "grid/new.html", {
        "posted": posted, "error": error.message() if error else "", "error_field": error.field if error else "",
        "categories": KeyPersonCategory.choices, "places": _place_options(request.user),
        "caretakers": _caretaker_options(request.user), "defaults": _defaults(),
    }, status=status)


# ---------------------------------------------------------------- one person


def _form_values(person: KeyPerson, failed: str, posted) -> dict:
    """What each form shows: what was typed into the form just refused, else the entry's values."""
    def typed(form: str, key: str, default=""):
        return posted.get(key, default) if posted is not None and failed == form else default

    return {
        "visit": {"method": typed("visit", "method", VisitMethod.HOME.value),
                  "condition": typed("visit", "condition", Condition.STABLE.value),
                  "note": typed("visit", "note"), "visited_at": typed("visit", "visited_at")},
        "edit": {"category": typed("edit", "category", person.category),
                 "caretaker": typed("edit", "caretaker", person.caretaker.username if person.caretaker else ""),
                 "visit_every_days": typed("edit", "visit_every_days", str(person.visit_every_days)),
                 "address": typed("edit", "address", person.address), "note": typed("edit", "note", person.note)},
        "remove": {"reason": typed("remove", "reason")},
    }


def _render_detail(request, person: KeyPerson, *, unmask: bool = False, status: int = 200, failed: str = "",
                   posted=None, error: UserError | None = None):
    user = request.user
    now = clock_now()
    may_visit = person.is_active and role_allowed(KeyPerson, user, "visit")
    may_change = person.is_active and role_allowed(KeyPerson, user, "change")
    shown = {f: getattr(person, f) if unmask else person.masked(f) for f in PERSONAL_FIELDS}
    visits = Visit.objects.restrict(user, "view").filter(person=person).order_by("-visited_at", "-id")
    offered = {"visit": may_visit, "edit": may_change, "remove": may_change}
    message = error.message() if error is not None else ""
    ctx = {
        "person": person, "shown": shown, "unmask": unmask, "can_unmask": user.can_unmask,
        "mark": _mark(person, now), "days_overdue": person.days_overdue(now),
        "caretaker": staff_name(person.caretaker), "registered_by": staff_name(person.registered_by),
        "visits": Paginator(visits, VISITS_PAGE_SIZE).get_page(request.GET.get("page")),
        "may_visit": may_visit, "may_change": may_change,
        # one per form shown: a second click (or a resent form) records the visit once
        "idempotency_key": uuid.uuid4().hex,
        "values": _form_values(person, failed, posted),
        "failed": failed if offered.get(failed) else "",
        "form_error": message if offered.get(failed) else "",
        "error_field": error.field if error is not None else "",
        # a refusal whose form went away (someone removed the person meanwhile): said above the forms
        "error": message if error is not None and not offered.get(failed) else "",
        "methods": VisitMethod.choices, "conditions": Condition.choices, "categories": KeyPersonCategory.choices,
        "caretakers": _caretaker_options(user, person.caretaker, person=person) if may_change else [],
    }
    resp = render(request, "grid/detail.html", ctx, status=status)
    if unmask:
        patch_cache_control(resp, private=True, no_store=True)
    return resp


@login_required
def person_detail(request, pk):
    _need(request.user)
    person = _person(request.user, pk)
    unmask = wants_unmask(request)
    if unmask:  # the same record as a matter's reporter shown in full
        audit.record_personal_view([person], PERSONAL_FIELDS, lambda p: any(getattr(p, f) for f in PERSONAL_FIELDS))
    return _render_detail(request, person, unmask=unmask)


def _refused(request, pk, form: str, exc: UserError):
    return _render_detail(request, _person(request.user, pk), status=exc.status, failed=form, posted=request.POST,
                          error=exc)


@login_required
@require_POST
def person_visit(request, pk):
    _need(request.user)
    person = _person(request.user, pk)
    p = request.POST
    try:
        visit = actions.record_visit(person, by=request.user, method=p.get("method", ""),
                                     condition=p.get("condition", ""), note=p.get("note", ""),
                                     visited_at=p.get("visited_at", ""), idempotency_key=p.get("idempotency_key", ""))
    except UserError as exc:
        return _refused(request, pk, "visit", exc)
    if visit.repeated:
        messages.info(request, _("This visit was recorded already."))
        return HttpResponseRedirect(reverse("grid:detail", args=[person.pk]))
    messages.success(request, _("Visit recorded. Next visit due: %(due)s") % {
        "due": timezone.localtime(visit.person.next_visit_due).strftime("%Y-%m-%d %H:%M")})
    return HttpResponseRedirect(reverse("grid:detail", args=[person.pk]))


def after_edit(request, before, edited, url: str) -> HttpResponseRedirect:
    """Back to the entry's page after an edit form, saying whether anything was saved: an edit
    that changed nothing leaves the entry's version as it was (the registries' actions)."""
    if edited.version == before.version:
        messages.info(request, _("Nothing was changed."))
    else:
        messages.success(request, _("Changes saved."))
    return HttpResponseRedirect(url)


@login_required
@require_POST
def person_edit(request, pk):
    """The edit form sends every box back; the action keeps what is as it was (an unchanged
    responsible grid worker who has since left is not refused again) and writes nothing when
    nothing changed."""
    _need(request.user)
    person = _person(request.user, pk)
    # a textarea sends CR LF
    boxes = {key: request.POST[key].replace("\r\n", "\n") for key in EDITABLE if key in request.POST}
    try:
        edited = actions.update_key_person(person, by=request.user, version=request.POST.get("version"), **boxes)
    except UserError as exc:
        return _refused(request, pk, "edit", exc)
    return after_edit(request, person, edited, reverse("grid:detail", args=[person.pk]))


@login_required
@require_POST
def person_remove(request, pk):
    _need(request.user)
    person = _person(request.user, pk)
    try:
        actions.remove_key_person(person, by=request.user, reason=request.POST.get("reason", ""),
                                  version=request.POST.get("version"))
    except UserError as exc:
        return _refused(request, pk, "remove", exc)
    messages.success(request, _("Removed from the registry."))
    return HttpResponseRedirect(reverse("grid:detail", args=[person.pk]))
