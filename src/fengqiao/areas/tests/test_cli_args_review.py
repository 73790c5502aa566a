"""``fengqiao areas import`` from an outside probe: a division file whose name or parent code
holds NUL (or another control character), or a name longer than the column, is refused naming
the line, and nothing is written. SQLite stored the NUL; PostgreSQL ended in a traceback."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from fengqiao.areas.models import Area
from fengqiao.core.models import AuditRecord

pytestmark = pytest.mark.django_db

HEADER = "level,code,name,parent_code\n"
COUNTY = "339902"


def refused(path) -> str:
    with pytest.raises(CommandError) as exc:
        call_command("areas", "import", "--county", COUNTY, "--file", str(path), stdout=StringIO(), stderr=StringIO())
    message = str(exc.value)
    assert "\n" not in message and " / " in message, message
    zh, en = message.split(" / ", 1)
    assert re.search(r"[\u4e00-\u9fff]", zh) and re.search(r"[A-Za-z]{3}", en), message
    assert "\x00" not in message  # shown as a sign, never echoed raw
    return message


def write(tmp_path, text: str):
    path = tmp_path / "div.csv"
    path.write_bytes(text.encode("utf-8"))
    return path


def nothing_written():
    assert not Area.objects.filter(code__startswith=COUNTY).exists()
    assert not AuditRecord.objects.filter(action="import_areas", object_id=COUNTY).exists()


@pytest.mark.parametrize("row, line", [
    (f"county,{COUNTY},三门\x00县,331000\n", 2),  # the probe's file
    (f"county,{COUNTY},试验县,331000\ntownship,{COUNTY}001,东\x00镇,{COUNTY}\n", 3),
    (f"county,{COUNTY},试验县,331000\ntownship,{COUNTY}001,东\x07镇,{COUNTY}\n", 3),  # another control character
    (f"county,{COUNTY},试验县,331000\ntownship,{COUNTY}001,\"东\n镇\",{COUNTY}\n", 3),  # a line break in a name
    (f"county,{COUNTY},试验县,331000\ntownship,{COUNTY}001,东镇,{COUNTY}\x00\n", 3),  # the parent code
])
def test_a_control_character_is_refused_naming_the_line(tmp_path, row, line):
    message = refused(write(tmp_path, HEADER + row))
    assert f"第 {line} 行" in message and f"line {line}" in message
    nothing_written()


def test_a_name_longer_than_the_column_is_refused(tmp_path):
    long_name = "长" * (Area._meta.get_field("name").max_length + 1)
    message = refused(write(tmp_path, HEADER + f"county,{COUNTY},试验县,331000\nvillage,{COUNTY}001001,{long_name},"
                                                 f"{COUNTY}001\ntownship,{COUNTY}001,东镇,{COUNTY}\n"))
    assert "第 3 行" in message and "line 3" in message and "100" in message
    assert long_name not in message
    nothing_written()


def test_a_clean_file_still_imports(tmp_path):
    call_command("areas", "import", "--county", COUNTY, "--file",
                 str(write(tmp_path, HEADER + f"county,{COUNTY},试验县,331000\ntownship,{COUNTY}001,东镇,{COUNTY}\n")),
                 stdout=StringIO(), stderr=StringIO())
    assert Area.objects.get(code=f"{COUNTY}001").name == "东镇"
