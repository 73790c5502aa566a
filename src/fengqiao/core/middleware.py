"""Request context for the audit trail, security headers (CSP), and middleware that only
pages need."""

from __future__ import annotations

from django.contrib.messages.middleware import MessageMiddleware

from . import context

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
