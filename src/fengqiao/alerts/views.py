"""Console pages of the risk early warning (风险预警, ``/alerts/``): the list, one alert with its
evidence, linked matters, disputes, key person or check-point and timeline, and one form per
action the transition table allows.

Views parse input, read through ``restrict()``, call :func:`actions.act` and render. A role that
never reads alerts gets 403; an alert outside the user's area does not exist for them (404); a
matter or dispute the user may not read is counted, never shown; a refused action is the
action's bilingual message with its 4xx status.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fengqiao.areas.models import Area
from fengqiao.areas.models import Level as AreaLevel
from fengqiao.core.errors import UserError
from fengqiao.core.filters import filter_listing, has_nul
from fengqiao.core.restrict import role_allowed
from fengqiao.events.choices import Channel
from fengqiao.events.models import Category, Event

from . import actions, transitions
from .api import AlertFilter
from .choices import LEVEL_RANK, OPEN_STATES, Kind, Level, State
from .detect import SNIPPET
from .models import RiskAlert

PAGE_SIZE = 30
FILTER_KEYS = ("state", "level", "kind", "area")
#: the state box's own values besides the states: the default (open and being handled) and all
STATE_OPEN, STATE_ALL = "", "all"
AREA_OPTIONS_LIMIT = 800


def _need(user, action: str = "view") -> None:
    if not role_allowed(RiskAlert, user, action):
        raise PermissionDenied(_("Your role does not open the risk alerts."))


def _alert(user, pk, action: str = "view") -> RiskAlert:
    return (RiskAlert.objects.restrict(user, action)
            .select_related("area", "acknowledged_by", "closed_by").one_or_404(pk))


# ---------------------------------------------------------------- list


def _area_options(user):
    """The areas the list can be narrowed to: the user's own area and the ones under it (a
    county user picks towns; below the county, towns and villages)."""
    qs = Area.objects.restrict(user, "view")
    county_wide = user.area is not None and user.area.level == AreaLevel.COUNTY
    levels = [AreaLevel.COUNTY, AreaLevel.TOWN] if county_wide else [AreaLevel.TOWN, AreaLevel.VILLAGE]
    return qs.filter(level__in=levels).order_by("path")[:AREA_OPTIONS_LIMIT]


def _filtered(request):
    """The user's alerts narrowed by the list's GET parameters through the API's FilterSet (one
    meaning for both); (queryset, query, errors). The state box adds two values of its own:
    nothing for the open alerts (awaiting action or being handled), ``all`` for every state."""
    user = request.user
    qs = RiskAlert.objects.restrict(user, "view")
    query = {k: request.GET.get(k, "").strip() for k in FILTER_KEYS}
    params = QueryDict(mutable=True)
    for key in ("level", "kind", "area"):
        if query[key]:
            params[key] = query[key]
    if query["state"] == STATE_OPEN:
        params.setlist("state", [s.value for s in State if s in OPEN_STATES])
    elif query["state"] != STATE_ALL:
        params["state"] = query["state"]
    errors = []
    if has_nul(query.values()):
        return qs.none(), {k: v.replace("\x00", "") for k, v in query.items() if v}, [_("Invalid characters.")]
    if query["area"] and not Area.objects.restrict(user, "view").filter(code=query["area"]).exists():
        # the list is the user's alerts already: another area's code is said, never widened
        errors.append(_("Unknown area or outside your jurisdiction: %(value)s") % {"value": query["area"]})
    qs, refused = filter_listing(AlertFilter, params, qs, request)
    errors += refused
    return (qs.none() if errors else qs), {k: v for k, v in query.items() if v}, errors


def _level_counts(user) -> list[dict]:
    """The open alerts in the user's area by level, most serious first (one grouped query)."""
    found = dict(RiskAlert.objects.restrict(user, "view").filter(state__in=list(OPEN_STATES))
                 .order_by().values_list("level").annotate(n=Count("id")).values_list("level", "n"))
    return [{"level": level, "label": level.label, "count": found.get(level.value, 0)}
            for level in sorted(Level, key=lambda lv: -LEVEL_RANK[lv])]


@login_required
def alert_list(request):
    _need(request.user)
    qs, query, errors = _filtered(request)
    qs = qs.select_related("area").order_by("-raised_at", "-id")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "alerts/list.html", {
        "page": page, "query": query, "querystring": urlencode(query), "errors": errors,
        "counts": _level_counts(request.user),
        "states": State.choices, "levels": Level.choices, "kinds": Kind.choices,
        "area_options": _area_options(request.user),
        "state_all": STATE_ALL,
    })


# ---------------------------------------------------------------- detail


def _channels(value) -> list[tuple[str, int]]:
    """``{"hotline_12345": 2, …}`` as (label, count), most first."""
    if not isinstance(value, dict):
        return []
    labels = dict(Channel.choices)
    rows = [(str(labels.get(code, code)), n) for code, n in value.items() if isinstance(n, int)]
    return sorted(rows, key=lambda r: -r[1])


def _marked(snippet: str, phrase: str, start) -> tuple[str, str, str]:
    """The snippet cut around the matched phrase (before, phrase, after), for a <mark>."""
    if not phrase or phrase not in snippet:
        return snippet, "", ""
    at = snippet.find(phrase)
    # the phrase may occur more than once in the snippet: take the occurrence the scan matched
    # (the snippet starts SNIPPET characters before it, after an ellipsis, or at the text's start)
    if isinstance(start, int) and start >= 0:
        expected = min(start, SNIPPET) + (1 if start > SNIPPET else 0)
        if snippet[expected:expected + len(phrase)] == phrase:
            at = expected
    return snippet[:at], phrase, snippet[at + len(phrase):]


def _language(evidence: dict, may_read_matter: bool) -> list[dict]:
    hits = []
    for term in evidence.get("terms") or []:
        if not isinstance(term, dict):
            continue
        phrase = str(term.get("phrase", ""))
        level = term.get("level", "")
        row = {"phrase": phrase, "level": level,
               "level_label": Level(level).label if level in Level.values else level}
        if may_read_matter:
            row["before"], row["mark"], row["after"] = _marked(str(term.get("snippet", "")), phrase,
                                                               term.get("start"))
        hits.append(row)
    return hits


def _spike_chart(alert: RiskAlert, evidence: dict) -> dict | None:
    daily = [n if isinstance(n, int) else 0 for n in evidence.get("daily") or []]
    count = evidence.get("count")
    if not isinstance(count, int):
        return None
    days = len(daily)
    return {
        "type": "bar",
        "x": [_("%(n)s d before") % {"n": days - i} for i in range(days)] + [_("Last 24 h")],
        "series": [
            {"name": _("Matters in 24 hours, before"), "data": [*daily, None], "stack": "n"},
            {"name": _("Matters in the last 24 hours"), "data": [None] * days + [count], "stack": "n"},
        ],
        "colors": ["#9fb3c8", "#e12d39"],
    }


def _facts(alert: RiskAlert, evidence: dict) -> list[tuple[str, object]]:
    """The evidence of a counting signal as (label, value) rows."""
    e = evidence
    rows: list[tuple[str, object]] = []
    if alert.kind == Kind.SPIKE:
        rows.append((_("Matters in the last 24 hours"), e.get("count")))
        rows.append((_("Usual matters per day"), e.get("mean")))
        if isinstance(e.get("p"), (int, float)):
            rows.append((_("Chance of so many on a usual day"), f"{e['p']:.1e}"))
        code = e.get("category") or ""
        name = Category.objects.filter(code=code).values_list("name", flat=True).first() if code else None
        rows.append((_("Category"), name or code or _("Uncategorised")))
    elif alert.kind == Kind.REPEAT_REPORTER:
        rows.append((_("Matters from the same person"), e.get("count")))
        rows.append((_("Recognised by"), _("phone number") if e.get("by") == "phone" else _("ID number")))
    elif alert.kind == Kind.HOT_TOPIC:
        rows.append((_("Matters about the same thing"), e.get("count")))
        rows.append((_("Reporters"), e.get("reporters")))
    elif alert.kind == Kind.REOPENED:
        rows.append((_("Times sent back as unsatisfied"), e.get("reopen_count")))
    elif alert.kind == Kind.LONG_DISPUTE:
        rows.append((_("Days past the time limit"), e.get("days_overdue")))
    elif alert.kind in (Kind.KEY_PERSON, Kind.MISSED_VISIT):
        from fengqiao.grid.choices import KeyPersonCategory

        code = e.get("category")
        if code in KeyPersonCategory.values:
            rows.append((_("Key person's category"), KeyPersonCategory(code).label))
        rows.append((_("Days past the visit due"), e.get("days_overdue")))
        rows.append((_("Visit every (days)"), e.get("visit_every_days")))
    elif alert.kind == Kind.MISSED_INSPECTION:
        from fengqiao.grid.choices import CheckPointKind

        code = e.get("kind")
        if code in CheckPointKind.values:
            rows.append((_("Check-point kind"), CheckPointKind(code).label))
        rows.append((_("Days past the inspection due"), e.get("days_overdue")))
        rows.append((_("Inspect every (days)"), e.get("inspect_every_days")))
    return [(label, value) for label, value in rows if value not in (None, "")]


def _matters(alert: RiskAlert, user) -> tuple[list[Event], int]:
    """The linked matters the user may read, and how many others there are (never shown)."""
    readable, linked = alert.matters_for(user)
    visible = list(readable.select_related("category", "area").order_by("received_at", "id"))
    return visible, linked - len(visible)


def _disputes(evidence: dict, user) -> tuple[list, int]:
    from fengqiao.mediation.models import Dispute

    pk = evidence.get("dispute")
    if not isinstance(pk, int):
        return [], 0
    visible = list(Dispute.objects.restrict(user, "view").select_related("area").filter(pk=pk))
    return visible, 1 - len(visible)


def _key_person(evidence: dict, user):
    """The key person the alert is about, if the user may open their page (else None)."""
    from fengqiao.grid.models import KeyPerson

    pk = evidence.get("key_person")
    if not isinstance(pk, int):
        return None
    return KeyPerson.objects.restrict(user, "view").filter(pk=pk).first()


def _check_point(evidence: dict, user):
    """The check-point the alert is about, if the user may open its page (else None)."""
    from fengqiao.grid.models import CheckPoint

    pk = evidence.get("check_point")
    if not isinstance(pk, int):
        return None
    return CheckPoint.objects.restrict(user, "view").filter(pk=pk).first()


def _timeline(alert: RiskAlert) -> list[dict]:
    labels = {"raised": _("Raised by the scan"), "grown": _("More evidence (scan)")}
    states = dict(State.choices)
    levels = dict(Level.choices)
    out = []
    for entry in alert.entries.select_related("actor").order_by("at", "id"):
        t = transitions.TABLE.get(entry.action)
        data = entry.data if isinstance(entry.data, dict) else {}
        out.append({
            "at": entry.at, "who": entry.actor_name or (str(entry.actor) if entry.actor else "—"),
            "action": entry.action, "label": t.label if t is not None else labels.get(entry.action, entry.action),
            "from_state": states.get(entry.from_state, entry.from_state),
            "to_state": states.get(entry.to_state, entry.to_state),
            "moved": bool(entry.to_state) and entry.from_state != entry.to_state,
            "level": levels.get(data.get("level"), "") if entry.action in labels else "",
            "added": data.get("added") if entry.action == "grown" else None,
            "text": entry.text if t is not None else "",
        })
    return out


def _forms(alert: RiskAlert, user, *, failed: str = "", posted=None, error: UserError | None = None) -> list[dict]:
    """One form per action the transition table allows this user now, with a text box where the
    action needs one; the form just sent keeps what was typed and shows the action's error."""
    forms = []
    for name in transitions.allowed_actions(alert, user):
        t = transitions.TABLE[name]
        this = error is not None and failed == name
        text = None
        if "text" in t.required:
            text = {"label": transitions.TEXT_LABELS[name][1] if name in transitions.TEXT_LABELS else _("Text"),
                    "value": (posted or {}).get("text", "") if this else "",
                    "error": error.message() if this and error.field == "text" else ""}
        forms.append({"name": name, "label": t.label, "primary": t.target is not None, "text": text,
                      "error": error.message() if this and not (text and text["error"]) else ""})
    return forms


def _render_detail(request, alert: RiskAlert, *, status: int = 200, failed: str = "", posted=None,
                   error: UserError | None = None):
    user = request.user
    forms = _forms(alert, user, failed=failed, posted=posted, error=error)
    evidence = alert.evidence if isinstance(alert.evidence, dict) else {}
    matters, hidden = _matters(alert, user)
    disputes, hidden_disputes = _disputes(evidence, user)
    # the phrases' context is the matter's text: shown only to those who may read the matter
    source = evidence.get("event")
    may_read_source = isinstance(source, int) and any(m.pk == source for m in matters)
    ctx = {
        "alert": alert, "evidence": evidence,
        "hits": _language(evidence, may_read_source) if alert.kind == Kind.LANGUAGE else [],
        "snippets_hidden": alert.kind == Kind.LANGUAGE and not may_read_source,
        "facts": _facts(alert, evidence),
        "channels": _channels(evidence.get("channels")),
        "chart": _spike_chart(alert, evidence) if alert.kind == Kind.SPIKE else None,
        "matters": matters, "hidden_matters": hidden,
        "disputes": disputes, "hidden_disputes": hidden_disputes,
        "key_person": _key_person(evidence, user),
        "check_point": _check_point(evidence, user),
        "timeline": _timeline(alert),
        "forms": forms,
        # an action refused after its form went away (someone else acted first): said above the forms
        "error": error.message() if error is not None and not any(f["name"] == failed for f in forms) else "",
    }
    return render(request, "alerts/detail.html", ctx, status=status)


@login_required
def alert_detail(request, pk):
    _need(request.user)
    return _render_detail(request, _alert(request.user, pk))


@login_required
@require_POST
def alert_act(request, pk, name):
    _need(request.user, "act")
    alert = _alert(request.user, pk, "act")
    if name not in transitions.TABLE:
        raise Http404
    try:
        actions.act(alert, name, by=request.user, text=request.POST.get("text", ""),
                    version=request.POST.get("version"))
    except UserError as exc:
        return _render_detail(request, _alert(request.user, pk), status=exc.status, failed=name,
                              posted=request.POST, error=exc)
    messages.success(request, _("%(action)s: done.") % {"action": transitions.TABLE[name].label})
    return HttpResponseRedirect(reverse("alerts:detail", args=[alert.pk]))


def open_count(user) -> int:
    """Open alerts in the user's area (the navigation's badge): one count on the state index."""
    return RiskAlert.objects.restrict(user, "view").filter(state__in=list(OPEN_STATES)).count()

