"""Database tests of the working calendar (工作日历): seeding, edits, cache, command, admin."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from fengqiao.core.errors import UserError
from fengqiao.workcal import actions, services
from fengqiao.workcal.calendar import SHANGHAI, UnknownYearWarning
from fengqiao.workcal.models import CalendarDay, CalendarYear
from fengqiao.workcal.seed import package_calendar, package_days, package_years

D = dt.date

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    services.clear_calendar_cache()
    yield
    services.clear_calendar_cache()


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("calendar", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# ---------------------------------------------------------------- loading


def test_empty_tables_fall_back_to_package():
    assert not CalendarDay.objects.exists()
    cal = services.get_calendar()
    assert cal is package_calendar()
    assert cal.add_working_days(D(2025, 9, 30), 3) == D(2025, 10, 11)
    assert services.add_working_days(D(2025, 9, 30), 3) == D(2025, 10, 11)


def test_seed_is_idempotent():
    first = actions.seed_from_package()
    assert first.days_created == len(package_days())
    assert first.years_created == list(package_years())
    assert CalendarDay.objects.count() == len(package_days())
    assert CalendarYear.objects.filter(complete=True, source="seed").count() == len(package_years())
    second = actions.seed_from_package()
    assert second.days_created == 0 and second.years_created == []
    assert second.years_skipped == len(package_years())
    assert CalendarDay.objects.count() == len(package_days())
    national = CalendarDay.objects.get(date=D(2025, 10, 1))
    assert (national.kind, national.name, national.source) == ("holiday", "国庆节", "seed")


def test_seeded_calendar_matches_package():
    actions.seed_from_package()
    cal = services.get_calendar()
    assert cal is not package_calendar()
    assert cal.known_years == package_calendar().known_years
    assert cal.add_working_days(D(2025, 9, 30), 3) == D(2025, 10, 11)
    assert cal.is_working_day(D(2025, 1, 26)) and cal.is_working_day(D(2025, 2, 8))
    assert not cal.is_working_day(D(2025, 1, 28))
    assert services.get_calendar() is cal  # cached


def test_manual_override_changes_the_result():
    actions.seed_from_package()
    assert services.add_working_days(D(2025, 9, 30), 3) == D(2025, 10, 11)
    # Suppose 9 October 2025 were declared a day off.
    day = actions.set_day("2025-10-09", "holiday", "测试假日", note="test")
    assert day.source == "manual"
    assert services.add_working_days(D(2025, 9, 30), 3) == D(2025, 10, 13)
    # And the make-up Saturday were cancelled.
    actions.remove_day(D(2025, 10, 11))
    assert services.add_working_days(D(2025, 9, 30), 3) == D(2025, 10, 14)
    actions.remove_day("2025-10-09")
    actions.set_day(D(2025, 10, 11), "班", "国庆节")
    assert services.add_working_days(D(2025, 9, 30), 3) == D(2025, 10, 11)


def test_rolled_back_edit_does_not_stay_in_the_cache():
    from django.db import transaction

    actions.seed_from_package()
    assert services.add_working_days(D(2025, 9, 30), 1) == D(2025, 10, 9)
    with pytest.raises(RuntimeError), transaction.atomic():
        actions.set_day("2025-10-09", "holiday", "回滚")
        assert services.add_working_days(D(2025, 9, 30), 1) == D(2025, 10, 10)
        raise RuntimeError("roll back")
    assert services.add_working_days(D(2025, 9, 30), 1) == D(2025, 10, 9)


def test_change_made_elsewhere_is_picked_up():
    actions.seed_from_package()
    cal = services.get_calendar()
    # A write that bypasses this process's signals (another worker, raw update).
    CalendarDay.objects.filter(date=D(2025, 10, 8)).update(
        kind="workday", updated_at=dt.datetime.now(dt.UTC)
    )
    assert services.get_calendar() is not cal
    assert services.get_calendar().is_working_day(D(2025, 10, 8))


def test_first_manual_edit_seeds_the_package_years():
    actions.set_day("2031-10-01", "holiday", "国庆节")
    assert CalendarDay.objects.filter(source="seed").count() == len(package_days())
    cal = services.get_calendar()
    assert cal.add_working_days(D(2025, 9, 30), 3) == D(2025, 10, 11)
    with pytest.warns(UnknownYearWarning):
        assert not cal.is_working_day(D(2031, 10, 1))
    actions.mark_year_complete(2031)
    cal = services.get_calendar()
    assert cal.is_year_known(2031)


def test_unknown_year_falls_back_without_crash():
    cal = services.get_calendar()
    with pytest.warns(UnknownYearWarning, match="2031"):
        due = cal.due_at(dt.datetime(2031, 1, 3, 10, tzinfo=SHANGHAI), 1, "working_days")
    assert due == dt.datetime(2031, 1, 6, 17, 30, tzinfo=SHANGHAI)
    assert 2031 in cal.unknown_years_used


def test_bad_input_is_a_user_error():
    with pytest.raises(UserError) as exc:
        actions.set_day("2025-13-01", "holiday")
    assert "日期" in exc.value.zh and "date" in exc.value.en
    with pytest.raises(UserError) as exc:
        actions.set_day("2025-10-01", "vacation")
    assert exc.value.code == "bad_kind"
    with pytest.raises(UserError):
        actions.remove_day("2025-10-20")  # a plain Monday, nothing to remove
    assert not CalendarDay.objects.exists()  # nothing half-written


def test_edit_is_audited():
    from fengqiao.core.models import AuditRecord

    actions.set_day("2027-10-01", "holiday", "国庆节")
    assert AuditRecord.objects.filter(action="workcal.set_day").count() == 1
    assert AuditRecord.objects.filter(action="workcal.seed").count() == 1


# ---------------------------------------------------------------- command


def test_command_add_working_days_on_unseeded_database():
    out, err = run("add-working-days", "2025-09-30", "3")
    assert out == "2025-10-11\n"
    assert err == ""
    assert not CalendarDay.objects.exists()


def test_command_add_working_days_unknown_year_notes_on_stderr():
    out, err = run("add-working-days", "2031-01-03", "1")
    assert out == "2031-01-06\n"
    assert "2031" in err and "周一至周五" in err


@pytest.mark.parametrize(
    "args",
    [
        ("add-working-days", "2025-02-30", "3"),
        ("add-working-days", "yesterday", "3"),
        ("add-working-days", "2025-09-30", "three"),
        ("add-working-days", "2025-09-30", "-1"),
        ("set", "2025-10-01", "vacation"),
        ("set", "not-a-date", "holiday"),
        ("remove", "2025-10-20"),
        ("show", "next"),
    ],
)
def test_command_bad_input_is_a_bilingual_command_error(args):
    """One line, ``中文 / English`` as every command's error (fengqiao.core.cli); it was
    ``中文 (English)`` here alone."""
    with pytest.raises(CommandError) as exc:
        run(*args)
    message = str(exc.value)
    assert "\n" not in message and " / " in message, message
    zh, en = message.split(" / ", 1)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh), message  # Chinese
    assert sum("a" <= ch.lower() <= "z" for ch in en) >= 3, message  # English


def test_command_seed_set_show_remove():
    out, _ = run("seed")
    assert f"{len(package_days())} days" in out
    out, _ = run("seed")
    assert "seeded 0 days" in out
    out, _ = run("set", "2025-10-09", "holiday", "--name", "测试")
    assert out.strip() == "2025-10-09 holiday 测试"
    assert run("add-working-days", "2025-09-30", "3")[0] == "2025-10-13\n"
    out, _ = run("show", "2025")
    assert "2025: holiday arrangement entered" in out
    assert "2025-10-01" in out and "国庆节" in out and "2025-10-09" in out
    out, _ = run("remove", "2025-10-09")
    assert "2025-10-09" in out
    assert run("add-working-days", "2025-09-30", "3")[0] == "2025-10-11\n"


def test_command_show_unknown_year():
    out, _ = run("show", "2031")
    assert "NOT entered" in out and "Monday–Friday" in out and "周一至周五" in out


def test_command_import_csv(tmp_path):
    path = tmp_path / "2031.csv"
    path.write_text(
        "date,kind,name\n2031-10-01,holiday,国庆节\n2031-10-02,休,国庆节\n2031/9/28,班,国庆节\n",
        encoding="utf-8-sig",
    )
    out, _ = run("import", str(path), "--complete")
    assert "imported 3 new" in out
    assert CalendarYear.objects.get(year=2031).complete
    cal = services.get_calendar()
    assert cal.is_year_known(2031)
    assert not cal.is_working_day(D(2031, 10, 2))
    assert cal.is_working_day(D(2031, 9, 28))  # a Sunday
    out, _ = run("import", str(path))
    assert "3 unchanged" in out


def test_command_import_rejects_bad_file_and_writes_nothing(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("2031-10-01,holiday,国庆节\n2031-10-32,holiday,国庆节\n", encoding="utf-8")
    with pytest.raises(CommandError, match="line 2"):
        run("import", str(path))
    with pytest.raises(CommandError, match="file not found"):
        run("import", str(tmp_path / "missing.csv"))
    assert not CalendarDay.objects.exists()


def test_command_import_reads_gbk_and_refuses_years_out_of_range(tmp_path):
    """From a review: a GBK file (Excel on a Chinese Windows) was refused as not UTF-8, and a
    day in year 0001 or 9999 was imported (only `--complete` checked the year)."""
    path = tmp_path / "gbk.csv"
    path.write_bytes("date,kind,name\n2031-10-01,holiday,国庆节\n".encode("gbk"))
    out, _ = run("import", str(path))
    assert "imported 1 new" in out
    before = CalendarDay.objects.count()
    for year in ("0001", "1850", "9999"):
        far = tmp_path / f"{year}.csv"
        far.write_text(f"date,kind,name\n{year}-01-01,holiday,x\n", encoding="utf-8")
        with pytest.raises(CommandError, match="line 2.*1900"):
            run("import", str(far))
    assert CalendarDay.objects.count() == before  # nothing of the refused files was written
    assert CalendarDay.objects.get(date=D(2031, 10, 1)).name == "国庆节"


# ---------------------------------------------------------------- admin


@pytest.mark.filterwarnings("ignore::fengqiao.workcal.calendar.UnknownYearWarning")
def test_admin_pages(admin_client):
    actions.seed_from_package()
    assert admin_client.get("/admin/workcal/calendarday/?year=2025&kind=holiday").status_code == 200
    assert admin_client.get("/admin/workcal/calendarday/?q=国庆").status_code == 200
    assert admin_client.get("/admin/workcal/calendaryear/").status_code == 200
    response = admin_client.post(
        "/admin/workcal/calendarday/add/",
        {"date": "2027-10-01", "kind": "holiday", "name": "国庆节", "note": ""},
    )
    assert response.status_code == 302, response.content[:2000]
    day = CalendarDay.objects.get(date=D(2027, 10, 1))
    assert day.source == "manual"
    assert not services.get_calendar().is_working_day(D(2027, 10, 1))


def test_a_date_object_outside_the_years_is_refused_too():
    """The admin's form hands set_day a date object, which skipped the 1900–2999 check."""
    from fengqiao.core.errors import UserError

    with pytest.raises(UserError) as exc:
        actions.set_day(D(1, 1, 1), "holiday", name="x")
    assert exc.value.code == "bad_year"
    assert not CalendarDay.objects.filter(date=D(1, 1, 1)).exists()
