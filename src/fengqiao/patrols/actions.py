"""Writes of the patrols (巡逻), each one function in one transaction: start a patrol, add the
points the phone recorded, end it, link a matter reported on the way, and end the patrols the
phone has gone quiet on. Times come from the platform's clock (``events.sla.now``).

The phone records the track while it may have no network, and sends it later, in batches, maybe
twice (a retry after a timeout): a batch sent again adds nothing (one point per patrol and
moment), points outside the patrol's time are counted back as ``refused`` rather than failing
the batch, and the patrol's length is measured again from its whole track, so batches may
arrive in any order."""

from __future__ import annotations

import datetime as dt
import math

from django.db import IntegrityError, transaction
from django.db.models import F, Min, Q

from fengqiao.core import audit, context
from fengqiao.core.api import small_id
from fengqiao.core.errors import Conflict, NotFound, UserError
from fengqiao.core.inputs import scoped_key
from fengqiao.events.actions._base import actor_name
from fengqiao.events.sla import now as clock_now
from fengqiao.grid import inputs
from fengqiao.grid.inputs import PLACE_LEVELS

from .choices import EndReason
from .geo import Boundary, track_length
from .models import (
    IDLE_LIMIT,
    MAX_DURATION,
    MAX_POINTS,
    PATROLLERS,
    Patrol,
    PatrolReport,
    TrackPoint,
)

__all__ = ["add_points", "close_idle_patrols", "finish_patrol", "link_report", "start_patrol"]

#: the most points one batch may carry
MAX_BATCH = 500
#: a phone's clock may run this far ahead of the server's
CLOCK_SLACK = dt.timedelta(minutes=5)
#: the largest error estimate taken (m); a worse fix is no position at all
MAX_ACCURACY_TAKEN = 100_000.0


# -- checks ------------------------------------------------------------------------------------

def _number(value) -> float:
    """A number given as such or as its digits; NaN for anything else (a boolean, a list …)."""
    try:
        return float(value) if isinstance(value, (int, float, str)) and not isinstance(value, bool) else math.nan
    except (ValueError, OverflowError):
        return math.nan


def _coordinate(value, field: str, top: float) -> float:
    number = _number(value)
    if not math.isfinite(number) or not -top <= number <= top:
        raise UserError("bad_coordinate", f"{field} 应为 -{top:g} 到 {top:g} 之间的数",
                        f"{field} must be a number from -{top:g} to {top:g}", field=field)
    return number


def _accuracy(value, field: str) -> float | None:
    if value in (None, ""):
        return None
    number = _number(value)
    if not math.isfinite(number) or not 0 <= number <= MAX_ACCURACY_TAKEN:
        raise UserError("bad_accuracy", f"{field} 应为 0 到 {MAX_ACCURACY_TAKEN:g} 之间的米数",
                        f"{field} must be metres from 0 to {MAX_ACCURACY_TAKEN:g}", field=field)
    return number


def _points(value) -> list[tuple[dt.datetime, float, float, float | None]]:
    """A batch: 1 to :data:`MAX_BATCH` points ``{"at", "longitude", "latitude", "accuracy"}``,
    read in full before anything is written (a bad point refuses the batch, naming it)."""
    if not isinstance(value, (list, tuple)) or not value:
        raise UserError("bad_points", "points 应为非空的位置列表", "points must be a non-empty list of positions",
                        field="points")
    if len(value) > MAX_BATCH:
        raise UserError("too_many_points", f"每次最多上传 {MAX_BATCH} 个位置",
                        f"at most {MAX_BATCH} positions per request", field="points")
    read = []
    for i, p in enumerate(value):
        where = f"points[{i}]"
        if not isinstance(p, dict):
            raise UserError("bad_points", f"{where} 应为位置对象", f"{where} must be an object", field=where)
        unknown = set(p) - {"at", "longitude", "latitude", "accuracy"}
        if unknown:
            raise UserError("unknown_field", f"{where} 含有未知字段: {', '.join(sorted(map(str, unknown)))[:80]}",
                            f"{where} has unknown fields: {', '.join(sorted(map(str, unknown)))[:80]}", field=where)
        read.append((inputs.moment(p.get("at"), f"{where}.at", "定位", "position"),
                     _coordinate(p.get("longitude"), f"{where}.longitude", 180),
                     _coordinate(p.get("latitude"), f"{where}.latitude", 90),
                     _accuracy(p.get("accuracy"), f"{where}.accuracy")))
    return read


def _one_at_a_time(by) -> None:
    """Lock the patroller's account row: their starts, batches and ends run one after another,
    so a start cannot slip in before an end that moves (two devices, or two requests at once).
    Call inside the transaction, before any patrol is read."""
    from fengqiao.accounts.models import User

    User.objects.select_for_update().filter(pk=by.pk).values_list("pk", flat=True).first()


def _locked(patrol, by) -> Patrol:
    """The patrol, locked, if it is ``by``'s own (else 404)."""
    _one_at_a_time(by)
    pk = patrol.pk if isinstance(patrol, Patrol) else patrol
    locked = (Patrol.objects.restrict(by, "patrol").select_related("area").select_for_update(of=("self",))
              .filter(pk=pk).first())
    if locked is None:
        raise NotFound("巡逻", "patrol")
    return locked


# -- start -------------------------------------------------------------------------------------

def _repeat(key: str | None) -> Patrol | None:
    """The patrol started before with the scoped ``key``, marked ``repeated``."""
    done = Patrol.objects.filter(idempotency_key=key).first() if key else None
    if done is not None:
        done.repeated = True
    return done


def start_patrol(*, by, started_at=None, idempotency_key: str = "") -> Patrol:
    """开始巡逻 in ``by``'s own area (a village, grid or micro-grid). ``started_at`` (the
    phone's time, which may lie up to :data:`MAX_DURATION` back when it had no network) defaults
    to now. One patrol runs per person at a time: a running one the phone has gone quiet on is
    ended first, as the periodic job would; a live one is a 409 ``patrol_running``.

    ``idempotency_key`` (scoped to ``by``): a retry answers the patrol started the first time,
    marked ``repeated``."""
    inputs.may(by, PATROLLERS, "巡逻", "patrol")
    key = scoped_key(by, idempotency_key)
    if (done := _repeat(key)) is not None:
        return done
    area = by.area
    if area is None or area.level not in PLACE_LEVELS or not area.is_active:
        raise UserError("no_patrol_area", "您的所属区域不是在用的村(社区)或网格,不能开始巡逻",
                        "your own area is not a village, community or grid in use; you cannot start a patrol")
    now = clock_now()
    when = now if started_at in (None, "") else inputs.moment(started_at, "started_at", "开始", "start")
    if when > now + CLOCK_SLACK:
        raise UserError("future_time", "开始时间不能晚于现在", "the start cannot be in the future", field="started_at")
    if when < now - MAX_DURATION:
        raise UserError("too_old", "只能补录12小时内开始的巡逻", "a patrol started more than 12 hours ago cannot be recorded",
                        field="started_at")
    try:
        with transaction.atomic(), context.explicit_audit():
            _one_at_a_time(by)
            if (done := _repeat(key)) is not None:  # the same start sent twice at once: this one waited
                return done
            running = Patrol.objects.select_for_update().filter(by=by, ended_at__isnull=True).first()
            if running is not None and not _close_if_idle(running, now):
                raise Conflict("patrol_running", "您有一次巡逻尚未结束,请先结束它",
                               "you have a patrol that has not ended; end it first")
            if Patrol.objects.filter(by=by, ended_at__gt=when).exists():
                raise Conflict("overlapping_patrol", "开始时间早于您此前一次巡逻的结束时间",
                               "the start lies before the end of one of your earlier patrols", field="started_at")
            patrol = Patrol(area=area, by=by, by_name=actor_name(by), started_at=when, heard_at=now,
                            recorded_at=now, idempotency_key=key,
                            inside_count=0 if Boundary(area.boundary).geometry is not None else None)
            patrol.save()
            audit.record("patrol_start", patrol, actor=by, object_repr=str(patrol),
                         after={"area": area.code, "started_at": when.isoformat()})
    except IntegrityError:
        # the same key at the same moment, or two starts at once: the index settled it
        if (done := _repeat(key)) is not None:
            return done
        raise Conflict("patrol_running", "您有一次巡逻尚未结束,请先结束它",
                       "you have a patrol that has not ended; end it first") from None
    patrol.repeated = False
    return patrol


# -- points ------------------------------------------------------------------------------------

def _window(p: Patrol, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The moments a point of ``p`` may carry: from its start (the phone's own time, as the
    points') to its end. A patrol ended automatically takes the points the phone recorded
    before it was ended but could not send in time, never one recorded afterwards (a phone left
    on), nor past its longest duration or the start of its patroller's next patrol."""
    latest = min(p.started_at + MAX_DURATION, now + CLOCK_SLACK)
    if p.end_reason == EndReason.FINISHED:
        latest = p.ended_at
    elif p.end_reason == EndReason.TIMED_OUT:
        latest = min(latest, p.closed_at or latest)
        if (following := _next_start(p)) is not None:
            latest = min(latest, following)
    return p.started_at, latest


def _next_start(p: Patrol) -> dt.datetime | None:
    """When the patroller of ``p`` started their next patrol (a patrol ended automatically may
    have been followed by another before its late points or its own end came)."""
    return (Patrol.objects.filter(by_id=p.by_id, started_at__gt=p.started_at).exclude(pk=p.pk)
            .aggregate(first=Min("started_at"))["first"])


def add_points(patrol, *, by, points) -> dict:
    """Add a batch of positions to ``by``'s own patrol. Answers ``{"accepted": n, "repeated":
    n, "refused": n, "patrol": the patrol}``: repeated points were there already (a batch sent
    again), refused ones lie outside the patrol's time or beyond :data:`MAX_POINTS`."""
    inputs.may(by, PATROLLERS, "巡逻", "patrol")
    read = _points(points)
    now = clock_now()
    with transaction.atomic(), context.explicit_audit():
        p = _locked(patrol, by)
        first, last = _window(p, now)
        batch = {}
        refused = 0
        for point in read:
            if first <= point[0] <= last:
                batch.setdefault(point[0], point)
            else:
                refused += 1
        have = set(TrackPoint.objects.filter(patrol=p, at__in=list(batch)).values_list("at", flat=True))
        new = [pt for at, pt in sorted(batch.items()) if at not in have]
        room = max(0, MAX_POINTS - p.point_count)
        refused += max(0, len(new) - room)
        new = new[:room]
        repeated = len(read) - refused - len(new)
        if new:
            inside = Boundary(p.area.boundary).contains([(lon, lat) for _at, lon, lat, _acc in new])
            TrackPoint.objects.bulk_create([
                TrackPoint(patrol=p, at=at, longitude=lon, latitude=lat, accuracy_m=acc,
                           inside=None if inside is None else inside[i])
                for i, (at, lon, lat, acc) in enumerate(new)])
            _measure(p)
        p.heard_at = now
        p.save(update_fields=["point_count", "distance_m", "inside_count", "last_point_at", "ended_at", "duration_s",
                              "heard_at"])
    return {"accepted": len(new), "repeated": repeated, "refused": refused, "patrol": p}


def _measure(p: Patrol) -> None:
    """The kept figures of ``p`` from its whole track: points, length, points inside its area,
    the last point; a patrol ended automatically ends at its last point."""
    track = list(TrackPoint.objects.filter(patrol=p).order_by("at")
                 .values_list("at", "longitude", "latitude", "accuracy_m", "inside"))
    p.point_count = len(track)
    p.distance_m = round(track_length(t[:4] for t in track))
    p.inside_count = sum(1 for t in track if t[4]) if p.inside_count is not None else None
    p.last_point_at = track[-1][0] if track else None
    if p.end_reason == EndReason.TIMED_OUT and p.last_point_at and p.last_point_at > p.ended_at:
        p.end(p.last_point_at, EndReason.TIMED_OUT)


# -- end ---------------------------------------------------------------------------------------

def finish_patrol(patrol, *, by, note: str = "", ended_at=None) -> Patrol:
    """结束巡逻 with what the patroller saw. ``ended_at`` (the phone's time; default now) is
    never before the start or the last point, and a patrol is never longer than
    :data:`MAX_DURATION`. Ending a patrol already ended by its patroller changes nothing (a
    retry; answered with ``changed`` false); one ended automatically is ended again, by the
    patroller, with their time and note, but never after their next patrol's start."""
    inputs.may(by, PATROLLERS, "巡逻", "patrol")
    note = inputs.text(note, "note", "巡逻情况", "the note")
    now = clock_now()
    when = now if ended_at in (None, "") else inputs.moment(ended_at, "ended_at", "结束", "end")
    if when > now + CLOCK_SLACK:
        raise UserError("future_time", "结束时间不能晚于现在", "the end cannot be in the future", field="ended_at")
    with transaction.atomic(), context.explicit_audit():
        p = _locked(patrol, by)
        if p.end_reason == EndReason.FINISHED:
            p.changed = False
            return p
        if when < p.started_at:
            raise UserError("end_before_start", "结束时间不能早于开始时间", "the end cannot lie before the start",
                            field="ended_at")
        when = min(max(when, p.last_point_at or when), p.started_at + MAX_DURATION)
        if p.end_reason == EndReason.TIMED_OUT and (following := _next_start(p)) is not None:
            when = min(when, following)  # a late end never overlaps the next patrol
        p.end(when, EndReason.FINISHED)
        p.note, p.closed_at = note, now
        p.save(update_fields=["ended_at", "end_reason", "duration_s", "note", "closed_at"])
        audit.record("patrol_end", p, actor=by, object_repr=str(p),
                     after={"ended_at": when.isoformat(), "points": p.point_count, "distance_m": p.distance_m,
                            "reason": EndReason.FINISHED})
    p.changed = True
    return p


def _close_if_idle(p: Patrol, now: dt.datetime) -> bool:
    """End the (locked, running) patrol ``p`` automatically if its phone has gone quiet for
    :data:`IDLE_LIMIT` or it has run :data:`MAX_DURATION`; whether it did."""
    if p.heard_at > now - IDLE_LIMIT and p.started_at > now - MAX_DURATION:
        return False
    p.end(max(p.started_at, min(p.last_point_at or p.started_at, p.started_at + MAX_DURATION)), EndReason.TIMED_OUT)
    p.closed_at = now
    p.save(update_fields=["ended_at", "end_reason", "duration_s", "closed_at"])
    audit.record("patrol_timeout", p, actor=None, object_repr=str(p),
                 after={"ended_at": p.ended_at.isoformat(), "points": p.point_count, "distance_m": p.distance_m,
                        "reason": EndReason.TIMED_OUT})
    return True


def close_idle_patrols(now: dt.datetime | None = None) -> int:
    """End every running patrol whose phone has gone quiet (the periodic job); how many."""
    now = now or clock_now()
    stale = (Patrol.objects.running().filter(Q(heard_at__lte=now - IDLE_LIMIT) | Q(started_at__lte=now - MAX_DURATION))
             .order_by("pk").values_list("pk", flat=True))
    closed = 0
    for pk in list(stale):
        with transaction.atomic(), context.explicit_audit():
            p = Patrol.objects.select_for_update().filter(pk=pk, ended_at__isnull=True).first()
            if p is not None and _close_if_idle(p, now):
                closed += 1
    return closed


# -- a matter reported on the way ----------------------------------------------------------------

def link_report(patrol, event, *, by) -> PatrolReport | None:
    """Link a matter ``by`` has just reported to their patrol ``patrol`` (an id), in the
    caller's transaction: a patrol of theirs that runs, or ended no longer than
    :data:`MAX_DURATION` ago (a report written on the way may reach the server after the end,
    from the phone's queue). Any other patrol links nothing: the report matters more than the
    link, and is never refused for it."""
    if not small_id(str(patrol)):
        return None  # not an id any patrol can have (a huge number would overflow the query)
    pk = int(patrol)
    recent = Q(ended_at__isnull=True) | Q(ended_at__gte=clock_now() - MAX_DURATION)
    if not Patrol.objects.restrict(by, "patrol").filter(recent, pk=pk).exists():
        return None
    report, created = PatrolReport.objects.get_or_create(event=event, defaults={"patrol_id": pk})
    if created:  # kept on the patrol, so lists and sums count no links
        Patrol.objects.filter(pk=pk).update(report_count=F("report_count") + 1)
    return report
