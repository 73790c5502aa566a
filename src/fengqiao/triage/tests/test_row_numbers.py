"""Messages about one row of a data file name the row a spreadsheet shows (blank rows count, a
multi-line cell is one row) and, below a multi-line cell, the text line it starts on."""

from __future__ import annotations

import io
from argparse import Namespace

import pytest

from fengqiao.triage import cli
from fengqiao.triage.datasets import read_table

# row 1 header, row 2 blank, row 3 a body over three text lines (lines 3-5), row 4 blank (line 6),
# row 5 the row with no id (text line 7), row 6 another
HOT = (
    "id,title,body\n"
    "\n"
    '1,丽发新城搅拌站,"噪音大\n夜里施工\n粉尘多"\n'
    ",,\n"
    ",小区门口烧烤,噪音扰民\n"
    "3,公交晚点,等了一小时\n"
)


def test_an_empty_id_is_named_by_its_spreadsheet_row_and_text_line(tmp_path):
    path = tmp_path / "hot.csv"
    path.write_text(HOT, encoding="utf-8")
    with pytest.raises(cli.TriageInputError) as exc:
        cli.run_duplicates(Namespace(data=str(path), text="title,body", id="id", json=True), out=io.StringIO())
    message = str(exc.value)
    assert "column id is empty in 1 rows (the first is row 5 (starts on text line 7))" in message
    assert "首个在第 5 行(文本第 7 行起)" in message


def test_the_table_carries_row_numbers_aligned_with_the_kept_rows(tmp_path):
    path = tmp_path / "labelled.csv"
    path.write_text(
        "title,body,label\n"
        "\n"
        '公交,"晚点\n严重",交通运输\n'  # row 3, text lines 3-4
        "学校,乱收费,\n"  # row 4: no label, left out
        "\n"
        "医院,排队太久,卫生健康\n",  # row 6, text line 7
        encoding="utf-8",
    )
    t = read_table(path, label_column="label")
    assert t.labels == ["交通运输", "卫生健康"]
    assert t.rows == [3, 6] and t.lines == [3, 7]
    assert t.where(0) == ("第 3 行", "row 3")
    assert t.where(1) == ("第 6 行(文本第 7 行起)", "row 6 (starts on text line 7)")


def test_excel_rows_are_numbered_as_excel_shows_them(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "title", "body"])
    ws.append([])  # row 2 left empty
    ws.append(["1", "公交", "晚点"])
    ws.append([None, "学校", "乱收费"])
    path = tmp_path / "hot.xlsx"
    wb.save(path)
    with pytest.raises(cli.TriageInputError, match=r"the first is row 4\)"):
        cli.run_duplicates(Namespace(data=str(path), text="title,body", id="id", json=True), out=io.StringIO())
