"""read_table on the shared sheet reader (core.sheets.read_sheet): a ``tokens`` column is
pre-segmented text in CSV and Excel alike; blank and short rows; unreadable files stay a
one-line DataError in both languages."""

from __future__ import annotations

import openpyxl
import pytest

from fengqiao.triage.datasets import DataError, read_table


def test_a_tokens_column_is_pre_segmented_text_in_csv_and_excel(tmp_path):
    gbk = tmp_path / "seg.csv"
    gbk.write_bytes("tokens,label\n公交车 晚点 严重,交通运输\n\n学校 乱收费,教育文体\n".encode("gbk"))
    wb = openpyxl.Workbook()
    for row in (["tokens", "label"], ["公交车 晚点 严重", "交通运输"], [], ["学校 乱收费", "教育文体"]):
        wb.active.append(row)
    xlsx = tmp_path / "seg.xlsx"
    wb.save(xlsx)
    for path in (gbk, xlsx):
        t = read_table(path, label_column="label")
        assert t.pretokenized and t.texts == ["公交车 晚点 严重", "学校 乱收费"], path
        assert t.labels == ["交通运输", "教育文体"] and not t.skipped, path


def test_blank_lines_before_the_header_and_short_rows(tmp_path):
    path = tmp_path / "d.csv"
    # the header is the first row that is not blank; a row cut short has empty cells, not a KeyError
    path.write_text("\n\nid,title,body,label\n1,公交,晚点,交通运输\n2,学校\n", encoding="utf-8")
    t = read_table(path, id_column="id", label_column="label")
    assert t.ids == ["1"] and t.labels == ["交通运输"] and t.skipped == {"empty_label": 1}


@pytest.mark.parametrize("kind,words", [("missing", "file not found"), ("directory", "file not found"),
                                        ("encoding", "not UTF-8 or GB18030"), ("damaged", "Excel file"),
                                        ("blank", "no data rows")])
def test_unreadable_files_are_one_line_data_errors(tmp_path, kind, words):
    path = tmp_path / "d.csv"
    if kind == "directory":
        path.mkdir()
    elif kind == "encoding":
        path.write_bytes(b"\xff\xfe\x00\x00\x81")
    elif kind == "damaged":
        path.write_bytes(b"PK\x03\x04 not a workbook")
    elif kind == "blank":
        path.write_text("\n \n", encoding="utf-8")
    with pytest.raises(DataError, match=words) as exc:
        read_table(path)
    message = str(exc.value)
    assert "\n" not in message and str(path) in message and " / " in message
