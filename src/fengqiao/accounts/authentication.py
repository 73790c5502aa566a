"""``Authorization: Token <key>`` against hashed API tokens."""

from __future__ import annotations

import copy

from django.conf import settings
from django.utils import timezone
from rest_framework import authentication, exceptions

from fengqiao.core.memo import Memo

from .models import ApiToken, digest_key

#: Tokens recently seen by this process, by digest: an integration client posting matters
#: would otherwise pay a three-table query on every request. A token revoked or a user
#: deactivated in another process stops working within ``FENGQIAO_TOKEN_CACHE_SECONDS``.
_tokens = Memo("api tokens", lambda: getattr(settings, "FENGQIAO_TOKEN_CACHE_SECONDS", 10),
               invalidated_by=["accounts.apitoken", "accounts.user", "areas.area", "areas.department"])


def _clone(obj):
    """A shallow copy of a model instance with its own related-object and prefetch caches
    (what ``copy.copy`` makes through pickling, without the pickling)."""
    new = obj.__class__.__new__(obj.__class__)
    new.__dict__.update(obj.__dict__)
    new._state = copy.copy(obj._state)
    new._state.fields_cache = dict(obj._state.fields_cache)
    if "_prefetched_objects_cache" in obj.__dict__:  # a prefetch in one request stays there
        new._prefetched_objects_cache = dict(obj._prefetched_objects_cache)
    return new


class TokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() not in (b"token", b"bearer"):
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed()
        try:
            key = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed() from exc
        cached = _tokens.get(digest_key(key), lambda: ApiToken.lookup(key), keep_none=False)
        if cached is None or not cached.user.is_active:
            raise exceptions.AuthenticationFailed()
        # each request gets its own instances: views may annotate request.user
        token = _clone(cached)
        token.user = _clone(cached.user)
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 300:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            cached.last_used_at = now
        ctx = getattr(request, "actor_context", None)
        if ctx is not None:
            ctx.user = token.user
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword
