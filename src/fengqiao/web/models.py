"""Console-only state: a user's saved filters for the matter list."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fengqiao.core import roles
from fengqiao.core.restrict import RestrictedQuerySet


class SavedFilter(models.Model):
    """常用筛选: a named query string of the matter list, private to its owner."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters")
    name = models.CharField(_("name"), max_length=60)
    query = models.CharField(_("query"), max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()

    ACCESS = {"view": roles.WORKING_ROLES, "change": roles.WORKING_ROLES}

    class Meta:
        ordering = ["name"]
        verbose_name = _("saved filter")
        verbose_name_plural = _("saved filters")
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="saved_filter_owner_name_uniq")]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def jurisdiction_q(cls, user, action):
        return Q(owner_id=user.pk)
