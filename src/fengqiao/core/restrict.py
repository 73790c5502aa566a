"""One way for every read to reach a user: ``Model.objects.restrict(user, action)``.

A model that holds user-visible records declares:

- ``ACCESS``: ``{action: frozenset(roles)}``; a role not listed gets nothing (and the API
  answers 403 before any query runs);
- ``jurisdiction_q(user, action)``: a ``Q`` limiting rows to the user's jurisdiction, or
  ``None`` for no limit. Rows outside it simply do not exist for the user (404).
"""

from __future__ import annotations

from django.db import models
from django.http import Http404


def role_allowed(model, user, action: str) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    access = getattr(model, "ACCESS", None)
    if access is None:
        return False
    return getattr(user, "role", None) in access.get(action, frozenset())


class RestrictedQuerySet(models.QuerySet):
    def restrict(self, user, action: str = "view"):
        if not role_allowed(self.model, user, action):
            return self.none()
        q = self.model.jurisdiction_q(user, action)
        return self if q is None else self.filter(q)

    def one_or_404(self, pk, **where):
        """The row with this id (and ``where``) among these, or :class:`~django.http.Http404`:
        for an id no row can have (letters, a number beyond the column: never a 500) as for a
        row outside the user's reach, which does not exist for them. The pages' one-record read
        (``Task.objects.restrict(user, "view").one_or_404(pk)``)."""
        from .api import small_id

        if not small_id(str(pk)):
            raise Http404
        row = self.filter(pk=int(pk), **where).first()
        if row is None:
            raise Http404
        return row
