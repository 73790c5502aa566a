"""Console pages of the population registry (实有人口与出租房屋, ``/population/``): the rental
houses (出租房屋) and the residents (实有人口: registered, floating, foreign), each with its list,
registration form and page, and the forms that change an entry, remove a house from the registry
or move a resident out (注销).

Views parse input, read through ``restrict()``, call one action of :mod:`.actions` and render,
as the grid registries' pages (:mod:`fengqiao.grid.views`, :mod:`fengqiao.grid.point_views`) do
and with their helpers; the lists are narrowed by the API's FilterSets (:mod:`.api`, through
:class:`~fengqiao.core.filters.ListFilters`), so a filter means the same on the page and in
the API. A role that never reads the registry gets 403; an entry outside the user's
jurisdiction does not exist for them (404); a refused action re-shows its form with the
action's bilingual message and its 4xx status. Names, ID numbers and phone numbers (the
residents' and the landlords') are masked, in the lists always; on one entry's page a role that
may unmask sees them in full on request, and that view is audited (``view_personal``). The edit
forms never carry personal data in full: a box left empty keeps what the entry holds.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fengqiao.core import audit
from fengqiao.core.api import small_id
from fengqiao.core.errors import NotFound, UserError
from fengqiao.core.fields import digest_for
from fengqiao.core.filters import ListFilters
from fengqiao.core.personal import PersonalDataError
from fengqiao.core.restrict import role_allowed
from fengqiao.core.viewsets import wants_unmask
from fengqiao.events.sla import now as clock_now
from fengqiao.grid.models import staff_name
from fengqiao.grid.views import (
    ACTIVE_ALL,
    ACTIVE_REMOVED,
    _active_choices,
    _area_options,
    _caretaker_options,
    _place_options,
    after_edit,
    area_in_reach,
    edit_places,
)

from . import actions
from .api import MAX_QUERY, RentalHouseFilter, ResidentFilter
from .choices import HouseKind, MoveOutReason, PermitDue, ResidentKind, StayReason
from .models import (
    CROWDED_Q,
    HOUSE_PERSONAL_FIELDS,
    RESIDENT_PERSONAL_FIELDS,
    RentalHouse,
    Resident,
    permit_q,
)

PAGE_SIZE = 30
TENANTS_PAGE_SIZE = 50
#: the rental houses a resident form offers at most (a county centre reaches thousands: it
#: registers a tenant from the house's own page, which presets the house)
HOUSE_OPTIONS_LIMIT = 300
HOUSE_FILTER_KEYS = ("q", "kind", "area", "caretaker", "crowded", "active")
#: the boxes that take several values (``?kind=whole&kind=rooms``: any of them), as the API's
MULTIPLE_KEYS = ("kind",)
#: no ``q``: a person is looked up by a POSTed ``lookup`` (their name, ID number or phone number
#: stays out of the page's address, the browser's history and access logs)
RESIDENT_FILTER_KEYS = ("kind", "area", "permit", "house", "active")
#: the residents box's value for the people moved out (注销), as the houses' ``removed``
MOVED_OUT = "moved_out"
#: the colour of a residence permit's state (``permit_mark``)
PERMIT_COLOURS = {PermitDue.EXPIRED: "red", PermitDue.SOON: "yellow", PermitDue.MISSING: "yellow"}
#: what the registration forms send, each an argument of the action
HOUSE_REGISTER_FIELDS = ("address", "area", "kind", "rooms", "max_occupants", "landlord_name", "landlord_id_number",
                         "landlord_phone", "caretaker", "note")
RESIDENT_REGISTER_FIELDS = ("name", "kind", "id_number", "phone", "area", "address", "house", "origin", "reason",
                            "arrived_on", "permit_expires_on", "note")
#: the edit forms' boxes sent back as they are; the personal ones only when something is typed
HOUSE_EDIT_FIELDS = ("address", "area", "kind", "rooms", "max_occupants", "caretaker", "note")
HOUSE_EDIT_PERSONAL = ("landlord_name", "landlord_id_number", "landlord_phone")
RESIDENT_EDIT_FIELDS = ("kind", "house", "area", "address", "origin", "reason", "arrived_on", "permit_expires_on",
                        "note")
RESIDENT_EDIT_PERSONAL = ("phone",)


# ---------------------------------------------------------------- shared


def _need(user, action: str = "view") -> None:
    if not role_allowed(RentalHouse, user, "view"):
        raise PermissionDenied(_("Your role does not open the population registry."))
    if action != "view" and not role_allowed(RentalHouse, user, action):
        raise PermissionDenied(_("Your role may not register residents or rental houses."))


def _today() -> dt.date:
    return timezone.localdate(clock_now())


def _house(user, pk) -> RentalHouse:
    return RentalHouse.objects.restrict(user, "view").select_related("area", "caretaker", "registered_by").one_or_404(pk)


def _resident(user, pk) -> Resident:
    return Resident.objects.restrict(user, "view").select_related("area", "registered_by").one_or_404(pk)


def _box(post, key: str) -> str:
    """One box of a posted form (a textarea sends CR LF)."""
    return post.get(key, "").replace("\r\n", "\n")


def _permit(resident: Resident, today: dt.date) -> dict:
    """The residence permit's mark: its state, colour and words (nothing for most people)."""
    state = resident.permit_mark(today)
    return {"state": state, "colour": PERMIT_COLOURS.get(state, ""), "label": PermitDue(state).label if state else ""}


def _unmasked(entry, fields) -> None:
    """Audit a page showing ``entry``'s personal data in full (``view_personal``)."""
    audit.record_personal_view([entry], fields, lambda e: any(getattr(e, f) for f in fields))


def _act(call):
    """Run an action; its NotFound (the entry left the user's reach meanwhile) is the page's 404."""
    try:
        return call(), None
    except NotFound:
        raise Http404 from None
    except UserError as exc:
        return None, exc


# ---------------------------------------------------------------- the lists' filters (both registries)

#: the houses' boxes, read through the API's FilterSet (one meaning for both): several ways of
#: letting at once (any of them); a longer address than the API takes is cut, not refused
HOUSE_FILTERS = ListFilters(
    RentalHouseFilter, HOUSE_FILTER_KEYS, in_reach=area_in_reach, multiple=MULTIPLE_KEYS, kinds=HouseKind,
    out=ACTIVE_REMOVED, yes_no=("crowded",), cut={"q": MAX_QUERY},
    said={"kind": gettext_lazy("Unknown way of letting: %(value)s"),
          "active": gettext_lazy("Unknown registry status: %(value)s"),
          "crowded": gettext_lazy("Unknown crowded status: %(value)s"),
          "caretaker": gettext_lazy("Unknown responsible grid worker: %(value)s")})
#: the residents' boxes; ``moved_out`` is the API's ``active=false``; their permit marks are
#: counted from the day given to ``apply``
RESIDENT_FILTERS = ListFilters(
    ResidentFilter, RESIDENT_FILTER_KEYS, in_reach=area_in_reach, multiple=MULTIPLE_KEYS, kinds=ResidentKind,
    out=MOVED_OUT,
    said={"kind": gettext_lazy("Unknown kind of resident: %(value)s"),
          "permit": gettext_lazy("Unknown residence permit status: %(value)s"),
          "house": gettext_lazy("Unknown rental house: %(value)s"),
          "active": gettext_lazy("Unknown registry status: %(value)s")})


# ---------------------------------------------------------------- rental houses: the list


def _house_counts(user) -> dict:
    """The rental houses in the registry of the user's area, their tenants and the crowded ones
    (one query)."""
    return (RentalHouse.objects.restrict(user, "view").filter(is_active=True).order_by()
            .aggregate(total=Count("id"), tenants=Coalesce(Sum("tenants_count"), 0),
                       crowded=Count("id", filter=CROWDED_Q)))


@login_required
def house_list(request):
    _need(request.user)
    user = request.user
    qs, query, errors = HOUSE_FILTERS.apply(request)
    page = Paginator(qs.select_related("area", "caretaker").order_by("area_path", "address", "id"),
                     PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"house": h, "landlord": h.masked("landlord_name"), "caretaker": staff_name(h.caretaker)}
            for h in page.object_list]
    return render(request, "population/houses/list.html", {
        "page": page, "rows": rows, "query": query, "querystring": urlencode(query, doseq=True), "errors": errors,
        "counts": _house_counts(user), "kinds": HouseKind.choices, "active_choices": _active_choices(),
        "area_options": _area_options(user), "area_depth": user.area.depth + 1 if user.area_id else 0,
        "caretakers": _caretaker_options(user),
        "may_register": role_allowed(RentalHouse, user, "change"),
    })


# ---------------------------------------------------------------- rental houses: registration


@login_required
def house_new(request):
    """登记: the registration form; a refusal keeps what was typed and shows the action's message."""
    _need(request.user, "change")
    status, error, posted = 200, None, {}
    if request.method == "POST":
        posted = {k: _box(request.POST, k) for k in HOUSE_REGISTER_FIELDS}
        house, error = _act(lambda: actions.register_house(by=request.user, **posted))
        if error is None:
            messages.success(request, _("Rental house registered."))
            return HttpResponseRedirect(reverse("population:house-detail", args=[house.pk]))
        status = error.status
    return render(request, "population/houses/new.html", {
        "posted": posted, "error": error.message() if error else "", "error_field": error.field if error else "",
        "kinds": HouseKind.choices, "places": _place_options(request.user),
        "caretakers": _caretaker_options(request.user),
    }, status=status)


# ---------------------------------------------------------------- rental houses: one house


def _house_values(house: RentalHouse, failed: str, posted) -> dict:
    """What each form shows: what was typed into the form just refused, else the entry's values
    (the landlord's boxes are empty: typed, they replace what the entry holds)."""
    def typed(form: str, key: str, default=""):
        return posted.get(key, default) if posted is not None and failed == form else default

    return {
        "edit": {"address": typed("edit", "address", house.address), "area": typed("edit", "area", house.area.code),
                 "kind": typed("edit", "kind", house.kind), "rooms": typed("edit", "rooms", str(house.rooms)),
                 "max_occupants": typed("edit", "max_occupants",
                                        "" if house.max_occupants is None else str(house.max_occupants)),
                 "caretaker": typed("edit", "caretaker", house.caretaker.username if house.caretaker else ""),
                 "note": typed("edit", "note", house.note),
                 **{f: typed("edit", f) for f in HOUSE_EDIT_PERSONAL}},
        "remove": {"reason": typed("remove", "reason")},
    }


def _render_house(request, house: RentalHouse, *, unmask: bool = False, status: int = 200, failed: str = "",
                  posted=None, error: UserError | None = None):
    user = request.user
    today = _today()
    may_change = house.is_active and role_allowed(RentalHouse, user, "change")
    tenants = Paginator(Resident.objects.restrict(user, "view").filter(house=house, is_active=True)
                        .order_by("registered_at", "id"), TENANTS_PAGE_SIZE).get_page(request.GET.get("page"))
    offered = {"edit": may_change, "remove": may_change}
    message = error.message() if error is not None else ""
    resp = render(request, "population/houses/detail.html", {
        "house": house, "unmask": unmask, "can_unmask": user.can_unmask,
        "shown": {f: getattr(house, f) if unmask else house.masked(f) for f in HOUSE_PERSONAL_FIELDS},
        "masked": {f: house.masked(f) for f in HOUSE_PERSONAL_FIELDS},
        "caretaker": staff_name(house.caretaker), "registered_by": staff_name(house.registered_by),
        "tenants": tenants,
        "tenant_rows": [{"resident": r, "name": r.masked("name"), "permit": _permit(r, today)}
                        for r in tenants.object_list],
        "may_change": may_change,
        "values": _house_values(house, failed, posted),
        "failed": failed if offered.get(failed) else "",
        "form_error": message if offered.get(failed) else "",
        "error_field": error.field if error is not None else "",
        # a refusal whose form went away (someone removed the house meanwhile): said above the forms
        "error": message if error is not None and not offered.get(failed) else "",
        "kinds": HouseKind.choices,
        "places": edit_places(user, house) if may_change else [],
        "caretakers": _caretaker_options(user, house.caretaker, person=house) if may_change else [],
    }, status=status)
    if unmask:
        patch_cache_control(resp, private=True, no_store=True)
    return resp


@login_required
def house_detail(request, pk):
    _need(request.user)
    house = _house(request.user, pk)
    unmask = wants_unmask(request)
    if unmask:
        _unmasked(house, HOUSE_PERSONAL_FIELDS)
    return _render_house(request, house, unmask=unmask)


def _house_refused(request, pk, form: str, exc: UserError):
    return _render_house(request, _house(request.user, pk), status=exc.status, failed=form, posted=request.POST,
                         error=exc)


@login_required
@require_POST
def house_edit(request, pk):
    """The edit form sends every box back; the action keeps what is as it was and writes nothing
    when nothing changed. The landlord's boxes are sent only when something was typed in them."""
    _need(request.user)
    house = _house(request.user, pk)
    boxes = {k: _box(request.POST, k) for k in HOUSE_EDIT_FIELDS if k in request.POST}
    boxes |= {k: request.POST[k] for k in HOUSE_EDIT_PERSONAL if request.POST.get(k, "").strip()}
    edited, error = _act(lambda: actions.update_house(house, by=request.user, version=request.POST.get("version"),
                                                      **boxes))
    if error is not None:
        return _house_refused(request, pk, "edit", error)
    return after_edit(request, house, edited, reverse("population:house-detail", args=[house.pk]))


@login_required
@require_POST
def house_remove(request, pk):
    _need(request.user)
    house = _house(request.user, pk)
    _done, error = _act(lambda: actions.remove_house(house, by=request.user, reason=request.POST.get("reason", ""),
                                                     version=request.POST.get("version")))
    if error is not None:
        return _house_refused(request, pk, "remove", error)
    messages.success(request, _("Removed from the registry."))
    return HttpResponseRedirect(reverse("population:house-detail", args=[house.pk]))


# ---------------------------------------------------------------- residents: the list


def _person_q(text: str) -> Q:
    """The residents whose ID number, phone number or name is exactly ``text``, looked up
    through the keyed digests (the stored values are encrypted). A text that is a valid ID
    number is looked up as one only, a phone number likewise, anything else as a name: one
    equality the planner sees as a handful of rows (an ID number also tried as a name, a common
    one, made PostgreSQL walk the whole area in list order instead of the digest's index)."""
    for field, kind in (("id_number_digest", "id_number"), ("phone_digest", "phone"), ("name_digest", "name")):
        try:
            digest = digest_for(kind, text)
        except PersonalDataError:
            continue
        if digest:
            return Q(**{field: digest})
    return Q(pk__in=[])


def _resident_counts(user, today: dt.date) -> dict:
    """The residents in the registry of the user's area: all, floating, permit expired, permit
    expiring within 30 days (one query)."""
    return (Resident.objects.restrict(user, "view").filter(is_active=True).order_by()
            .aggregate(total=Count("id"), floating=Count("id", filter=Q(kind=ResidentKind.FLOATING)),
                       expired=Count("id", filter=permit_q(PermitDue.EXPIRED, today)),
                       soon=Count("id", filter=permit_q(PermitDue.SOON, today))))


def _resident_active_choices():
    return [(MOVED_OUT, _("Moved out")), (ACTIVE_ALL, _("In the registry or moved out"))]


@login_required
def resident_list(request):
    """The list, narrowed by the GET filters; a POST looks a person up by their exact name, ID
    number or phone number (``lookup``, through the keyed digests) among the filtered entries.
    The answer to a look-up is not cached, and its links do not carry what was looked up."""
    _need(request.user)
    user = request.user
    today = _today()
    qs, query, errors = RESIDENT_FILTERS.apply(request, today=today)
    lookup = request.POST.get("lookup", "").strip()[:MAX_QUERY] if request.method == "POST" else ""
    if lookup:  # a NUL never reaches a page's view (core.middleware.RefuseNulMiddleware)
        qs = qs.filter(_person_q(lookup))
    page = Paginator(qs.select_related("area", "house").order_by("area_path", "id"),
                     PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"resident": r, **{f: r.masked(f) for f in RESIDENT_PERSONAL_FIELDS}, "permit": _permit(r, today)}
            for r in page.object_list]
    response = render(request, "population/residents/list.html", {
        "page": page, "rows": rows, "query": query, "querystring": urlencode(query, doseq=True), "errors": errors,
        "lookup": lookup,
        "counts": _resident_counts(user, today), "kinds": ResidentKind.choices, "permit_choices": PermitDue.choices,
        "active_choices": _resident_active_choices(),
        "area_options": _area_options(user), "area_depth": user.area.depth + 1 if user.area_id else 0,
        "may_register": role_allowed(Resident, user, "change"),
    })
    if lookup:
        patch_cache_control(response, no_store=True, private=True)
    return response


# ---------------------------------------------------------------- residents: registration


def _house_options(user, *keep: RentalHouse | None) -> tuple[list[RentalHouse], bool]:
    """The rental houses in the registry a tenant can be registered in (at most
    :data:`HOUSE_OPTIONS_LIMIT`, and whether there are more), with ``keep`` (the preset or
    current house) always among them."""
    found = list(RentalHouse.objects.restrict(user, "view").filter(is_active=True).select_related("area")
                 .order_by("area_path", "address", "id")[:HOUSE_OPTIONS_LIMIT + 1])
    more = len(found) > HOUSE_OPTIONS_LIMIT
    found = found[:HOUSE_OPTIONS_LIMIT]
    for house in keep:
        if house is not None and all(h.pk != house.pk for h in found):
            found.insert(0, house)
    return found, more


def _preset_house(user, value: str) -> RentalHouse | None:
    """``?house=<pk>``: a rental house in the registry the user reaches, else none."""
    if not small_id(value):
        return None
    return (RentalHouse.objects.restrict(user, "view").select_related("area")
            .filter(pk=int(value), is_active=True).first())


@login_required
def resident_new(request):
    """登记: the registration form, ``?house=<pk>`` for a tenant of that house (the link of the
    house's page) and ``?kind=floating`` to start with that kind; a refusal keeps what was typed
    and shows the action's message. A person whose ID number was registered elsewhere in the
    county has moved here: that entry is closed (来登去销), and the registrar is told so without
    being told where."""
    _need(request.user, "change")
    user = request.user
    status, error = 200, None
    preset = _preset_house(user, request.GET.get("house", ""))
    posted = {"house": str(preset.pk) if preset else "",
              "kind": request.GET.get("kind", "") if request.GET.get("kind", "") in ResidentKind.values else ""}
    if request.method == "POST":
        posted = {k: _box(request.POST, k) for k in RESIDENT_REGISTER_FIELDS}
        resident, error = _act(lambda: actions.register_resident(by=user, **posted))
        if error is None:
            messages.success(request, _("Resident registered."))
            if resident.moved_from_elsewhere:
                messages.info(request, _("This person's earlier entry elsewhere in the county was closed: "
                                         "they are registered here now."))
            if resident.house_id is not None:  # back to the house, to register the next tenant
                return HttpResponseRedirect(reverse("population:house-detail", args=[resident.house_id]))
            return HttpResponseRedirect(reverse("population:resident-detail", args=[resident.pk]))
        status = error.status
        preset = _preset_house(user, posted["house"]) or preset
    houses, more_houses = _house_options(user, preset)
    return render(request, "population/residents/new.html", {
        "posted": posted, "error": error.message() if error else "", "error_field": error.field if error else "",
        "kinds": ResidentKind.choices, "reasons": StayReason.choices, "places": _place_options(user),
        "houses": houses, "more_houses": more_houses, "preset": preset,
    }, status=status)


# ---------------------------------------------------------------- residents: one person


def _resident_values(resident: Resident, failed: str, posted) -> dict:
    """What each form shows: what was typed into the form just refused, else the entry's values
    (the phone box is empty: typed, it replaces the number the entry holds)."""
    def typed(form: str, key: str, default=""):
        return posted.get(key, default) if posted is not None and failed == form else default

    def day(value) -> str:
        return value.isoformat() if value else ""

    r = resident
    return {
        "edit": {"kind": typed("edit", "kind", r.kind), "house": typed("edit", "house", str(r.house_id or "")),
                 "area": typed("edit", "area", r.area.code), "address": typed("edit", "address", r.address),
                 "phone": typed("edit", "phone"), "origin": typed("edit", "origin", r.origin),
                 "reason": typed("edit", "reason", r.reason),
                 "arrived_on": typed("edit", "arrived_on", day(r.arrived_on)),
                 "permit_expires_on": typed("edit", "permit_expires_on", day(r.permit_expires_on)),
                 "note": typed("edit", "note", r.note)},
        "move_out": {"reason": typed("move_out", "reason"), "note": typed("move_out", "note")},
    }


def _move_out_reasons():
    """注销 reasons a user may choose (the action's rule: ``moved`` is set only by a new entry
    elsewhere)."""
    return [(v, label) for v, label in MoveOutReason.choices if v in actions.MOVE_OUT_REASONS]


def _render_resident(request, resident: Resident, *, unmask: bool = False, status: int = 200, failed: str = "",
                     posted=None, error: UserError | None = None):
    user = request.user
    may_change = resident.is_active and role_allowed(Resident, user, "change")
    offered = {"edit": may_change, "move_out": may_change}
    message = error.message() if error is not None else ""
    # the house as the user reaches it (read once, through restrict()): a tenant's address is the
    # house's, so a house outside the user's reach is shown by the resident's own address
    house = (RentalHouse.objects.restrict(user, "view").select_related("area").filter(pk=resident.house_id).first()
             if resident.house_id is not None else None)
    houses, more_houses = _house_options(user, house) if may_change else ([], False)
    resp = render(request, "population/residents/detail.html", {
        "resident": resident, "unmask": unmask, "can_unmask": user.can_unmask,
        "shown": {f: getattr(resident, f) if unmask else resident.masked(f) for f in RESIDENT_PERSONAL_FIELDS},
        "masked_phone": resident.masked("phone"),
        "permit": _permit(resident, _today()), "house_readable": house is not None,
        "registered_by": staff_name(resident.registered_by),
        "may_change": may_change,
        "values": _resident_values(resident, failed, posted),
        "failed": failed if offered.get(failed) else "",
        "form_error": message if offered.get(failed) else "",
        "error_field": error.field if error is not None else "",
        # a refusal whose form went away (someone moved the person out meanwhile): said above the forms
        "error": message if error is not None and not offered.get(failed) else "",
        "kinds": ResidentKind.choices, "reasons": StayReason.choices, "move_out_reasons": _move_out_reasons(),
        "places": edit_places(user, resident) if may_change else [],
        "houses": houses, "more_houses": more_houses,
    }, status=status)
    if unmask:
        patch_cache_control(resp, private=True, no_store=True)
    return resp


@login_required
def resident_detail(request, pk):
    _need(request.user)
    resident = _resident(request.user, pk)
    unmask = wants_unmask(request)
    if unmask:
        _unmasked(resident, RESIDENT_PERSONAL_FIELDS)
    return _render_resident(request, resident, unmask=unmask)


def _resident_refused(request, pk, form: str, exc: UserError):
    return _render_resident(request, _resident(request.user, pk), status=exc.status, failed=form,
                            posted=request.POST, error=exc)


@login_required
@require_POST
def resident_edit(request, pk):
    """The edit form sends every box back; the action keeps what is as it was and writes nothing
    when nothing changed. The phone box is sent only when a number was typed in it."""
    _need(request.user)
    resident = _resident(request.user, pk)
    boxes = {k: _box(request.POST, k) for k in RESIDENT_EDIT_FIELDS if k in request.POST}
    boxes |= {k: request.POST[k] for k in RESIDENT_EDIT_PERSONAL if request.POST.get(k, "").strip()}
    edited, error = _act(lambda: actions.update_resident(resident, by=request.user,
                                                         version=request.POST.get("version"), **boxes))
    if error is not None:
        return _resident_refused(request, pk, "edit", error)
    return after_edit(request, resident, edited, reverse("population:resident-detail", args=[resident.pk]))


@login_required
@require_POST
def resident_move_out(request, pk):
    _need(request.user)
    resident = _resident(request.user, pk)
    _done, error = _act(lambda: actions.move_out_resident(
        resident, by=request.user, reason=request.POST.get("reason", ""), note=_box(request.POST, "note"),
        version=request.POST.get("version")))
    if error is not None:
        return _resident_refused(request, pk, "move_out", error)
    messages.success(request, _("Moved out of the registry."))
    return HttpResponseRedirect(reverse("population:resident-detail", args=[resident.pk]))
