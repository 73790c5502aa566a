"""``fengqiao areas import|grids`` from a review: every user error one bilingual line, counts
the codes can hold, no overlapping grid layouts, division files checked before writing."""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from fengqiao.areas import actions
from fengqiao.areas.models import Area, Level
from fengqiao.core.errors import UserError

pytestmark = pytest.mark.django_db

DEMO_CSV = Path(actions.__file__).resolve().parent.parent / "demo" / "data" / "sanmen_331022.csv"
HEADER = "level,code,name,parent_code\n"
# a small county of its own (339901): two towns, three villages
SMALL = HEADER + (
    "county,339901,试验县,3399\n"
    "township,339901001,东镇,339901\n"
    "township,339901002,西镇,339901\n"
    "village,339901001001,东一村,339901001\n"
    "village,339901001002,东二村,339901001\n"
    "village,339901002001,西一村,339901002\n"
)


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("areas", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def refused(*args) -> str:
    """The command's error: one line, Chinese / English."""
    with pytest.raises(CommandError) as exc:
        run(*args)
    message = str(exc.value)
    assert "\n" not in message and " / " in message, message
    zh, en = message.split(" / ", 1)
    assert re.search(r"[\u4e00-\u9fff]", zh) and re.search(r"[A-Za-z]{3}", en), message
    return message


def write(tmp_path, text: str, name: str = "div.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# ---------------------------------------------------------------------------- areas grids


@pytest.mark.parametrize("micro", ["-1", "100", "x"])
def test_grids_refuses_micro_counts_two_digits_cannot_hold(micro):
    before = Area.objects.filter(level=Level.MICROGRID).count()
    message = refused("grids", "--area", "331022001002", "--micro", micro)
    assert "--micro" in message or "micro-grids" in message
    assert Area.objects.filter(level=Level.MICROGRID).count() == before


@pytest.mark.parametrize("bounds", [("0", "3"), ("5", "4"), ("3", "1000"), ("-2", "3"), ("3", "x")])
def test_grids_refuses_bad_min_max(bounds):
    before = Area.objects.filter(level=Level.GRID).count()
    refused("grids", "--area", "331022001002", "--min", bounds[0], "--max", bounds[1])
    assert Area.objects.filter(level=Level.GRID).count() == before


def test_generate_grids_action_checks_the_counts_too():
    village = Area.objects.get(code="331022001002")
    for kwargs in ({"micro_per_grid": 100}, {"micro_per_grid": -1}, {"low": 0, "high": 0}, {"high": 1000}):
        with pytest.raises(UserError):
            actions.generate_grids(village, **kwargs)


def test_grids_with_another_layout_are_not_added_over_existing_ones():
    from shapely.geometry import shape

    village = Area.objects.get(code="331022001002")
    n = village.children.filter(level=Level.GRID).count()
    other = n + 2
    out, err = run("grids", "--area", village.code, "--min", str(other), "--max", str(other))
    assert "created 0 grids" in out
    assert village.code in err and "another layout" in err and "不同划分" in err
    grids = list(village.children.filter(level=Level.GRID))
    assert len(grids) == n
    vshape = shape(village.boundary)
    assert abs(sum(shape(g.boundary).area for g in grids) - vshape.area) < 1e-9  # still no overlap


def test_a_missing_grid_of_the_same_layout_is_filled_in():
    village = Area.objects.get(code="331022001003")
    grids = list(village.children.filter(level=Level.GRID).order_by("code"))
    last = grids[-1]
    boundary = last.boundary
    last.delete()
    counts = actions.generate_grids(village)  # the demo's layout: 3 to 8
    assert counts["grid"] == 1 and counts["skipped_villages"] == []
    assert Area.objects.get(code=last.code).boundary == boundary


def test_micro_grids_of_another_layout_are_not_added():
    grid = Area.objects.get(code="331022001001001")
    n = grid.children.count()
    assert n == 4  # the demo's micro-grids
    out, err = run("grids", "--area", grid.code, "--micro", "6")
    assert "0 micro-grids" in out and grid.code in err
    assert grid.children.count() == n


def test_grids_help_describes_the_options(capsys):
    text = _help(capsys, "areas", "grids")
    assert "--min" in text and "999" in text and "1-99" in text and "overlap" in text


# ---------------------------------------------------------------------------- areas import


def test_import_reads_a_gbk_file(tmp_path):
    path = write(tmp_path, DEMO_CSV.read_text(encoding="utf-8"), encoding="gbk")
    report = actions.import_divisions(path, "331022")
    assert sum(report.created.values()) == 0 and report.unchanged == 1 + 10 + 295


def test_import_of_a_directory_or_a_binary_file_is_a_user_error(tmp_path):
    message = refused("import", "--county", "331022", "--file", str(tmp_path))
    assert "directory" in message
    binary = tmp_path / "x.xlsx"
    binary.write_bytes(b"PK\x03\x04\xff\xfe\x00\x81" * 10)
    assert "GB18030" in refused("import", "--county", "331022", "--file", str(binary))


@pytest.mark.parametrize("county", ["33990", "3399010", "33990x", "\uff13\uff13\uff19\uff19\uff10\uff11", "", None])
def test_import_action_refuses_a_county_code_that_is_not_six_digits(tmp_path, county):
    """The rule was in the command alone: any other caller of the action got another error
    (no such county in the file) or, for None, a crash. Checked before the file is read."""
    path = write(tmp_path, SMALL)
    for where in (path, tmp_path / "missing.csv"):
        with pytest.raises(UserError) as exc:
            actions.import_divisions(where, county)
        assert exc.value.code == "bad_county_code" and exc.value.field == "county"
        assert exc.value.zh == f"区县代码应为6位数字: {county!r}"
        assert exc.value.en == f"the county code has 6 digits: {county!r}"
    assert not Area.objects.filter(code__startswith="3399").exists()


def test_import_command_reports_a_bad_county_code_in_both_languages(tmp_path):
    message = refused("import", "--county", "33990", "--file", str(write(tmp_path, SMALL)))
    assert message == "区县代码应为6位数字: '33990' / the county code has 6 digits: '33990'"


@pytest.mark.parametrize("center", ["nan,inf", "500,-300", "121,91", "inf,30"])
def test_import_refuses_a_centre_off_the_earth(tmp_path, center):
    path = write(tmp_path, SMALL)
    refused("import", "--county", "339901", "--file", str(path), "--center", center)
    assert not Area.objects.filter(code__startswith="339901").exists()


def test_import_with_a_good_centre(tmp_path):
    path = write(tmp_path, SMALL)
    out, _err = run("import", "--county", "339901", "--file", str(path), "--center=-70.5,-33.4")
    assert "created 1 county, 2 towns, 3 villages" in out
    county = Area.objects.get(code="339901")
    assert (county.center_lng, county.center_lat) == (-70.5, -33.4)


def test_rows_whose_parent_is_not_in_the_file_are_reported(tmp_path):
    text = SMALL + "village,339901003001,北一村,339901003\n" + "village,339901001003,东三村,339901001\n"
    path = write(tmp_path, text)
    out, _err = run("import", "--county", "339901", "--file", str(path))
    assert "created 1 county, 2 towns, 4 villages" in out
    assert "339901003001" in out and "line 8" in out and "上级不在文件中" in out
    assert not Area.objects.filter(code="339901003001").exists()
    assert Area.objects.filter(code="339901001003").exists()


def test_a_village_under_a_village_is_reported(tmp_path):
    path = write(tmp_path, SMALL + "village,339901001009,错村,339901001001\n")
    report = actions.import_divisions(path, "339901")
    assert report.orphans == ["line 8: 339901001009 (parent 339901001001)"]


@pytest.mark.parametrize(("row", "needle"), [
    ("village,339901001003,,339901001", "empty name"),
    ("village,33990100100,短码村,339901001", "invalid village code"),
    ("village,33990100100X,字母村,339901001", "invalid village code"),
    ("township,3399010010,长码镇,339901", "invalid township code"),
    ("villages,339901001003,复数村,339901001", "unknown level"),
    ("city,339901,试验市,33", "invalid city code"),
])
def test_bad_rows_refuse_the_whole_file(tmp_path, row, needle):
    path = write(tmp_path, SMALL + row + "\n")
    message = refused("import", "--county", "339901", "--file", str(path))
    assert needle in message and "line 8" in message and "第 8 行" in message
    assert not Area.objects.filter(code__startswith="339901").exists()


def test_a_code_listed_twice_with_different_names_names_both_lines(tmp_path):
    path = write(tmp_path, SMALL + "village,339901001001,东一新村,339901001\n")
    message = refused("import", "--county", "339901", "--file", str(path))
    assert "339901001001" in message and "line 5" in message and "line 8" in message
    assert "东一村" in message and "东一新村" in message
    assert not Area.objects.filter(code__startswith="339901").exists()


def test_a_row_repeated_as_it_is_is_imported_once(tmp_path):
    path = write(tmp_path, SMALL + "village,339901001001,东一村,339901001\n")
    report = actions.import_divisions(path, "339901")
    assert report.created == {"county": 1, "town": 2, "village": 3}


def test_other_counties_rows_are_not_checked(tmp_path):
    path = write(tmp_path, SMALL + "villages,3399020010019,别县的错行,\n")
    assert actions.import_divisions(path, "339901").created["village"] == 3


def test_import_help_describes_the_file(capsys):
    text = _help(capsys, "areas", "import")
    assert "GB18030" in text and "township" in text and "12" in text and "--center" in text


def _help(capsys, command: str, sub: str) -> str:
    from django.core.management import load_command_class

    parser = load_command_class("fengqiao.areas", command).create_parser("fengqiao", command)
    with pytest.raises(SystemExit):
        parser.parse_args([sub, "--help"])
    return capsys.readouterr().out
