"""``triage train --from-db``: retrain the category model on the county's own matters.

Labels: the latest operator label (:class:`~.models.CategoryLabel`) of each matter, else the
category of a closed matter. A held-out part (about 20 %) is kept out of training and scores
the new model, the active model and the keyword rules on the same rows; the new model is
registered as the next :class:`~.models.ModelVersion` and activated when it beats the active
one (or the keyword rules when none is active), or when asked to.

Which matters are held out depends on each matter's id alone (a hash of it), never on the
other rows: a matter held out once is held out in every later retraining, so the active model
(trained the same way) never saw the rows it is compared on, however many labels were added.

:func:`retrain_if_due` is the nightly retraining (``jobs.nightly_retrain``, or ``triage train
--from-db --if-due`` from a scheduler): it trains only once enough matters gained a label or
were closed with a category since the last model trained from the database, and activates under
the same rule as the command.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

from django.db.models import Max, Q
from django.utils import timezone

from fengqiao.core.errors import UserError
from fengqiao.events.choices import State
from fengqiao.events.models import Event

from . import actions, classifier, service
from .cli import evaluate
from .models import CategoryLabel, ModelKind, ModelVersion

HELDOUT_FRACTION = 0.2
SEED = 42
#: a model is activated on its own only when it beat the one in use on at least this many
#: held-out matters: on a dozen, a perfect score is luck (a demo county's few labelled matters
#: gave one, and a model sure of everything); ``--activate`` still activates it
MIN_HELDOUT_TO_ACTIVATE = 50
#: the nightly retraining trains again once at least this many matters gained a label or were
#: closed with a category since the last model trained from the database
#: (``FENGQIAO_TRIAGE_RETRAIN_MIN_NEW``)
RETRAIN_MIN_NEW = 200
#: the notes of the versions :func:`retrain_if_due` registers: an earlier one never put to use
#: loses its file when a later one is registered
RETRAIN_NOTES = ("nightly retraining", "train --from-db --if-due")
#: a retraining from the database reads at most this many matters (operators' labels first, then
#: the newest closed matters; ``FENGQIAO_TRIAGE_MAX_TRAIN_ROWS``): its time and memory grow faster
#: than its rows (benchmarks.md, *nightly retraining*), and it runs unattended in the worker
MAX_TRAIN_ROWS = 30_000


class NotEnoughData(ValueError):
    pass


def labelled_rows(limit: int | None = None) -> list[tuple[int, str, str, str]]:
    """``(event id, text, category code, source)`` for every labelled or closed matter, in id
    order; with ``limit``, at most that many: the operators' labels first, the newest first,
    then the newest closed matters."""
    labels: dict[int, str] = {}
    for event_id, code in CategoryLabel.objects.order_by("at", "pk").values_list(
        "event_id", "category__code"
    ):
        labels[event_id] = code  # the latest label wins
    fields = ("pk", "title", "content", "category__code")
    labelled = Event.objects.filter(pk__in=CategoryLabel.objects.values("event_id"))
    closed = Event.objects.filter(state=State.CLOSED, category__isnull=False).exclude(
        pk__in=CategoryLabel.objects.values("event_id")
    )
    found = list(labelled.order_by("-pk").values_list(*fields)[:limit])
    room = None if limit is None else limit - len(found)
    if room is None or room > 0:
        found += list(closed.order_by("-pk").values_list(*fields)[:room])
    rows = []
    for pk, title, content, cat_code in sorted(found):
        code = labels.get(pk) or cat_code
        if code:
            rows.append((pk, f"{title} {content}", code, "label" if pk in labels else "closed"))
    return rows


def is_heldout(row_id, fraction: float = HELDOUT_FRACTION, seed: int = SEED) -> bool:
    """Whether the matter ``row_id`` is held out: a hash of the id (and the seed) read as a
    number in [0, 1) is below ``fraction``. Fixed per matter, whatever other rows exist."""
    digest = hashlib.sha256(f"fengqiao-triage-heldout:{seed}:{row_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def split(rows, fraction: float = HELDOUT_FRACTION, seed: int = SEED):
    """``(train, held out)``: each row (``(id, text, label, …)``) goes by :func:`is_heldout`
    of its id, so adding rows or labels never moves an existing row to the other side. (About
    ``fraction`` of every label's rows is held out; a label with a single matter may have no
    training row.)"""
    train, test = [], []
    for r in rows:
        (test if is_heldout(r[0], fraction, seed) else train).append(r)
    return train, test


class _KeywordModel:
    """The keyword rules behind the evaluate() interface (predict_top)."""

    def __init__(self, labels):
        self.kc = service.keyword_classifier()
        self.labels = sorted(labels)

    def predict_top(self, text, k=1):
        return self.kc.predict_top(text, k=k) or [("", 0.0)]


def train_from_db(
    *,
    activate: bool = False,
    by=None,
    out_dir: Path | None = None,
    calibration_folds: int = 3,
    note: str = "train --from-db",
) -> dict:
    # what comes after these counts towards the next retraining: labels and closes after read_at,
    # and matters with a higher id (imported history is closed at its own, earlier time)
    read_at = timezone.now()
    max_event_id = Event.objects.aggregate(m=Max("pk"))["m"] or 0
    max_rows = int(service.setting("FENGQIAO_TRIAGE_MAX_TRAIN_ROWS", MAX_TRAIN_ROWS))
    rows = labelled_rows(limit=max_rows)
    labels = Counter(r[2] for r in rows)
    if len(labels) < 2:
        raise NotEnoughData(
            f"至少需要两个类别的标注数据 / need labelled matters of at least two categories "
            f"(found {len(rows)} rows, {len(labels)} categories)"
        )
    train_rows, test_rows = split(rows)
    if len({r[2] for r in train_rows}) < 2:
        raise NotEnoughData(
            f"留出评估数据后，训练数据不足两个类别 / fewer than two categories are left for training once the "
            f"held-out matters are set aside ({len(train_rows)} training rows)"
        )
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
    in_use = actions.ANY_ACTIVE
    if test_rows:
        texts, gold = [r[1] for r in test_rows], [r[2] for r in test_rows]
        evaluation.update(evaluate(model, texts, gold))
        # the model in use now, not this process's copy of up to MODEL_CHECK_SECONDS ago: the
        # verdict is acted on only if this is still the one in use (activate_version(replacing=))
        service.invalidate_model()
        mv_active, active_model = service.active_model()
        if mv_active is not None:
            in_use = mv_active.pk
        else:  # none active, or its file unusable (the keyword rules classify): the row, if any
            in_use = (
                ModelVersion.objects.filter(kind=ModelKind.CATEGORY, is_active=True)
                .values_list("pk", flat=True)
                .first()
            )
        if active_model is not None:
            baseline = {"active_version": mv_active.version, **evaluate(active_model, texts, gold)}
        else:
            baseline = {"keyword_rules": True, **evaluate(_KeywordModel(set(gold)), texts, gold)}
    out_dir = out_dir or actions.models_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = actions.new_model_path(out_dir)
    model.save(path)
    rel = actions.relative_to_var(path)
    training = {
        "rows": len(rows),
        "max_rows": max_rows,
        "read_at": read_at.isoformat(),
        "max_event_id": max_event_id,
        "train_rows": len(train_rows),
        "heldout_rows": len(test_rows),
        "from_labels": sum(1 for r in rows if r[3] == "label"),
        "from_closed": sum(1 for r in rows if r[3] == "closed"),
        "per_label": dict(sorted(labels.items())),
        "seconds": seconds,
        "cv_macro_f1": model.metadata.get("evaluation", {}).get("cv_macro_f1"),
        "created": model.metadata.get("created"),
        "params": model.metadata.get("params") or {},
    }
    try:
        mv = actions.register_version(
            file=rel,
            labels=model.labels,
            training=training,
            evaluation={**evaluation, "baseline": baseline},
            by=by,
            note=note,
        )
    except BaseException:
        path.unlink(missing_ok=True)  # no file without its version
        raise
    new_f1 = evaluation.get("macro_f1")
    old_f1 = baseline.get("macro_f1")
    better = new_f1 is not None and (old_f1 is None or new_f1 > old_f1)
    enough = len(test_rows) >= MIN_HELDOUT_TO_ACTIVATE
    activated = False
    changed_meanwhile = False
    if activate or (better and enough):
        try:
            # judged against the model in use when it was evaluated: if another was put to use
            # meanwhile, the verdict no longer holds and the new version stays registered
            actions.activate_version(mv, by=by, replacing=actions.ANY_ACTIVE if activate else in_use)
        except actions.ActiveChanged:
            changed_meanwhile = True
        except UserError as exc:
            raise actions.NotActivated(mv.version, exc) from exc
        else:
            activated = True
    return {
        "unmatched_labels": actions.unmatched_labels(model.labels),
        "version": mv.version,
        "file": rel,
        "training": training,
        "evaluation": evaluation,
        "baseline": baseline,
        "better": better,
        "enough_heldout": enough,
        "activated": activated,
        "changed_meanwhile": changed_meanwhile,
    }


def last_from_db() -> ModelVersion | None:
    """The newest category model version trained from the database (its summary counts the
    rows from labels), or ``None``."""
    return (
        ModelVersion.objects.filter(kind=ModelKind.CATEGORY, training__has_key="from_labels")
        .order_by("-version")
        .first()
    )


def rows_read_at(mv: ModelVersion) -> datetime:
    """When ``mv``'s training rows were read: recorded since the nightly retraining exists;
    for an older version, when it was registered (a little later: rows labelled during its
    training are not counted as new then)."""
    value = (mv.training or {}).get("read_at")
    if isinstance(value, str):
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            when = None
        if when is not None and when.tzinfo is not None:
            return when
    return mv.created_at


def new_rows_since(when: datetime | None, after_id: int | None = None) -> int:
    """Matters that gained a label, or were closed with a category, after ``when``, or closed
    with a category and numbered above ``after_id`` (history imported since, whose close time
    is its own, earlier one); all such matters when ``when`` is ``None``. The rows a retraining
    would add or change, give or take: a label that repeats the one before counts, a category
    changed on a closed matter does not. One count query."""
    labelled = CategoryLabel.objects.all()
    closed = Q(state=State.CLOSED, category__isnull=False)
    if when is not None:
        labelled = labelled.filter(at__gt=when)
        since = Q(closed_at__gt=when)
        if after_id is not None:
            since |= Q(pk__gt=after_id)
        closed &= since
    return Event.objects.filter(Q(pk__in=labelled.values("event_id")) | closed).count()


def retrain_status(min_new: int | None = None) -> dict:
    """Whether a retraining is due: ``{"due", "new_rows", "min_new", "since", "last_version"}``
    (see :func:`retrain_if_due`); ``min_new`` defaults to ``FENGQIAO_TRIAGE_RETRAIN_MIN_NEW``."""
    if min_new is None:
        min_new = int(service.setting("FENGQIAO_TRIAGE_RETRAIN_MIN_NEW", RETRAIN_MIN_NEW))
    last = last_from_db()
    since = rows_read_at(last) if last is not None else None
    after_id = (last.training or {}).get("max_event_id") if last is not None else None
    new = new_rows_since(since, after_id if isinstance(after_id, int) else None)
    return {
        "due": new >= min_new,
        "new_rows": new,
        "min_new": min_new,
        "since": since.isoformat() if since else None,
        "last_version": last.version if last else None,
    }


def retrain_if_due(
    *,
    min_new: int | None = None,
    by=None,
    calibration_folds: int = 3,
    note: str = "train --from-db --if-due",
) -> dict:
    """Retrain from the database when at least ``min_new`` matters
    (``FENGQIAO_TRIAGE_RETRAIN_MIN_NEW``, else :data:`RETRAIN_MIN_NEW`) gained a label or were
    closed with a category since the last model trained from the database (since the beginning
    when there is none). The new version is activated as by ``triage train --from-db``: only
    when it beats the model in use on at least :data:`MIN_HELDOUT_TO_ACTIVATE` held-out matters.
    Earlier versions of this function never put to use lose their files
    (:func:`actions.remove_superseded_file`), so unattended retraining keeps one candidate file.

    Returns ``{"due", "new_rows", "min_new", "since", …}``, with :func:`train_from_db`'s report
    when it trained. :class:`NotEnoughData` propagates (fewer than two categories labelled).
    """
    status = retrain_status(min_new)
    if not status["due"]:
        return status
    report = train_from_db(by=by, calibration_folds=calibration_folds, note=note)
    new_version = ModelVersion.objects.get(kind=ModelKind.CATEGORY, version=report["version"])
    earlier = ModelVersion.objects.filter(
        kind=ModelKind.CATEGORY,
        note__in=RETRAIN_NOTES,
        activated_at__isnull=True,
        file_removed_at__isnull=True,
        version__lt=new_version.version,
    )
    removed = [
        mv.version
        for mv in earlier
        if actions.remove_superseded_file(mv, superseded_by=new_version, by=by)
    ]
    return {**status, **report, "files_removed": sorted(removed)}
