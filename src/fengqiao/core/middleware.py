"""Request context for the audit trail, security headers (CSP), and middleware that only
pages need."""

from __future__ import annotations

from django.contrib.messages.middleware import MessageMiddleware
from django.http import JsonResponse
from django.shortcuts import render

from . import context
from .errors import UserError

#: Paths of the JSON APIs (REST and Open311): no flash messages behind them.
API_PREFIXES = ("/api/", "/open311/")


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


def is_api(request) -> bool:
    return request.path_info.startswith(API_PREFIXES)


class MessagesForPages(MessageMiddleware):
    """Flash messages for pages; API requests skip setting up the message storage."""

    def __call__(self, request):
        if is_api(request):
            return self.get_response(request)
        return super().__call__(request)


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        channel = "api" if is_api(request) else "web"
        user = request.user if getattr(request, "user", None) is not None and request.user.is_authenticated else None
        with context.acting(user, ip=client_ip(request), channel=channel) as ctx:
            request.actor_context = ctx
            response = self.get_response(request)
            response["X-Request-ID"] = ctx.request_id
            return response


CSP = (
    "default-src 'self'; img-src 'self' data: blob: https:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; font-src 'self' data:; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'"
)


class SecurityHeadersMiddleware:
    """Content-Security-Policy: scripts only from our own static files (no CDN, no inline)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(("/api/docs", "/api/redoc", "/admin/")):
            # Swagger UI and the admin use inline scripts/styles of their own.
            response.setdefault("Content-Security-Policy", CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'"))
        else:
            response.setdefault("Content-Security-Policy", CSP)
        return response


def nul_refused() -> UserError:
    return UserError("bad_text", "提交的内容含有不可见的控制字符(NUL),未保存", "the form holds a NUL character; nothing was saved")


def _wants_json(request) -> bool:
    return request.path_info.startswith("/m/") or "application/json" in request.headers.get("Accept", "")


class RefuseNulMiddleware:
    """A page's POSTed form (not the APIs: their serializers refuse it field by field) that holds
    a NUL in any field name or value is refused with a bilingual 400 before any view reads it:
    PostgreSQL cannot store NUL (a 500 there) and SQLite would keep it, and no one means to
    type it. One check for every console form, the phone's included (JSON for the phone and for
    requests that ask for JSON). The query string is left to the pages: their lists say a NUL
    in a filter box on the list itself (``core.filters``).

    Listed after the security headers' middleware, so the refusal carries them too. A body over
    the upload limits raises here as it would in the view (Django answers 400): caught, the
    view would read an empty form."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST" and not is_api(request):
            fields = request.POST
            if any("\x00" in key or any("\x00" in v for v in values) for key, values in fields.lists()):
                exc = nul_refused()
                if _wants_json(request):
                    return JsonResponse(exc.as_dict(), status=exc.status)
                return render(request, "400.html", {"detail": exc.message()}, status=exc.status)
        return self.get_response(request)


def database_busy(exc) -> bool:
    """The database could not take the request now, and the same request later may succeed:
    SQLite's write lock held past the busy timeout (a long import), or PostgreSQL ending one of
    two transactions that wait for each other (a deadlock) or that cannot be serialised."""
    from django.db import OperationalError

    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None) or getattr(getattr(cause, "diag", None), "sqlstate", None)
    return "database is locked" in str(exc) or sqlstate in {"40P01", "40001", "55P03"}


def busy() -> UserError:
    return UserError("database_busy", "数据库正忙(例如正在批量导入),本次请求未被受理,也未写入任何内容;请稍后重试",
                     "the database is busy (a bulk import, say): nothing of this request was written; "
                     "send it again shortly", status=503)


class BusyDatabaseMiddleware:
    """A request the database could not take now (:func:`database_busy`) answers 503 with
    ``Retry-After`` in the caller's shape (the API's error object, Open311's error list, a page
    in both languages), not a 500: its transaction was rolled back, so sending it again is safe."""

    RETRY_AFTER = "5"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exc):
        if not database_busy(exc):
            return None
        err = busy()
        if request.path_info.startswith("/open311/"):
            response = JsonResponse([{"code": 503, "description": f"{err.en} / {err.zh}"}], status=503, safe=False,
                                    json_dumps_params={"ensure_ascii": False})
        elif is_api(request) or _wants_json(request):
            response = JsonResponse(err.as_dict(), status=503, json_dumps_params={"ensure_ascii": False})
        else:
            response = render(request, "503.html", status=503)
        response["Retry-After"] = self.RETRY_AFTER
        return response
