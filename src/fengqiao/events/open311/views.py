"""Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2) at ``/open311/v2/``.

- ``services.json``: the active leaf categories of the category tree (``service_code`` is the
  category code, ``group`` the top-level category's name).
- ``requests.json`` GET: requests in the key holder's jurisdiction (filters
  ``service_request_id``, ``service_code``, ``start_date``, ``end_date``, ``status``; default
  window the last 90 days, at most 1,000). POST (form-encoded): a new matter on channel
  ``citizen_app``.
- ``requests/{id}.json``: one request.

``api_key`` is an API token (``fengqiao token USERNAME``) of a user whose role may take in
matters; reads are limited to that user's jurisdiction exactly as in the API. Errors use
Open311's error array ``[{"code": HTTP status, "description": …}]``. JSON only.
"""

from __future__ import annotations

import datetime as dt
import functools

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt

from fengqiao.accounts.models import ApiToken
from fengqiao.core import context
from fengqiao.core.api import small_id, too_large
from fengqiao.core.errors import UserError, shown
from fengqiao.core.personal import mask_free_text
from fengqiao.core.restrict import role_allowed

from ..actions import create_event
from ..actions.intake import category_by_code
from ..choices import Channel, State
from ..models import Category, Event
from ..sla import now as sla_now

CLOSED_STATES = {State.REJECTED, State.MERGED, State.CANCELLED, State.RESOLVED, State.VERIFIED, State.CLOSED}
STATUS_NOTES = {
    State.RECEIVED: "已收到,等待受理 (received, waiting to be accepted)",
    State.ACCEPTED: "已受理 (accepted)",
    State.REJECTED: "不予受理 (rejected)",
    State.MERGED: "已与其他诉求合并办理 (merged with another request)",
    State.CANCELLED: "已撤销 (cancelled)",
    State.DISPATCHED: "已派发承办单位 (sent to the handling unit)",
    State.SIGNED: "承办单位已签收 (the handling unit has taken it)",
    State.IN_PROGRESS: "正在处置 (being handled)",
    State.RESOLVED: "已办结 (resolved)",
    State.VERIFIED: "已回访核实 (verified with the citizen)",
    State.CLOSED: "已归档 (closed)",
}
MAX_RESULTS = 1000


def error(status: int, en: str, zh: str) -> JsonResponse:
    """Open311's error array; the description in English, then Chinese."""
    return JsonResponse([{"code": status, "description": f"{en} / {zh}"}], status=status, safe=False,
                        json_dumps_params={"ensure_ascii": False})


def methods(*allowed: str):
    """Only ``allowed`` methods (HEAD with GET); any other gets 405 in Open311's error shape with
    an ``Allow`` header. The endpoints take no cookie (``api_key`` is the credential), so they
    are exempt from the CSRF check, which would answer a stray DELETE with an HTML page."""
    allowed_set = set(allowed) | ({"HEAD"} if "GET" in allowed else set())

    def wrap(view):
        @csrf_exempt
        @functools.wraps(view)
        def inner(request, *args, **kwargs):
            if request.method not in allowed_set:
                allow = ", ".join(sorted(allowed_set))
                method = shown(request.method, 10)
                response = error(405, f"method {method} is not allowed here; use {allow}",
                                 f"不支持 {method} 请求方法,请用 {allow}")
                response["Allow"] = allow
                return response
            return view(request, *args, **kwargs)
        return inner
    return wrap


def ok(data, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def _user(request):
    key = request.POST.get("api_key") if request.method == "POST" else request.GET.get("api_key")
    token = ApiToken.lookup(key or "")
    if token is None or not token.user.is_active:
        return None
    return token.user


def _iso(value):
    return value.isoformat() if value else None


def as_request(ev: Event) -> dict:
    status = "closed" if ev.state in CLOSED_STATES else "open"
    notes = STATUS_NOTES.get(ev.state, "")
    if ev.result and ev.state in CLOSED_STATES:
        notes = f"{notes}: {mask_free_text(ev.result)}"
    return {
        "service_request_id": str(ev.pk),
        "status": status,
        "status_notes": notes,
        "service_name": ev.category.name if ev.category_id else "",
        "service_code": ev.category.code if ev.category_id else "",
        # an outside client's read: numbers in the citizen's words stay masked (ADR 0120)
        "description": mask_free_text(ev.content),
        "agency_responsible": ev.handling_unit_label() or "县社会治理中心",
        "service_notice": "",
        "requested_datetime": _iso(ev.received_at),
        "updated_datetime": _iso(ev.updated_at),
        "expected_datetime": _iso(ev.handle_due_at),
        "address": ev.address,
        "address_id": ev.area.code if ev.area_id else "",
        "zipcode": "",
        "lat": ev.latitude,
        "long": ev.longitude,
        "media_url": "",
    }


def _json_only(fmt: str):
    return None if fmt == "json" else error(400, f"format '{shown(fmt)}' is not supported; use .json",
                                            f"不支持 {shown(fmt)} 格式,请用 .json")


@methods("GET")
def services(request, fmt="json"):
    bad = _json_only(fmt)
    if bad:
        return bad
    cats = list(Category.objects.filter(is_active=True).order_by("path"))
    parents = {c.parent_id for c in cats if c.parent_id}
    names = {c.code: c.name for c in cats}
    out = []
    for c in cats:
        if c.pk in parents:
            continue
        top = c.path.strip("/").split("/")[0]
        out.append({"service_code": c.code, "service_name": c.name, "description": c.description or c.name,
                    "metadata": False, "type": "realtime", "keywords": "", "group": names.get(top, "")})
    return ok(out)


@methods("GET")
def service_definition(request, code, fmt="json"):
    return error(404, f"service '{shown(code)}' has no attributes (metadata is false)", f"服务 {shown(code)} 没有附加属性")


@methods("GET", "POST")
def requests(request, fmt="json"):
    bad = _json_only(fmt)
    if bad:
        return bad
    try:
        request.POST  # noqa: B018 - read the body here, where its size can be answered in Open311's shape
    except (RequestDataTooBig, TooManyFieldsSent):
        big = too_large()
        return error(413, big.en, big.zh)
    user = _user(request)
    if user is None:
        return error(403, "a valid api_key is required", "须提供有效的 api_key")
    if request.method == "POST":
        return _create(request, user)
    if not role_allowed(Event, user, "view"):
        return error(403, "this api_key may not read requests", "该 api_key 无权查询诉求")
    qs = Event.objects.restrict(user, "view").select_related("category", "area", "handling_area",
                                                             "handling_department", "assignee")
    p = request.GET
    if p.get("service_request_id"):
        ids = [i.strip() for i in p["service_request_id"].split(",") if i.strip()]
        if not all(small_id(i) for i in ids):
            return error(400, "service_request_id must be numbers", "service_request_id 须为数字")
        qs = qs.filter(pk__in=[int(i) for i in ids])
    else:
        try:
            end = parse_datetime(p["end_date"]) if p.get("end_date") else sla_now()
            # parse_datetime answers None for text that is not a date-time
            start = parse_datetime(p["start_date"]) if p.get("start_date") else (
                end - dt.timedelta(days=90) if end is not None else None)
            if start is not None and end is not None:
                # the database compares in UTC: 9999-12-31T23:59-23:59 is past the year 9999 there
                start, end = ((x if x.tzinfo else timezone.make_aware(x)).astimezone(dt.UTC) for x in (start, end))
        except (ValueError, OverflowError):
            start = end = None
        if start is None or end is None:
            return error(400, "start_date and end_date must be W3C date-times between the years 1 and 9999",
                         "start_date 与 end_date 须为 W3C 日期时间(公元 1 至 9999 年)")
        qs = qs.filter(received_at__gte=start, received_at__lte=end)
        if p.get("service_code"):
            codes = [c.strip() for c in p["service_code"].split(",") if c.strip()]
            qs = qs.filter(category__code__in=codes)
        status = p.get("status", "")
        if status:
            wanted = {s.strip() for s in status.split(",")}
            if not wanted <= {"open", "closed"}:
                return error(400, "status must be open or closed", "status 须为 open 或 closed")
            if wanted == {"open"}:
                qs = qs.exclude(state__in=CLOSED_STATES)
            elif wanted == {"closed"}:
                qs = qs.filter(state__in=CLOSED_STATES)
    return ok([as_request(e) for e in qs.order_by("-received_at", "-id")[:MAX_RESULTS]])


def _create(request, user):
    if not role_allowed(Event, user, "create"):
        return error(403, "this api_key may not create requests", "该 api_key 无权提交诉求")
    p = request.POST
    code = p.get("service_code", "").strip()
    if not code:
        return error(400, "service_code is required", "须提供 service_code")
    try:
        category = category_by_code(code, by_name=False)
    except UserError:
        return error(404, f"service_code '{shown(code)}' not found", f"服务代码 {shown(code)} 不存在")
    description = p.get("description", "").strip()
    if not description:
        return error(400, "description is required", "须提供 description(诉求内容)")
    lat, lng, address = p.get("lat"), p.get("long"), p.get("address_string", "").strip()
    if not (address or (lat and lng) or p.get("address_id")):
        return error(400, "a location is required: lat & long, address_string or address_id",
                     "须提供位置:lat 与 long、address_string 或 address_id")
    external_id = p.get("external_id", "").strip()
    if len(external_id) > 64:  # stored as the channel reference; cutting would join two requests
        return error(400, "external_id is longer than 64 characters", "external_id 不能超过 64 个字符")
    name = " ".join(x for x in (p.get("last_name", "").strip(), p.get("first_name", "").strip()) if x)
    try:
        with context.acting(user, ip=request.META.get("REMOTE_ADDR", ""), channel="api"):
            ev, created = create_event(
                by=user, channel=Channel.CITIZEN_APP, title="", content=description,
                category=category, address=address, latitude=lat or None, longitude=lng or None,
                area=p.get("address_id") or None, reporter_name=name, reporter_phone=p.get("phone", ""),
                anonymous=not (name or p.get("phone")), idempotency_key=request.headers.get("Idempotency-Key", ""),
                channel_ref=external_id,
            )
    except UserError as exc:  # e.g. 400 for a field, 422 for an Idempotency-Key used on another request
        return error(exc.status, f"{exc.field + ': ' if exc.field else ''}{exc.en}", exc.zh)
    if not created and not Event.objects.restrict(user, "view").filter(pk=ev.pk).exists():
        # The external id is taken by a matter outside this key's jurisdiction: say so, reveal nothing.
        return error(409, "external_id is already used by another request", "external_id 已被另一诉求使用")
    return ok([{"service_request_id": str(ev.pk), "service_notice": "", "account_id": None}],
              status=201 if created else 200)


@methods("GET")
def request_detail(request, pk, fmt="json"):
    bad = _json_only(fmt)
    if bad:
        return bad
    user = _user(request)
    if user is None:
        return error(403, "a valid api_key is required", "须提供有效的 api_key")
    if not role_allowed(Event, user, "view"):
        return error(403, "this api_key may not read requests", "该 api_key 无权查询诉求")
    ev = Event.objects.restrict(user, "view").select_related(
        "category", "area", "handling_area", "handling_department", "assignee").filter(pk=pk).first()
    if ev is None:
        return error(404, f"request {pk} not found", f"诉求 {pk} 不存在或不在管辖范围内")
    return ok([as_request(ev)])
