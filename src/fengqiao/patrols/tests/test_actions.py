"""The patrols' writes (巡逻): who may patrol, one running patrol per person, a track sent in
batches that may repeat or arrive late, its length and its share inside the area, the end by the
patroller or by the job when the phone goes quiet, and a matter linked to the patrol."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from shapely.geometry import shape

from fengqiao.areas.models import Area
from fengqiao.core.errors import Conflict, Forbidden, NotFound, UserError
from fengqiao.core.models import AuditRecord
from fengqiao.events import sla
from fengqiao.events.actions import create_event
from fengqiao.events.choices import Channel
from fengqiao.patrols import actions
from fengqiao.patrols.choices import EndReason
from fengqiao.patrols.geo import metres, track_length
from fengqiao.patrols.models import (
    IDLE_LIMIT,
    MAX_DURATION,
    MAX_POINTS,
    Patrol,
    PatrolReport,
    TrackPoint,
)

pytestmark = pytest.mark.django_db

GRID = "331022001001001"  # 心湖社区第1网格, grid_xinhu1's


def _inside(code: str = GRID) -> tuple[float, float]:
    p = shape(Area.objects.get(code=code).boundary).representative_point()
    return p.x, p.y


def _walk(start: dt.datetime, n: int, *, step_m: float = 20.0, every_s: int = 15, origin=None, accuracy=10):
    """``n`` points going north from ``origin`` (inside the grid), ``step_m`` apart."""
    lon, lat = origin or _inside()
    dlat = step_m / 111_195.0
    return [{"at": (start + dt.timedelta(seconds=i * every_s)).isoformat(), "longitude": lon,
             "latitude": lat + i * dlat, "accuracy": accuracy} for i in range(n)]


@pytest.fixture
def started(users):
    """grid_xinhu1's patrol, started 30 minutes ago."""
    return actions.start_patrol(by=users.grid_xinhu1, started_at=timezone.now() - dt.timedelta(minutes=30))


# -- start -------------------------------------------------------------------------------------

def test_a_grid_worker_starts_a_patrol_in_their_grid_and_it_is_audited(users):
    p = actions.start_patrol(by=users.grid_xinhu1)
    assert p.area.code == GRID and p.area_path.endswith(f"/{GRID}/") and p.is_running and not p.repeated
    assert p.by_name == "吴晓" and p.point_count == 0 and p.inside_count == 0  # the grid has a boundary
    rec = AuditRecord.objects.get(action="patrol_start", object_id=str(p.pk))
    assert rec.after["area"] == GRID


@pytest.mark.parametrize("who", ["county_op", "town_haiyou", "leader", "dept_police", "mediator", "auditor", "admin"])
def test_only_grid_workers_and_village_cadres_patrol(users, who):
    with pytest.raises(Forbidden):
        actions.start_patrol(by=getattr(users, who))
    assert not Patrol.objects.exists()


def test_one_running_patrol_per_person(users, started):
    with pytest.raises(Conflict) as exc:
        actions.start_patrol(by=users.grid_xinhu1)
    assert exc.value.code == "patrol_running"
    other = actions.start_patrol(by=users.cadre_xinhu)  # someone else may
    assert other.area.code == "331022001001"


def test_the_same_idempotency_key_answers_the_first_start(users):
    first = actions.start_patrol(by=users.grid_xinhu1, idempotency_key="k1")
    again = actions.start_patrol(by=users.grid_xinhu1, idempotency_key="k1")
    assert again.pk == first.pk and again.repeated and Patrol.objects.count() == 1
    # one user's key never answers for another's
    theirs = actions.start_patrol(by=users.cadre_xinhu, idempotency_key="k1")
    assert theirs.pk != first.pk


@pytest.mark.parametrize("when, code", [
    ("yesterday", "bad_time"), ("2026-02-30T10:00", "bad_time"), (dt.timedelta(hours=13), "too_old"),
    (-dt.timedelta(hours=1), "future_time"),
])
def test_a_start_time_outside_the_last_twelve_hours_is_refused(users, when, code):
    if isinstance(when, dt.timedelta):
        when = (timezone.now() - when).isoformat()
    with pytest.raises(UserError) as exc:
        actions.start_patrol(by=users.grid_xinhu1, started_at=when)
    assert exc.value.code == code and exc.value.status == 400 and exc.value.zh and exc.value.en
    assert not Patrol.objects.exists()


def test_a_quiet_running_patrol_is_ended_when_the_patroller_starts_again(users):
    old = actions.start_patrol(by=users.grid_xinhu1, started_at=timezone.now() - dt.timedelta(hours=5))
    actions.add_points(old, by=users.grid_xinhu1, points=_walk(old.started_at, 3))
    Patrol.objects.filter(pk=old.pk).update(heard_at=timezone.now() - IDLE_LIMIT - dt.timedelta(minutes=1))
    new = actions.start_patrol(by=users.grid_xinhu1)
    old.refresh_from_db()
    assert old.end_reason == EndReason.TIMED_OUT and old.ended_at == old.last_point_at and new.is_running


def test_a_user_without_a_village_or_grid_cannot_start(users):
    cadre = users.cadre_xinhu
    cadre.area = Area.objects.get(code="331022001")  # moved to a town: no place to patrol
    with pytest.raises(UserError) as exc:
        actions.start_patrol(by=cadre)
    assert exc.value.code == "no_patrol_area"


# -- points ------------------------------------------------------------------------------------

def test_points_are_kept_measured_and_a_batch_sent_again_adds_nothing(users, started):
    batch = _walk(started.started_at + dt.timedelta(minutes=1), 11)  # 10 steps of 20 m
    got = actions.add_points(started, by=users.grid_xinhu1, points=batch)
    assert (got["accepted"], got["repeated"], got["refused"]) == (11, 0, 0)
    p = got["patrol"]
    assert p.point_count == 11 and 195 <= p.distance_m <= 205 and p.inside_count == 11 and p.coverage() == 1.0
    again = actions.add_points(started, by=users.grid_xinhu1, points=batch)
    assert (again["accepted"], again["repeated"], again["refused"]) == (0, 11, 0)
    assert TrackPoint.objects.filter(patrol=started).count() == 11
    assert again["patrol"].distance_m == p.distance_m


def test_batches_arriving_out_of_order_measure_the_same_track(users, started):
    walk = _walk(started.started_at + dt.timedelta(minutes=1), 21)
    actions.add_points(started, by=users.grid_xinhu1, points=walk[10:])
    p = actions.add_points(started, by=users.grid_xinhu1, points=walk[:10])["patrol"]
    assert p.point_count == 21 and 395 <= p.distance_m <= 405
    assert p.last_point_at.isoformat() == walk[-1]["at"]


def test_points_outside_the_patrol_time_are_refused_not_failed(users, started):
    now = timezone.now()
    batch = [
        {"at": (started.started_at - dt.timedelta(hours=1)).isoformat(), "longitude": 121.4, "latitude": 29.1},
        {"at": (now + dt.timedelta(hours=1)).isoformat(), "longitude": 121.4, "latitude": 29.1},
        *_walk(now - dt.timedelta(minutes=2), 2),
    ]
    got = actions.add_points(started, by=users.grid_xinhu1, points=batch)
    assert (got["accepted"], got["refused"]) == (2, 2)


def test_points_outside_the_area_lower_the_coverage(users, started):
    outside = _inside("331022105001001")  # 涧中村's grid, another town
    batch = _walk(started.started_at + dt.timedelta(minutes=1), 3) + _walk(
        started.started_at + dt.timedelta(minutes=5), 1, origin=outside)
    p = actions.add_points(started, by=users.grid_xinhu1, points=batch)["patrol"]
    assert p.point_count == 4 and p.inside_count == 3 and p.coverage() == 0.75
    assert list(TrackPoint.objects.filter(patrol=p).values_list("inside", flat=True)) == [True, True, True, False]


def test_an_area_without_a_boundary_has_no_coverage(users):
    origin = _inside()
    Area.objects.filter(code=GRID).update(boundary=None)
    p = actions.start_patrol(by=users.grid_xinhu1, started_at=timezone.now() - dt.timedelta(minutes=5))
    p = actions.add_points(p, by=users.grid_xinhu1, points=_walk(p.started_at, 2, origin=origin))["patrol"]
    assert p.inside_count is None and p.coverage() is None and p.point_count == 2


def test_jumps_and_poor_fixes_do_not_add_distance(users, started):
    t0 = started.started_at + dt.timedelta(minutes=1)
    lon, lat = _inside()
    batch = [
        {"at": t0.isoformat(), "longitude": lon, "latitude": lat, "accuracy": 5},
        # 5 km away 15 s later: a jump of the fix
        {"at": (t0 + dt.timedelta(seconds=15)).isoformat(), "longitude": lon + 0.05, "latitude": lat, "accuracy": 5},
        # a poor fix, 300 m off
        {"at": (t0 + dt.timedelta(seconds=30)).isoformat(), "longitude": lon, "latitude": lat + 0.003,
         "accuracy": 500},
        {"at": (t0 + dt.timedelta(seconds=45)).isoformat(), "longitude": lon, "latitude": lat + 0.0003, "accuracy": 5},
    ]
    p = actions.add_points(started, by=users.grid_xinhu1, points=batch)["patrol"]
    assert p.point_count == 4 and 30 <= p.distance_m <= 37  # only the last 33 m step


def test_a_patrol_keeps_at_most_max_points(users, started, monkeypatch):
    monkeypatch.setattr(actions, "MAX_POINTS", 5)
    got = actions.add_points(started, by=users.grid_xinhu1, points=_walk(started.started_at, 8))
    assert (got["accepted"], got["refused"]) == (5, 3) and got["patrol"].point_count == 5
    assert MAX_POINTS >= 12 * 3600 // 10  # one point every 10 s for the longest patrol


@pytest.mark.parametrize("points, field", [
    ([], "points"), ("x", "points"), ({"at": 1}, "points"), ([1], "points[0]"),
    ([{"at": "2026-01-01T00:00:00+08:00", "longitude": 200, "latitude": 29}], "points[0].longitude"),
    ([{"at": "2026-01-01T00:00:00+08:00", "longitude": "nan", "latitude": 29}], "points[0].longitude"),
    ([{"at": "2026-01-01T00:00:00+08:00", "longitude": True, "latitude": 29}], "points[0].longitude"),
    ([{"at": "2026-01-01T00:00:00+08:00", "longitude": 121, "latitude": "inf"}], "points[0].latitude"),
    ([{"at": "2026-01-01T00:00:00+08:00", "longitude": 121, "latitude": None}], "points[0].latitude"),
    ([{"at": "2026-01-01T00:00:00+08:00", "longitude": 121, "latitude": 29, "accuracy": -1}],
     "points[0].accuracy"),
    ([{"at": "noon", "longitude": 121, "latitude": 29}], "points[0].at"),
    ([{"at": "2026-01-01T00:00:00+08:00", "longitude": 121, "latitude": 29, "speed": 1}], "points[0]"),
])
def test_a_bad_point_refuses_the_whole_batch_naming_it(users, started, points, field):
    good = _walk(started.started_at, 2)
    with pytest.raises(UserError) as exc:
        actions.add_points(started, by=users.grid_xinhu1, points=good + points if isinstance(points, list) and points
                           else points)
    assert exc.value.status == 400 and exc.value.zh and exc.value.en
    assert exc.value.field == (field.replace("[0]", "[2]") if field.startswith("points[") else field)
    assert not TrackPoint.objects.exists()


def test_too_many_points_in_one_batch(users, started):
    with pytest.raises(UserError) as exc:
        actions.add_points(started, by=users.grid_xinhu1, points=_walk(started.started_at, actions.MAX_BATCH + 1))
    assert exc.value.code == "too_many_points"


def test_only_the_patroller_adds_points(users, started):
    with pytest.raises(NotFound):
        actions.add_points(started, by=users.cadre_xinhu, points=_walk(started.started_at, 1))
    with pytest.raises(Forbidden):
        actions.add_points(started, by=users.town_haiyou, points=_walk(started.started_at, 1))


# -- end ---------------------------------------------------------------------------------------

def test_the_patroller_ends_the_patrol_with_a_note_and_a_retry_changes_nothing(users, started):
    actions.add_points(started, by=users.grid_xinhu1, points=_walk(started.started_at, 5))
    p = actions.finish_patrol(started, by=users.grid_xinhu1, note="心湖路一带正常")
    assert p.changed and p.end_reason == EndReason.FINISHED and p.note == "心湖路一带正常" and not p.is_running
    assert Patrol.objects.get(pk=p.pk).duration_s == int((p.ended_at - p.started_at).total_seconds())
    rec = AuditRecord.objects.get(action="patrol_end", object_id=str(p.pk))
    assert rec.after["points"] == 5
    again = actions.finish_patrol(started, by=users.grid_xinhu1, note="另一句")
    assert not again.changed and again.note == "心湖路一带正常"
    assert AuditRecord.objects.filter(action="patrol_end").count() == 1


def test_a_finished_patrol_takes_late_points_up_to_its_end_only(users, started):
    end = started.started_at + dt.timedelta(minutes=10)
    actions.finish_patrol(started, by=users.grid_xinhu1, ended_at=end.isoformat())
    got = actions.add_points(started, by=users.grid_xinhu1, points=_walk(end - dt.timedelta(seconds=30), 4))
    assert (got["accepted"], got["refused"]) == (3, 1)  # at -30 s, -15 s, the end itself; +15 s refused


def test_an_end_is_never_before_the_start_nor_the_last_point(users, started):
    with pytest.raises(UserError) as exc:
        actions.finish_patrol(started, by=users.grid_xinhu1, ended_at=(started.started_at - dt.timedelta(
            minutes=1)).isoformat())
    assert exc.value.code == "end_before_start"
    walk = _walk(started.started_at, 3, every_s=300)  # the last point at +10 min
    actions.add_points(started, by=users.grid_xinhu1, points=walk)
    p = actions.finish_patrol(started, by=users.grid_xinhu1, ended_at=(started.started_at + dt.timedelta(
        minutes=5)).isoformat())
    assert p.ended_at == p.last_point_at


def test_only_the_patroller_ends_it(users, started):
    with pytest.raises(NotFound):
        actions.finish_patrol(started, by=users.cadre_xinhu)
    assert Patrol.objects.get(pk=started.pk).is_running


# -- the job -----------------------------------------------------------------------------------

def test_the_job_ends_quiet_and_overlong_patrols_at_their_last_point(users):
    now = timezone.now()
    quiet = actions.start_patrol(by=users.grid_xinhu1, started_at=now - dt.timedelta(hours=4))
    actions.add_points(quiet, by=users.grid_xinhu1, points=_walk(quiet.started_at, 3))
    Patrol.objects.filter(pk=quiet.pk).update(heard_at=now - IDLE_LIMIT - dt.timedelta(seconds=1))
    live = actions.start_patrol(by=users.cadre_xinhu, started_at=now - dt.timedelta(hours=1))
    assert actions.close_idle_patrols(now) == 1
    quiet.refresh_from_db()
    live.refresh_from_db()
    assert quiet.end_reason == EndReason.TIMED_OUT and quiet.ended_at == quiet.last_point_at
    assert live.is_running
    assert AuditRecord.objects.filter(action="patrol_timeout", object_id=str(quiet.pk)).count() == 1
    # twelve hours on, the live one ends too, even while its phone still sends
    later = now + MAX_DURATION
    Patrol.objects.filter(pk=live.pk).update(heard_at=later)
    assert actions.close_idle_patrols(later) == 1
    assert actions.close_idle_patrols(later) == 0


def test_late_points_of_an_automatically_ended_patrol_are_taken_and_extend_it(users):
    now = timezone.now()
    p = actions.start_patrol(by=users.grid_xinhu1, started_at=now - dt.timedelta(hours=4))
    walk = _walk(p.started_at, 40, every_s=60)
    actions.add_points(p, by=users.grid_xinhu1, points=walk[:5])
    Patrol.objects.filter(pk=p.pk).update(heard_at=now - IDLE_LIMIT - dt.timedelta(seconds=1))
    actions.close_idle_patrols(now)
    p.refresh_from_db()
    assert p.ended_at.isoformat() == walk[4]["at"]
    # the phone comes back with what it could not send
    got = actions.add_points(p, by=users.grid_xinhu1, points=walk[5:])
    assert got["accepted"] == 35 and got["patrol"].ended_at.isoformat() == walk[-1]["at"]
    assert Patrol.objects.get(pk=p.pk).duration_s == 39 * 60  # the kept duration moves with the end
    # and the patroller's own end replaces the automatic one
    done = actions.finish_patrol(p, by=users.grid_xinhu1, note="信号不好")
    assert done.changed and done.end_reason == EndReason.FINISHED and done.note == "信号不好"


def test_late_points_stop_at_the_patrollers_next_patrol(users):
    now = timezone.now()
    p = actions.start_patrol(by=users.grid_xinhu1, started_at=now - dt.timedelta(hours=4))
    actions.add_points(p, by=users.grid_xinhu1, points=_walk(p.started_at, 2))
    Patrol.objects.filter(pk=p.pk).update(heard_at=now - IDLE_LIMIT - dt.timedelta(seconds=1))
    actions.close_idle_patrols(now)
    nxt = actions.start_patrol(by=users.grid_xinhu1, started_at=now - dt.timedelta(hours=1))
    late = _walk(nxt.started_at - dt.timedelta(minutes=1), 2, every_s=120)  # one before, one after the next start
    got = actions.add_points(p, by=users.grid_xinhu1, points=late)
    assert (got["accepted"], got["refused"]) == (1, 1)


def test_a_start_before_the_previous_patrols_end_is_refused(users, started):
    actions.finish_patrol(started, by=users.grid_xinhu1)
    with pytest.raises(Conflict) as exc:
        actions.start_patrol(by=users.grid_xinhu1, started_at=(started.started_at + dt.timedelta(minutes=1)).isoformat())
    assert exc.value.code == "overlapping_patrol"


# -- a matter reported on the way ----------------------------------------------------------------

def test_a_matter_reported_on_the_patrol_is_linked_and_a_foreign_patrol_links_nothing(users, started):
    event, _ = create_event(by=users.grid_xinhu1, channel=Channel.GRID_REPORT, title="井盖缺失",
                            content="心湖路3号门口井盖缺失", address="心湖路3号")
    assert actions.link_report(str(started.pk), event, by=users.grid_xinhu1).patrol_id == started.pk
    assert list(started.reports.values_list("event_id", flat=True)) == [event.pk]
    actions.link_report(started.pk, event, by=users.grid_xinhu1)  # again: counted once
    assert Patrol.objects.get(pk=started.pk).report_count == 1
    other, _ = create_event(by=users.cadre_xinhu, channel=Channel.GRID_REPORT, title="路灯不亮",
                            content="心湖路路灯不亮", address="心湖路")
    assert actions.link_report(started.pk, other, by=users.cadre_xinhu) is None
    assert actions.link_report("x", other, by=users.cadre_xinhu) is None
    assert not PatrolReport.objects.filter(event=other).exists()


# -- geometry ----------------------------------------------------------------------------------

def test_metres_and_track_length():
    assert 111_000 < metres(121.0, 29.0, 121.0, 30.0) < 111_400
    t0 = timezone.now()
    still = [(t0 + dt.timedelta(seconds=i), 121.0, 29.0 + (i % 2) * 1e-5, 5) for i in range(20)]
    assert track_length(still) == 0  # 1 m of wander, standing
    slow = [(t0 + dt.timedelta(seconds=i), 121.0, 29.0 + i * 1e-5, 5) for i in range(31)]
    assert 30 < track_length(slow) < 37  # 1.1 m steps still add up
    # a stale first fix 5 km off (claiming 20 m accuracy), then standing still: nothing walked
    stale = [(t0, 121.05, 29.0, 20)] + [(t0 + dt.timedelta(seconds=15 * i), 121.0, 29.0, 5) for i in range(1, 40)]
    assert track_length(stale) == 0
    # one glitch in the middle of a walk costs nothing either
    walk = [(t0 + dt.timedelta(seconds=15 * i), 121.0, 29.0 + i * 2e-4, 5) for i in range(10)]
    walk[5] = (walk[5][0], 121.05, walk[5][2], 5)
    assert 195 < track_length(walk) < 205  # 9 steps of 22 m, the glitch skipped


# -- found in review ---------------------------------------------------------------------------

def test_points_before_the_start_are_refused_and_an_automatic_end_is_never_before_it(users):
    p = actions.start_patrol(by=users.grid_xinhu1, started_at=timezone.now() - dt.timedelta(hours=3))
    got = actions.add_points(p, by=users.grid_xinhu1, points=_walk(p.started_at - dt.timedelta(minutes=4), 3))
    assert (got["accepted"], got["refused"]) == (0, 3)
    Patrol.objects.filter(pk=p.pk).update(heard_at=timezone.now() - IDLE_LIMIT - dt.timedelta(minutes=1))
    actions.close_idle_patrols()
    p.refresh_from_db()
    assert p.ended_at == p.started_at and p.duration_s == 0


def test_an_automatically_ended_patrol_takes_no_position_recorded_after_its_end(users):
    """The phone left on after the job ended the patrol: late positions are taken, fresh ones not."""
    now = timezone.now()
    p = actions.start_patrol(by=users.grid_xinhu1, started_at=now - dt.timedelta(hours=5))
    walk = _walk(p.started_at, 10, every_s=60)
    actions.add_points(p, by=users.grid_xinhu1, points=walk[:3])
    Patrol.objects.filter(pk=p.pk).update(heard_at=now - IDLE_LIMIT - dt.timedelta(minutes=1))
    actions.close_idle_patrols(now)
    fresh = _walk(now + dt.timedelta(seconds=30), 3, origin=_inside())
    got = actions.add_points(p, by=users.grid_xinhu1, points=walk[3:] + fresh)
    assert (got["accepted"], got["refused"]) == (7, 3)
    p.refresh_from_db()
    assert p.ended_at.isoformat() == walk[-1]["at"]


def test_a_matter_links_only_to_a_running_or_recent_patrol(users, started):
    actions.finish_patrol(started, by=users.grid_xinhu1)
    event, _ = create_event(by=users.grid_xinhu1, channel=Channel.GRID_REPORT, title="路灯不亮",
                            content="心湖路路灯不亮", address="心湖路")
    with sla.frozen_now(timezone.now() + MAX_DURATION + dt.timedelta(minutes=5)):
        assert actions.link_report(started.pk, event, by=users.grid_xinhu1) is None
    assert actions.link_report(started.pk, event, by=users.grid_xinhu1) is not None  # sent soon after the end
