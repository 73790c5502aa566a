"""Same-matter grouping on the TipDM hot messages against hand-labelled pairs.

    python benchmarks/triage_duplicates.py

Labels: tests/data/triage_dup_pairs.csv (id_a, id_b, same, drawn), judged by reading the messages;
``drawn`` says how a pair was chosen (docs/triage.md), and figures are given for all pairs and for
those drawn at random from the index's candidates.
A pair counts as predicted "same" when both ids end in the same group. Compared with MinHash
(128 permutations) over character 3-grams with LSH banding and connected components.

Also: the segmentation the index uses (``text.tokenize`` with the HMM, on rjieba) against
jieba's own HMM cut on the same messages (time, and messages whose words differ at all or in
their Chinese words), and the feature extraction of the worst texts intake accepts: a content
of 20,000 digits or letters, one run of name characters with no name suffix in it; and the
query cost of an index of 4,326, 100,000 and 1,000,000 messages (``at_scale``: about 3 minutes
and 6 GB of memory).

    python benchmarks/triage_duplicates.py --compare REV [REV …]

scores ``dedupe.py`` as it was at each git revision (its own defaults) on today's labels, and
for each revision against the one before it counts the co-grouped pairs gained and lost by
label (the *Triage: same-matter detection by version* section; ADR 0110 quotes it).
"""

from __future__ import annotations

import argparse
import csv
import gc
import itertools
import math
import os
import random
import re
import subprocess
import sys
import time
import types
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks._report import SHARED_DATA, write_section  # noqa: E402
from fengqiao.triage import dedupe, text  # noqa: E402

PAIRS = ROOT / "tests" / "data" / "triage_dup_pairs.csv"
AUDIT = ROOT / "tests" / "data" / "triage_dup_audit.csv"


def pair_metrics(groups, labels):
    g = {i: k for k, m in enumerate(groups) for i in m}
    tp = sum(1 for a, b, y in labels if y and a in g and g.get(a) == g.get(b))
    fp = sum(1 for a, b, y in labels if not y and a in g and g.get(a) == g.get(b))
    pos = sum(y for *_, y in labels)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / pos if pos else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def minhash_groups(rows, *, perms=128, bands=32, threshold=0.5, seed=1):
    rng = np.random.default_rng(seed)
    prime = (1 << 61) - 1
    a = rng.integers(1, prime, perms, dtype=np.uint64)
    b = rng.integers(0, prime, perms, dtype=np.uint64)
    sigs = {}
    for r in rows:
        s = text.compact(r["title"] + r["body"])
        # crc32, not hash(): str hashes change from run to run (PYTHONHASHSEED)
        grams = {zlib.crc32(s[i : i + 3].encode()) for i in range(max(1, len(s) - 2))}
        x = np.array(sorted(grams), dtype=np.uint64)[:, None]
        sigs[r["id"]] = ((x * a + b) % np.uint64(prime)).min(axis=0)
    per = perms // bands
    buckets = {}
    for i, sig in sigs.items():
        for k in range(bands):
            buckets.setdefault((k, sig[k * per : (k + 1) * per].tobytes()), []).append(i)
    parent = {i: i for i in sigs}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for ids in buckets.values():
        for j in ids[1:]:
            if np.mean(sigs[ids[0]] == sigs[j]) >= threshold:
                parent[find(j)] = find(ids[0])
    comp = {}
    for i in sigs:
        comp.setdefault(find(i), []).append(i)
    return [m for m in comp.values() if len(m) > 1]


def segmentation(rows) -> dict:
    """rjieba (what ``tokenize`` runs) against jieba, both with the HMM, on every message."""
    texts = [text.normalize(r["title"] + " " + r["body"]) for r in rows]
    jieba_cut = text.tokenizer().lcut
    jieba_cut(texts[0], HMM=True)  # dictionaries loaded before timing
    text.tokenize(texts[0])
    t0 = time.perf_counter()
    theirs = [[w for w in jieba_cut(t, HMM=True) if text._TOKEN_KEEP.search(w)] for t in texts]
    jieba_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    ours = [text.tokenize(t) for t in texts]
    ours_s = time.perf_counter() - t0
    han = re.compile(r"[\u4e00-\u9fff]")

    def chinese(words):
        return [w for w in words if han.search(w)]

    return {
        "segmenter": text.segmenter(),
        "jieba_s": jieba_s,
        "ours_s": ours_s,
        "differ": sum(a != b for a, b in zip(theirs, ours, strict=True)),
        "differ_chinese": sum(chinese(a) != chinese(b) for a, b in zip(theirs, ours, strict=True)),
    }


def worst_case_ms() -> dict:
    """Milliseconds to extract the features of a 20,000-character run without a name suffix."""
    out = {}
    for name, content in (("digits", "0" * 20000), ("letters", "ab1" * 6666 + "ab")):
        t0 = time.perf_counter()
        dedupe.extract(content, title="测试")
        out[name] = (time.perf_counter() - t0) * 1000
    return out


def _rss_mb() -> float:
    """Resident memory of this process now (Linux /proc), in MB."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def at_scale(rows, n: int, queries: int = 1000) -> dict:
    """Query cost when the index holds ``n`` messages. The index is filled with replicas of the
    hot messages' features whose names (entity keys) are made distinct per replica, as a large
    county has many estates and companies, with times spread over three years; the queries are
    real messages, their features extracted at query time as at intake."""
    base = [dedupe.extract(r["body"], title=r["title"], time=r["time"]) for r in rows]
    rng = random.Random(7)
    gc.collect()
    rss0 = _rss_mb()
    index = dedupe.Index()
    t0 = time.perf_counter()
    for i in range(n):
        f = base[i % len(base)]
        rep = i // len(base)
        names = f.entities if rep == 0 else {f"{e}{rep}" for e in f.entities}
        index.add_features(i, dedupe.Features(f.keywords, names, f.places, rng.uniform(6200, 7300)))
    add_s = time.perf_counter() - t0
    lat, found = [], 0
    for r in rows[:queries]:
        t0 = time.perf_counter()
        hits = index.query(r["body"], title=r["title"], time=r["time"], limit=10, min_score=0.3)
        lat.append((time.perf_counter() - t0) * 1000)
        found += bool(hits)
    return {
        "n": n,
        "add_us": add_s / n * 1e6,
        "p50": float(np.percentile(lat, 50)),
        "p99": float(np.percentile(lat, 99)),
        "found": found,
        "queries": len(lat),
        "rss_mb": _rss_mb() - rss0,
    }


#: the revision whose grouping the audit sample was drawn from (its scoring, fixed in 3dd2dd5)
AUDIT_REV = "3dd2dd5"


def _wilson(k: int, n: int) -> tuple[float, float, float]:
    """Share and 95 % interval (Wilson) of ``k`` in ``n``."""
    if not n:
        return 0.0, 0.0, 1.0
    z = 1.96
    centre = (k + z * z / 2) / (n + z * z)
    half = z * math.sqrt(k * (n - k) / n + z * z / 4) / (n + z * z)
    return k / n, centre - half, centre + half


def audit(rows, groups) -> dict | None:
    """The audit sample (``tests/data/triage_dup_audit.csv``): pairs drawn at random, after the
    scoring of :data:`AUDIT_REV` was fixed, from the pairs its grouping put together
    (``grouped``) and from those its index scored ≥ 0.3 but kept apart (``apart``), labelled by
    reading.

    A later grouping is judged on the same sample, split four ways: grouped then and still
    together (``still``), grouped then and apart now (``dropped``), apart then and together now
    (``joined``), apart then and now (``apart``). Its pair precision comes from the ``still`` and
    ``joined`` pairs, each weighted by the size of its part of the population; the share of the
    scored repeats it holds from all four. Pairs it puts together that were in neither
    population (scored under 0.3 then) are counted (``outside``), not judged. With 95 %
    intervals (Wilson) for each part."""
    if not AUDIT.exists():
        return None
    with AUDIT.open(encoding="utf-8") as fh:
        sample = list(csv.DictReader(fh))
    then = _dedupe_at(AUDIT_REV)
    index = then.Index()
    for r in rows:
        index.add(r["id"], r["body"], time=r["time"], title=r["title"])
    links = then.pair_scores(index, 0.2)
    co_then = _co_grouped(then.group([], index=index, links=links))
    co_now = _co_grouped(groups)
    apart_then = {tuple(sorted(p)) for p, x in links.items() if x >= 0.3} - co_then
    sizes = {"still": len(co_now & co_then), "dropped": len(co_then - co_now), "joined": len(co_now & apart_then),
             "apart": len(apart_then - co_now)}
    parts = {k: [] for k in sizes}
    for r in sample:
        pair = tuple(sorted((r["id_a"], r["id_b"])))
        together = pair in co_now
        if r["kind"] == "grouped":
            parts["still" if together else "dropped"].append(int(r["same"]))
        else:
            parts["joined" if together else "apart"].append(int(r["same"]))
    out = {"co": len(co_now), "co_then": len(co_then), "n_apart": len(apart_then),
           "outside": len(co_now - co_then - apart_then), "sizes": sizes}
    for part, ys in parts.items():
        out[part] = (sum(ys), len(ys), *_wilson(sum(ys), len(ys)))
    same = {k: out[k][2] * sizes[k] for k in sizes}  # the estimated repeats in each part
    held, missed = same["still"] + same["joined"], same["dropped"] + same["apart"]
    together = sizes["still"] + sizes["joined"]
    out["precision"] = held / together if together else 0.0
    out["recall"] = held / (held + missed) if held + missed else 0.0
    return out


def score_bands(index, pairs) -> list[tuple[float, int, int]]:
    """``(band start, same, pairs)`` per 0.1 of the index's pair score: how often a pair shown
    at that score is the same matter (the console marks the likely ones, docs/triage.md)."""
    bands: dict[float, list[int]] = {}
    for a, b, y in pairs:
        s = index.score(index.items[a], index.items[b])
        k = min(int(s * 10), 9) / 10
        bands.setdefault(k, [0, 0])
        bands[k][0] += y
        bands[k][1] += 1
    return [(k, *bands[k]) for k in sorted(bands)]


def _dedupe_at(rev: str):
    """``dedupe.py`` as it was at git revision ``rev``, loaded as a module of the package (it
    imports ``.text``, whose interface has not changed)."""
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:src/fengqiao/triage/dedupe.py"],
                            capture_output=True, text=True, check=True).stdout
    name = f"fengqiao.triage._dedupe_{rev}"
    module = types.ModuleType(name)
    module.__package__ = "fengqiao.triage"
    sys.modules[name] = module  # dataclasses look their module up
    exec(compile(source, f"{rev}:dedupe.py", "exec"), module.__dict__)
    return module


def _co_grouped(groups) -> set:
    return {p for g in groups for p in itertools.combinations(sorted(g), 2)}


def compare(rows, pairs, revs) -> None:
    """Each revision's grouping (its own defaults) on today's labels, and the co-grouped pairs
    each one gained and lost against the one before, by label."""
    sets = {"all": [(r["id_a"], r["id_b"], int(r["same"])) for r in pairs]}
    for k in ("candidates", "initial"):
        sets[k] = [(r["id_a"], r["id_b"], int(r["same"])) for r in pairs if r["drawn"] == k]
    label = {tuple(sorted((r["id_a"], r["id_b"]))): r["same"] for r in pairs}
    table, steps, before = [], [], None
    for rev in revs:
        mod = _dedupe_at(rev)
        index = mod.Index()
        for r in rows:
            index.add(r["id"], r["body"], time=r["time"], title=r["title"])
        groups = mod.group([], index=index)
        subject = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%h %s", rev],
                                 capture_output=True, text=True, check=True).stdout.strip()
        figures = " | ".join("{:.3f} / {:.3f} / {:.3f}".format(*pair_metrics(groups, v)) for v in sets.values())
        table.append(f"| {subject[:70]} | {figures} | {len(groups)} | {max(map(len, groups))} |")
        pairs_now = _co_grouped(groups)
        if before is not None:
            counts = []
            for changed in (pairs_now - before[1], before[1] - pairs_now):
                by = [label.get(p) for p in changed]
                counts.append(f"{by.count('1')} / {by.count('0')} / {by.count(None)}")
            steps.append(f"| {before[0]} → {rev} | {counts[0]} | {counts[1]} |")
        before = (rev, pairs_now)
    body = f"""
`dedupe.py` as it was at each revision, with its own defaults, on the {len(pairs)} labelled
pairs of today (`tests/data/triage_dup_pairs.csv`). Precision / recall / F1.

| revision | all pairs | `candidates` pairs | `initial` pairs | groups | largest |
|---|---|---|---|---|---|
{chr(10).join(table)}

Co-grouped pairs each revision gained and lost against the one before, by label
(same matter / not / not labelled):

| change | gained | lost |
|---|---|---|
{chr(10).join(steps)}
"""
    print(body)
    write_section("triage-duplicates-versions", "Triage: same-matter detection by version", body)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--compare", nargs="+", metavar="REV", help="score dedupe.py at these git revisions")
    args = ap.parse_args()
    path = SHARED_DATA / "tipdm2020_hot_messages.csv"
    if not path.exists():
        print(f"no data at {SHARED_DATA}; skipped")
        return
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    with PAIRS.open(encoding="utf-8") as fh:
        pairs = list(csv.DictReader(fh))
    if args.compare:
        compare(rows, pairs, args.compare)
        return
    labels = [(r["id_a"], r["id_b"], int(r["same"])) for r in pairs]
    drawn = {k: [(r["id_a"], r["id_b"], int(r["same"])) for r in pairs if r["drawn"] == k]
             for k in ("initial", "candidates", "disagreement")}
    npos = sum(y for *_, y in labels)

    t0 = time.perf_counter()
    index = dedupe.Index()
    for r in rows:
        index.add(r["id"], r["body"], time=r["time"], title=r["title"])
    add_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    q = [index.query_features(f, limit=10, exclude=i) for i, f in list(index.items.items())[:500]]
    query_ms = (time.perf_counter() - t0) / len(q) * 1000
    t0 = time.perf_counter()
    links = dedupe.pair_scores(index, 0.2)
    groups = dedupe.group([], index=index, links=links)
    group_s = time.perf_counter() - t0
    p, r, f = pair_metrics(groups, labels)
    pc, rc, fc = pair_metrics(groups, drawn["candidates"])
    aud = audit(rows, groups)
    sizes = sorted((len(g) for g in groups), reverse=True)
    bands = score_bands(index, drawn["candidates"])

    sweep = []
    for th in (0.45, 0.5, 0.55, 0.6, 0.65):
        gs = dedupe.group([], index=index, threshold=th, links=links)
        sweep.append((th, *pair_metrics(gs, labels), *pair_metrics(gs, drawn["candidates"]), len(gs)))

    t0 = time.perf_counter()
    mh = []
    for th in (0.3, 0.5):
        mg = minhash_groups(rows, threshold=th)
        mh.append((th, *pair_metrics(mg, labels), *pair_metrics(mg, drawn["candidates"]), len(mg)))
    mh_s = time.perf_counter() - t0

    seg = segmentation(rows)
    worst = worst_case_ms()
    scale = [at_scale(rows, n) for n in (len(rows), 100_000, 1_000_000)]

    sweep_rows = "\n".join(
        f"| {th} | {pp:.3f} | {rr:.3f} | {ff:.3f} | {pc_:.3f} | {rc_:.3f} | {fc_:.3f} | {n} |"
        for th, pp, rr, ff, pc_, rc_, fc_, n in sweep
    )
    mh_rows = "\n".join(
        f"| MinHash char-3-gram, Jaccard est. ≥ {th} | {pp:.3f} | {rr:.3f} | {ff:.3f} "
        f"| {pc_:.3f} | {rc_:.3f} | {fc_:.3f} | {n} |"
        for th, pp, rr, ff, pc_, rc_, fc_, n in mh
    )
    scale_rows = "\n".join(
        f"| {x['n']:,} | {x['add_us']:.1f} | {x['p50']:.2f} | {x['p99']:.2f} | {x['found']} "
        f"| {x['rss_mb']:.0f} |"
        for x in scale
    )
    audit_text = "(no audit sample)"
    if aud:
        ks, ns, ps, lo_s, hi_s = aud["still"]
        kd, nd, *_ = aud["dropped"]
        kj, nj, *_ = aud["joined"]
        ka, na, pa, lo_a, hi_a = aud["apart"]
        audit_text = (
            f"Audit (drawn at random from the grouping of {AUDIT_REV} once its scoring was fixed, "
            f"labelled by reading; `tests/data/triage_dup_audit.csv`): of the {ns + nd} pairs that "
            f"grouping put together (of {aud['co_then']:,}), this one still puts {ns} together, "
            f"{ks} of them the same matter ({ps:.3f}, 95 % interval {lo_s:.3f}–{hi_s:.3f}); of the "
            f"{nd} it now keeps apart, {kd} are. Of the {nj + na} pairs scored ≥ 0.3 but kept apart "
            f"then (of {aud['n_apart']:,}), it now joins {nj} (of the {aud['sizes']['joined']:,} such pairs it "
            f"joins), {kj} of them the same matter; of the "
            f"{na} still apart, {ka} are ({pa:.3f}, {lo_a:.3f}–{hi_a:.3f}). Weighted by the size of "
            f"each part, **pair precision {aud['precision']:.3f}** over its {aud['co']:,} co-grouped "
            f"pairs ({aud['outside']} of them scored under 0.3 then, not judged), and the grouping "
            f"holds an estimated **{aud['recall']:.2f}** of the repeats among the pairs the audited "
            f"index scored ≥ 0.3 (repeats it never scored are not counted)."
        )
    counts = ", ".join(
        f"{k} {len(v)} ({sum(y for *_, y in v)} same)" for k, v in drawn.items()
    )
    body = f"""
Data: {len(rows)} TipDM hot messages; {len(labels)} hand-labelled pairs ({npos} same matter,
{len(labels) - npos} not), judged by reading both messages; by how they were drawn: {counts}.
*initial*: candidates of an earlier index at all score levels, character-bigram TF-IDF
neighbours and pairs sharing an entity name (hard negatives); *candidates*: drawn at random,
evenly over score bands 0.25–0.75, from an earlier index's candidate pairs; *disagreement*:
pairs two versions of the grouping put differently (all of them, or a random part), labelled
to decide between the versions (docs/triage.md). The *candidates* pairs were drawn before
the current scoring was chosen, so their columns are the least biased figure; recall is
measured on pairs someone could find, not on every repeat in the file. The defaults
(threshold {dedupe.GROUP_THRESHOLD}, linkage 0.2, the name weight) were read off these labels.

| method | pair precision | pair recall | F1 | P (candidates) | R (candidates) | F1 (candidates) | groups |
|---|---|---|---|---|---|---|---|
| **triage dedupe** (entities + keywords, index, average linkage) | **{p:.3f}** | **{r:.3f}** | **{f:.3f}** | **{pc:.3f}** | **{rc:.3f}** | **{fc:.3f}** | {len(groups)} |
{mh_rows}

{audit_text}

Pair score and how often such a pair is the same matter (the *candidates* pairs):

| score | pairs | same matter | share |
|---|---|---|---|
{chr(10).join(f"| {k:.1f}–{k + 0.1:.1f} | {n} | {y} | {y / n:.2f} |" for k, y, n in bands)}

Threshold sweep (linkage 0.2):

| threshold | precision | recall | F1 | P (candidates) | R (candidates) | F1 (candidates) | groups |
|---|---|---|---|---|---|---|---|
{sweep_rows}

- Largest groups: {sizes[:8]}; {sum(sizes)} messages in {len(groups)} groups.
- Index build {add_s:.1f} s ({len(rows) / add_s:.0f} messages/s, segmentation included); query
  {query_ms:.2f} ms per message; grouping all messages {group_s:.1f} s. MinHash runs {mh_s:.1f} s.
- Segmentation with the HMM of all {len(rows)} messages: {seg["segmenter"]} {seg["ours_s"]:.2f} s,
  jieba {seg["jieba_s"]:.2f} s ({seg["jieba_s"] / seg["ours_s"]:.0f}×); the words differ in
  {seg["differ"]} messages, the Chinese words in {seg["differ_chinese"]} (the rest are ASCII runs
  rjieba keeps whole, e.g. `baidu.com`).
- Query cost by index size (`python benchmarks/triage_duplicates.py`, `at_scale`): the index
  filled with replicas of the hot messages whose names are made distinct per replica (a large
  county has many estates), times over three years; {scale[0]["queries"]} real messages queried
  one at a time, features extracted in the query (as at intake), candidates ≥ 0.3 listed.

| messages in the index | add (µs per message, features given) | query p50 ms | query p99 ms | queries with candidates | memory growth MB |
|---|---|---|---|---|---|
{scale_rows}

- Features of the worst intake text, a 20,000-character content with no name suffix in it:
  {worst["digits"]:.1f} ms (digits), {worst["letters"]:.1f} ms (letters and digits).
"""
    print(body)
    write_section("triage-duplicates", "Triage: same-matter detection", body)


if __name__ == "__main__":
    main()
