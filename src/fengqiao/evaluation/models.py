"""The evaluation's stored data: the indicators' weights (edited in the admin) and the published
figures of a period (考评发布: 日晾晒 / 月比拼), frozen as JSON.

Both declare ``ACCESS`` and ``jurisdiction_q`` so ``Model.objects.restrict(user, action)`` is
the only way users reach them.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.areas.models import Area, subtree_q
from fengqiao.core import roles
from fengqiao.core.restrict import RestrictedQuerySet

from .formulas import MAX_WEIGHT
from .labels import NAMES

#: Who opens the evaluation page: the county centre, the towns' command rooms, leaders.
EVALUATION_ROLES = frozenset({roles.COUNTY_OPERATOR, roles.TOWN_OPERATOR, roles.LEADER})
#: Who publishes a period's figures (日晾晒 / 月比拼).
PUBLISHERS = frozenset({roles.COUNTY_OPERATOR, roles.LEADER})


class PeriodKind(models.TextChoices):
    DAY = "day", _("Day")  # 日
    MONTH = "month", _("Month")  # 月


class IndicatorWeight(models.Model):
    """指标权重: the weight of one indicator in the score (0 leaves it out)."""

    # one of formulas.SCORED (checked by actions.set_weight; no choices here, so renaming an
    # indicator's label needs no migration)
    code = models.CharField(_("indicator"), max_length=40, unique=True)
    weight = models.PositiveSmallIntegerField(_("weight"), validators=[MaxValueValidator(MAX_WEIGHT)],
                                              help_text=_("0 to 100; the score divides by the sum of the weights used"))
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("updated by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    objects = RestrictedQuerySet.as_manager()

    ACCESS = {"view": EVALUATION_ROLES | {roles.ADMIN}, "change": frozenset({roles.ADMIN})}

    class Meta:
        ordering = ["id"]
        verbose_name = _("indicator weight")
        verbose_name_plural = _("indicator weights")

    def __str__(self) -> str:
        return f"{self.label}: {self.weight}"

    @property
    def label(self) -> str:
        return str(NAMES.get(self.code, self.code))

    @classmethod
    def jurisdiction_q(cls, user, action):
        return None


def _ancestor_paths(path: str) -> list[str]:
    parts = [p for p in path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]


class Publication(models.Model):
    """考评发布: the figures of one period as published, frozen (a later change to a matter does
    not change them). Publishing a period again adds a revision; earlier ones are kept."""

    kind = models.CharField(_("period kind"), max_length=8, choices=PeriodKind.choices)
    period_start = models.DateField(_("period start"))
    period = models.CharField(_("period"), max_length=10)  # YYYY-MM-DD or YYYY-MM
    revision = models.PositiveIntegerField(_("revision"), default=1)
    scope = models.ForeignKey(Area, verbose_name=_("scope"), on_delete=models.PROTECT, related_name="+")
    scope_path = models.CharField(_("scope path"), max_length=255, db_index=True, editable=False)
    complete = models.BooleanField(_("period over when published"), default=True)
    published_at = models.DateTimeField(_("published at"), default=timezone.now)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("published by"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="+")
    published_by_name = models.CharField(_("published by (name)"), max_length=150, blank=True)
    data = models.JSONField(_("figures"), default=dict)

    objects = RestrictedQuerySet.as_manager()

    ACCESS = {"view": EVALUATION_ROLES, "publish": PUBLISHERS}

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("published evaluation")
        verbose_name_plural = _("published evaluations")
        constraints = [
            models.UniqueConstraint(fields=["scope", "kind", "period_start", "revision"],
                                    name="evaluation_publication_revision_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.period} #{self.revision}"

    def save(self, *args, **kwargs):
        self.scope_path = self.scope.path
        super().save(*args, **kwargs)

    @classmethod
    def jurisdiction_q(cls, user, action):
        """A publication is for the area it covers: everyone of that area sees it (the county's
        日晾晒 is published to its towns), and those above see what their towns publish."""
        if user.area_id is None:
            return Q(pk__in=[])
        path = user.area.path
        return Q(scope_path__in=_ancestor_paths(path)) | subtree_q(path, "scope_path")
