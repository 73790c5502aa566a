"""Pure tests of the working-calendar arithmetic (工作日历) and the package seed."""

from __future__ import annotations

import datetime as dt
import random
import warnings

import pytest

from fengqiao.workcal.calendar import (
    SHANGHAI,
    OfficeHours,
    UnknownYearWarning,
    WorkingCalendar,
)
from fengqiao.workcal.seed import package_calendar, package_days, package_years

D = dt.date
UTC = dt.UTC


def at(y, m, d, hh=0, mm=0, ss=0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, ss, tzinfo=SHANGHAI)


@pytest.fixture
def cal() -> WorkingCalendar:
    # A fresh instance per test, so "warn once per year" is observable in each test.
    base = package_calendar()
    days = package_days()
    return WorkingCalendar(
        {d.date: d.name for d in days if d.kind == "holiday"},
        {d.date: d.name for d in days if d.kind == "workday"},
        base.known_years,
    )


# ---------------------------------------------------------------- package seed


def test_package_years_are_contiguous_and_include_2025():
    years = package_years()
    assert 2025 in years
    assert list(years) == list(range(years[0], years[-1] + 1))


def test_package_days_have_chinese_names():
    names = {d.date: d.name for d in package_days()}
    assert names[D(2025, 10, 1)] == "国庆节"
    assert names[D(2025, 1, 29)] == "春节"
    assert names[D(2025, 10, 11)] == "国庆节"  # make-up working day named after its holiday


# ---------------------------------------------------------------- working days


def test_national_day_2025(cal):
    assert cal.add_working_days(D(2025, 9, 30), 3) == D(2025, 10, 11)
    assert cal.add_working_days(D(2025, 9, 30), 1) == D(2025, 10, 9)
    assert cal.add_working_days(D(2025, 9, 30), 0) == D(2025, 9, 30)
    for day in range(1, 9):
        assert not cal.is_working_day(D(2025, 10, day)), day
    assert cal.is_working_day(D(2025, 10, 11))  # Saturday, make-up working day
    assert cal.is_working_day(D(2025, 9, 28))  # Sunday, make-up working day
    assert cal.name_of(D(2025, 10, 1)) == "国庆节"


def test_spring_festival_2025(cal):
    import chinese_calendar

    assert cal.is_working_day(D(2025, 1, 26))  # Sunday
    assert cal.is_working_day(D(2025, 2, 8))  # Saturday
    for day in [D(2025, 1, 28) + dt.timedelta(days=i) for i in range(8)]:  # 28 Jan – 4 Feb
        assert not cal.is_working_day(day), day
    # Agrees with the package over the whole year.
    day = D(2025, 1, 1)
    while day.year == 2025:
        assert cal.is_working_day(day) == chinese_calendar.is_workday(day), day
        day += dt.timedelta(days=1)
    # Friday 24 Jan + 1 = Sunday 26 Jan (make-up); + 2 = Monday 27 Jan; + 3 = Wednesday 5 Feb.
    assert cal.add_working_days(D(2025, 1, 24), 1) == D(2025, 1, 26)
    assert cal.add_working_days(D(2025, 1, 24), 3) == D(2025, 2, 5)


@pytest.mark.skipif(2026 not in package_years(), reason="package does not know 2026")
def test_2026_calendar(cal):
    assert cal.is_year_known(2026)
    assert not cal.is_working_day(D(2026, 10, 1))
    assert cal.is_working_day(D(2026, 10, 10))  # Saturday, make-up working day
    assert cal.is_working_day(D(2026, 1, 4))  # Sunday, make-up working day
    assert not cal.is_working_day(D(2026, 2, 17))  # Spring Festival
    assert cal.add_working_days(D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert cal.add_working_days(D(2026, 9, 30), 2) == D(2026, 10, 9)
    assert cal.add_working_days(D(2026, 9, 30), 3) == D(2026, 10, 10)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnknownYearWarning)
        cal.add_working_days(D(2026, 6, 1), 100)


def test_agrees_with_package_over_all_known_years(cal):
    import chinese_calendar

    rnd = random.Random(7)
    first, last = package_years()[0], package_years()[-1]
    for _ in range(2000):
        day = D(rnd.randint(first, last), rnd.randint(1, 12), rnd.randint(1, 28))
        assert cal.is_working_day(day) == chinese_calendar.is_workday(day), day


@pytest.mark.filterwarnings("ignore::fengqiao.workcal.calendar.UnknownYearWarning")
def test_add_working_days_matches_naive_walk(cal):
    rnd = random.Random(1)
    for _ in range(300):
        start = D(2024, 1, 1) + dt.timedelta(days=rnd.randint(0, 900))
        n = rnd.randint(0, 400)
        day, left = start, n
        while left:
            day += dt.timedelta(days=1)
            if cal.is_working_day(day):
                left -= 1
        assert cal.add_working_days(start, n) == day
        assert cal.working_days_between(start, day) == n


def test_unknown_year_falls_back_to_monday_friday_and_warns_once(cal):
    assert not cal.is_year_known(2031)
    with pytest.warns(UnknownYearWarning, match="2031"):
        assert cal.add_working_days(D(2031, 1, 3), 1) == D(2031, 1, 6)  # Friday -> Monday
    assert 2031 in cal.unknown_years_used
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnknownYearWarning)  # no second warning for 2031
        assert cal.is_working_day(D(2031, 10, 1))  # a Wednesday: no holiday data
        assert not cal.is_working_day(D(2031, 10, 4))  # a Saturday
        due = cal.due_at(at(2031, 5, 2, 9), 5, "working_days")
    assert due == at(2031, 5, 9, 17, 30)


def test_computation_crossing_into_unknown_year_warns():
    cal = package_calendar()
    last = package_years()[-1]
    fresh = WorkingCalendar(cal.holidays, cal.workdays, cal.known_years)
    with pytest.warns(UnknownYearWarning, match=str(last + 1)):
        result = fresh.add_working_days(D(last, 12, 20), 30)
    assert result.year == last + 1
    assert fresh.unknown_years_used == {last + 1}


def test_far_years_grow_the_table(cal):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownYearWarning)
        assert cal.add_working_days(D(2099, 12, 31), 1) == D(2100, 1, 1)  # Friday
        assert cal.add_working_days(D(1990, 1, 1), 1) == D(1990, 1, 2)
        assert cal.add_working_days(D(2025, 1, 1), 10_000) > D(2063, 1, 1)


def test_manual_entries_apply_in_unknown_years():
    cal = WorkingCalendar({D(2031, 10, 1): "国庆节"}, {D(2031, 10, 11): "国庆节"}, [2025])
    with pytest.warns(UnknownYearWarning):
        assert not cal.is_working_day(D(2031, 10, 1))
    assert cal.is_working_day(D(2031, 10, 11))


def test_conflicting_entries_rejected():
    with pytest.raises(ValueError):
        WorkingCalendar([D(2025, 10, 1)], [D(2025, 10, 1)], [2025])


# ---------------------------------------------------------------- working hours


def test_working_hours_across_lunch(cal):
    # Monday 29 Sep 2025 (a working day).
    assert cal.add_working_hours(at(2025, 9, 29, 11), 2) == at(2025, 9, 29, 14, 30)
    assert cal.add_working_hours(at(2025, 9, 29, 8, 30), 3.5) == at(2025, 9, 29, 12)
    assert cal.add_working_hours(at(2025, 9, 29, 12, 30), 1) == at(2025, 9, 29, 14, 30)
    assert cal.add_working_hours(at(2025, 9, 29, 7), 7.5) == at(2025, 9, 29, 17, 30)
    assert cal.add_working_hours(at(2025, 9, 29, 8, 30), 0) == at(2025, 9, 29, 8, 30)


def test_working_hours_across_weekend_and_holiday(cal):
    # Friday 14 Nov 2025 16:30 + 2 h -> Monday 17 Nov 09:30.
    assert cal.add_working_hours(at(2025, 11, 14, 16, 30), 2) == at(2025, 11, 17, 9, 30)
    # Saturday evening counts from Monday morning.
    assert cal.add_working_hours(at(2025, 11, 15, 20), 1) == at(2025, 11, 17, 9, 30)
    # Tuesday 30 Sep 2025 16:00 + 2 h -> Thursday 9 Oct 09:00 (National Day in between).
    assert cal.add_working_hours(at(2025, 9, 30, 16), 2) == at(2025, 10, 9, 9)
    # Friday 10 Oct 17:00 + 1 h -> Saturday 11 Oct (make-up working day) 09:00.
    assert cal.add_working_hours(at(2025, 10, 10, 17), 1) == at(2025, 10, 11, 9)


def test_aware_inputs_in_other_zones_and_naive_inputs(cal):
    utc = dt.datetime(2025, 9, 29, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai
    result = cal.add_working_hours(utc, 2)
    assert result == at(2025, 9, 29, 14, 30)
    assert result.tzinfo is SHANGHAI
    assert cal.add_working_hours(dt.datetime(2025, 9, 29, 11), 2) == at(2025, 9, 29, 14, 30)
    assert cal.is_working_day(dt.datetime(2025, 9, 30, 17, tzinfo=UTC)) is False  # 1 Oct local


def test_working_seconds_between(cal):
    assert cal.working_seconds_between(at(2025, 9, 29, 11), at(2025, 9, 29, 14, 30)) == 7200
    assert cal.working_seconds_between(at(2025, 9, 29), at(2025, 9, 30)) == 7.5 * 3600
    assert cal.working_seconds_between(at(2025, 9, 30, 18), at(2025, 10, 9, 8)) == 0
    assert cal.working_seconds_between(at(2025, 10, 9), at(2025, 9, 29)) == 0
    week = cal.working_seconds_between(at(2025, 9, 29), at(2025, 10, 13))
    assert week == 5 * 7.5 * 3600  # 29, 30 Sep, 9, 10, 11 Oct


@pytest.mark.filterwarnings("ignore::fengqiao.workcal.calendar.UnknownYearWarning")
def test_working_seconds_consistent_with_add_working_hours(cal):
    rnd = random.Random(42)
    base = at(2025, 1, 1)
    for _ in range(2000):
        start = base + dt.timedelta(seconds=rnd.randint(0, 2 * 365 * 86400))
        hours = rnd.choice([0, 0.5, 1, 2, 7.5, 8, 24, 37.5, 100]) + rnd.random() * rnd.randint(0, 3)
        end = cal.add_working_hours(start, hours)
        assert end >= start
        assert abs(cal.working_seconds_between(start, end) - hours * 3600) < 1e-3
        if hours > 0:
            # The earliest such instant: a moment earlier is not yet enough.
            earlier = end - dt.timedelta(seconds=1)
            assert cal.working_seconds_between(start, earlier) < hours * 3600
    # Additivity: elapsed(a, c) = elapsed(a, b) + elapsed(b, c).
    for _ in range(500):
        a, b, c = sorted(base + dt.timedelta(seconds=rnd.randint(0, 400 * 86400)) for _ in range(3))
        ab = cal.working_seconds_between(a, b)
        bc = cal.working_seconds_between(b, c)
        assert abs(cal.working_seconds_between(a, c) - ab - bc) < 1e-6


def test_custom_office_hours():
    hours = OfficeHours(((dt.time(9), dt.time(12)), (dt.time(14), dt.time(18))))
    cal = WorkingCalendar([], [], [2025], office_hours=hours)
    assert hours.seconds_per_day == 7 * 3600
    assert cal.add_working_hours(at(2025, 9, 29, 11), 2) == at(2025, 9, 29, 15)
    assert cal.due_at(at(2025, 9, 29, 11), 1, "working_days") == at(2025, 9, 30, 18)
    with pytest.raises(ValueError):
        OfficeHours(((dt.time(12), dt.time(9)),))


# ---------------------------------------------------------------- due times


def test_due_at_units(cal):
    start = at(2025, 9, 30, 10)
    assert cal.due_at(start, 3, "working_days") == at(2025, 10, 11, 17, 30)
    assert cal.due_at(start, 3, "working_hours") == at(2025, 9, 30, 14, 30)
    assert cal.due_at(start, 24, "natural_hours") == at(2025, 10, 1, 10)
    # A matter received on a holiday: the count starts with the next day.
    assert cal.due_at(at(2025, 10, 3, 9), 1, "working_days") == at(2025, 10, 9, 17, 30)
    with pytest.raises(ValueError):
        cal.due_at(start, 1, "weeks")
    with pytest.raises(ValueError):
        cal.due_at(start, 1.5, "working_days")
    with pytest.raises(ValueError):
        cal.due_at(start, -1, "working_hours")


def test_pause_by_elapsed_and_add_seconds(cal):
    start = at(2025, 11, 3, 9)  # Monday
    due = cal.due_at(start, 5, "working_days")  # Monday 10 Nov 17:30
    assert due == at(2025, 11, 10, 17, 30)
    paused = at(2025, 11, 4, 9)
    remaining = cal.elapsed_seconds(paused, due, "working_days")
    resumed = at(2025, 11, 6, 9)  # two working days later
    assert cal.add_seconds(resumed, remaining, "working_days") == at(2025, 11, 12, 17, 30)
    assert cal.elapsed_seconds(start, at(2025, 11, 3, 12), "natural_hours") == 3 * 3600


def test_speed(cal):
    import time

    day = D(2025, 3, 3)
    start = at(2025, 3, 3, 10)
    t0 = time.perf_counter()
    for i in range(20_000):
        cal.add_working_days(day, 300 + i % 7)
        cal.due_at(start, 5, "working_days")
        cal.due_at(start, 2, "working_hours")
    per_call = (time.perf_counter() - t0) / 60_000
    assert per_call < 50e-6, per_call  # a few microseconds in practice
