"""Patrols (巡逻): a grid worker or village cadre walks their grid or village, the phone records
the track, and what they find is reported as matters on the way. Read through ``restrict()`` by
the people whose area holds the patrol; written only by the patroller."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.areas.models import Area, KeepsAreaPath, subtree_q
from fengqiao.core import roles
from fengqiao.core.restrict import RestrictedQuerySet

from .choices import EndReason, PatrolState

#: who walks patrols: the people of the phone page
PATROLLERS = frozenset({roles.GRID_WORKER, roles.VILLAGE_CADRE})
#: who reads patrols: the centres, leaders, and the patrollers (their village's or grid's)
VIEWERS = frozenset({roles.COUNTY_OPERATOR, roles.TOWN_OPERATOR, roles.LEADER, roles.VILLAGE_CADRE,
                     roles.GRID_WORKER})

#: a patrol ends by itself when no point has come for this long (the phone was switched off, the
#: patroller forgot to end it); it ends at its last point
IDLE_LIMIT = dt.timedelta(hours=2)
#: and a patrol is never longer than this: later points are not taken
MAX_DURATION = dt.timedelta(hours=12)
#: the most points one patrol keeps (one every 10 seconds for 12 hours is 4,320)
MAX_POINTS = 5000


class PatrolQuerySet(RestrictedQuerySet):
    def running(self):
        return self.filter(ended_at__isnull=True)

    def ended(self):
        return self.filter(ended_at__isnull=False)

    def state(self, value: str):
        return self.running() if value == PatrolState.RUNNING else self.ended()


class Patrol(KeepsAreaPath, models.Model):
    """巡逻: one round of a patroller in their area, with the track their phone recorded."""

    #: the patroller's area when the patrol started (a village, grid or micro-grid)
    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(_("area path"), max_length=255, db_index=True, editable=False)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("patroller"), null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="patrols")
    by_name = models.CharField(_("patroller"), max_length=150, blank=True)
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    end_reason = models.CharField(_("how it ended"), max_length=10, choices=EndReason.choices, blank=True)
    #: when the end was recorded (the server's time): an automatic end takes late points
    #: recorded before it, not after
    closed_at = models.DateTimeField(_("end recorded at"), null=True, blank=True)
    #: seconds from the start to the end, kept with the end (none while running), so the lists'
    #: sums of hours read a column
    duration_s = models.PositiveIntegerField(_("duration (s)"), null=True, blank=True)
    #: what the patroller saw (巡逻情况), written when they end it
    note = models.TextField(_("what was seen"), blank=True)
    #: kept with every batch of points, so lists and sums read no track
    point_count = models.PositiveIntegerField(_("points"), default=0)
    distance_m = models.PositiveIntegerField(_("distance (m)"), default=0)
    #: points inside the area's boundary; none when the area has no boundary
    inside_count = models.PositiveIntegerField(_("points inside the area"), null=True, blank=True)
    #: the matters reported on it (linked in the report's own transaction)
    report_count = models.PositiveIntegerField(_("matters reported"), default=0)
    last_point_at = models.DateTimeField(_("last point"), null=True, blank=True)
    #: when the last batch of points arrived: what the idle limit counts from
    heard_at = models.DateTimeField(_("last heard from"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    #: ``<user id>:<key>`` of the start's ``Idempotency-Key`` (ADR 0105's scope)
    idempotency_key = models.CharField(max_length=160, null=True, blank=True, unique=True, editable=False)

    objects = PatrolQuerySet.as_manager()

    ACCESS = {"view": VIEWERS, "patrol": PATROLLERS}

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("patrol")
        verbose_name_plural = _("patrols")
        constraints = [
            # one running patrol per person (two starts at the same moment)
            models.UniqueConstraint(fields=["by"], condition=Q(ended_at__isnull=True),
                                    name="patrol_one_running_per_person"),
        ]
        indexes = [
            # the lists' order (newest first, read backwards), and a patroller's own patrols
            models.Index(fields=["started_at", "id"], name="patrol_start_idx"),
            models.Index(fields=["by", "started_at"], name="patrol_by_start_idx"),
            # the patrols running now: the lists' counter, the job's sweep (a few rows of many)
            models.Index(fields=["heard_at"], condition=Q(ended_at__isnull=True), name="patrol_running_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.by_name} {self.started_at:%Y-%m-%d %H:%M}"

    @classmethod
    def jurisdiction_q(cls, user, action):
        if action == "patrol":
            return Q(by_id=user.pk)  # only the patroller adds to their patrol
        area = subtree_q(user.area.path, "area_path") if user.area_id is not None else Q(pk__in=[])
        # a patroller also reads their own patrols of an area they have since left; the others
        # read the subtree alone (one indexed range, no OR for the planner to split)
        return area | Q(by_id=user.pk) if user.role in PATROLLERS else area

    def end(self, when: dt.datetime, reason: str) -> None:
        """Set the end (not saved): ``ended_at``, ``end_reason`` and the kept ``duration_s``."""
        self.ended_at, self.end_reason = when, reason
        self.duration_s = max(0, int((when - self.started_at).total_seconds()))

    @property
    def is_running(self) -> bool:
        return self.ended_at is None

    def duration(self, now: dt.datetime | None = None) -> dt.timedelta:
        """How long it ran (so far, while running)."""
        end = self.ended_at or max(now or timezone.now(), self.started_at)
        return end - self.started_at

    def coverage(self) -> float | None:
        """The share of its points inside the area's boundary (0–1), or none (no boundary, no point)."""
        if self.inside_count is None or not self.point_count:
            return None
        return self.inside_count / self.point_count


class TrackPoint(models.Model):
    """One position the phone recorded during a patrol."""

    patrol = models.ForeignKey(Patrol, verbose_name=_("patrol"), on_delete=models.CASCADE, related_name="track")
    at = models.DateTimeField(_("recorded at"))
    longitude = models.FloatField(_("longitude"))
    latitude = models.FloatField(_("latitude"))
    #: the phone's estimate of its error, in metres
    accuracy_m = models.FloatField(_("accuracy (m)"), null=True, blank=True)
    #: inside the patrol area's boundary; none when the area has none
    inside = models.BooleanField(_("inside the area"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    ACCESS = {"view": VIEWERS}

    class Meta:
        ordering = ["patrol", "at"]
        verbose_name = _("track point")
        verbose_name_plural = _("track points")
        constraints = [
            # a batch sent again (a retry) adds nothing: one point per patrol and moment
            models.UniqueConstraint(fields=["patrol", "at"], name="track_point_patrol_at_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.patrol_id} {self.at:%H:%M:%S}"

    @classmethod
    def jurisdiction_q(cls, user, action):
        return Q(patrol__in=Patrol.objects.filter(Patrol.jurisdiction_q(user, "view")).values("pk"))


class PatrolReport(models.Model):
    """A matter the patroller reported during the patrol (the phone's report form)."""

    patrol = models.ForeignKey(Patrol, verbose_name=_("patrol"), on_delete=models.CASCADE, related_name="reports")
    event = models.OneToOneField("events.Event", verbose_name=_("matter"), on_delete=models.CASCADE,
                                 related_name="patrol_report")

    class Meta:
        verbose_name = _("matter reported on a patrol")
        verbose_name_plural = _("matters reported on patrols")

    def __str__(self) -> str:
        return f"{self.patrol_id} → {self.event_id}"
