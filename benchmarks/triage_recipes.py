"""Category classifier recipes compared by 5-fold CV on the training part (ADR 0107 protocol).

    python benchmarks/triage_recipes.py

Folds: `StratifiedKFold(5, shuffle=True, random_state=0)` over the 2,080 raw training rows of
the fixed split (the 521 held-out rows are not used for choosing). Each fold trains on its raw
rows plus the segmented extra rows, minus extra rows with TF-IDF cosine > 0.5 to a held-out or
validation message, and is scored on its raw validation rows; macro-F1 of the pooled
out-of-fold predictions, and per fold. Recipes (ADR 0109):

* the ADR 0108 recipe (no class weights, no neighbour votes);
* the ADR 0109 recipe (classes weighted to equal totals);
* the current recipe: that plus the votes of the nearest training rows in word TF-IDF space
  (ADR 0112).

Each recipe is also checked once on the held-out split. Last, a count of label
disagreements between near-copies (cosine ≥ 0.8), a measure of the labels' noise.
"""

from __future__ import annotations

import argparse
import os

for _v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_v] = "1"

import sys  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402

from benchmarks import _tipdm  # noqa: E402
from benchmarks._report import write_section  # noqa: E402
from fengqiao.triage import classifier  # noqa: E402
from fengqiao.triage.text import read_tokens, tokenize  # noqa: E402

RECIPES = {
    "adr0108": {"class_weight": None, "neighbours": 0},
    "adr0109": {"neighbours": 0},
    "current": {},
}


def run(args):
    """Train every recipe on one training set; probabilities for the texts to score."""
    texts, labels, extra_texts, extra_labels, eval_texts = args
    out = {}
    for name, kw in RECIPES.items():
        m = classifier.train(
            texts, labels, pretokenized=extra_texts, pretokenized_labels=extra_labels, **kw
        )
        out[name] = m.predict_proba(eval_texts)
        out["labels"] = m.labels
    return out


def label_noise(raw, extra) -> list[tuple[str, int, int]]:
    ew = [" ".join(read_tokens(t)) for t in extra.texts]
    rw = [" ".join(tokenize(t)) for t in raw.texts]
    vec = TfidfVectorizer(token_pattern=r"\S+", lowercase=False, sublinear_tf=True).fit(ew + rw)
    a, b = vec.transform(rw), vec.transform(ew)
    rows = []
    for name, sims, left, self_pairs in (
        ("raw message → nearest extra row", (a @ b.T).tocsr(), raw.labels, False),
        ("extra row → nearest other extra row", (b @ b.T).tocsr(), extra.labels, True),
    ):
        if self_pairs:
            sims.setdiag(0)
            sims.eliminate_zeros()
        pairs = differ = 0
        for i in range(sims.shape[0]):
            lo, hi = sims.indptr[i], sims.indptr[i + 1]
            if hi > lo and sims.data[lo:hi].max() >= 0.8:
                j = sims.indices[lo + int(np.argmax(sims.data[lo:hi]))]
                pairs += 1
                differ += extra.labels[j] != left[i]
        rows.append((name, pairs, differ))
    return rows


def main() -> None:
    argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args()
    started = time.perf_counter()
    split = _tipdm.load()
    if split is None:
        return
    raw, extra = split.raw, split.extra
    texts, labels = split.train_texts, split.train_labels
    held, held_labels = split.test_texts, split.test_labels
    folds = list(StratifiedKFold(5, shuffle=True, random_state=0).split(np.zeros(len(labels)), labels))
    jobs = []
    for a, b in folds:
        validation = [texts[i] for i in b]
        jobs.append((
            [texts[i] for i in a], [labels[i] for i in a],
            *split.extra_without(held + validation),
            validation,
        ))
    jobs.append((texts, labels, *split.extra_without(held), held))
    with ProcessPoolExecutor(2) as pool:
        outs = list(pool.map(run, jobs))
    names = outs[0]["labels"]
    k = len(names)
    scores = {n: np.zeros((len(labels), k)) for n in RECIPES}
    for (_, b), out in zip(folds, outs[:5], strict=True):
        for n in RECIPES:
            scores[n][b] = out[n]

    def f1(gold, s):
        return f1_score(gold, [names[i] for i in s.argmax(1)], average="macro")

    held_out = outs[5]
    held_f1 = {n: f1(held_labels, held_out[n]) for n in RECIPES}
    titles = {
        "adr0108": "ADR 0108 recipe (LinearSVC + NB-SVM folded, no class weights)",
        "adr0109": "ADR 0109 recipe: classes weighted to equal totals",
        "current": f"**current: + votes of the {classifier.NEIGHBOURS} nearest training rows** "
        f"(word TF-IDF cosine, log-shares + {classifier.VOTE_FLOOR} at weight "
        f"{classifier.VOTE_WEIGHT}; ADR 0112)",
    }
    lines = []
    for n, s in scores.items():
        per = " ".join(f"{f1([labels[i] for i in b], s[b]):.4f}" for _, b in folds)
        lines.append(f"| {titles[n]} | {f1(labels, s):.4f} | {per} | {held_f1[n]:.4f} |")
    noise = "\n".join(
        f"| {n} | {p} | {d} ({d / max(p, 1):.1%}) |" for n, p, d in label_noise(raw, extra)
    )
    body = f"""
5-fold CV on the {len(labels)} raw training rows of the fixed split (the {len(held)} held-out
rows only in the last column, trained on all {len(labels)} rows). Extra rows near a validation
or held-out message (cosine > 0.5) are dropped in each fold.

| recipe | CV macro-F1 | per fold | held-out macro-F1 |
|---|---|---|---|
{chr(10).join(lines)}

Label noise: near-copies (TF-IDF cosine ≥ 0.8) and how often they carry different labels.

| pair | pairs | different labels |
|---|---|---|
{noise}

Run time {time.perf_counter() - started:.0f} s.
"""
    print(body)
    write_section("triage-recipes", "Triage: classifier recipes (5-fold CV)", body)


if __name__ == "__main__":
    main()
