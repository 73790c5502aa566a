"""The one reader of CSV and Excel files handed in (core.sheets.read_sheet) that the matter
import and the triage commands share: encodings, Excel, blank rows and row numbers."""

from __future__ import annotations

import csv
import datetime as dt

import openpyxl
import pytest

from fengqiao.core.errors import UserError
from fengqiao.core.sheets import read_sheet

HEADER = ["工单编号", "诉求标题", "受理时间"]


def cells(rows):
    return [(r.number, r.line, r.cells) for r in rows]


def test_a_utf8_csv_with_or_without_bom(tmp_path):
    text = "工单编号,诉求标题,受理时间\nGD1, 楼道堆物 ,2025-10-01 08:00\n"
    for name, encoding in (("bom.csv", "utf-8-sig"), ("plain.csv", "utf-8")):
        path = tmp_path / name
        path.write_text(text, encoding=encoding)
        header, rows = read_sheet(path)
        assert header == HEADER, name  # no BOM glued to the first column's name
        assert cells(rows) == [(2, 2, ["GD1", "楼道堆物", "2025-10-01 08:00"])], name  # cells stripped


def test_a_gbk_csv_as_excel_on_chinese_windows_saves_it(tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes("工单编号,诉求标题,受理时间\nGD1,噪音扰民,2025-10-01\n".encode("gbk"))
    header, rows = read_sheet(path)
    assert header == HEADER and rows[0].cells == ["GD1", "噪音扰民", "2025-10-01"]


def test_a_tab_separated_file(tmp_path):
    path = tmp_path / "rows.tsv"
    path.write_text("工单编号\t诉求标题\nGD1\t有逗号, 也是一格\n", encoding="utf-8")
    header, rows = read_sheet(path)
    assert header == ["工单编号", "诉求标题"] and rows[0].cells == ["GD1", "有逗号, 也是一格"]


def test_blank_rows_are_left_out_but_keep_their_numbers(tmp_path):
    path = tmp_path / "blank.csv"
    # a blank line and a row of empty cells before the header, between rows and at the end
    path.write_text("\n,,\n工单编号,诉求标题\nGD1,一\n\n , \nGD2,二\n\n", encoding="utf-8")
    header, rows = read_sheet(path)
    assert header == ["工单编号", "诉求标题"]  # the first row that is not blank
    assert cells(rows) == [(4, 4, ["GD1", "一"]), (7, 7, ["GD2", "二"])]


def test_a_multi_line_cell_gives_the_text_line_the_record_starts_on(tmp_path):
    path = tmp_path / "multi.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerows([["工单编号", "诉求内容"], ["GD1", "第一行\n第二行\n第三行"], ["GD2", "一行"]])
    _header, rows = read_sheet(path)
    assert cells(rows) == [(2, 2, ["GD1", "第一行\n第二行\n第三行"]), (3, 5, ["GD2", "一行"])]


def test_an_xlsx_file_also_named_csv_keeps_excels_row_numbers(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append(["GD1", " 楼道堆物 ", dt.datetime(2025, 10, 1, 8, 30)])
    ws.append([])  # a blank row: row 3 stays empty
    ws.append([None, "  ", None])  # only spaces: blank too
    ws.append([20251001, "数字编号", dt.date(2025, 10, 2)])
    wb.create_sheet("其他").append(["not", "this", "sheet"])
    for name in ("orders.xlsx", "orders.csv"):  # an .xlsx saved under a .csv name is still Excel
        path = tmp_path / name
        wb.save(path)
        header, rows = read_sheet(path)
        assert header == HEADER, name
        assert cells(rows) == [(2, 0, ["GD1", "楼道堆物", "2025-10-01 08:30:00"]),
                               (5, 0, ["20251001", "数字编号", "2025-10-02 00:00:00"])], name


def test_a_file_with_nothing_in_it_gives_no_header(tmp_path):
    for name, body in (("empty.csv", b""), ("blank.csv", b"\n , \n\n")):
        path = tmp_path / name
        path.write_bytes(body)
        assert read_sheet(path) == ([], []), name


def test_files_that_cannot_be_read_are_bilingual_user_errors(tmp_path):
    bad_text = tmp_path / "bin.csv"
    bad_text.write_bytes(b"\xff\xfe\x00\x00\x81")
    damaged = tmp_path / "damaged.xlsx"
    damaged.write_bytes(b"PK\x03\x04 not really a workbook")
    for path, code in ((tmp_path / "nope.csv", "file_not_found"), (tmp_path, "not_a_file"),
                       (bad_text, "bad_encoding"), (damaged, "bad_file")):
        with pytest.raises(UserError) as exc:
            read_sheet(path)
        assert exc.value.code == code, path
        assert exc.value.zh != exc.value.en and str(path) in exc.value.zh and str(path) in exc.value.en


def test_a_malformed_csv_names_the_text_line(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("工单编号,诉求内容\nGD1,短\nGD2," + "长" * 50 + "\n", encoding="utf-8")
    limit = csv.field_size_limit(20)
    try:
        with pytest.raises(UserError) as exc:
            read_sheet(path)
    finally:
        csv.field_size_limit(limit)
    assert exc.value.code == "bad_file" and "text line 3" in exc.value.en and "文本第 3 行" in exc.value.zh
