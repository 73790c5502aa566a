"""What the nightly retraining costs: ``triage.training.retrain_if_due`` on a county history of
TipDM messages stored as closed matters, at three sizes.

A worker process migrates a fresh database, loads the demo county, adds the seven TipDM classes
as categories and files the labelled TipDM messages (the raw ones, title and body; the
segmented extra ones with their words joined again) as matters closed with their category, in a
fixed shuffled order. At each size it times the due check (one count query, what the admin's
model list runs) and the retraining itself (reading the rows, training, scoring the held-out
matters against the model in use, saving and registering the file), and notes the process's
peak memory and the model file's size. Writes docs/benchmarks.md (section ``triage-retrain``).

    python benchmarks/triage_retrain.py [--sizes 2000,4000,8124] [--database-url postgres://…]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._report import SHARED_DATA, fresh_postgres, write_section

ROOT = Path(__file__).resolve().parent.parent


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def worker(sizes: list[int]) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from fengqiao.accounts.models import User
    from fengqiao.core import context
    from fengqiao.demo.loader import load_demo
    from fengqiao.events.actions import create_event
    from fengqiao.events.choices import State
    from fengqiao.events.models import Category, Event
    from fengqiao.triage import training
    from fengqiao.triage.datasets import load_tipdm, read_tokens
    from fengqiao.triage.models import CategoryLabel

    call_command("migrate", verbosity=0)
    load_demo()
    # the demo's own closed matters are of other categories: the history is TipDM's alone
    CategoryLabel.objects.all().delete()
    Event.objects.filter(category__isnull=False).update(category=None)
    by = User.objects.select_related("area").get(username="county_op")
    raw, extra = load_tipdm(SHARED_DATA)
    rows = [(t, lab) for t, lab in zip(raw.texts, raw.labels, strict=True)]
    rows += [("".join(read_tokens(t)), lab) for t, lab in zip(extra.texts, extra.labels, strict=True)]
    random.Random(42).shuffle(rows)
    categories = {}
    for i, label in enumerate(sorted({lab for _t, lab in rows})):
        categories[label] = Category.objects.create(code=f"tipdm{i + 1}", name=label, order=100 + i)
    sizes = sorted({min(s, len(rows)) for s in sizes})
    results, filed = [], 0
    with context.acting(None, channel="cli"):
        for size in sizes:
            started = time.perf_counter()
            for text, label in rows[filed:size]:
                text = text.strip() or label
                ev, _created = create_event(by=by, channel="hotline_12345", title=text[:40], content=text[:4000],
                                            triage=False)
                Event.objects.filter(pk=ev.pk).update(state=State.CLOSED, category=categories[label],
                                                      closed_at=timezone.now())
            filing = time.perf_counter() - started
            filed = size
            t0 = time.perf_counter()
            status = training.retrain_status(min_new=1)
            check_ms = (time.perf_counter() - t0) * 1000
            t0 = time.perf_counter()
            report = training.retrain_if_due(min_new=1)
            seconds = time.perf_counter() - t0
            path = Path(os.environ["FENGQIAO_VAR_DIR"]) / report["file"]
            results.append({
                "matters": size, "filing_s": filing, "new_rows": status["new_rows"], "check_ms": check_ms,
                "seconds": seconds, "train_s": report["training"]["seconds"],
                "heldout": report["evaluation"].get("heldout_rows"), "macro_f1": report["evaluation"].get("macro_f1"),
                "before": report["baseline"].get("macro_f1"), "activated": report["activated"],
                "before_was": "keyword rules" if report["baseline"].get("keyword_rules") else
                f"v{report['baseline'].get('active_version')}",
                "file_mb": path.stat().st_size / 1e6 if path.exists() else 0.0, "peak_mb": _rss_mb(),
            })
            print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    from django.db import connection

    return {"backend": "PostgreSQL" if connection.vendor == "postgresql" else "SQLite (WAL)", "rows": results}




def run_backend(sizes: list[int], database_url: str | None) -> dict:
    with tempfile.TemporaryDirectory(prefix="fq-bench-retrain-") as tmp:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "fengqiao.settings.dev", "FENGQIAO_VAR_DIR": tmp,
               "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT / "src"), "OMP_NUM_THREADS": "1",
               "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        env.pop("DATABASE_URL", None)
        if database_url:
            env["DATABASE_URL"] = fresh_postgres(database_url, "fengqiao_bench_retrain")
        out = subprocess.run([sys.executable, __file__, "--worker", "--sizes", ",".join(map(str, sizes))], env=env,
                             cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False)
        if out.returncode != 0:
            raise SystemExit(f"worker failed:\n{out.stdout[-3000:]}")
        return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="2000,4000,8124", help="county history sizes, comma separated")
    ap.add_argument("--database-url", default="", help="also on PostgreSQL (a scratch database is created)")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    try:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        raise SystemExit("--sizes: whole numbers, comma separated") from None
    if not (SHARED_DATA / "tipdm2020_messages_train.csv").exists():
        print(f"no data at {SHARED_DATA}; skipped")
        return
    if args.worker:
        print(json.dumps(worker(sizes)))
        return
    results = [run_backend(sizes, None)]
    if args.database_url:
        results.append(run_backend(sizes, args.database_url))
    lines = []
    for r in results:
        for x in r["rows"]:
            lines.append(
                f"| {r['backend']} | {x['matters']:,} | {x['check_ms']:.1f} | {x['seconds']:.1f} | {x['train_s']:.1f} "
                f"| {x['heldout']} | {x['macro_f1']:.4f} | {x['before']:.4f} ({x['before_was']}) "
                f"| {'yes' if x['activated'] else 'no'} "
                f"| {x['file_mb']:.1f} | {x['peak_mb']:.0f} |")
    body = (
        "The nightly retraining (`training.retrain_if_due`, ADR 0117) on a county history of labelled TipDM "
        "messages filed as matters closed with their category (raw messages, and the segmented extra ones with "
        "their words joined again; shuffled with seed 42), grown to each size in turn, so each retraining is "
        "judged against the model the one before put to use. *Due check*: the count query the admin's model "
        "list also runs. *Retraining*: reading the rows, training (3 calibration folds), scoring the held-out "
        "matters (those whose id hashes into the lowest 20 %) with the new model and the one in use, saving and "
        "registering the file. One thread (BLAS limited to 1). Peak memory is the worker process's, demo and "
        "filing included. The held-out figures are not comparable with the classifier section: here the extra "
        "file's re-posts of raw messages fall on both sides.\n\n"
        "| backend | matters | due check ms | retraining s | of it training s | held-out matters | macro-F1 "
        "| model in use before | put to use | file MB | peak memory MB |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|\n" + "\n".join(lines)
    )
    write_section("triage-retrain", "Triage: nightly retraining from the database", body)


if __name__ == "__main__":
    main()
