"""``triage train --from-db``: retrain the category model on the county's own matters.

Labels: the latest operator label (:class:`~.models.CategoryLabel`) of each matter, else the
category of a closed matter. A stratified held-out part (20 %) is kept out of training and
scores the new model, the active model and the keyword rules on the same rows; the new model
is registered as the next :class:`~.models.ModelVersion` and activated when it beats the
active one (or the keyword rules when none is active), or when asked to.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import Counter, defaultdict
from pathlib import Path

from django.conf import settings
from django.db.models import Q

from fengqiao.events.choices import State
from fengqiao.events.models import Event

from . import actions, classifier, service
from .cli import evaluate
from .models import CategoryLabel

HELDOUT_FRACTION = 0.2
SEED = 42


class NotEnoughData(ValueError):
    pass


def labelled_rows(limit: int | None = None) -> list[tuple[int, str, str, str]]:
    """``(event id, text, category code, source)`` for every labelled or closed matter."""
    labels: dict[int, str] = {}
    for event_id, code in CategoryLabel.objects.order_by("at", "pk").values_list(
        "event_id", "category__code"
    ):
        labels[event_id] = code  # the latest label wins
    qs = Event.objects.filter(
        Q(pk__in=CategoryLabel.objects.values("event_id"))
        | Q(state=State.CLOSED, category__isnull=False)
    )
    rows = []
    for pk, title, content, cat_code in qs.order_by("pk").values_list(
        "pk", "title", "content", "category__code"
    )[:limit]:
        code = labels.get(pk) or cat_code
        if code:
            rows.append((pk, f"{title} {content}", code, "label" if pk in labels else "closed"))
    return rows


def split(rows, fraction: float = HELDOUT_FRACTION, seed: int = SEED):
    """Stratified split by label; labels with fewer than 3 rows stay in training."""
    by_label = defaultdict(list)
    for r in rows:
        by_label[r[2]].append(r)
    rng = random.Random(seed)
    train, test = [], []
    for label in sorted(by_label):
        items = by_label[label]
        rng.shuffle(items)
        k = int(round(len(items) * fraction)) if len(items) >= 3 else 0
        test += items[:k]
        train += items[k:]
    return train, test


class _KeywordModel:
    """The keyword rules behind the evaluate() interface (predict_top)."""

    def __init__(self, labels):
        self.kc = service.keyword_classifier()
        self.labels = sorted(labels)

    def predict_top(self, text, k=1):
        return self.kc.predict_top(text, k=k) or [("", 0.0)]


def train_from_db(
    *, activate: bool = False, by=None, out_dir: Path | None = None, calibration_folds: int = 3
) -> dict:
    rows = labelled_rows()
    labels = Counter(r[2] for r in rows)
    if len(labels) < 2:
        raise NotEnoughData(
            f"至少需要两个类别的标注数据 / need labelled matters of at least two categories "
            f"(found {len(rows)} rows, {len(labels)} categories)"
        )
    train_rows, test_rows = split(rows)
    started = time.perf_counter()
    model = classifier.train(
        [r[1] for r in train_rows],
        [r[2] for r in train_rows],
        calibration_folds=calibration_folds,
        metadata={"source": "database"},
    )
    seconds = round(time.perf_counter() - started, 1)
    evaluation: dict = {"heldout_rows": len(test_rows)}
    baseline: dict = {}
    if test_rows:
        texts, gold = [r[1] for r in test_rows], [r[2] for r in test_rows]
        evaluation.update(evaluate(model, texts, gold))
        mv_active, active_model = service.active_model()
        if active_model is not None:
            baseline = {"active_version": mv_active.version, **evaluate(active_model, texts, gold)}
        else:
            baseline = {"keyword_rules": True, **evaluate(_KeywordModel(set(gold)), texts, gold)}
    out_dir = out_dir or Path(settings.VAR_DIR) / "models"
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    path = out_dir / f"category-{stamp}.skops"
    model.save(path)
    try:
        rel = str(path.relative_to(Path(settings.VAR_DIR)))
    except ValueError:
        rel = str(path)
    training = {
        "rows": len(rows),
        "train_rows": len(train_rows),
        "heldout_rows": len(test_rows),
        "from_labels": sum(1 for r in rows if r[3] == "label"),
        "from_closed": sum(1 for r in rows if r[3] == "closed"),
        "per_label": dict(sorted(labels.items())),
        "seconds": seconds,
        "cv_macro_f1": model.metadata.get("evaluation", {}).get("cv_macro_f1"),
    }
    mv = actions.register_version(
        file=rel,
        labels=model.labels,
        training=training,
        evaluation={**evaluation, "baseline": baseline},
        by=by,
        note="train --from-db",
    )
    new_f1 = evaluation.get("macro_f1")
    old_f1 = baseline.get("macro_f1")
    better = new_f1 is not None and (old_f1 is None or new_f1 > old_f1)
    activated = False
    if activate or better:
        actions.activate_version(mv, by=by)
        activated = True
    return {
        "version": mv.version,
        "file": rel,
        "training": training,
        "evaluation": evaluation,
        "baseline": baseline,
        "better": better,
        "activated": activated,
    }
