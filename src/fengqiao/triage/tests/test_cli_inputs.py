"""Files an acceptance or a county brings that the commands read (GB18030, tab-separated, an
.xlsx named .csv, a very long cell) or refuse plainly (a repeated column, empty or repeated ids),
rows left out said out loud, and a model path checked before training."""

from __future__ import annotations

import csv
import io
import json
from argparse import Namespace

import pytest

from fengqiao.triage import cli
from fengqiao.triage.datasets import DataError, read_table

from .conftest import synthetic_corpus

ROWS = [("1", "公交", "公交车晚点严重", "交通运输"), ("2", "学校", "学校乱收费", "教育文体")]


def _text(rows, header=("id", "title", "body", "label"), sep=","):
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def test_gb18030_and_tab_separated_files_are_read(tmp_path):
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(_text(ROWS).encode("gb18030"))
    tsv = tmp_path / "rows.tsv"
    tsv.write_text(_text(ROWS, sep="\t"), encoding="utf-8")
    tabbed = tmp_path / "tabbed.csv"  # tab-separated under a .csv name
    tabbed.write_text(_text(ROWS, sep="\t"), encoding="utf-8")
    for path in (gbk, tsv, tabbed):
        t = read_table(path, text_columns=("title", "body"), label_column="label")
        assert t.labels == ["交通运输", "教育文体"] and "公交车晚点严重" in t.texts[0], path


def test_an_xlsx_named_csv_and_a_long_cell_are_read(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["title", "body", "label"])
    wb.active.append(["公交", "公交车晚点", "交通运输"])
    xlsx_named_csv = tmp_path / "book.csv"
    wb.save(xlsx_named_csv)
    assert read_table(xlsx_named_csv, label_column="label").labels == ["交通运输"]
    long = tmp_path / "long.csv"
    long.write_text(_text([("1", "长", "路" * 150_000, "交通运输")]), encoding="utf-8")
    assert len(read_table(long, label_column="label").texts[0]) > 150_000


def test_a_repeated_column_is_refused(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text(_text([("1", "a", "b", "", "x")], header=("id", "title", "body", "body", "label")), encoding="utf-8")
    with pytest.raises(DataError, match="duplicate column name.*body"):
        read_table(path, label_column="label")


def test_rows_left_out_are_counted_on_stderr(tmp_path, capsys):
    texts, labels = synthetic_corpus(10)
    rows = [(i, "", t, lab) for i, (t, lab) in enumerate(zip(texts, labels, strict=True))]
    rows += [(900, "", "", "交通运输"), (901, "", "有文本没标签", "")]
    path = tmp_path / "d.csv"
    path.write_text(_text(rows), encoding="utf-8")
    model = tmp_path / "m.skops"
    cli.run_train(Namespace(data=[str(path)], text="title,body", label="label", out=str(model), calibration_folds=2),
                  out=io.StringIO())
    err = capsys.readouterr().err
    assert "skipped 2 rows (1 with empty label, 1 with empty text)" in err and "跳过 2 行" in err
    out = io.StringIO()
    cli.run_evaluate(Namespace(model=str(model), data=str(path), text="title,body", label="label", json=True), out=out)
    result = json.loads(out.getvalue())
    assert result["n"] == len(texts) and "skipped 2 rows" in capsys.readouterr().err
    assert set(result["per_class"]) == set(labels)  # every class is in the data
    # a file of one class: the others get figures only when the model answered them
    one = tmp_path / "one.csv"
    first = labels[0]
    one.write_text(_text([r for r in rows if r[3] == first]), encoding="utf-8")
    out = io.StringIO()
    cli.run_evaluate(Namespace(model=str(model), data=str(one), text="title,body", label="label", json=True), out=out)
    per_class = json.loads(out.getvalue())["per_class"]
    from fengqiao.triage import classifier

    answered = {classifier.load(model).predict_top(t, k=1)[0][0] for t, lab in zip(texts, labels, strict=True)
                if lab == first}
    assert set(per_class) == {first} | answered and len(per_class) < len(set(labels))
    assert not list(tmp_path.glob("*.tmp"))


def test_an_unwritable_model_path_fails_before_training(tmp_path, monkeypatch):
    from fengqiao.triage import classifier

    monkeypatch.setattr(classifier, "train", lambda *a, **k: pytest.fail("trained before checking --out"))
    path = tmp_path / "d.csv"
    path.write_text(_text(ROWS), encoding="utf-8")
    (tmp_path / "adir").mkdir()
    with pytest.raises(cli.TriageInputError, match="--out is a directory"):
        cli.run_train(Namespace(data=[str(path)], text="title,body", label="label", out=str(tmp_path / "adir")),
                      out=io.StringIO())


@pytest.mark.parametrize("ids,match", [(["1", "", "3"], r"empty in 1 rows \(the first is row 3\)"),
                                       (["1", "2", "1"], "duplicate ids: 1")])
def test_empty_and_repeated_ids_are_named(tmp_path, ids, match):
    path = tmp_path / "hot.csv"
    path.write_text(_text([(i, "标题", "内容", "") for i in ids]), encoding="utf-8")
    with pytest.raises(cli.TriageInputError, match=match):
        cli.run_duplicates(Namespace(data=str(path), text="title,body", id="id", json=True), out=io.StringIO())


def test_unreadable_times_are_counted(tmp_path, capsys):
    path = tmp_path / "hot.csv"
    path.write_text(_text([("1", "丽发新城搅拌站", "噪音", "2019-05-01 10:00:00"), ("2", "丽发新城搅拌站", "粉尘", "昨天")],
                          header=("id", "title", "body", "time")), encoding="utf-8")
    cli.run_duplicates(Namespace(data=str(path), text="title,body", id="id", time="time", json=True), out=io.StringIO())
    assert "1 times could not be read" in capsys.readouterr().err


def test_usage_errors_say_so_in_chinese_too(capsys):
    import argparse

    parser = argparse.ArgumentParser(prog="fengqiao triage")
    cli.add_arguments(parser)
    with pytest.raises(SystemExit) as exc:
        parser.parse_args(["duplicates", "--data", "x.csv", "--threshold", "abc"])
    assert exc.value.code == 2
    assert "参数有误 / invalid arguments: argument --threshold" in capsys.readouterr().err
