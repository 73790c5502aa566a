"""Grid worker's phone page (网格员手机端): report with photo and GPS, my grid's matters, and
the patrol (巡逻) whose track the phone records.

Reports are queued on the phone and posted here with an ``Idempotency-Key`` header; a retry
of a report that already arrived returns the same matter, so nothing is ever created twice.
A report written while a patrol runs carries the patrol's id (``patrol``) and is linked to it;
the patrol itself is started, fed its track and ended through the patrols' API
(``/api/v1/patrols/``), from the phone's own queue (``fengqiao/phone.js``).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render, resolve_url
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from fengqiao.core import roles
from fengqiao.core.api import small_id
from fengqiao.core.errors import UserError
from fengqiao.core.inputs import same_sender
from fengqiao.events.actions import create_event
from fengqiao.events.actions.attachments import add_attachment
from fengqiao.events.choices import OPEN_STATES, Channel, Urgency
from fengqiao.events.models import INTAKE_ROLES, Category, Event
from fengqiao.events.transitions import handler_q
from fengqiao.patrols.actions import link_report
from fengqiao.patrols.models import MAX_DURATION, PATROLLERS, Patrol

#: who has the phone page (and so the menu entry to it): those who report and follow matters
#: out in their grid or village. Others have the console (operators, departments, leaders), the
#: mediation pages, or nothing on this page to report or handle (the auditor, the admin).
PHONE_ROLES = frozenset({roles.GRID_WORKER, roles.VILLAGE_CADRE})
#: the phone keeps at most one position this often (seconds) while a patrol runs …
PATROL_POINT_EVERY_S = 15
#: … and sends the positions it holds this often (seconds), at most this many in one request
PATROL_SEND_EVERY_S = 30
PATROL_BATCH = 200
#: where the patrols' API lives (``fengqiao/urls.py``)
PATROLS_API = "/api/v1/patrols/"


def may_use_phone(user) -> bool:
    """Whether ``user`` may open the phone page: the one rule for the page and the console menu."""
    return bool(user is not None and user.is_authenticated and user.role in PHONE_ROLES)


@login_required
def phone_home(request):
    user = request.user
    if not may_use_phone(user):
        raise PermissionDenied
    mine = (Event.objects.restrict(user, "view").filter(state__in=OPEN_STATES)
            .select_related("category", "area").order_by("-received_at"))
    return render(request, "web/phone.html", {
        "todo": mine.filter(handler_q(user))[:30],
        "recent": mine[:30],
        "categories": Category.objects.filter(is_active=True, depth=0).order_by("order", "code"),
        "can_report": user.role in INTAKE_ROLES,
        "login_url": _login_url(),
        "patrol": _patrol_card(user),
    })


def _patrol_card(user) -> dict | None:
    """What the patrol card shows and its script reads: the user's running patrol (if any) and
    how often the phone keeps and sends positions; none for a role that does not patrol."""
    if user.role not in PATROLLERS:
        return None
    running = Patrol.objects.restrict(user, "patrol").running().order_by("-started_at").first()
    return {
        "running": running,
        "km": f"{running.distance_m / 1000:.2f}" if running is not None else "0.00",
        "data": {
            "user": user.pk,
            "running": None if running is None else {
                "id": running.pk, "started_at": running.started_at.isoformat(),
                "point_count": running.point_count, "distance_m": running.distance_m},
            "api": PATROLS_API,
            "point_every_s": PATROL_POINT_EVERY_S, "send_every_s": PATROL_SEND_EVERY_S, "batch": PATROL_BATCH,
            "max_duration_s": int(MAX_DURATION.total_seconds()),
        },
    }


def _login_url() -> str:
    """The login page, returning to the phone page after signing in."""
    return f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': reverse('web:phone')})}"


def _error(exc: UserError, status: int | None = None) -> JsonResponse:
    return JsonResponse(exc.as_dict(), status=status or exc.status)


@require_POST
def phone_report(request):
    """POST (multipart) from the phone's queue; 201 new, 200 already received, 4xx to fix.

    Not ``@login_required``: a redirect to the login page would reach the phone as a 200 HTML
    page. An expired session gets 401 JSON with the login address, so the phone keeps the report
    queued and asks the worker to sign in again."""
    user = request.user
    if not user.is_authenticated:
        exc = UserError("not_authenticated", "登录已过期,请重新登录后再发送",
                        "your session has expired; sign in again to send", status=401)
        resp = JsonResponse({**exc.as_dict(), "login_url": _login_url()}, status=401)
        resp["WWW-Authenticate"] = 'Session realm="fengqiao"'
        return resp
    try:
        same_sender(request)  # a report queued by another account on this phone
    except UserError as exc:
        return JsonResponse({**exc.as_dict(), "login_url": _login_url()}, status=401)
    if user.role not in INTAKE_ROLES:
        return _error(UserError("permission_denied", "您的角色不能上报事件", "your role cannot report matters", status=403))
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key or len(key) > 100:
        return _error(UserError("idempotency_key_required", "缺少幂等键", "an Idempotency-Key header is required"))
    data = request.POST
    category = Category.objects.filter(code=data.get("category", "")).first() if data.get("category") else None

    def number(name):
        raw = data.get(name, "").strip()
        if not raw:
            return None
        try:
            return float(raw)
        except ValueError as exc:
            raise UserError("invalid", f"{name} 应为数字", f"{name} must be a number", field=name) from exc

    try:
        with transaction.atomic():
            event, created = create_event(
                by=user, channel=Channel.GRID_REPORT, title=data.get("title", ""), content=data.get("content", ""),
                address=data.get("address", ""), category=category, urgency=data.get("urgency") or Urgency.NORMAL,
                longitude=number("longitude"), latitude=number("latitude"), idempotency_key=key,
            )
            photo = request.FILES.get("photo")
            if created and photo is not None:
                add_attachment(event, by=user, upload=photo)
            # reported on a patrol: linked to it; a patrol that is not the user's links nothing
            patrol = data.get("patrol", "").strip()
            if small_id(patrol):
                link_report(patrol, event, by=user)
    except UserError as exc:
        return _error(exc)
    return JsonResponse({"id": event.pk, "number": event.number, "state": event.state,
                         "url": reverse("web:matter", args=[event.pk])}, status=201 if created else 200)


@never_cache
def service_worker(request):
    body = f"importScripts('{static('fengqiao/sw.js')}');\n"
    resp = HttpResponse(body, content_type="application/javascript")
    resp["Service-Worker-Allowed"] = "/m/"
    return resp


def manifest(request):
    return JsonResponse({
        "name": "枫桥 网格员", "short_name": "枫桥网格", "start_url": "/m/", "scope": "/m/", "display": "standalone",
        "background_color": "#ffffff", "theme_color": "#b42318",
        "icons": [{"src": static("fengqiao/favicon.svg"), "sizes": "any", "type": "image/svg+xml"}],
    }, content_type="application/manifest+json")
