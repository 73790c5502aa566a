"""Bulk import, from a review: who may import, no tracebacks, no rows dropped silently, row
numbers as a spreadsheet shows them, bilingual summaries, described sub-commands."""

from __future__ import annotations

import json

import openpyxl
import pytest
from django.core.management import call_command, load_command_class

from fengqiao.accounts.models import User
from fengqiao.events.models import Event
from fengqiao.events.tests.test_import import GOOD, HEADERS, MAPPING, run, write_csv

pytestmark = pytest.mark.django_db

H = ",".join(HEADERS)


def row(ref: str, content: str = "楼下烧烤店夜间噪音扰民", when: str = "2025-10-01 21:15:00") -> list[str]:
    return [ref, "噪音", content, "噪音扰民", "12345热线", "海游街道心湖社区", "李四", "13900001111", when, "已办结"]


def csv_line(cells: list[str]) -> str:
    return ",".join(cells)


def bilingual(text: str) -> bool:
    """One line with Chinese, then ' / ', then English."""
    zh, sep, en = text.partition(" / ")
    return ("\n" not in text and bool(sep) and any("\u4e00" <= ch <= "\u9fff" for ch in zh)
            and any(ch.isascii() and ch.isalpha() for ch in en))


def refs(prefix: str) -> set[str]:
    return set(Event.objects.filter(channel_ref__startswith=prefix).values_list("channel_ref", flat=True))


# 1. --user -------------------------------------------------------------------------------------

@pytest.mark.parametrize("username", ["auditor", "admin", "leader", "mediator"])
def test_a_user_who_may_not_take_in_matters_may_not_import(tmp_path, username):
    f = write_csv(tmp_path / "o.csv", [row("RV1-1")])
    out, err = run("import", f, "--mapping", MAPPING, "--user", username)
    assert err is not None and bilingual(str(err)), str(err)
    assert username in str(err) and "may not take in matters" in str(err)
    assert not refs("RV1-")


def test_an_intake_role_may_import(tmp_path):
    f = write_csv(tmp_path / "o.csv", [row("RV1-2")])
    out, err = run("import", f, "--mapping", MAPPING, "--user", "town_haiyou")
    assert err is None, err
    assert Event.objects.get(channel_ref="RV1-2").created_by.username == "town_haiyou"


def test_unknown_and_inactive_users_are_refused_in_both_languages(tmp_path):
    f = write_csv(tmp_path / "o.csv", [row("RV1-3")])
    _out, err = run("import", f, "--mapping", MAPPING, "--user", "nobody")
    assert err is not None and bilingual(str(err)) and "nobody" in str(err) and "no such user" in str(err)
    User.objects.filter(username="county_op2").update(is_active=False)
    _out, err2 = run("import", f, "--mapping", MAPPING, "--user", "county_op2")
    assert err2 is not None and bilingual(str(err2)) and "inactive" in str(err2)
    assert str(err2) != str(err)
    assert not refs("RV1-")


# 2. tracebacks ---------------------------------------------------------------------------------

def test_missing_file_and_directory_are_user_errors(tmp_path):
    for path, words in ((tmp_path / "nope.csv", "no such file"), (tmp_path, "directory")):
        _out, err = run("import", str(path), "--mapping", MAPPING, "--dry-run")
        assert err is not None and bilingual(str(err)) and words in str(err), err


@pytest.mark.parametrize("mapping", [
    [],
    "text",
    {"channel": "hotline_12345", "columns": {"工单编号": "channel_ref", "诉求内容": "content"}, "values": []},
    {"channel": "hotline_12345", "columns": {"工单编号": "channel_ref", "诉求内容": "content"},
     "values": {"state": ["x"]}},
    {"channel": "hotline_12345", "columns": {"工单编号": "channel_ref", "诉求内容": ["content"]}},
    {"channel": "hotline_12345", "columns": {"工单编号": "channel_ref", "诉求内容": "content"},
     "datetime_formats": "%Y"},
    {"columns": {"工单编号": "channel_ref", "诉求内容": "content"}},
    {"channel": "hotline_12345", "columns": {"诉求内容": "content"}},
], ids=["list", "string", "values-list", "value-map-list", "column-to-list", "formats-string", "no-channel",
        "no-order-number"])
def test_a_mapping_of_the_wrong_shape_is_a_user_error(tmp_path, mapping):
    m = tmp_path / "m.json"
    m.write_text(json.dumps(mapping, ensure_ascii=False), encoding="utf-8")
    f = write_csv(tmp_path / "o.csv", [row("RV2-1")])
    _out, err = run("import", f, "--mapping", str(m), "--dry-run")
    assert err is not None and bilingual(str(err)), err


@pytest.mark.parametrize("dry_run", [True, False])
def test_a_nul_byte_is_a_row_error_naming_row_and_column(tmp_path, dry_run):
    """On PostgreSQL a NUL in text was a DataError (a traceback), even with --dry-run."""
    f = tmp_path / "nul.csv"
    bad = row("RV2-3", "内容\x00含空字符")
    f.write_text(f"{H}\n{csv_line(row('RV2-2'))}\n{csv_line(bad)}\n", encoding="utf-8")
    out, err = run("import", str(f), "--mapping", MAPPING, *(["--dry-run"] if dry_run else []))
    assert err is not None and bilingual(str(err))
    assert any(line.startswith("row 3, 诉求内容:") and "NUL" in line for line in out.splitlines()), out
    assert not refs("RV2-")


# 3. rows dropped silently ----------------------------------------------------------------------

def test_the_same_order_number_twice_with_different_content_is_a_row_error(tmp_path):
    f = write_csv(tmp_path / "o.csv", [row("RV3-1"), row("RV3-1", "另一件事: 物业不修电梯")])
    out, err = run("import", f, "--mapping", MAPPING)
    assert err is not None
    line = next(x for x in out.splitlines() if x.startswith("row 3, 工单编号:"))
    assert "RV3-1" in line and "row 2" in line and "第 2 行" in line, line
    assert not refs("RV3-")


def test_an_identical_repeated_row_is_skipped_and_counted(tmp_path):
    f = write_csv(tmp_path / "o.csv", [row("RV3-2"), row("RV3-2")])
    out, err = run("import", f, "--mapping", MAPPING)
    assert err is None, out
    assert "1 new" in out and "1 repeated rows skipped" in out
    assert refs("RV3-") == {"RV3-2"}


def test_an_order_number_longer_than_the_stored_limit_is_refused_not_cut(tmp_path):
    a, b = "RV3-" + "A" * 60 + "-1", "RV3-" + "A" * 60 + "-2"  # 66 characters, the same first 64
    f = write_csv(tmp_path / "o.csv", [row(a), row(b), row("RV3-" + "B" * 60)])  # the last is 64: fine
    out, err = run("import", f, "--mapping", MAPPING)
    assert err is not None
    lines = out.splitlines()
    assert any(x.startswith("row 2, 工单编号:") and "64" in x for x in lines), out
    assert any(x.startswith("row 3, 工单编号:") and "64" in x for x in lines), out
    assert not any(x.startswith("row 4") for x in lines)
    assert not refs("RV3-")


# 4. row numbers --------------------------------------------------------------------------------

def test_rows_are_numbered_as_a_spreadsheet_shows_them(tmp_path):
    f = tmp_path / "blank.csv"
    first, second = row("RV4-1"), row("RV4-2", when="2026-02-30 10:00")
    f.write_text(f"{H}\n{csv_line(first)}\n\n{csv_line(second)}\n", encoding="utf-8")
    out, err = run("import", str(f), "--mapping", MAPPING, "--dry-run")
    assert err is not None
    assert any(x.startswith("row 4, 受理时间:") for x in out.splitlines()), out


def test_after_a_multi_line_cell_the_text_line_is_given_too(tmp_path):
    f = tmp_path / "multi.csv"
    first, second = row("RV4-3", '"第一行\n第二行\n第三行"'), row("RV4-4", when="昨天")
    f.write_text(f"{H}\n{csv_line(first)}\n{csv_line(second)}\n", encoding="utf-8")
    out, err = run("import", str(f), "--mapping", MAPPING, "--dry-run")
    assert err is not None
    line = next(x for x in out.splitlines() if x.startswith("row 3"))
    assert "text line 5" in line and "受理时间" in line, line


def test_excel_rows_keep_their_numbers_across_blank_rows(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADERS)
    ws.append(row("RV4-5"))
    ws.append([])
    ws.append(row("RV4-6", when="昨天"))
    path = tmp_path / "o.xlsx"
    wb.save(path)
    out, err = run("import", str(path), "--mapping", MAPPING, "--dry-run")
    assert err is not None
    assert any(x.startswith("row 4, 受理时间:") for x in out.splitlines()), out


# 5. summaries ----------------------------------------------------------------------------------

def test_the_summary_and_the_final_error_are_bilingual(tmp_path):
    f = write_csv(tmp_path / "o.csv", [row("RV5-1", when="昨天")])
    out, err = run("import", f, "--mapping", MAPPING)
    assert err is not None and bilingual(str(err)) and "nothing was imported" in str(err)
    assert bilingual(out.splitlines()[-1]), out
    assert all(bilingual(x.split(": ", 1)[1]) for x in out.splitlines() if x.startswith("row "))


@pytest.mark.parametrize("body", [f"{H}\n", f"{H}\n\n,,,\n"], ids=["header-only", "header-and-blank-rows"])
def test_a_file_with_a_header_and_no_rows_is_an_error(tmp_path, body):
    f = tmp_path / "h.csv"
    f.write_text(body, encoding="utf-8")
    for extra in ([], ["--dry-run"]):
        _out, err = run("import", str(f), "--mapping", MAPPING, *extra)
        assert err is not None and bilingual(str(err)) and "no data rows" in str(err), err


def test_a_good_import_summary_is_bilingual(tmp_path):
    out, err = run("import", write_csv(tmp_path / "o.csv", GOOD), "--mapping", MAPPING)
    assert err is None and "3 new" in out and "新建 3" in out and "committed" in out


# 6. --help -------------------------------------------------------------------------------------

def test_every_sub_command_and_option_is_described():
    parser = load_command_class("fengqiao.events", "events").create_parser("fengqiao", "events")
    subs = next(a for a in parser._actions if a.dest == "what").choices
    assert set(subs) == {"import", "seed", "demo"}
    assert "docs/events.md" in subs["import"].description
    for name, sub in subs.items():
        assert sub.description, name
        for action in sub._actions:
            assert action.help, (name, action.dest)


def test_import_help_prints_the_description(capsys):
    with pytest.raises(SystemExit):
        call_command("events", "import", "--help")
    out = capsys.readouterr().out
    assert "docs/events.md" in out and "--mapping" in out and "all or nothing" in out


# 6. Excel time cells formatted "General" ------------------------------------------------------

def test_an_excel_time_cell_holding_its_serial_number_is_read_as_that_time(tmp_path):
    """A 受理时间 cell whose format was set to General holds Excel's serial number (days since
    1899-12-30); Excel shows it as a number, and the importer reads it as the time it is."""
    import datetime as dt

    from fengqiao.workcal.calendar import SHANGHAI

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADERS)
    general = row("RV6-1")
    general[HEADERS.index("受理时间")] = 45931.885416666664  # 2025-10-01 21:15:00
    ws.append(general)
    dated = row("RV6-2")
    dated[HEADERS.index("受理时间")] = dt.datetime(2025, 10, 2, 8, 30)  # a date-formatted cell
    ws.append(dated)
    path = tmp_path / "serial.xlsx"
    wb.save(path)
    out, err = run("import", str(path), "--mapping", MAPPING)
    assert err is None, out
    got = {e.channel_ref: e.received_at.astimezone(SHANGHAI) for e in Event.objects.filter(channel_ref__startswith="RV6-")}
    assert got["RV6-1"] == dt.datetime(2025, 10, 1, 21, 15, tzinfo=SHANGHAI)
    assert got["RV6-2"] == dt.datetime(2025, 10, 2, 8, 30, tzinfo=SHANGHAI)


@pytest.mark.parametrize("value", ["45931.885416666664", "1700000000", "12"])
def test_a_number_is_not_a_time_in_a_csv_nor_outside_the_serial_range(tmp_path, value):
    f = write_csv(tmp_path / "n.csv", [row("RV6-3", when=value)])
    out, err = run("import", f, "--mapping", MAPPING, "--dry-run")
    assert err is not None and "受理时间" in out
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADERS)
    cells = row("RV6-4")
    cells[HEADERS.index("受理时间")] = float(value)
    ws.append(cells)
    path = tmp_path / "n.xlsx"
    wb.save(path)
    out, err = run("import", str(path), "--mapping", MAPPING, "--dry-run")
    if value.startswith("45931"):
        assert err is None, out  # in an Excel row it is the serial number of a time
    else:
        assert err is not None and "受理时间" in out  # far outside 1950–2099
