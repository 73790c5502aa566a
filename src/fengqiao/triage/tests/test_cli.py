from __future__ import annotations

import csv
import io
import json
from argparse import Namespace

import pytest

from fengqiao.triage import cli

from .conftest import synthetic_corpus


def _write_csv(path, header, rows):
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture
def labelled_csv(tmp_path):
    texts, labels = synthetic_corpus(25)
    rows = [(i, t[:6], t[6:], lab) for i, (t, lab) in enumerate(zip(texts, labels, strict=True))]
    return _write_csv(tmp_path / "train.csv", ["id", "title", "body", "label"], rows)


def test_train_evaluate_round_trip(labelled_csv, tmp_path):
    tok = _write_csv(
        tmp_path / "seg.csv", ["tokens", "label"], [("垃圾站 臭气熏天", "环境保护")] * 5
    )
    model_path = tmp_path / "model.skops"
    out = io.StringIO()
    cli.run_train(
        Namespace(
            data=[str(labelled_csv), str(tok)],
            text="title,body",
            label="label",
            out=str(model_path),
            calibration_folds=2,
        ),
        out=out,
    )
    assert "75 raw + 5 segmented" in out.getvalue()
    out = io.StringIO()
    cli.run_evaluate(
        Namespace(
            model=str(model_path),
            data=str(labelled_csv),
            text="title,body",
            label="label",
            json=True,
        ),
        out=out,
    )
    result = json.loads(out.getvalue())
    assert set(result) == {"n", "accuracy", "macro_f1", "per_class", "latency_ms"}
    assert result["n"] == 75
    assert result["macro_f1"] > 0.9
    assert set(result["per_class"]["交通运输"]) == {"precision", "recall", "f1", "support"}
    assert result["latency_ms"]["p99"] >= result["latency_ms"]["p50"] > 0


def test_duplicates_json(tmp_path):
    rows = [
        (10, "丽发新城搅拌站噪音", "丽发新城小区附近搅拌站噪音扰民，粉尘严重", "2019-11-01"),
        (11, "投诉搅拌站", "投诉丽发新城旁边的搅拌站，灰尘噪音污染", "2019-11-03"),
        (12, "公交晚点", "A3区的公交车晚点严重", "2019-11-03"),
    ]
    path = _write_csv(tmp_path / "m.csv", ["id", "title", "body", "time"], rows)
    out = io.StringIO()
    cli.run_duplicates(Namespace(data=str(path), text="title,body", id="id", json=True), out=out)
    assert json.loads(out.getvalue()) == {"groups": [["10", "11"]]}


def test_duplicates_reads_the_first_text_column_as_the_title(tmp_path, monkeypatch):
    """Title words count double in same-matter detection, so the command passes the first of
    several text columns as the title, and the rest as the text."""
    from fengqiao.triage import dedupe

    seen = []

    def capture(records, **kw):
        seen.extend(records)
        return []

    monkeypatch.setattr(dedupe, "group", capture)
    path = _write_csv(tmp_path / "m.csv", ["id", "title", "body", "extra"],
                      [(1, "丽发新城搅拌站 噪音", "附近搅拌站", "粉尘")])
    cli.run_duplicates(Namespace(data=str(path), text="title,body,extra", id="id", json=True),
                       out=io.StringIO())
    assert [(r["title"], r["text"]) for r in seen] == [("丽发新城搅拌站 噪音", "附近搅拌站 粉尘")]
    seen.clear()
    cli.run_duplicates(Namespace(data=str(path), text="body", id="id", json=True), out=io.StringIO())
    assert [(r["title"], r["text"]) for r in seen] == [("", "附近搅拌站")]


@pytest.mark.parametrize(
    "kind,match",
    [
        ("missing_file", "file not found"),
        ("missing_column", "missing column"),
        ("empty", "no data rows"),
        ("one_label", "two distinct labels"),
    ],
)
def test_train_bad_input(tmp_path, kind, match):
    path = tmp_path / "d.csv"
    if kind == "missing_column":
        _write_csv(path, ["title", "label"], [("标题", "a")])
    elif kind == "empty":
        _write_csv(path, ["title", "body", "label"], [])
    elif kind == "one_label":
        _write_csv(path, ["title", "body", "label"], [("公交", "晚点", "a"), ("地铁", "拥挤", "a")])
    args = Namespace(data=[str(path)], text="title,body", label="label", out=str(tmp_path / "m"))
    with pytest.raises(cli.TriageInputError, match=match) as exc:
        cli.run_train(args, out=io.StringIO())
    assert "\n" not in str(exc.value)


def test_evaluate_bad_model(tmp_path, labelled_csv):
    bad = tmp_path / "bad.skops"
    bad.write_bytes(b"junk")
    for model in (tmp_path / "nope.skops", bad):
        args = Namespace(
            model=str(model), data=str(labelled_csv), text="title,body", label="label", json=True
        )
        with pytest.raises(cli.TriageInputError):
            cli.run_evaluate(args, out=io.StringIO())


def test_duplicates_missing_id_column(tmp_path):
    path = _write_csv(tmp_path / "m.csv", ["title", "body"], [("a", "b")])
    with pytest.raises(cli.TriageInputError, match="missing column"):
        cli.run_duplicates(Namespace(data=str(path), text="title,body", id="id", json=True))


def test_management_command_maps_errors(tmp_path):
    pytest.importorskip("django")
    from django.core.management import CommandError, call_command

    try:
        import django

        django.setup()
    except Exception as exc:  # settings not importable in this checkout
        pytest.skip(f"Django not configured: {exc}")
    with pytest.raises(CommandError, match="file not found"):
        call_command("triage", "duplicates", "--data", str(tmp_path / "none.csv"), "--json")
    path = _write_csv(
        tmp_path / "m.csv", ["id", "title", "body"], [(1, "公交", "晚点"), (2, "地铁", "挤")]
    )
    out = io.StringIO()
    call_command("triage", "duplicates", "--data", str(path), "--json", stdout=out)
    assert json.loads(out.getvalue()) == {"groups": []}


def test_duplicates_missing_title_column(tmp_path):
    path = _write_csv(tmp_path / "m.csv", ["id", "body"], [(1, "b")])
    with pytest.raises(cli.TriageInputError, match="missing column.*title"):
        cli.run_duplicates(Namespace(data=str(path), text="title,body", id="id", json=True))
