"""Triage category classifier on the fixed TipDM held-out split, against a plain baseline.

    python benchmarks/triage_classifier.py

Split: 20 % of the 2,601 labelled raw messages (stratified, seed 42) held out; never used for
training or tuning. Training: the other 80 % plus the pre-segmented extra file, minus extra
rows whose TF-IDF cosine to any held-out message exceeds 0.5 (re-posts would leak labels).
Latency: one message at a time, one thread, raw text in → top-3 labels out.
"""

from __future__ import annotations

import argparse
import os

for _v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_v] = "1"

import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.metrics import accuracy_score, f1_score  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402

from benchmarks import _tipdm  # noqa: E402
from benchmarks._report import write_section  # noqa: E402
from fengqiao.triage import classifier  # noqa: E402
from fengqiao.triage.cli import evaluate  # noqa: E402
from fengqiao.triage.text import tokenize  # noqa: E402


def main() -> None:
    argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args()
    split = _tipdm.load()
    if split is None:
        return
    raw, extra = split.raw, split.extra
    tr_texts, tr_labels = split.train_texts, split.train_labels
    te_texts, te_labels = split.test_texts, split.test_labels
    ex_texts, ex_labels = split.extra_without(te_texts)

    # baseline: word TF-IDF (jieba) + LinearSVC on the raw training part only
    t0 = time.perf_counter()
    vec = TfidfVectorizer(token_pattern=r"\S+", lowercase=False)
    xb = vec.fit_transform([" ".join(tokenize(t)) for t in tr_texts])
    base = LinearSVC(C=1.0).fit(xb, tr_labels)
    pb = base.predict(vec.transform([" ".join(tokenize(t)) for t in te_texts]))
    base_f1 = f1_score(te_labels, pb, average="macro")
    base_acc = accuracy_score(te_labels, pb)
    # same baseline with the extra rows
    vec2 = TfidfVectorizer(token_pattern=r"\S+", lowercase=False)
    xb2 = vec2.fit_transform([" ".join(tokenize(t)) for t in tr_texts] + ex_texts)
    base2 = LinearSVC(C=1.0).fit(xb2, tr_labels + ex_labels)
    pb2 = base2.predict(vec2.transform([" ".join(tokenize(t)) for t in te_texts]))
    base2_f1 = f1_score(te_labels, pb2, average="macro")
    base2_acc = accuracy_score(te_labels, pb2)
    print(f"baseline {base_f1:.4f} / with extra {base2_f1:.4f} ({time.perf_counter() - t0:.0f}s)")

    # ablations: the same features without parts of the recipe (ADR 0107, 0109)
    ablations = []
    for name, kw in (
        (
            "LinearSVC alone (`nb_c=0`, no class weights)",
            {"nb_c": 0, "class_weight": None, "neighbours": 0, "calibration_folds": 0},
        ),
        (
            "LinearSVC + NB-SVM folded into one linear model, no class weights (until ADR 0109)",
            {"class_weight": None, "neighbours": 0},
        ),
        (
            "… + classes weighted to equal totals, no neighbour votes (until ADR 0112)",
            {"neighbours": 0},
        ),
    ):
        m = classifier.train(
            tr_texts, tr_labels, pretokenized=ex_texts, pretokenized_labels=ex_labels, **kw
        )
        p = m.predict_many(te_texts)
        ablations.append(
            (name, f1_score(te_labels, p, average="macro"), accuracy_score(te_labels, p))
        )
        print(f"{name}: {ablations[-1][1]:.4f}", flush=True)
        del m

    t0 = time.perf_counter()
    model = classifier.train(
        tr_texts, tr_labels, pretokenized=ex_texts, pretokenized_labels=ex_labels
    )
    train_s = time.perf_counter() - t0
    path = Path(os.environ.get("TMPDIR", "/tmp")) / "triage_benchmark_model.skops"
    model.save(path)
    size_mb = path.stat().st_size / 1e6
    t0 = time.perf_counter()
    model = classifier.load(path)
    load_s = time.perf_counter() - t0
    for t in te_texts[:20]:  # warm-up
        model.predict_top(t)
    res = evaluate(model, te_texts, te_labels)
    # the same timing repeated 5 times, keeping each message's fastest run: on this shared
    # machine a single pass's p99 is mostly other processes' preemptions
    best = np.full(len(te_texts), np.inf)
    for _ in range(5):
        for i, t in enumerate(te_texts):
            s = time.perf_counter()
            model.predict_top(t)
            best[i] = min(best[i], (time.perf_counter() - s) * 1000)
    # top-3 accuracy and calibration (expected calibration error of the top label)
    probs = model.predict_proba(te_texts)
    order = np.argsort(-probs, axis=1)
    lab_idx = np.array([model.labels.index(y) for y in te_labels])
    top3 = float(np.mean([lab_idx[i] in order[i, :3] for i in range(len(lab_idx))]))
    conf = probs.max(1)
    correct = probs.argmax(1) == lab_idx
    bins = np.linspace(0, 1, 11)
    ece = 0.0
    for lo, hi in zip(bins[:-1], bins[1:], strict=True):
        m = (conf > lo) & (conf <= hi)
        if m.any():
            ece += m.mean() * abs(correct[m].mean() - conf[m].mean())
    # held-out messages with no near-duplicate among the training raw texts
    vec3 = TfidfVectorizer(token_pattern=r"\S+", lowercase=False, sublinear_tf=True)
    w_tr = [" ".join(tokenize(t)) for t in tr_texts]
    w_te = [" ".join(tokenize(t)) for t in te_texts]
    vec3.fit(w_tr + w_te)
    sim = (vec3.transform(w_te) @ vec3.transform(w_tr).T).max(axis=1).toarray().ravel()
    novel = sim <= 0.5
    pred = [model.labels[i] for i in probs.argmax(1)]
    novel_f1 = f1_score(
        [y for y, n in zip(te_labels, novel, strict=True) if n],
        [p for p, n in zip(pred, novel, strict=True) if n],
        average="macro",
    )

    ablation_rows = "\n".join(f"| {n} | {f:.4f} | {a:.4f} |" for n, f, a in ablations)
    rows = "\n".join(
        f"| {name} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['support']} |"
        for name, m in res["per_class"].items()
    )
    body = f"""
Held-out split: {len(te_texts)} of {len(raw.texts)} labelled raw TipDM messages (stratified, seed 42),
never used for training or tuning. Training: {len(tr_texts)} raw messages + {len(ex_texts)} of
{len(extra.texts)} pre-segmented extra rows ({len(extra.texts) - len(ex_texts)} dropped as near
copies of held-out messages). Hyper-parameters were chosen by 5-fold CV on the training part.

| model | macro-F1 | accuracy |
|---|---|---|
| baseline: jieba word TF-IDF + LinearSVC, raw rows only | {base_f1:.4f} | {base_acc:.4f} |
| baseline + segmented extra rows | {base2_f1:.4f} | {base2_acc:.4f} |
{ablation_rows}
| **triage classifier** (LinearSVC + NB-SVM folded into one linear model, classes weighted to equal totals, temperature softmax, votes of the {classifier.NEIGHBOURS} nearest training rows) | **{res["macro_f1"]:.4f}** | **{res["accuracy"]:.4f}** |

Features of all rows but the baselines: words of the first {classifier.WORD_CHARS} characters
(HMM {"on" if classifier.WORD_HMM else "off"}) and character 1–3-grams of the first
{classifier.MAX_CHARS}.

- Held-out messages without a near-duplicate (cosine ≤ 0.5) in the training raw texts
  ({int(novel.sum())} of {len(te_texts)}): macro-F1 {novel_f1:.4f}.
- Top-3 accuracy {top3:.4f}; expected calibration error of the top label {ece:.4f}
  (temperatures {model.temperature:.2f} and, with the votes, {model.vote_temperature:.2f},
  fitted on 3-fold out-of-fold scores).
- CV macro-F1 on the training part (the model's own 3-fold out-of-fold scores over raw and
  extra rows): {model.metadata["evaluation"].get("cv_macro_f1", 0):.4f}. The recipe search
  (5-fold CV, and the format-1 model this replaced) is in `docs/adr/0107-classifier-recipe.md`;
  its figures are not re-run here.
- Latency per single message (raw text → top-3, one at a time, one thread):
  p50 {res["latency_ms"]["p50"]:.2f} ms, p99 {res["latency_ms"]["p99"]:.2f} ms
  (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores when measured); best of 5
  passes per message: p50 {np.percentile(best, 50):.2f} ms, p99 {np.percentile(best, 99):.2f} ms.
- Word segmentation: {model.metadata["params"]["word"].get("segmenter", "jieba")}, dictionary
  only. Training {train_s:.0f} s; model file {size_mb:.1f} MB; load {load_s:.1f} s.

| class | precision | recall | F1 | support |
|---|---|---|---|---|
{rows}
"""
    print(body)
    write_section("triage-classifier", "Triage: category classifier", body)


if __name__ == "__main__":
    main()
