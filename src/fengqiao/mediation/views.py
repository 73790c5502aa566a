"""Console pages of the mediation centre (staff) and of mediators. Every record reaches the page
through ``restrict()``; every write is one action; errors become a message, never a 500."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from fengqiao.areas.models import Area
from fengqiao.core.api import small_id
from fengqiao.core.errors import UserError
from fengqiao.core.filters import has_nul
from fengqiao.core.personal import mask_free_text
from fengqiao.core.restrict import role_allowed
from fengqiao.core.viewsets import wants_unmask

from . import actions, services, stats, transitions
from .actions._common import FIELDS
from .actions.queue import now_serving, today
from .choices import Honoured, Referral, SessionStatus, State, TicketStatus
from .models import (
    Assignment,
    BacklogCase,
    Dispute,
    DisputeType,
    Mediator,
    Session,
    Ticket,
)
from .services import centres, match, record_unmask, unmasked_fields


def _need(user, model, action: str) -> None:
    if not role_allowed(model, user, action):
        raise PermissionDenied


@login_required
def queue(request):
    """取号/叫号 desk: take a number, call the next one at a window, see who is waiting. The desk
    offers only the centres whose queue the user reaches (not the county centre for a town)."""
    _need(request.user, Ticket, "view")
    desks = list(centres(request.user, "queue"))
    if not desks:
        raise Http404
    wanted = request.GET.get("centre", request.POST.get("centre")) or ""
    centre = next((c for c in desks if str(c.pk) == wanted), None)
    if centre is None:
        centre = desks[0]
        if wanted:  # never a ticket at a centre other than the one chosen: said, and nothing done
            messages.error(request, UserError("unknown_centre", "矛调中心不存在或不在您的管辖范围内",
                                              "unknown mediation centre or outside your jurisdiction").message())
            if request.method == "POST":
                return redirect(f"{request.path}?centre={centre.pk}")
    if request.method == "POST":
        _need(request.user, Ticket, "change")
        if not centres(request.user, "serve").filter(pk=centre.pk).exists():
            raise Http404  # never a number taken or called at a centre the user may not serve
        op = request.POST.get("op")
        try:
            if op == "take":
                t = actions.take_ticket(centre=centre, by=request.user, visitor_name=request.POST.get("visitor_name", ""),
                                        visitor_phone=request.POST.get("visitor_phone", ""),
                                        topic=request.POST.get("topic", ""))
                messages.success(request, _("Ticket %(label)s taken.") % {"label": t.label})
            elif op == "call":
                t = actions.call_next(centre=centre, window=request.POST.get("window", ""), by=request.user)
                if t is None:
                    messages.info(request, _("No one is waiting."))
                else:
                    messages.success(request, _("Calling %(label)s to window %(window)s.") % {"label": t.label,
                                                                                            "window": t.window})
            elif op in {"done", "no_show"}:
                t = Ticket.objects.restrict(request.user, "change").filter(pk=_id(request.POST.get("ticket"))).first()
                if t is None:
                    raise Http404
                actions.finish_ticket(t, by=request.user, status=op)
            else:
                raise UserError("unknown_op", "未知的操作", "unknown operation")
        except UserError as exc:
            messages.error(request, exc.message())
        return redirect(f"{request.path}?centre={centre.pk}")
    tickets = Ticket.objects.restrict(request.user, "view").filter(centre=centre, day=today()).select_related("dispute")
    return render(request, "mediation/queue.html", {
        "centre": centre, "centres": desks, "tickets": tickets, "serving": now_serving(centre),
        "waiting": [t for t in tickets if t.status == TicketStatus.WAITING],
        "called": [t for t in tickets if t.status == TicketStatus.CALLED],
    })


@login_required
def screen(request, centre_id: int):
    """"Now serving" screen (叫号屏): refreshes itself every few seconds (htmx polling)."""
    _need(request.user, Ticket, "view")
    centre = centres(request.user).filter(pk=centre_id).first()
    if centre is None:
        raise Http404
    template = "mediation/_screen_board.html" if request.headers.get("HX-Request") else "mediation/screen.html"
    return render(request, template, {"centre": centre, "serving": now_serving(centre)})


@login_required
def dispute_list(request):
    _need(request.user, Dispute, "view")
    qs = Dispute.objects.restrict(request.user, "view").select_related("type", "area", "organisation")
    state = request.GET.get("state", "").strip()
    q = (request.GET.get("q") or "").strip()[:50]
    errors = []
    if has_nul((state, q)):  # PostgreSQL refuses it in a parameter: said, never searched
        errors.append(_("Invalid characters."))
        state, q = state.replace("\x00", ""), q.replace("\x00", "")
    elif state and state not in State.values:
        errors.append(_("Unknown dispute state: %(value)s") % {"value": state})
    if state in State.values:
        qs = qs.filter(state=state)
    if request.GET.get("color") in {"yellow", "red"}:
        qs = qs.filter(sla_color=request.GET["color"], state__in=["accepted", "in_mediation"])
    if q:
        qs = qs.filter(title__icontains=q) | qs.filter(number__icontains=q)
    if errors:  # a filter that cannot be read empties the list: it is never ignored
        qs = qs.none()
    page = Paginator(qs.order_by("-registered_at", "-id"), 30).get_page(request.GET.get("page"))
    return render(request, "mediation/dispute_list.html",
                  {"page": page, "states": State.choices, "state": state, "q": q, "errors": errors})


@login_required
def register(request):
    """登记 a dispute (optionally from a called ticket)."""
    _need(request.user, Dispute, "create")
    tickets = Ticket.objects.restrict(request.user, "view").filter(day=today(), status=TicketStatus.CALLED)
    types = DisputeType.objects.filter(is_active=True)
    areas = Area.objects.restrict(request.user, "view").filter(level__in=["town", "village"]).order_by("path")[:800]
    if request.method == "POST":
        p = request.POST
        try:
            area = Area.objects.restrict(request.user, "view").filter(code=p.get("area", "")).first()
            dtype = types.filter(code=p.get("type", "")).first()
            if area is None or dtype is None:
                raise UserError("invalid", "请选择纠纷类型和地点", "choose a dispute type and a place")
            ticket = tickets.filter(pk=_id(p.get("ticket"))).first() if p.get("ticket") else None
            parties = [{"side": "applicant", "name": p.get("applicant_name", ""), "phone": p.get("applicant_phone", ""),
                        "id_number": p.get("applicant_id", "")}]
            if p.get("respondent_name"):
                parties.append({"side": "respondent", "name": p.get("respondent_name", ""),
                                "phone": p.get("respondent_phone", "")})
            d = actions.register_dispute(by=request.user, type=dtype, title=p.get("title", ""), facts=p.get("facts", ""),
                                         claims=p.get("claims", ""), area=area, parties=parties,
                                         amount_in_dispute=p.get("amount") or None, ticket=ticket,
                                         source=p.get("source") or "walk_in")
            messages.success(request, _("Dispute %(number)s registered.") % {"number": d.number})
            return redirect("mediation:dispute", pk=d.pk)
        except UserError as exc:
            # The form comes back with everything the user entered (see register.html).
            messages.error(request, exc.message())
            return render(request, "mediation/register.html", {"tickets": tickets, "types": types, "areas": areas,
                                                               "form": request.POST}, status=exc.status)
    return render(request, "mediation/register.html", {"tickets": tickets, "types": types, "areas": areas,
                                                       "form": {"ticket": request.GET.get("ticket", "")}})


@login_required
def dispute_detail(request, pk: int):
    _need(request.user, Dispute, "view")
    d = _visible_dispute(request.user, pk)
    unmask = wants_unmask(request)
    if unmask:
        record_unmask(request.user, d, unmasked_fields(d))
    return _render_detail(request, d, unmask=unmask)


def _visible_dispute(user, pk: int) -> Dispute:
    d = Dispute.objects.restrict(user, "view").select_related("type", "area", "organisation").filter(pk=pk).first()
    if d is None:
        raise Http404
    return d


def _field(name: str, posted: dict, **kw) -> dict:
    """One input of an action form, as ``actions._common.FIELDS`` describes the parameter (its
    widget, its English label translated through the catalogue); ``kw`` overrides. A parameter
    without a widget there is not one the forms ask for: a plain text input under its name."""
    spec = FIELDS.get(name)
    widget, label = (spec.widget, _(spec.en)) if spec is not None and spec.widget else ("text", name)
    field = {"name": name, "widget": widget, "label": label, "required": True, "value": posted.get(name, "")}
    field.update(kw)
    return field


def _action_forms(d: Dispute, allowed: list[str], posted_action: str = "", posted=None) -> list[dict]:
    """One form per allowed action; the form just submitted keeps what the user typed."""
    forms = []
    for name in allowed:
        t = transitions.TABLE[name]
        values = posted if (posted is not None and name == posted_action) else {}
        if name == "record_session":
            fields = _record_session_fields(d, values)
        else:
            fields = [_field(f, values) for f in t.required]
        if name == "assign":
            fields[0]["values"] = values.getlist("mediators") if hasattr(values, "getlist") else []
            fields[0]["label"] = _("Mediators (the first leads)")
        if name == "succeed":
            fields.append(_field("amount_recovered", values, widget="number", label=_("Amount agreed/recovered (yuan)"),
                                 required=False))
        if name == "fail":
            fields.append(_field("referral", values, widget="referral", label=_("Referred to"), required=False))
        for f in fields:
            if f["widget"] == "referral":
                f["body"] = values.get("referral_body", "")
        forms.append({"action": name, "label": t.label, "fields": fields})
    return forms


def _record_session_fields(d: Dispute, values) -> list[dict]:
    """记录调解: record a scheduled session (it becomes held) or one that was not scheduled."""
    scheduled = list(d.sessions.filter(status=SessionStatus.SCHEDULED).order_by("held_at", "seq"))
    word = _("Session")
    options = [(str(s.pk), f"{word} {s.seq} · {timezone.localtime(s.held_at):%Y-%m-%d %H:%M} · {s.place}", s.place)
               for s in scheduled]
    options.append(("", _("A session that was not scheduled"), ""))
    chosen = values.get("session", options[0][0]) if values else options[0][0]
    place = values.get("place") if values else next((o[2] for o in options if o[0] == chosen), "")
    return [
        _field("session", values, widget="session", label=_("Session"), required=False, value=chosen,
               options=options),
        _field("place", values, value=place or "", required=not scheduled,
               help=_("Empty: the scheduled place") if scheduled else ""),
        _field("held_at", values, required=False,
               help=_("Empty: as scheduled, or now") if scheduled else _("Empty: now")),
        _field("minutes", values),
    ]


def _render_detail(request, d: Dispute, *, unmask: bool = False, posted_action: str = "", posted=None,
                   status: int = 200):
    allowed = transitions.allowed_actions(d, request.user)
    proposal = match(d, user=request.user) if "assign" in allowed else None
    return render(request, "mediation/dispute_detail.html", {
        "d": d, "unmask": unmask, "forms": _action_forms(d, allowed, posted_action, posted),
        "words": {f: getattr(d, f) if unmask else mask_free_text(getattr(d, f)) for f in Dispute.FREE_TEXT_FIELDS},
        "parties": [(p, p.display_name(unmask)) for p in d.parties.all()],
        "assignments": d.assignments.select_related("mediator"), "sessions": d.sessions.all(),
        "timeline": d.timeline.all(), "agreement": getattr(d, "agreement", None), "proposal": proposal,
        "referrals": Referral.choices, "honoured": Honoured.choices,
        "mediators": Mediator.objects.restrict(request.user, "view").filter(is_active=True)[:300],
        "backlog": d.backlog_cases.all(),
    }, status=status)


@login_required
@require_POST
def dispute_act(request, pk: int):
    _need(request.user, Dispute, "act")
    d = Dispute.objects.restrict(request.user, "act").filter(pk=pk).first()
    if d is None:
        raise Http404
    p = request.POST
    action = p.get("action", "")
    # Fields starting with "_" are internal switches of the actions, never user input.
    params = {k: v for k, v in p.items()
              if k not in {"action", "version", "csrfmiddlewaretoken"} and not k.startswith("_")}
    if "mediators" in p:
        params["mediators"] = [m for m in p.getlist("mediators") if m]
    if action == "decide_confirmation":
        params["confirmed"] = p.get("confirmed") == "1"
    for optional in ("referral", "session", "held_at", "amount_recovered"):
        if not params.get(optional):
            params.pop(optional, None)
    try:
        actions.act(d, action, by=request.user, params=params, expected_version=p.get("version") or None)
    except UserError as exc:
        # Show the page again with what was typed, so nothing is lost.
        messages.error(request, exc.message())
        return _render_detail(request, _visible_dispute(request.user, pk), posted_action=action, posted=p,
                              status=exc.status)
    messages.success(request, _("Done: %(action)s.") % {"action": transitions.get(action).label})
    return redirect("mediation:dispute", pk=d.pk)


@login_required
def agreement_pdf(request, pk: int):
    """人民调解协议书 for the console: full names for those who produce it (audited), else the
    stored masked copy (``services.agreement_pdf``)."""
    _need(request.user, Dispute, "view")
    response = services.agreement_download(request, _visible_dispute(request.user, pk))
    if response is None:
        raise Http404
    return response


@login_required
def my_cases(request):
    """For mediators: my open cases and today's sessions."""
    _need(request.user, Dispute, "view")
    mine = Assignment.objects.filter(mediator__user=request.user, result="").values("dispute_id")
    cases = Dispute.objects.restrict(request.user, "view").filter(pk__in=mine).select_related("type", "area")
    now = timezone.localtime()
    sessions = Session.objects.restrict(request.user, "view").filter(
        dispute__in=mine, held_at__date=now.date()).select_related("dispute").order_by("held_at")
    upcoming = Session.objects.restrict(request.user, "view").filter(
        dispute__in=mine, status="scheduled", held_at__gt=now).select_related("dispute").order_by("held_at")[:20]
    return render(request, "mediation/my_cases.html", {"cases": cases, "sessions": sessions, "upcoming": upcoming})


@login_required
def stats_page(request):
    _need(request.user, Dispute, "stats")
    try:
        result = stats.compute(request.user, request.GET)
    except UserError as exc:
        messages.error(request, exc.message())
        result = stats.compute(request.user, {})
    chart = {
        "months": [m["key"] for m in result["breakdowns"]["month"]],
        "screened": [m["screened"] for m in result["breakdowns"]["month"]],
        "succeeded": [m["succeeded"] for m in result["breakdowns"]["month"]],
        "failed": [m["failed"] for m in result["breakdowns"]["month"]],
        "types": [{"name": t["label"], "value": t["screened"]} for t in result["breakdowns"]["type"]],
        "areas": [t["label"] for t in result["breakdowns"]["area"]],
        "area_rates": [round((t["success_rate"] or 0) * 100, 2) for t in result["breakdowns"]["area"]],
        "labels": {"screened": str(_("Screened")), "succeeded": str(_("Succeeded")), "failed": str(_("Failed")),
                   "rate": str(_("Success rate (%)"))},
    }
    query = request.GET.urlencode()
    return render(request, "mediation/stats.html", {"r": result, "chart": chart, "query": query})


@login_required
def backlog_list(request):
    _need(request.user, BacklogCase, "view")
    cases = BacklogCase.objects.restrict(request.user, "view").select_related("leader", "dispute").prefetch_related("hearings")
    return render(request, "mediation/backlog.html", {"cases": cases})


def _id(value) -> int:
    """A record id from a form field; anything else matches nothing (0), never a 500."""
    value = (value or "").strip()
    return int(value) if small_id(value) else 0
