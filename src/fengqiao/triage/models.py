"""Triage's database half (精准识别、自动流转).

- :class:`ModelVersion` — a trained model file with its training summary and evaluation; one
  active per kind, with activate/rollback actions.
- :class:`ModelActivation` — the history of activations a rollback walks back (ADR 0113).
- :class:`CategoryLabel` — every accept/correct of a category by an operator (the training
  labels of ``triage train --from-db``).
- :class:`KeywordRule` — the cold-start keyword classifier, editable in the admin.
- :class:`PlaceName` — extra place names (estates, roads, companies) for the gazetteer.
- :class:`RoutingRule` — category × area level → handling unit (with co-handlers).
- :class:`TriageResult` — what triage said about one matter (category, place, route, repeats).

Every model declares ``ACCESS`` and ``jurisdiction_q``; a :class:`TriageResult` or a
:class:`CategoryLabel` follows its matter's restriction.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.areas.models import Area, Department, Level
from fengqiao.core import roles
from fengqiao.core.restrict import RestrictedQuerySet
from fengqiao.core.validators import Between, json_without_nul
from fengqiao.events.choices import State
from fengqiao.events.models import MATTER_ROLES, Category, Event

CONFIG_VIEW = roles.WORKING_ROLES
CONFIG_CHANGE = frozenset({roles.ADMIN})


class _Config:
    """Configuration tables: everyone working may read them, the admin edits them."""

    ACCESS = {"view": CONFIG_VIEW, "change": CONFIG_CHANGE}

    @classmethod
    def jurisdiction_q(cls, user, action):
        return None


class _ByEvent:
    """Rows that exist for a user only when the user sees their matter."""

    ACCESS = {
        "view": MATTER_ROLES,
        "suggest": frozenset({roles.COUNTY_OPERATOR, roles.TOWN_OPERATOR, roles.VILLAGE_CADRE, roles.GRID_WORKER,
                              roles.DEPARTMENT_HANDLER}),
        "label": roles.OPERATORS,
        "change": roles.OPERATORS,
    }

    @classmethod
    def jurisdiction_q(cls, user, action):
        return Q(event_id__in=Event.objects.restrict(user, "view").values("id"))


class ModelKind(models.TextChoices):
    CATEGORY = "category", _("Category classifier")


class ModelVersion(_Config, models.Model):
    """模型版本: one trained model file; exactly one active per kind."""

    kind = models.CharField(_("kind"), max_length=20, choices=ModelKind.choices, default=ModelKind.CATEGORY)
    version = models.PositiveIntegerField(_("version"))
    file = models.CharField(_("model file"), max_length=500,
                            help_text=_("Path of the skops file, relative to the var directory"))
    sha256 = models.CharField(_("SHA-256 checksum"), max_length=64, blank=True)
    labels = models.JSONField(_("labels"), default=list, blank=True)
    training = models.JSONField(_("training data summary"), default=dict, blank=True)
    evaluation = models.JSONField(_("evaluation"), default=dict, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    is_active = models.BooleanField(_("active"), default=False)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    #: set when a later retraining took the place of this version, never put to use, and its file
    #: was deleted (``actions.remove_superseded_file``); such a version can no longer be activated
    file_removed_at = models.DateTimeField(_("file removed at"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "-version"]
        verbose_name = _("model version")
        verbose_name_plural = _("model versions")
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="triage_model_version_unique"),
            models.UniqueConstraint(fields=["kind"], condition=Q(is_active=True), name="triage_model_one_active"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} v{self.version}{' *' if self.is_active else ''}"

    def path(self):
        from pathlib import Path

        p = Path(self.file)
        return p if p.is_absolute() else Path(settings.VAR_DIR) / p

    @property
    def params(self) -> dict:
        """The training parameters recorded from the model's metadata (``{}`` for versions
        registered before they were recorded)."""
        return (self.training or {}).get("params") or {}


class ActivationSource(models.TextChoices):
    ACTIVATION = "activation", _("Activation")
    AUDIT = "audit", _("Replayed from the audit trail")
    INFERRED = "inferred", _("Inferred when the history was created")


class ModelActivation(_Config, models.Model):
    """模型启用记录: one activation of a model version, newest on top of a stack.

    ``activate_version`` pushes one; ``rollback`` undoes the newest one not undone
    (``undone_at``) and activates its ``previous`` — the activation in effect when it was made —
    or, when there was none, returns to the keyword rules. Rows are never deleted or edited
    except to mark them undone; the audit trail records both writes.
    """

    kind = models.CharField(_("kind"), max_length=20, choices=ModelKind.choices, default=ModelKind.CATEGORY)
    version = models.ForeignKey(ModelVersion, verbose_name=_("model version"), on_delete=models.PROTECT,
                                related_name="activations")
    previous = models.ForeignKey(
        "self", verbose_name=_("previous activation"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The activation in effect when this one was made; a rollback of this one returns to it "
                    "(empty: the keyword rules)"))
    at = models.DateTimeField(_("activated at"), default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("activated by"), null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+")
    undone_at = models.DateTimeField(_("rolled back at"), null=True, blank=True)
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("rolled back by"), null=True,
                                  blank=True, on_delete=models.SET_NULL, related_name="+")
    source = models.CharField(_("source"), max_length=12, choices=ActivationSource.choices,
                              default=ActivationSource.ACTIVATION)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "-id"]
        verbose_name = _("model activation")
        verbose_name_plural = _("model activations")

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} v{self.version.version}{' (undone)' if self.undone_at else ''}"


class LabelSource(models.TextChoices):
    OPERATOR_ACCEPT = "operator_accept", _("Operator accepted the suggestion")
    OPERATOR_CORRECT = "operator_correct", _("Operator corrected the suggestion")
    IMPORT = "import", _("Imported")


class CategoryLabel(_ByEvent, models.Model):
    """分类标注: one accept/correct of a matter's category by an operator."""

    event = models.ForeignKey(Event, verbose_name=_("matter"), on_delete=models.CASCADE,
                              related_name="category_labels")
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="+")
    suggested = models.CharField(_("suggested category code"), max_length=64, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=LabelSource.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("category label")
        verbose_name_plural = _("category labels")
        indexes = [models.Index(fields=["event", "at"], name="triage_label_event_idx")]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.category_id} ({self.source})"


class KeywordRule(_Config, models.Model):
    """关键词规则: the cold-start classifier. A text naming a keyword scores ``weight`` for the category."""

    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.CASCADE,
                                 related_name="keyword_rules")
    keywords = models.JSONField(_("keywords"), default=list, help_text=_("Words or phrases, e.g. [\"欠薪\", \"拖欠工资\"]"),
                                validators=[json_without_nul])
    weight = models.FloatField(_("weight"), default=1.0, validators=[Between(0, 100, open_low=True)])
    is_active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["category__path", "id"]
        verbose_name = _("keyword rule")
        verbose_name_plural = _("keyword rules")

    def __str__(self) -> str:
        return f"{self.category} ← {'、'.join(self.keywords[:5])}"


class PlaceKind(models.TextChoices):
    ESTATE = "estate", _("Estate / residential compound")
    ROAD = "road", _("Road / street")
    COMPANY = "company", _("Company / organisation")
    LANDMARK = "landmark", _("Landmark")
    OTHER = "other", _("Other")


class PlaceName(_Config, models.Model):
    """地名: an extra name (estate, road, company …) that places a matter in an area."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=12, choices=PlaceKind.choices, default=PlaceKind.ESTATE)
    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.CASCADE, related_name="+")
    is_active = models.BooleanField(_("active"), default=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("place name")
        verbose_name_plural = _("place names")
        constraints = [models.UniqueConstraint(fields=["name", "area"], name="triage_placename_unique")]

    def __str__(self) -> str:
        return f"{self.name} → {self.area}"


class TargetLevel(models.TextChoices):
    """The level of the unit a routing rule hands a matter to (乡镇指挥室, 村/社区, 网格)."""

    TOWN = Level.TOWN.value, _("Town command room")
    VILLAGE = Level.VILLAGE.value, _("Village / community")
    GRID = Level.GRID.value, _("Grid")


class PlaceLevel(models.TextChoices):
    """How precisely a routing rule needs a matter placed: the area tree's own level names
    (乡镇/街道, 村/社区, 网格), as the rest of the UI names them."""

    TOWN = Level.TOWN.value, Level.TOWN.label
    VILLAGE = Level.VILLAGE.value, Level.VILLAGE.label
    GRID = Level.GRID.value, Level.GRID.label


class RoutingRule(_Config, models.Model):
    """流转规则: matters of ``category`` (and its subtree) placed at ``area_level`` (or deeper,
    optionally inside ``area``'s subtree) go to the ancestor at ``target_level`` or to ``department``.

    The active rule with the highest priority wins; ties go to the more specific category, then area.
    """

    name = models.CharField(_("name"), max_length=100, blank=True)
    category = models.ForeignKey(Category, verbose_name=_("category"), null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="+", help_text=_("Empty: any category"))
    include_subcategories = models.BooleanField(_("include subcategories"), default=True)
    area_level = models.CharField(_("area level"), max_length=12, choices=PlaceLevel.choices, blank=True,
                                  help_text=_("The matter must be placed at least this precisely; empty: anywhere"))
    area = models.ForeignKey(Area, verbose_name=_("area subtree"), null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+")
    target_level = models.CharField(_("handled by area level"), max_length=12, choices=TargetLevel.choices,
                                    blank=True)
    department = models.ForeignKey(Department, verbose_name=_("handled by department"), null=True, blank=True,
                                   on_delete=models.CASCADE, related_name="+")
    cohandlers = models.ManyToManyField(Department, verbose_name=_("co-handling departments"), blank=True,
                                        related_name="+")
    priority = models.IntegerField(_("priority"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-priority", "id"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        constraints = [
            models.CheckConstraint(
                condition=(Q(department__isnull=False) & Q(target_level="")) | (Q(department__isnull=True) & ~Q(target_level="")),
                name="triage_route_one_target",
            ),
        ]

    def __str__(self) -> str:
        return self.name or f"#{self.pk}"


class RouteSource(models.TextChoices):
    """Why triage suggested its handling unit (``service.route``); empty when it suggested none."""

    RULE = "rule", _("Routing rule")
    HISTORY = "history", _("Matters like this handled before")
    CATEGORY = "category", _("The category's usual department")


class TriageResult(_ByEvent, models.Model):
    """研判结果: the machine's reading of one matter, shown to the operator."""

    event = models.OneToOneField(Event, verbose_name=_("matter"), on_delete=models.CASCADE, related_name="triage")
    categories = models.JSONField(_("categories"), default=list, blank=True)  # [{code, name, confidence}]
    classifier = models.CharField(_("classifier"), max_length=40, blank=True)
    model_version = models.ForeignKey(ModelVersion, verbose_name=_("model version"), null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="+")
    top_confidence = models.FloatField(_("top confidence"), null=True, blank=True)
    area = models.ForeignKey(Area, verbose_name=_("place"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    area_evidence = models.JSONField(_("place evidence"), default=dict, blank=True)  # {text, start, end, source}
    text_area = models.ForeignKey(Area, verbose_name=_("place named in the text"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    coordinate_area = models.ForeignKey(Area, verbose_name=_("place of the coordinates"), null=True, blank=True,
                                        on_delete=models.SET_NULL, related_name="+")
    place_conflict = models.BooleanField(_("text and coordinates disagree"), default=False)
    route_area = models.ForeignKey(Area, verbose_name=_("suggested handling area"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    route_department = models.ForeignKey(Department, verbose_name=_("suggested handling department"), null=True,
                                         blank=True, on_delete=models.SET_NULL, related_name="+")
    route_cohandlers = models.JSONField(_("co-handlers"), default=list, blank=True)  # department codes
    route_rule = models.ForeignKey(RoutingRule, verbose_name=_("routing rule"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    route_source = models.CharField(_("route source"), max_length=20, choices=RouteSource.choices,
                                    blank=True)  # "" when there is no route
    route_explanation = models.TextField(_("route explanation"), blank=True)  # in the site's language
    #: The explanation's facts (``service.explain`` words them in the reader's language).
    route_facts = models.JSONField(_("route facts"), default=dict, blank=True)
    duplicates = models.JSONField(_("possible repeats"), default=list, blank=True)  # [[event_id, score]]
    needs_person = models.BooleanField(_("needs a person"), default=True, db_index=True)
    #: why it does (``service.PERSON_REASONS`` codes); empty when it does not
    person_reasons = models.JSONField(_("why a person is needed"), default=list, blank=True)
    auto_dispatched = models.BooleanField(_("dispatched automatically"), default=False)
    error = models.TextField(_("error"), blank=True)
    timings = models.JSONField(_("timings (ms)"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("triage result")
        verbose_name_plural = _("triage results")

    def __str__(self) -> str:
        top = self.categories[0]["name"] if self.categories else "-"
        return f"{self.event_id}: {top}"

    def waits_for_person(self, state: str) -> bool:
        """Whether the matter, in ``state``, waits for a person now: the queue's condition (one
        dispatched, merged or ended waits for nobody, whatever triage said when it came in)."""
        return self.needs_person and state in (State.RECEIVED, State.ACCEPTED)

    def route_text(self) -> str:
        """The route's explanation in the reader's language (stored text for an older result)."""
        from .service import explain

        return explain(self.route_facts) or self.route_explanation

    def route_unit(self) -> str:
        """The suggested handling unit as the dispatch action takes it (``department:ZF``, ``area:…``)."""
        if self.route_department_id:
            return f"department:{self.route_department.code}"
        if self.route_area_id:
            return f"area:{self.route_area.code}"
        return ""
