"""Request context for the audit trail, and security headers (CSP)."""

from __future__ import annotations

from . import context


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        channel = "api" if request.path.startswith(("/api/", "/open311/")) else "web"
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
