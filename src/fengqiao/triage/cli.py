"""The logic of ``manage.py triage train|evaluate|duplicates`` as plain functions.

Each ``run_*`` takes an ``argparse.Namespace`` (or any object with the same attributes), writes
its output to ``out`` (stdout by default) and raises :class:`TriageInputError` (one line, in
Chinese and English) for input a user can get wrong. No Django imports here: the management
command turns :class:`TriageInputError` into ``CommandError``.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import TextIO

import numpy as np

from . import classifier, dedupe
from .datasets import DataError, read_table

__all__ = ["TriageInputError", "add_arguments", "run_duplicates", "run_evaluate", "run_train"]


class TriageInputError(ValueError):
    """Bad input from the user (missing file, missing column, empty data, bad model)."""


def _columns(value: str) -> list[str]:
    cols = [c.strip() for c in (value or "").split(",") if c.strip()]
    if not cols:
        raise TriageInputError("--text 不能为空 / --text must name at least one column")
    return cols


def _column(value, option: str, *, required: bool = True) -> str | None:
    """One column named by ``option`` (``--label``, ``--id``, ``--time``), stripped as headers are."""
    name = (value or "").strip()
    if not name:
        if required:
            raise TriageInputError(f"{option} 不能为空 / {option} must name a column")
        return None
    return name


def _one_file(value, option: str = "--data") -> str:
    """The one file of a command that reads one (``argparse`` appends every ``--data``)."""
    files = value if isinstance(value, list) else [value]
    files = [f for f in files if f is not None]
    if len(files) != 1:
        raise TriageInputError(f"{option} 只能给一个文件 / give {option} once (got {len(files)})")
    if not str(files[0]).strip():
        raise TriageInputError(f"{option} 不能为空 / {option} must name a file")
    return files[0]


def refuse_directory(path, what_zh: str, what_en: str) -> None:
    """A :class:`TriageInputError` when ``path``, given as the file ``what_zh``/``what_en``, is a
    directory (said so, as :func:`fengqiao.core.sheets.read_file_bytes` says it, rather than
    "not found")."""
    if Path(path).is_dir():
        raise TriageInputError(f"{what_zh}是一个目录，不是文件: {path} / {what_en} is a directory, not a file: {path}")


def _print_json(result: dict, out) -> None:
    """One JSON object; Chinese kept as is where the output can hold it, escaped where it cannot
    (a console in ASCII or Latin-1 would fail on the first label)."""
    text = json.dumps(result, ensure_ascii=False)
    encoding = getattr(out, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        text = json.dumps(result)
    print(text, file=out)


#: folds of the confidence calibration: 0 (none, confidences uncalibrated) or 2 to this
MAX_CALIBRATION_FOLDS = 10


def _bilingual(parser_class):
    """``parser_class`` whose usage errors (a missing ``--model``, ``--threshold abc``) say in
    Chinese too that the arguments are wrong; argparse's own wording stays English."""

    class BilingualParser(parser_class):
        def error(self, message):
            super().error(f"参数有误 / invalid arguments: {message}")

    return BilingualParser


def add_arguments(parser):
    """Add the ``train``/``evaluate``/``duplicates`` subcommands to an argparse parser; return
    the subparsers (the management command adds its database subcommands to them)."""
    sub = parser.add_subparsers(dest="action", required=True, parser_class=_bilingual(type(parser)))
    p = sub.add_parser("train", help="train a category model from labelled CSV/XLSX files or the database")
    p.add_argument("--data", action="append", help="CSV or XLSX file (repeatable)")
    p.add_argument("--text", default="title,body", help="text columns, comma separated")
    p.add_argument("--label", default="label", help="label column")
    p.add_argument("--out", help="model file to write (.skops)")
    p.add_argument("--calibration-folds", type=int, default=3)
    p.add_argument("--from-db", action="store_true",
                   help="train on operator labels and closed matters; register a model version")
    p.add_argument("--activate", action="store_true", help="with --from-db: activate even if not better")
    p.add_argument("--if-due", action="store_true",
                   help="with --from-db: train only when enough matters were labelled or closed since the last "
                        "model trained from the database (FENGQIAO_TRIAGE_RETRAIN_MIN_NEW); what the worker runs "
                        "every night")
    p.add_argument("--json", action="store_true", help="with --from-db: print one JSON object")
    p = sub.add_parser("evaluate", help="evaluate a model on a labelled file")
    p.add_argument("--model", required=True)
    p.add_argument("--data", required=True, action="append", help="CSV or XLSX file (once)")
    p.add_argument("--text", default="title,body")
    p.add_argument("--label", default="label")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p = sub.add_parser("duplicates", help="group messages about the same matter")
    p.add_argument("--data", required=True, action="append", help="CSV or XLSX file (once)")
    p.add_argument("--text", default="title,body")
    p.add_argument("--id", default="id", help="id column")
    p.add_argument("--time", default=None, help="time column (default: 'time' when the file has one)")
    p.add_argument("--threshold", type=float, default=dedupe.GROUP_THRESHOLD)
    p.add_argument("--json", action="store_true")
    return sub


def _read(path, **kw):
    refuse_directory(path, "数据文件(--data)", "the data file (--data)")
    try:
        table = read_table(path, **kw)
    except DataError as exc:
        raise TriageInputError(str(exc)) from exc
    if table.skipped:  # never leave rows out silently
        why = {"empty_label": ("标签为空", "empty label"), "empty_text": ("文本为空", "empty text")}
        zh = "、".join(f"{why[k][0]} {n} 行" for k, n in table.skipped.items())
        en = ", ".join(f"{n} with {why[k][1]}" for k, n in table.skipped.items())
        print(f"跳过 {sum(table.skipped.values())} 行({zh})/ skipped {sum(table.skipped.values())} rows "
              f"({en}) in {path}; {len(table.texts)} used", file=sys.stderr)
    return table


def _check_writable(path: str) -> None:
    """Fail before a long training, not after it, when the model cannot be written."""
    target = Path(path)
    if target.is_dir() or str(path).endswith(("/", "\\")):
        raise TriageInputError(f"--out 是一个目录 / --out is a directory: {path}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        probe = target.with_name(target.name + ".tmp")
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise TriageInputError(f"无法写入模型文件 / cannot write the model file {path}: {exc}") from exc


def run_train(args, out: TextIO | None = None) -> classifier.CategoryModel:
    out = out or sys.stdout
    if not getattr(args, "data", None):
        raise TriageInputError("缺少 --data(或使用 --from-db)/ --data is required (or use --from-db)")
    if not getattr(args, "out", None):
        raise TriageInputError("缺少 --out / --out is required")
    _check_writable(args.out)
    cols = _columns(args.text)
    label = _column(args.label, "--label")
    folds = getattr(args, "calibration_folds", 3)
    if folds != 0 and not 2 <= folds <= MAX_CALIBRATION_FOLDS:
        raise TriageInputError(f"--calibration-folds 应为 0 或 2–{MAX_CALIBRATION_FOLDS} / --calibration-folds must "
                               f"be 0 (no calibration) or 2–{MAX_CALIBRATION_FOLDS}: {folds}")
    if folds == 0:
        print("未校准置信度,也不做交叉验证 / confidences left uncalibrated, no cross-validation figure",
              file=sys.stderr)
    texts, labels, pre, pre_labels, files = [], [], [], [], []
    for path in args.data:
        if not str(path).strip():
            raise TriageInputError("--data 不能为空 / --data must name a file")
        t = _read(path, text_columns=cols, label_column=label)
        if t.pretokenized:
            pre += t.texts
            pre_labels += t.labels
        else:
            texts += t.texts
            labels += t.labels
        files.append(
            {"file": Path(path).name, "rows": len(t.texts), "pretokenized": t.pretokenized}
        )
    if len(set(labels + pre_labels)) < 2:
        raise TriageInputError("至少需要两个类别 / need at least two distinct labels to train")
    print(f"训练中 / training on {len(texts)} raw + {len(pre)} segmented rows …", file=sys.stderr, flush=True)
    started = time.perf_counter()
    model = classifier.train(
        texts,
        labels,
        pretokenized=pre,
        pretokenized_labels=pre_labels,
        calibration_folds=folds,
        metadata={"files": files},
    )
    model.metadata["training"]["seconds"] = round(time.perf_counter() - started, 1)
    model.save(args.out)
    ev = model.metadata.get("evaluation", {})
    cv = f", CV macro-F1 {ev['cv_macro_f1']:.3f}" if ev.get("cv_macro_f1") is not None else ""
    print(
        f"trained {len(model.labels)} labels on {len(texts)} raw + {len(pre)} segmented rows"
        f"{cv}; saved to {args.out}",
        file=out,
    )
    return model


def _load_model(path) -> classifier.CategoryModel:
    try:
        return classifier.load(path)
    except classifier.UnsafeModelError as exc:
        raise TriageInputError(str(exc)) from exc
    except classifier.ModelFileError as exc:  # its messages are bilingual
        raise TriageInputError(str(exc)) from exc


def evaluate(model: classifier.CategoryModel, texts, labels, *, pretokenized=False) -> dict:
    """Accuracy, macro-F1, per-class figures and single-message latency."""
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

    lat = []
    pred = []
    for t in texts:
        s = time.perf_counter()
        if pretokenized:
            pred.append(model.predict_tokens([t])[0])
        else:
            pred.append(model.predict_top(t, k=1)[0][0])
        lat.append((time.perf_counter() - s) * 1000)
    # the classes in the data or among the answers: a class of the model that neither names has
    # no figures (0 there would read as "always wrong"). macro_f1 is the mean over exactly the
    # classes per_class lists (scikit-learn's default), so a reader can recompute it from them.
    names = sorted(set(labels) | set(pred))
    p, r, f, sup = precision_recall_fscore_support(labels, pred, labels=names, zero_division=0)
    return {
        "n": len(labels),
        "accuracy": round(float(accuracy_score(labels, pred)), 4),
        "macro_f1": round(float(f1_score(labels, pred, labels=names, average="macro", zero_division=0)), 4),
        "per_class": {
            n: {
                "precision": round(float(p[i]), 4),
                "recall": round(float(r[i]), 4),
                "f1": round(float(f[i]), 4),
                "support": int(sup[i]),
            }
            for i, n in enumerate(names)
        },
        "latency_ms": {
            "p50": round(float(np.percentile(lat, 50)), 3),
            "p99": round(float(np.percentile(lat, 99)), 3),
        },
    }


def run_evaluate(args, out: TextIO | None = None) -> dict:
    out = out or sys.stdout
    refuse_directory(args.model, "模型文件(--model)", "the model file (--model)")
    if not Path(args.model).is_file():
        raise TriageInputError(f"模型文件不存在 / model file not found: {args.model}")
    table = _read(_one_file(args.data), text_columns=_columns(args.text), label_column=_column(args.label, "--label"))
    model = _load_model(args.model)
    unknown = sorted(set(table.labels) - set(model.labels))
    if unknown:
        print(f"模型不认识的标签 / labels the model was not trained on (always wrong): {', '.join(unknown)}",
              file=sys.stderr)
    result = evaluate(model, table.texts, table.labels, pretokenized=table.pretokenized)
    if getattr(args, "json", False):
        _print_json(result, out)
    else:
        print(
            f"n={result['n']} accuracy={result['accuracy']:.4f} macro-F1={result['macro_f1']:.4f} "
            f"latency p50={result['latency_ms']['p50']}ms p99={result['latency_ms']['p99']}ms",
            file=out,
        )
        for name, m in result["per_class"].items():
            print(
                f"  {name}: P={m['precision']:.3f} R={m['recall']:.3f} F1={m['f1']:.3f} "
                f"n={m['support']}",
                file=out,
            )
    return result


def run_duplicates(args, out: TextIO | None = None) -> dict:
    out = out or sys.stdout
    cols = _columns(args.text)
    # of several text columns the first is the title: its words count double (dedupe.extract)
    title, body = (cols[0], cols[1:]) if len(cols) > 1 else (None, cols)
    threshold = getattr(args, "threshold", dedupe.GROUP_THRESHOLD)
    if not (isinstance(threshold, (int, float)) and 0 < threshold <= 1):  # NaN fails too
        raise TriageInputError(f"--threshold 应在 0 到 1 之间 / --threshold must lie in (0, 1]: {threshold}")
    asked_time = _column(getattr(args, "time", None), "--time", required=False)
    table = _read(
        _one_file(args.data),
        text_columns=body,
        title_column=title,
        id_column=_column(args.id, "--id"),
        time_column=asked_time or "time",
        require_time=asked_time is not None,
        allow_tokens=False,
    )
    ids = table.ids or []
    empty = [k for k, i in enumerate(ids) if not i]
    if empty:
        zh, en = table.where(empty[0])
        raise TriageInputError(f"id 列有 {len(empty)} 行为空(首个在{zh})/ column {args.id} is empty in "
                               f"{len(empty)} rows (the first is {en})")
    twice = [i for i, n in Counter(ids).items() if n > 1]
    if twice:
        raise TriageInputError(f"id 列有重复值 / column {args.id} has duplicate ids: {', '.join(twice[:5])}"
                               + (f" … ({len(twice)})" if len(twice) > 5 else ""))
    if table.times:
        unread = sum(1 for t in table.times if t and t.strip() and dedupe.parse_time(t) is None)
        if unread:
            print(f"{unread} 行时间无法识别,按无时间处理 / {unread} times could not be read and are ignored "
                  "(e.g. 2019-05-01 or 2019-05-01 12:30:00)", file=sys.stderr)
    records = [
        {
            "id": i,
            "text": t,
            "title": table.titles[k] if table.titles else "",
            "time": table.times[k] if table.times else None,
        }
        for k, (i, t) in enumerate(zip(ids, table.texts, strict=True))
    ]
    groups = dedupe.group(records, threshold=threshold)
    result = {"groups": groups}
    if getattr(args, "json", False):
        _print_json(result, out)
    else:
        print(f"{len(groups)} groups of repeated matters among {len(records)} messages", file=out)
        for g in groups:
            print("  " + ", ".join(g), file=out)
    return result
