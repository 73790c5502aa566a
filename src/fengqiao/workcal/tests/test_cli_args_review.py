"""``fengqiao calendar`` from an outside probe: a NUL (or another control character) in a
day's name is refused naming the line; a directory is said to be one; a database error that is
not a missing table is reported as what it is, not as "run migrate"."""

from __future__ import annotations

import re

import pytest
from django.core.management import CommandError
from django.db import DataError, OperationalError, ProgrammingError

from fengqiao.workcal import actions
from fengqiao.workcal.models import CalendarDay

from .test_workcal_db import _fresh_cache, run  # noqa: F401 (the runner, and its cache fixture, autouse)

pytestmark = pytest.mark.django_db


def refused(*args) -> str:
    with pytest.raises(CommandError) as exc:
        run(*args)
    message = str(exc.value)
    assert "\n" not in message and message.count(" / ") == 1, message
    zh, en = message.split(" / ")
    assert re.search(r"[\u4e00-\u9fff]", zh) and re.search(r"[A-Za-z]{3}", en), message
    assert "\x00" not in message
    return message


def write(tmp_path, text: str):
    path = tmp_path / "cal.csv"
    path.write_bytes(text.encode("utf-8"))
    return path


@pytest.mark.parametrize("name", ["元\x00旦", "元\x07旦", '"元\n旦"'])
def test_a_control_character_in_a_name_is_refused_naming_the_line(tmp_path, name):
    path = write(tmp_path, f"date,kind,name\n2027-01-01,holiday,{name}\n2027-01-02,holiday,元旦\n")
    message = refused("import", str(path))
    assert "第 2 行" in message and "line 2" in message
    assert "migrate" not in message
    assert not CalendarDay.objects.filter(date__year=2027).exists()


def test_a_name_longer_than_the_column_is_refused_not_cut(tmp_path):
    long_name = "节" * 65
    path = write(tmp_path, f"2027-01-01,holiday,元旦\n2027-10-01,holiday,{long_name}\n")
    message = refused("import", str(path))
    assert "第 2 行" in message and "line 2" in message and "64" in message
    assert not CalendarDay.objects.filter(date__year=2027).exists()


def test_set_refuses_a_nul_in_the_name_or_the_note():
    for option in ("--name", "--note"):
        message = refused("set", "2027-01-01", "holiday", option, "元\x00旦")
        assert "migrate" not in message
    assert not CalendarDay.objects.filter(date__year=2027).exists()


def test_set_day_refuses_a_nul_itself():
    from fengqiao.core.errors import UserError

    with pytest.raises(UserError):
        actions.set_day("2027-01-01", "holiday", "元\x00旦")


def test_a_directory_is_said_to_be_one(tmp_path):
    message = refused("import", str(tmp_path))
    assert "目录" in message and "directory" in message
    assert "不存在" not in message and "not found" not in message


def test_a_missing_file_is_still_not_found(tmp_path):
    message = refused("import", str(tmp_path / "nope.csv"))
    assert "不存在" in message


def _failing(exc):
    def fail(*args, **kwargs):
        raise exc
    return fail


@pytest.mark.parametrize("exc", [
    OperationalError("no such table: workcal_calendarday"),
    ProgrammingError('relation "workcal_calendarday" does not exist\nLINE 1: SELECT ...'),
])
def test_a_missing_table_asks_for_migrate(monkeypatch, exc):
    monkeypatch.setattr(actions, "seed_from_package", _failing(exc))
    message = refused("seed")
    assert "migrate" in message


def test_a_missing_table_is_known_by_its_sqlstate_in_any_language(monkeypatch):
    class Undefined(Exception):
        sqlstate = "42P01"

    exc = ProgrammingError('关系 "workcal_calendarday" 不存在')
    exc.__cause__ = Undefined()
    monkeypatch.setattr(actions, "seed_from_package", _failing(exc))
    assert "migrate" in refused("seed")


@pytest.mark.parametrize("exc", [
    DataError("value too long for type character varying(64)"),
    OperationalError("database is locked"),
])
def test_another_database_error_is_not_called_a_missing_table(monkeypatch, exc):
    monkeypatch.setattr(actions, "seed_from_package", _failing(exc))
    message = refused("seed")
    assert "migrate" not in message and "unavailable" not in message
    assert str(exc).splitlines()[0] in message
