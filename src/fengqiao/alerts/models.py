"""Risk early warning (全域风险感知): alerts raised by the scan, their evidence and timeline, and
the admin-edited rules and words the scan reads.

An alert (预警) belongs to one node of the area tree: the smallest area that holds all of its
evidence. Operators and leaders whose area contains it see it; nobody else does (404).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.areas.models import Area, KeepsAreaPath, subtree_q
from fengqiao.core import roles
from fengqiao.core.restrict import RestrictedQuerySet
from fengqiao.events.models import Event

from .choices import Kind, Level, State, TermKind

#: who reads alerts: the command centres, leaders, and village cadres for their own village
ALERT_VIEWERS = frozenset({roles.COUNTY_OPERATOR, roles.TOWN_OPERATOR, roles.LEADER, roles.VILLAGE_CADRE})


class RiskAlert(KeepsAreaPath, models.Model):
    """预警: one risk signal, from detection to the feedback that closes it."""

    number = models.CharField(_("number"), max_length=32, unique=True)
    kind = models.CharField(_("signal"), max_length=20, choices=Kind.choices)
    level = models.CharField(_("level"), max_length=8, choices=Level.choices)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    # what the scan matches a new signal against while the alert is open, e.g.
    # ``reporter:phone:<digest>`` or ``spike:<town code>:<top category code>``
    signature = models.CharField(_("signature"), max_length=160, editable=False)
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("what the scan saw"), blank=True)
    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(_("area path"), max_length=255, editable=False)
    category_code = models.CharField(_("category code"), max_length=64, blank=True)
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)
    matter_count = models.PositiveIntegerField(_("matters"), default=0)
    first_seen_at = models.DateTimeField(_("first seen"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("last seen"), default=timezone.now)
    raised_at = models.DateTimeField(_("raised at"), default=timezone.now)
    acknowledged_at = models.DateTimeField(_("taken on at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("taken on by"), null=True,
                                        blank=True, on_delete=models.SET_NULL, related_name="+")
    closed_at = models.DateTimeField(_("defused or dismissed at"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("defused or dismissed by"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    outcome = models.TextField(_("feedback"), blank=True)  # 处置反馈, or why it was dismissed
    supervised = models.BooleanField(_("supervised"), default=False)
    version = models.PositiveIntegerField(_("version"), default=0)
    matters = models.ManyToManyField(Event, through="AlertMatter", related_name="+", verbose_name=_("matters"))

    objects = RestrictedQuerySet.as_manager()

    ACCESS = {"view": ALERT_VIEWERS, "act": ALERT_VIEWERS}

    class Meta:
        ordering = ["-raised_at", "-id"]
        verbose_name = _("risk alert")
        verbose_name_plural = _("risk alerts")
        constraints = [
            # one open alert per signal: the scan adds to it instead of raising another
            models.UniqueConstraint(fields=["signature"], condition=Q(state__in=["open", "handling"]),
                                    name="alert_signature_open_unique"),
        ]
        indexes = [
            models.Index(fields=["area_path"], name="alert_area_path_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["signature", "closed_at"], name="alert_signature_idx"),
            models.Index(fields=["state", "raised_at"], name="alert_state_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @classmethod
    def jurisdiction_q(cls, user, action):
        if user.area_id is None:
            return Q(pk__in=[])
        return subtree_q(user.area.path, "area_path")

    def in_area(self, area: Area | None) -> bool:
        return area is not None and self.area_path.startswith(area.path)

    def matters_for(self, user):
        """The linked matters ``user`` may read (a queryset, to order and narrow), and how many
        matters are linked in all: the others are counted, never shown (console and API alike)."""
        linked = {link.event_id for link in self.links.all()}
        return Event.objects.restrict(user, "view").filter(pk__in=linked), len(linked)


class AlertMatter(models.Model):
    """A matter that is evidence of an alert (预警关联事项)."""

    alert = models.ForeignKey(RiskAlert, on_delete=models.CASCADE, related_name="links")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="risk_links")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["alert", "event"], name="alert_matter_unique")]

    def __str__(self) -> str:
        return f"{self.alert_id} ← {self.event_id}"


class AlertEntry(models.Model):
    """One step of an alert's loop (预警处置记录): raised, grown, taken on, defused, dismissed …"""

    alert = models.ForeignKey(RiskAlert, on_delete=models.CASCADE, related_name="entries")
    at = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=20)
    from_state = models.CharField(_("from state"), max_length=10, blank=True)
    to_state = models.CharField(_("to state"), max_length=10, blank=True)
    text = models.TextField(_("text"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("alert entry")
        verbose_name_plural = _("alert entries")

    def __str__(self) -> str:
        return f"{self.alert_id} {self.action}"


class RiskTerm(models.Model):
    """预警词: a word or phrase of escalation language (threats, violence, self-harm, mass
    gatherings), or a harmless phrase that contains one (跳楼价 contains 跳楼)."""

    phrase = models.CharField(_("phrase"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=TermKind.choices, default=TermKind.TRIGGER)
    level = models.CharField(_("level"), max_length=8, choices=Level.choices, default=Level.ORANGE,
                             help_text=_("for a trigger: the alert's level"))
    is_active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = RestrictedQuerySet.as_manager()

    ACCESS = {"view": ALERT_VIEWERS | {roles.ADMIN}, "change": frozenset({roles.ADMIN})}

    class Meta:
        ordering = ["kind", "phrase"]
        verbose_name = _("risk term")
        verbose_name_plural = _("risk terms")

    def __str__(self) -> str:
        return self.phrase

    def clean(self):
        from django.core.exceptions import ValidationError

        self.phrase = (self.phrase or "").strip()
        if len(self.phrase) < 2:
            # one character (炸, 杀) would match far too many ordinary messages
            raise ValidationError({"phrase": "预警词至少两个字 / a phrase has at least two characters"})

    @classmethod
    def jurisdiction_q(cls, user, action):
        return None


class RiskRule(models.Model):
    """预警规则: when a signal becomes an alert. One row per signal, edited in the admin."""

    kind = models.CharField(_("signal"), max_length=20, choices=Kind.choices, unique=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    window_days = models.PositiveSmallIntegerField(
        _("window (days)"), default=30, validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("how far back the scan looks"))
    threshold = models.PositiveSmallIntegerField(
        _("threshold"), default=3, validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text=_("matters (or times reopened, or days overdue) that raise an alert"))
    level = models.CharField(_("level"), max_length=8, choices=Level.choices, default=Level.YELLOW,
                             help_text=_("level at the threshold; it rises as the signal grows"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = RestrictedQuerySet.as_manager()

    ACCESS = {"view": ALERT_VIEWERS | {roles.ADMIN}, "change": frozenset({roles.ADMIN})}

    class Meta:
        ordering = ["kind"]
        verbose_name = _("risk rule")
        verbose_name_plural = _("risk rules")

    def __str__(self) -> str:
        return self.get_kind_display()

    @classmethod
    def jurisdiction_q(cls, user, action):
        return None


class ScanCursor(models.Model):
    """How far the scan has read a stream of new rows (matters, triage results)."""

    name = models.CharField(max_length=40, unique=True)
    last_id = models.BigIntegerField(default=0)
    scanned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("scan cursor")
        verbose_name_plural = _("scan cursors")

    def __str__(self) -> str:
        return f"{self.name}: {self.last_id}"
