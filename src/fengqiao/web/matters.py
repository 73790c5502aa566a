"""Console pages for matters (事件): list, detail, actions, intake, export.

Views parse input, read through ``restrict()``, call one action and render. The filters are
the API's FilterSet, the action parameters the API's parser, the allowed actions the one
transition table.
"""

from __future__ import annotations

import datetime as dt
import logging
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fengqiao.areas.models import Area, Department, Level
from fengqiao.core import audit, roles
from fengqiao.core.api import small_id
from fengqiao.core.errors import UserError, shown
from fengqiao.core.filters import area_refused, filter_listing
from fengqiao.core.personal import PersonalDataError, holds_number, mask_free_text
from fengqiao.core.restrict import role_allowed
from fengqiao.core.sheets import safe_row
from fengqiao.events import actions, transitions
from fengqiao.events.actions.attachments import add_attachment
from fengqiao.events.api import EventFilter, action_kwargs, action_parameters, filter_instant
from fengqiao.events.choices import Channel, Feedback, SlaColor, State, Urgency
from fengqiao.events.models import Category, Event

from .models import SavedFilter
from .work import QUEUE_KEYS, queue_condition, queue_counts, queues

log = logging.getLogger(__name__)

PAGE_SIZE = 50
#: a suggested category under this confidence is not shown (a model sure of its first choice
#: gives the others 0.00, which says nothing)
SHOWN_CONFIDENCE = 0.005
SORTS = {
    "received": "-received_at", "received_asc": "received_at", "due": "handle_due_at",
    "sign_due": "sign_due_at", "state": "state", "number": "number",
}
FILTER_KEYS = ["q", "channel", "state", "category", "area", "sla_color", "received_from", "received_to", "resolved_from",
               "resolved_to", "queue", "handling",
               "urgency", "listed", "supervised"]
EXPORT_LIMIT = 50_000


def visible_events(user):
    return Event.objects.restrict(user, "view")


def get_event(user, pk) -> Event:
    try:
        pk = int(pk)
    except (TypeError, ValueError) as exc:
        raise Http404 from exc
    event = visible_events(user).select_related(
        "category", "area", "handling_area", "handling_department", "assignee", "merged_into", "created_by"
    ).filter(pk=pk).first()
    if event is None:
        raise Http404
    return event


def filtered(request):
    """The user's matters narrowed by the list's GET parameters; (queryset, errors)."""
    qs = visible_events(request.user)
    params = request.GET.copy()
    queue = params.pop("queue", [""])[0]
    errors = []
    if queue:
        cond = queue_condition(request.user, queue) if queue in QUEUE_KEYS else None
        if cond is None:
            errors.append(_("Unknown queue: %(q)s") % {"q": queue})
        else:
            qs = qs.filter(cond)
    area = params.get("area", "").strip()
    if area and not Area.in_view(request.user, area):  # said, as on the other lists, not an empty list
        errors.append(area_refused() % {"value": shown(area)})
    qs, refused = filter_listing(EventFilter, params, qs, request)
    if not refused:
        errors += _backwards(params)
    return (qs.none() if errors else qs), errors + refused


def _backwards(params) -> list[str]:
    """A time range whose start is after its end: said, since no matter can lie in it."""
    out = []
    for start, end in (("received_from", "received_to"), ("resolved_from", "resolved_to")):
        if params.get(start) and params.get(end) and (
                filter_instant(params[start], field=start) >= filter_instant(params[end], end=True, field=end)):
            out.append(_("The range runs backwards: from %(start)s to %(end)s.")
                       % {"start": shown(params[start]), "end": shown(params[end])})
    return out


def _choices_context(user):
    towns = Area.objects.restrict(user, "view").filter(level__in=[Level.COUNTY, Level.TOWN, Level.VILLAGE]).order_by("path")
    return {
        "channels": Channel.choices, "states": State.choices, "colors": SlaColor.choices, "urgencies": Urgency.choices,
        "categories": _indented(Category.objects.filter(is_active=True).order_by("path")),
        "area_options": towns.filter(level__in=[Level.COUNTY, Level.TOWN]) if user.role != roles.GRID_WORKER else towns,
    }


@login_required
def home(request):
    user = request.user
    if user.role in roles.GLOBAL_ROLES:
        return render(request, "web/home_admin.html", {})
    if user.role == roles.MEDIATOR:  # a mediator's work is cases, not matters
        return redirect("mediation:my")
    qs = visible_events(user)
    counts = queue_counts(user, qs)
    recent = qs.select_related("category", "area").order_by("-received_at")[:10]
    return render(request, "web/home.html", {"counts": counts, "recent": recent})


def _attach_person_reasons(rows, user) -> None:
    """Each row's ``person_reasons``: why triage left it to a person, in the reader's words."""
    from fengqiao.triage import service
    from fengqiao.triage.models import TriageResult

    rows = list(rows)  # the page's rows, now cached: the table shows these same objects
    stored = dict(TriageResult.objects.restrict(user, "view").filter(event__in=[e.pk for e in rows])
                  .values_list("event_id", "person_reasons"))
    for e in rows:
        e.person_reasons = service.reasons_text(stored.get(e.pk))


def no_matters_for(user) -> None:
    """A role that reads no matters (``Event.ACCESS``: the administrator and the auditor) gets a
    403, not an empty list and, for an export, an audit record of nothing."""
    if not role_allowed(Event, user, "view"):
        raise PermissionDenied(_("Your role does not read matters."))


@login_required
def matter_list(request):
    no_matters_for(request.user)
    qs, errors = filtered(request)
    sort = request.GET.get("sort", "received")
    qs = qs.select_related("category", "area", "handling_area", "handling_department", "assignee")
    qs = qs.order_by(SORTS.get(sort, "-received_at"), "-id")
    paginator = Paginator(qs, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    query = {k: v for k, v in request.GET.items() if k in FILTER_KEYS and v}
    bulk = _bulk_actions(request.user)
    queue = dict((key, label) for key, label, _c, _css in queues(request.user)).get(query.get("queue", ""))
    is_needs_person = query.get("queue") == "needs_person" and queue is not None  # a queue of the role
    if is_needs_person:  # the queue says why each matter waits
        _attach_person_reasons(page.object_list, request.user)
    ctx = {
        "is_needs_person": is_needs_person,
        "page": page, "errors": errors, "sort": sort, "query": query, "querystring": urlencode(query),
        "queue_label": queue, "without_queue": urlencode({k: v for k, v in query.items() if k != "queue"}),
        "sorts": SORTS, "saved": SavedFilter.objects.restrict(request.user, "view"), "bulk_actions": bulk,
        "units": _units(request.user) if "dispatch" in bulk else [],
        "state_combo": _state_combo(query.get("state", "")),
        **_choices_context(request.user),
    }
    return render(request, "web/matters/list.html", ctx)


def _state_combo(value: str) -> tuple[str, str] | None:
    """A filter on several states (a dashboard link: ``state=received,accepted,…``) as one
    option of the state box, so the box shows it and sending the form again keeps it."""
    if "," not in value:
        return None
    labels = dict(State.choices)
    return value, " / ".join(str(labels.get(v.strip(), v.strip())) for v in value.split(",") if v.strip())


def _bulk_actions(user) -> list[str]:
    out = []
    for name in ("dispatch", "supervise"):
        if user.role in transitions.TABLE[name].roles:
            out.append(name)
    return out


def _places(user):
    """Where this user can move a matter to (更正地点) in the console: its jurisdiction's towns and
    villages (a town centre: its town, villages and grids), in tree order, indented by level.
    The API takes any town, village, grid or micro-grid of the jurisdiction."""
    levels = [Level.TOWN, Level.VILLAGE, Level.GRID] if user.role == roles.TOWN_OPERATOR else [Level.TOWN, Level.VILLAGE]
    areas = Area.objects.restrict(user, "view").filter(level__in=levels, is_active=True).order_by("path")
    return [(a.code, "　" * levels.index(a.level) + a.name) for a in areas[:2000]]


def _units(user):
    """Where this user can dispatch to: areas of its jurisdiction down to grids, and departments."""
    areas = Area.objects.restrict(user, "view").filter(level__in=[Level.TOWN, Level.VILLAGE]).order_by("path")
    if user.role == roles.TOWN_OPERATOR:
        areas = Area.objects.restrict(user, "view").filter(level__in=[Level.VILLAGE, Level.GRID]).order_by("path")
    units = [(f"area:{a.code}", f"{a.name} ({a.get_level_display()})") for a in areas[:800]]
    units += [(f"department:{d.code}", d.name) for d in Department.objects.restrict(user, "view").filter(is_active=True)]
    return units


@login_required
@require_POST
def bulk_action(request):
    name = request.POST.get("action", "")
    if name not in _bulk_actions(request.user):
        messages.error(request, _("This bulk action is not available to you."))
        return HttpResponseRedirect(reverse("web:matters"))
    ids = [int(i) for i in request.POST.getlist("ids") if small_id(i)]
    if not ids:
        messages.warning(request, _("Tick the matters to act on first."))
    done, failed = 0, []
    for event in visible_events(request.user).filter(pk__in=ids):
        try:
            body = {"to_unit": request.POST.get("to_unit", ""), "reason": request.POST.get("reason", "")}
            actions.perform(event, name, by=request.user, **action_kwargs(name, body, request, event))
            done += 1
        except UserError as exc:
            failed.append(f"{event.number or event.pk}: {exc.message()}")
    if done:
        messages.success(request, _("%(n)d matters done.") % {"n": done})
    for f in failed[:20]:
        messages.error(request, f)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = reverse("web:matters")
    return HttpResponseRedirect(back)


@login_required
@require_POST
def save_filter(request):
    name = request.POST.get("name", "").strip()[:60]
    query = request.POST.get("query", "")[:1000]
    if not name:
        messages.error(request, _("Give the filter a name."))
    else:
        with transaction.atomic():
            SavedFilter.objects.update_or_create(owner=request.user, name=name, defaults={"query": query})
        messages.success(request, _("Filter saved."))
    return HttpResponseRedirect(reverse("web:matters") + ("?" + query if query else ""))


@login_required
@require_POST
def delete_filter(request, pk: int):
    SavedFilter.objects.restrict(request.user, "change").filter(pk=pk).delete()
    return HttpResponseRedirect(reverse("web:matters"))


@login_required
def export_xlsx(request):
    no_matters_for(request.user)
    from openpyxl import Workbook

    qs, errors = filtered(request)
    if errors:
        messages.error(request, "; ".join(errors))
        return HttpResponseRedirect(reverse("web:matters") + "?" + request.GET.urlencode())
    qs = qs.select_related("category", "area", "handling_area", "handling_department", "assignee").order_by("-received_at")
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Matters"))
    ws.append([_("Number"), _("Channel"), _("Title"), _("Category"), _("Area"), _("Address"), _("State"),
               _("Time-limit colour"), _("Handling unit"), _("Received at"), _("Handling due"), _("Reporter"),
               _("Reporter phone")])
    n = 0
    for e in qs.iterator(chunk_size=2000):
        ws.append(safe_row([e.number or e.pk, e.get_channel_display(), e.masked_title, e.category.name if e.category else "",
                   e.area.name if e.area else "", e.address, e.get_state_display(), e.get_sla_color_display(),
                   e.handling_unit_label(), timezone.localtime(e.received_at).replace(tzinfo=None),
                   timezone.localtime(e.handle_due_at).replace(tzinfo=None) if e.handle_due_at else None,
                   Event._meta.get_field("reporter_name").mask(e.reporter_name),
                   Event._meta.get_field("reporter_phone").mask(e.reporter_phone)]))
        n += 1
        if n >= EXPORT_LIMIT:
            break
    audit.record("export", object_type="events.event", object_repr=f"matters export ({n} rows, masked)",
                 after={"filters": request.GET.dict(), "rows": n})
    resp = HttpResponse(content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M")
    resp["Content-Disposition"] = f'attachment; filename="matters-{stamp}.xlsx"'
    wb.save(resp)
    return resp


# ---------------------------------------------------------------- detail and actions

FIELD_WIDGETS = {
    "reason": "textarea", "result": "textarea", "text": "textarea", "note": "textarea",
    "to_unit": "unit", "unit": "unit", "feedback": "feedback", "into": "text", "days": "number",
    "approve": "approve", "evidence": "file", "attachments": "file", "place": "place",
}


def action_forms(event, user, *, errors=None, failed_action=None, posted=None):
    forms = []
    for name in transitions.allowed_actions(event, user):
        t = transitions.TABLE[name]
        params = action_parameters(name)
        fields = [{
            "name": p.name, "widget": FIELD_WIDGETS.get(p.name, "text"),
            "required": p.name in t.required, "label": _field_label(p.name),
            "value": (posted or {}).get(p.name, "") if failed_action == name else "",
        } for p in params]
        form_errors = errors if failed_action == name else None
        if form_errors and form_errors.get("field") and form_errors["field"] not in {f["name"] for f in fields}:
            # an error about something the form has no box for (an uploaded file's type, say) is
            # shown at the top of the form, not under a box that is not there
            form_errors = {**form_errors, "field": None}
        forms.append({"name": name, "label": t.label, "zh": t.zh, "fields": fields, "errors": form_errors,
                      "primary": t.target is not None})
    return forms


def _field_label(name: str) -> str:
    return {
        "reason": _("Reason"), "result": _("Result"), "text": _("Text"), "note": _("Note"),
        "to_unit": _("Handling unit"), "unit": _("Co-handling unit"), "feedback": _("Citizen feedback"),
        "into": _("Merge into (number)"), "days": _("Extra working days"), "approve": _("Decision"),
        "evidence": _("Evidence (files)"), "attachments": _("Attachments"), "place": _("Place"),
    }.get(name, name)


#: what an operator writes into an action form, kept on the page when the action was refused
TYPED_FIELDS = ("reason", "result", "text", "note", "feedback")


#: the reporter's personal fields the detail page shows masked
PERSONAL = ("reporter_name", "reporter_phone", "reporter_id_number")


def _detail_context(request, event, **kw):
    user = request.user
    unmask = request.GET.get("unmask") == "1" and user.can_unmask
    timeline = _timeline(event)
    # the words of the matter and of its timeline, with phone and ID numbers masked unless the
    # page is unmasked (ADR 0120)
    masked_words = [f for f in Event.FREE_TEXT_FIELDS if holds_number(getattr(event, f))]
    if any(holds_number(t.reason) for t in timeline):
        masked_words.append("timeline")
    if unmask:
        audit.record("view_personal", event, after={"fields": [*PERSONAL, *masked_words]})
    meta = Event._meta

    def show(field):
        value = getattr(event, field)
        return value if unmask else meta.get_field(field).mask(value)

    for t in timeline:
        t.shown_reason = t.reason if unmask else t.masked_reason
    forms = action_forms(event, user, **kw)
    duplicates = _merged_in(event, user, unmask)
    reporter = {"name": show("reporter_name"), "phone": show("reporter_phone"), "id_number": show("reporter_id_number")}
    words = {f: getattr(event, f) if unmask else mask_free_text(getattr(event, f)) for f in Event.FREE_TEXT_FIELDS}
    needs_units = any(f["widget"] == "unit" for form in forms for f in form["fields"])
    needs_places = any(f["widget"] == "place" for form in forms for f in form["fields"])
    pins = []
    if event.latitude is not None and event.longitude is not None:
        pins.append({"lat": event.latitude, "lng": event.longitude, "label": words["title"]})
    elif event.area and event.area.center_lat is not None:
        pins.append({"lat": event.area.center_lat, "lng": event.area.center_lng, "label": event.area.name})
    features = []
    if event.area and event.area.boundary:
        features.append({"type": "Feature", "geometry": event.area.boundary,
                         "properties": {"name": event.area.name, "open": 0}})
    return {
        "event": event, "unmask": unmask, "can_unmask": user.can_unmask,
        "reporter": reporter, "timeline": timeline, "words": words, "words_masked": bool(masked_words) and not unmask,
        "attachments": list(event.attachments.all()),
        "forms": forms, "units": _units(user) if needs_units else [], "feedbacks": Feedback.choices,
        "places": _places(user) if needs_places else [],
        "map_data": {"type": "FeatureCollection", "features": features, "pins": pins},
        "triage": _triage_of(event, user, [f["name"] for f in forms], timeline),
        "all_categories": _indented(Category.objects.filter(is_active=True).order_by("path")),
        "duplicates": duplicates,
        # masking keeps an empty value empty: the shown values say whether there is anything to unmask
        "has_personal": bool(masked_words) or any(reporter.values()) or any(d["name"] or d["phone"] for d in duplicates),
    }


def _timeline(event) -> list:
    """The matter's timeline; a category entry (categorize) carries the names it went from and to."""
    entries = list(event.timeline.select_related("actor").order_by("at", "id"))
    codes = {c for t in entries if t.action == "categorize" for c in (t.data.get("from"), t.data.get("to")) if c}
    names = dict(Category.objects.filter(code__in=codes).values_list("code", "name")) if codes else {}
    for t in entries:
        if t.action == "categorize":
            t.category_from, t.category_to = names.get(t.data.get("from"), ""), names.get(t.data.get("to"), "")
    return entries


def _indented(categories):
    """Categories in tree order, each with ``indent``: a full-width space per level below the top."""
    out = list(categories)
    for c in out:
        c.indent = "　" * c.depth
    return out


def _merged_in(event, user, unmask: bool) -> list[dict]:
    """The matters merged into this one (合并的重复件), each with its reporter, channel and time:
    a merged matter keeps every reporter, so the handler and the verifier can reach them all.
    Masked unless the page is unmasked (then the view is audited for each)."""
    rows = []
    merged = (Event.objects.restrict(user, "view").filter(merged_into=event).order_by("received_at", "pk")
              .only("id", "number", "title", "channel", "received_at", "anonymous", "reporter_name", "reporter_phone"))
    for d in merged:
        if unmask:
            audit.record("view_personal", d, after={"fields": ["reporter_name", "reporter_phone"]})
        name, phone = (getattr(d, f) if unmask else Event._meta.get_field(f).mask(getattr(d, f))
                       for f in ("reporter_name", "reporter_phone"))
        rows.append({"pk": d.pk, "number": d.number, "title": d.title if unmask else d.masked_title,
                     "channel": d.get_channel_display(),
                     "received_at": d.received_at, "anonymous": d.anonymous, "name": name, "phone": phone})
    return rows


def _place_choices(event, user, result) -> tuple[list, list]:
    """The places triage read that the matter is not at yet, for a one-click 更正地点: the text's
    and the coordinates' place when they disagree, else the place triage settled on. ``(inside
    the user's jurisdiction, outside it)``: the second are named, with the way to get them
    corrected (上报), not offered."""
    from fengqiao.events.actions.side import place_refusal

    candidates = [result.text_area, result.coordinate_area] if result.place_conflict else [result.area]
    inside, outside = [], []
    for a in candidates:
        if a is None or a in inside or a in outside:
            continue
        refused = place_refusal(event, a, user)
        if refused is None:
            inside.append(a)
        elif refused.code == "place_outside":
            outside.append(a)
    return inside, outside


def _settled(event, result, timeline):
    """The 更正地点 that settled a place conflict (the matter now at one of the two places), or
    ``None``: the page says who settled it instead of showing the conflict as open."""
    if not result.place_conflict:
        return None
    entry = next((t for t in reversed(timeline) if t.action == "relocate"), None)
    if entry is None or event.area_id not in (result.text_area_id, result.coordinate_area_id):
        return None
    return entry


def _triage_of(event, user, allowed: list[str], timeline):
    """The stored triage result shaped for the page, duplicates limited to what the user sees.

    For an operator the candidates are also looked up again now, so the first report lists the
    repeats that came in after it; each candidate shows its title, date and state, and a merge
    button only where a merge into it can succeed (an open matter)."""
    from fengqiao.events.actions.workflow import MERGE_CLOSED
    from fengqiao.triage import service
    from fengqiao.triage.models import TriageResult

    result = (TriageResult.objects.restrict(user, "view")
              .select_related("area", "route_area", "route_department", "text_area", "coordinate_area")
              .filter(event=event).first())
    if result is None:
        return None
    scores: dict[int, float] = {}
    for d in result.duplicates or []:
        if d and small_id(d[0]):
            scores[int(d[0])] = float(d[1])
    if user.role in roles.OPERATORS and event.state not in MERGE_CLOSED:
        try:
            for pk, score in service.event_duplicates(event, also=service.other_place(event, result)):
                scores[pk] = max(score, scores.get(pk, 0.0))
        except Exception:  # the stored candidates still show
            log.exception("looking up the duplicates of matter %s failed", event.pk)
    scores.pop(event.pk, None)
    visible = {e.pk: e for e in Event.objects.restrict(user, "view").filter(pk__in=list(scores))
               .only("id", "number", "title", "state", "received_at")}
    duplicates = [{"id": pk, "number": visible[pk].number, "title": visible[pk].masked_title, "state": visible[pk].state,
                   "state_label": visible[pk].get_state_display(), "received_at": visible[pk].received_at,
                   "score": score, "open": service.takes_repeats(visible[pk].state),
                   "likely": service.likely_same(score)}
                  for pk, score in sorted(scores.items(), key=lambda kv: -kv[1]) if pk in visible]
    choices, elsewhere = _place_choices(event, user, result) if "relocate" in allowed else ([], [])
    return {
        "categories": [c for c in result.categories or [] if c.get("confidence", 0) >= SHOWN_CONFIDENCE],
        "classifier": result.classifier, "model_version": result.model_version,
        "area": result.area, "area_evidence": (result.area_evidence or {}).get("text", ""),
        "text_area": result.text_area, "coordinate_area": result.coordinate_area,
        "conflict": result.place_conflict, "route": result.route_text(), "route_unit": result.route_unit(),
        "route_label": str(result.route_department or result.route_area or ""),
        "duplicates": duplicates[:8],
        # the queue's condition: a matter dispatched, merged or closed waits for nobody
        "needs_person": result.waits_for_person(event.state), "error": result.error,
        "person_reasons": service.reasons_text(result.person_reasons),
        "can_label": user.role in roles.OPERATORS, "can_dispatch": "dispatch" in allowed,
        "can_merge": "merge" in allowed, "can_relocate": "relocate" in allowed,
        "place_choices": choices, "place_elsewhere": elsewhere, "settled": _settled(event, result, timeline),
        "cohandlers": list(Department.objects.restrict(user, "view").filter(code__in=result.route_cohandlers or [])
                           .values_list("name", flat=True)),
    }


@login_required
@require_POST
def matter_category(request, pk):
    """One click: the operator accepts or corrects the category (a label the model learns from)."""
    from fengqiao.triage.actions import label_event

    event = get_event(request.user, pk)
    if request.user.role not in roles.OPERATORS:
        raise Http404
    category = Category.objects.filter(code=request.POST.get("category", ""), is_active=True).first()
    if category is None:
        messages.error(request, _("Choose a category."))
    else:
        try:
            label_event(event, category, by=request.user)
        except UserError as exc:
            messages.error(request, exc.message())
        else:
            messages.success(request, _("Category set: %(name)s") % {"name": category.name})
    return HttpResponseRedirect(reverse("web:matter", args=[event.pk]))


@login_required
def matter_detail(request, pk):
    event = get_event(request.user, pk)
    return render(request, "web/matters/detail.html", _detail_context(request, event))


def _done_detail(event, name: str) -> str:
    """What an action did, named in its confirmation: the unit dispatched to, the matter merged
    into, the new place."""
    if name not in ("dispatch", "merge", "relocate"):
        return ""
    event = Event.objects.select_related("handling_area", "handling_department", "assignee", "merged_into",
                                         "area").get(pk=event.pk)
    if name == "dispatch":
        return event.handling_unit_label()
    if name == "merge" and event.merged_into_id:
        return event.merged_into.number
    if name == "relocate" and event.area_id:
        return event.area.full_name()
    return ""


@login_required
@require_POST
def matter_act(request, pk, name):
    event = get_event(request.user, pk)
    if name not in transitions.TABLE:
        raise Http404
    body = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
    # the version the form was drawn at: a second click, or a form left open while someone else
    # acted, is refused as stale instead of acting twice (comment, supervise, pause … keep the
    # state, so the state check alone would let them through)
    seen = body.pop("version", "").strip()
    version = int(seen) if seen.isascii() and seen.isdigit() else (seen or None)  # "²" is a digit too
    with_cohandlers = name == "dispatch" and body.pop("with_cohandlers", "") == "1"
    skipped: list[str] = []
    stored: list = []  # files written for this action: removed again when it is refused
    try:
        with transaction.atomic():
            for key in ("evidence", "attachments"):
                files = request.FILES.getlist(key)
                if files:
                    body[key] = []
                    for f in files:
                        try:
                            att = add_attachment(event, by=request.user, upload=f)
                        except UserError as exc:
                            exc.field = key  # the form's file box, not the API's "file"
                            raise
                        stored.append(att.file)
                        body[key].append(att.pk)
                elif key in body:
                    body.pop(key)
            actions.perform(event, name, by=request.user, version=version,
                            **action_kwargs(name, body, request, event))
            if with_cohandlers:  # the triage panel's one click: the co-handlers its route names too
                from fengqiao.triage.actions import add_route_cohandlers
                from fengqiao.triage.models import TriageResult

                codes = (TriageResult.objects.restrict(request.user, "view").filter(event=event)
                         .values_list("route_cohandlers", flat=True).first())
                skipped = add_route_cohandlers(event, codes, by=request.user)
    except (UserError, PersonalDataError) as exc:
        for f in stored:  # the rows were rolled back; their files would stay on disk, unreferenced
            f.storage.delete(f.name)
        message = exc.message() if isinstance(exc, UserError) else str(exc)
        field = getattr(exc, "field", None)
        event = get_event(request.user, pk)
        ctx = _detail_context(request, event, errors={"field": field, "message": message}, failed_action=name,
                              posted=body)
        if not any(f["name"] == name for f in ctx["forms"]):
            # the action is no longer offered (someone else acted first, in another tab or
            # another office): say why at the top, with what was typed, which has no form now
            ctx["action_error"] = message
            ctx["action_typed"] = [(_field_label(k), v) for k, v in body.items()
                                   if isinstance(v, str) and v.strip() and k in TYPED_FIELDS]
        status = getattr(exc, "status", 400)
        return render(request, "web/matters/detail.html", ctx, status=status)
    for why in skipped:
        messages.warning(request, why)
    done = _done_detail(event, name)
    if done:
        messages.success(request, _("%(action)s: done (%(detail)s).") % {"action": transitions.TABLE[name].label,
                                                                         "detail": done})
    else:
        messages.success(request, _("%(action)s: done.") % {"action": transitions.TABLE[name].label})
    return HttpResponseRedirect(reverse("web:matter", args=[event.pk]))
