"""What a black-box probe of the three file commands found: shifted CSV cells, empty or padded
column options, a second --data, a model path ending in a slash, option values out of range,
output to a console that is not UTF-8, the `python -m fengqiao` form, legacy .xls files, and
macro-F1 that is the mean of the per-class figures printed beside it."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from argparse import Namespace
from pathlib import Path

import pytest

from fengqiao.triage import classifier, cli
from fengqiao.triage.datasets import DataError, read_table

from .conftest import synthetic_corpus

HEADER = ("id", "title", "body", "label")


def _csv(path: Path, rows, header=HEADER) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    texts, labels = synthetic_corpus(n_per_label=20)
    path = tmp_path_factory.mktemp("m") / "m.skops"
    classifier.train(texts, labels, calibration_folds=0, neighbours=0).save(path)
    return path, texts, labels


def test_a_row_whose_cells_shifted_is_refused_with_its_number(tmp_path):
    path = tmp_path / "shift.csv"
    path.write_text("id,title,body,label\n1,路灯,路灯不亮,城乡建设\n2,路灯不亮,小区路灯坏了,很久没人修,城乡建设\n",
                    encoding="utf-8")
    with pytest.raises(DataError, match=r"row 3 has 5 cells but the header has 4"):
        read_table(path, label_column="label")
    # empty cells past the header (a trailing comma) are not a shift
    ok = tmp_path / "trailing.csv"
    ok.write_text("id,title,body,label\n1,路灯,路灯不亮,城乡建设,,\n", encoding="utf-8")
    assert read_table(ok, label_column="label").labels == ["城乡建设"]


@pytest.mark.parametrize("option", ["label", "id"])
def test_an_empty_column_option_is_a_message(tmp_path, model_file, option):
    data = _csv(tmp_path / "d.csv", [("1", "公交", "公交车晚点", "交通运输")])
    if option == "label":
        args = Namespace(model=str(model_file[0]), data=[str(data)], text="title,body", label="  ", json=True)
        with pytest.raises(cli.TriageInputError, match="--label must name a column"):
            cli.run_evaluate(args, out=io.StringIO())
    else:
        args = Namespace(data=[str(data)], text="title,body", id="", time=None, threshold=0.55, json=True)
        with pytest.raises(cli.TriageInputError, match="--id must name a column"):
            cli.run_duplicates(args, out=io.StringIO())


def test_column_options_are_stripped_like_headers(tmp_path, model_file):
    path, texts, labels = model_file
    data = _csv(tmp_path / "d.csv", [(str(i), "", t, lab) for i, (t, lab) in enumerate(zip(texts[:10], labels[:10], strict=True))])
    out = io.StringIO()
    cli.run_evaluate(Namespace(model=str(path), data=[str(data)], text="title,body", label=" label ", json=True), out=out)
    assert json.loads(out.getvalue())["n"] == 10


def test_a_second_data_file_is_refused_not_dropped(tmp_path, model_file):
    data = _csv(tmp_path / "d.csv", [("1", "公交", "公交车晚点", "交通运输")])
    args = Namespace(model=str(model_file[0]), data=[str(data), str(data)], text="title,body", label="label", json=True)
    with pytest.raises(cli.TriageInputError, match="give --data once"):
        cli.run_evaluate(args, out=io.StringIO())


def test_out_ending_in_a_slash_and_folds_out_of_range_are_refused(tmp_path):
    data = _csv(tmp_path / "d.csv", [("1", "公交", "公交车晚点", "交通运输"), ("2", "学校", "学校乱收费", "教育文体")])
    base = {"data": [str(data)], "text": "title,body", "label": "label", "calibration_folds": 3}
    with pytest.raises(cli.TriageInputError, match="--out is a directory"):
        cli.run_train(Namespace(**base, out=f"{tmp_path}/newdir/"), out=io.StringIO())
    assert not (tmp_path / "newdir").exists()
    for folds in (1, -1, 100):
        with pytest.raises(cli.TriageInputError, match="--calibration-folds must be 0"):
            cli.run_train(Namespace(**{**base, "calibration_folds": folds}, out=str(tmp_path / "m.skops")),
                          out=io.StringIO())


@pytest.mark.parametrize("threshold", [float("nan"), -1.0, 0.0, 1.5])
def test_a_threshold_out_of_range_is_refused(tmp_path, threshold):
    data = _csv(tmp_path / "d.csv", [("1", "公交", "公交车晚点", "交通运输")])
    args = Namespace(data=[str(data)], text="title,body", id="id", time=None, threshold=threshold, json=True)
    with pytest.raises(cli.TriageInputError, match="--threshold must lie in"):
        cli.run_duplicates(args, out=io.StringIO())


def test_a_time_column_asked_for_must_be_there(tmp_path):
    data = _csv(tmp_path / "d.csv", [("1", "公交", "公交车晚点", "交通运输")])
    args = Namespace(data=[str(data)], text="title,body", id="id", time="created_at", threshold=0.55, json=True)
    with pytest.raises(cli.TriageInputError, match="missing column.*created_at"):
        cli.run_duplicates(args, out=io.StringIO())
    out = io.StringIO()  # without --time, a file with no time column is fine
    cli.run_duplicates(Namespace(**{**vars(args), "time": None}), out=out)
    assert json.loads(out.getvalue()) == {"groups": []}


def test_macro_f1_is_the_mean_of_the_classes_listed(model_file):
    model = classifier.load(model_file[0])
    texts, labels = model_file[1], model_file[2]
    some = [i for i, lab in enumerate(labels) if lab in set(labels[:1])][:5] + [
        i for i, lab in enumerate(labels) if lab not in set(labels[:1])][:5]
    # label every text as the first class: the model's other answers are classes the file lacks
    got = cli.evaluate(model, [texts[i] for i in some], [labels[some[0]]] * len(some))
    f1s = [c["f1"] for c in got["per_class"].values()]
    assert got["macro_f1"] == pytest.approx(sum(f1s) / len(f1s), abs=1e-3)


class _Ascii(io.StringIO):
    encoding = "ascii"


def test_json_survives_a_console_that_is_not_utf8(tmp_path):
    data = _csv(tmp_path / "d.csv", [("编号一", "公交", "公交车晚点严重", "交通运输"),
                                     ("编号二", "公交", "公交车晚点严重啊", "交通运输")])
    out = _Ascii()
    cli.run_duplicates(Namespace(data=[str(data)], text="title,body", id="id", time=None, threshold=0.55, json=True),
                       out=out)
    text = out.getvalue()
    text.encode("ascii")
    assert json.loads(text) == {"groups": [["编号一", "编号二"]]}


def test_a_legacy_xls_file_is_named_as_such(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    with pytest.raises(DataError, match=r"legacy Excel \(\.xls\)"):
        read_table(path, label_column="label")
    named = _csv(tmp_path / "plain.xlsx", [("1", "公交", "公交车晚点", "交通运输")])  # a CSV named .xlsx
    assert read_table(named, label_column="label").labels == ["交通运输"]


def test_python_dash_m_fengqiao_runs_the_commands(tmp_path):
    data = _csv(tmp_path / "d.csv", [("1", "公交", "公交车晚点严重", "交通运输")])
    env = {**os.environ, "FENGQIAO_VAR_DIR": str(tmp_path / "var")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run([sys.executable, "-m", "fengqiao", "triage", "duplicates", "--data", str(data), "--json"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"groups": []}
