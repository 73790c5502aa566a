"""Every triage write that matters to a user: one function, one transaction, one audit record."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from fengqiao.core import audit, context
from fengqiao.core.errors import Conflict, UserError
from fengqiao.core.inputs import clean_text
from fengqiao.events.actions._base import actor_name, stale
from fengqiao.events.models import Category, Event, TimelineEntry

from .models import (
    CategoryLabel,
    LabelSource,
    ModelActivation,
    ModelKind,
    ModelVersion,
    TriageResult,
)


class NotActivated(UserError):
    """The new version was registered but its activation was refused (``reason``, the
    :class:`UserError` of :func:`~.actions.activate_version`); ``version`` is its number, so the
    caller can activate it later once the cause is mended."""

    def __init__(self, version: int, reason: UserError):
        super().__init__(reason.code, f"已登记 v{version}，但未启用: {reason.zh}",
                         f"registered v{version} but not activated: {reason.en}", status=reason.status)
        self.version = version
        self.reason = reason


def record_label(event: Event, category: Category, *, by, source: str, suggested: str = "") -> CategoryLabel:
    """Store one operator label (accept/correct/import) of ``event``'s category."""
    if source not in LabelSource.values:
        raise UserError("bad_source", f"未知的标注来源: {source}", f"unknown label source: {source}", field="source")
    with transaction.atomic(), context.explicit_audit():
        label = CategoryLabel.objects.create(event=event, category=category, source=source, by=by,
                                             suggested=suggested or "", at=timezone.now())
        audit.record("triage_label", label, actor=by,
                     after={"event": event.pk, "category": category.code, "source": source, "suggested": suggested})
    return label


def label_event(event: Event, category: Category, *, by) -> tuple[Event, CategoryLabel]:
    """An operator accepts or corrects the matter's category (确认/纠正分类).

    Sets ``Event.category`` (a conditional update that bumps the matter's version), writes a
    timeline entry, the label (source ``operator_accept`` when it equals triage's top
    suggestion, else ``operator_correct``) and one audit record, in one transaction. A person
    has now decided, so the matter's triage no longer ``needs_person``.
    """
    from . import service

    if category is None:
        raise UserError("required", "缺少事件分类", "a category is required", field="category")
    result = TriageResult.objects.filter(event=event).only("categories").first()
    suggested = result.categories[0]["code"] if result is not None and result.categories else ""
    source = LabelSource.OPERATOR_ACCEPT if suggested == category.code else LabelSource.OPERATOR_CORRECT
    now = timezone.now()
    with transaction.atomic(), context.explicit_audit():
        before = _categorize(event, category, by=by, now=now, data={"source": source, "suggested": suggested})
        label = CategoryLabel.objects.create(event=event, category=category, source=source, by=by,
                                             suggested=suggested, at=now)
        audit.record("triage_label", event, actor=by, before={"category": before},
                     after={"category": category.code, "source": source, "suggested": suggested, "label": label.pk})
        service.reroute(event)  # the route follows the category the person chose
    return event, label


def _categorize(event: Event, category: Category, *, by, now, data: dict, reason: str = "") -> str:
    """Set the category (version-checked), write the ``categorize`` timeline entry; return the
    category code it had before. Runs inside the caller's transaction."""
    before = event.category.code if event.category_id else ""
    n = Event.objects.filter(pk=event.pk, version=event.version).update(
        category=category, version=F("version") + 1, updated_at=now)
    if n != 1:
        raise stale()
    event.category = category
    event.version += 1
    event.updated_at = now
    TimelineEntry.objects.create(event=event, at=now, actor=by, actor_name=actor_name(by), action="categorize",
                                 from_state=event.state, to_state=event.state, reason=reason,
                                 data={"from": before, "to": category.code, **data})
    return before


def set_category(event: Event, category: Category, *, by, reason: str) -> Event:
    """Triage sets the category of a matter it dispatches automatically (not a label)."""
    now = timezone.now()
    with transaction.atomic(), context.explicit_audit():
        before = _categorize(event, category, by=by, now=now, data={"source": "triage"}, reason=reason)
        audit.record("triage_set_category", event, actor=by, before={"category": before},
                     after={"category": category.code, "reason": reason})
    return event


def add_route_cohandlers(event: Event, codes, *, by) -> list[str]:
    """The co-handlers a route names (协办, department codes), each added as 增加协办单位 adds it,
    in a savepoint of its own, after a dispatch (automatic, or the triage panel's one click).
    Returns the refusals in words; what was added stays."""
    from django.utils.translation import gettext as _

    from fengqiao.areas.models import Department
    from fengqiao.events import actions as event_actions

    refused = []
    for dept in Department.objects.filter(code__in=list(codes or []), is_active=True).order_by("code"):
        try:
            with transaction.atomic():
                event_actions.perform(Event.objects.get(pk=event.pk), "add_cohandler", by=by, unit=dept)
        except UserError as exc:
            refused.append(_("Co-handler %(unit)s not added: %(why)s") % {"unit": dept.name, "why": exc.message()})
    return refused


def unmatched_labels(labels) -> list[str]:
    """The labels of a model that match no active category, neither by code nor by name (the
    way :func:`.service._label_info` maps them): triage can never suggest those."""
    known: set[str] = set()
    for code, name in Category.objects.filter(is_active=True).values_list("code", "name"):
        known.update((code, name))
    return [str(label) for label in labels if str(label) not in known]


def _short(labels: list[str], n: int = 8) -> str:
    return ", ".join(labels[:n]) + (f" … (+{len(labels) - n})" if len(labels) > n else "")


def check_version(mv: ModelVersion) -> list[str]:
    """What activation requires of ``mv``: its file is there, has the recorded sha256, loads
    (not damaged, no unsafe types), and at least one of its labels is an active category.
    Returns the labels that match no category (the caller warns about them); raises
    :class:`UserError` otherwise."""
    from . import service

    model = service.load_version(mv)
    labels = [str(label) for label in model.labels]
    unmatched = unmatched_labels(labels)
    if labels and len(unmatched) == len(labels):
        raise UserError(
            "labels_unmatched",
            f"模型 v{mv.version} 的标签没有一个是启用的事件分类（按编码或名称），启用后无法给出任何分类建议: "
            f"{_short(labels)}",
            f"none of the labels of model v{mv.version} is an active category (by code or name), so it "
            f"could suggest nothing: {_short(labels)}")
    return unmatched


def new_model_path(directory: Path) -> Path:
    """A new ``category-<UTC timestamp>.skops`` path in ``directory`` (a suffix when taken)."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    path = directory / f"category-{stamp}.skops"
    n = 2
    while path.exists():
        path = directory / f"category-{stamp}-{n}.skops"
        n += 1
    return path


def models_dir() -> Path:
    """Where model versions' files are kept: ``VAR_DIR/models``."""
    return Path(settings.VAR_DIR) / "models"


def relative_to_var(path: Path) -> str:
    try:
        return str(path.relative_to(Path(settings.VAR_DIR)))
    except ValueError:
        return str(path)


def register_version(*, file: str, labels, training: dict, evaluation: dict, by=None, note: str = "",
                     kind: str = ModelKind.CATEGORY, sha256: str | None = None) -> ModelVersion:
    """Record a trained model file as the next version of ``kind`` (not active yet); ``sha256``
    when the caller has already hashed the file."""
    from .service import sha256_of

    with transaction.atomic(), context.explicit_audit():
        last = ModelVersion.objects.select_for_update().filter(kind=kind).order_by("-version").first()
        mv = ModelVersion(kind=kind, version=(last.version + 1) if last else 1, file=file, labels=list(labels),
                          training=audit.canonical(training), evaluation=audit.canonical(evaluation), note=note,
                          created_by=by)
        p = mv.path()
        mv.sha256 = sha256 or (sha256_of(p) if p.is_file() else "")
        mv.save()
        audit.record("triage_model_register", mv, actor=by, after={"kind": kind, "version": mv.version,
                                                                     "file": file, "sha256": mv.sha256,
                                                                     "evaluation": evaluation})
    return mv


def file_training_summary(metadata: dict, source: str = "") -> dict:
    """The training summary of a model file, from its metadata (``triage train --out``)."""
    t = metadata.get("training") or {}
    out = {
        "rows": t.get("rows_used"),
        "raw_rows": t.get("raw_rows"),
        "pretokenized_rows": t.get("pretokenized_rows"),
        "per_label": t.get("per_label") or {},
        "seconds": t.get("seconds"),
        "files": metadata.get("files") or [],
        "created": metadata.get("created"),
        "cv_macro_f1": (metadata.get("evaluation") or {}).get("cv_macro_f1"),
        "params": metadata.get("params") or {},
    }
    if source:
        out["registered_from"] = source
    return out


#: the longest note of a model version (``ModelVersion.note``)
MAX_NOTE = ModelVersion._meta.get_field("note").max_length


def register_file(source: str | Path, *, by=None, note: str = "", kind: str = ModelKind.CATEGORY) -> ModelVersion:
    """Register a model file trained from files (``triage train --out``) as the next version.

    The file is copied into ``VAR_DIR/models`` (as ``train --from-db`` stores its files), the
    copy is loaded (refused when damaged or asking to trust unsafe types) and recorded with its
    sha256, labels, training summary, parameters and cross-validation figure from its metadata.
    Not activated. A file already registered (same sha256) is refused, and so, before anything
    is read or copied, is a ``note`` longer than :data:`MAX_NOTE` or holding NUL (without one the
    note is ``register <file name>``, cut to fit).
    """
    from . import classifier

    note = clean_text(note, field="note", zh="备注(--note)", en="the note (--note)", max_len=MAX_NOTE)
    source = Path(source)
    if not source.is_file():
        raise UserError("model_missing", f"模型文件不存在: {source}", f"model file not found: {source}",
                        field="file")
    directory = models_dir()
    directory.mkdir(parents=True, exist_ok=True)
    target = new_model_path(directory)
    tmp = target.with_name(target.name + ".tmp")
    try:
        shutil.copyfile(source, tmp)
        try:
            model = classifier.load(tmp)  # the bytes that will be kept, not the original
        except classifier.ModelFileError as exc:
            raise UserError("bad_model", f"模型文件不可用: {exc.zh}", f"the model file cannot be used: {exc.en}",
                            field="file") from exc
        from .service import sha256_of

        digest = sha256_of(tmp)
        same = ModelVersion.objects.filter(kind=kind, sha256=digest).order_by("version").first()
        if same is not None:
            raise UserError("already_registered", f"该模型文件已登记为 v{same.version}",
                            f"this model file is already registered as v{same.version}", field="file")
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)  # nothing half-copied stays behind
    metadata = model.metadata or {}
    try:
        return register_version(
            file=relative_to_var(target), labels=model.labels,
            training=file_training_summary(metadata, str(source.resolve())),
            evaluation=metadata.get("evaluation") or {}, by=by, note=note or f"register {source.name}"[:MAX_NOTE], kind=kind,
            sha256=digest)
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def _lock_kind(kind: str) -> ModelVersion | None:
    """Lock every version of ``kind`` (in one order, so two callers cannot deadlock) and return
    the active one. Activations and rollbacks of a kind take turns even when no version is
    active and there is no row of the history to lock. Runs inside the caller's transaction."""
    versions = list(ModelVersion.objects.select_for_update().filter(kind=kind).order_by("pk"))
    return next((mv for mv in versions if mv.is_active), None)


def in_effect(kind: str = ModelKind.CATEGORY) -> ModelActivation | None:
    """The newest activation of ``kind`` not undone: the one a rollback undoes (``None``: no
    activation is in effect, the keyword rules classify)."""
    return (ModelActivation.objects.filter(kind=kind, undone_at__isnull=True)
            .select_related("version", "previous__version").order_by("-id").first())


def history_mismatch(active: ModelVersion | None, top: ModelActivation | None) -> Conflict:
    """The refusal of a rollback when the activation in effect is not the active version (one
    was changed outside :func:`activate_version` and :func:`rollback`)."""
    says = f"v{top.version.version}" if top is not None else "关键词规则"
    says_en = f"v{top.version.version}" if top is not None else "the keyword rules"
    now = f"v{active.version}" if active is not None else "关键词规则"
    now_en = f"v{active.version}" if active is not None else "the keyword rules"
    return Conflict(
        "history_mismatch",
        f"启用记录与当前启用的模型不符（当前为 {now}，记录为 {says}），无法回退；请用 triage activate 启用要用的版本，"
        f"该次启用会被记录，之后即可回退",
        f"the activation history does not match the active model ({now_en} is active, the history says "
        f"{says_en}), so there is nothing to roll back to; activate the version you want with triage activate: "
        f"that activation is recorded and rollback works again")


#: ``activate_version(replacing=ANY_ACTIVE)``: whatever version is active now
ANY_ACTIVE = object()


class ActiveChanged(Conflict):
    """Raised by :func:`activate_version` when the active version is not the one the caller
    judged the new one against (``replacing``)."""

    def __init__(self):
        super().__init__("model_changed", "比较期间启用的模型已变更，新模型已登记但未启用",
                         "another model was put to use while this one was being judged: it is registered, "
                         "not activated")


def activate_version(mv: ModelVersion, *, by=None, replacing=ANY_ACTIVE) -> ModelVersion:
    """Make ``mv`` the one active model of its kind and record the activation
    (:class:`ModelActivation`, on top of the one in effect, which a rollback returns to).

    ``replacing``: the pk of the version the caller expects to be active (``None``: none), for
    a caller that judged ``mv`` against it; :class:`ActiveChanged` when another is active by the
    time the lock is held.

    Refused (:class:`UserError`) when the file is missing, is not the one registered (sha256),
    is damaged or unsafe, or when none of its labels is an active category; nothing is written
    then. Labels that match nothing are listed by :func:`unmatched_labels` for the caller to
    warn about. Activating the active version writes nothing (unless the history does not say
    it is active: then the activation is recorded, so that rollback works again).
    """
    unmatched = check_version(mv)
    with transaction.atomic(), context.explicit_audit():
        previous = _lock_kind(mv.kind)
        if replacing is not ANY_ACTIVE and (previous.pk if previous is not None else None) != replacing:
            raise ActiveChanged()
        if ModelVersion.objects.filter(pk=mv.pk, file_removed_at__isnull=False).exists():
            # its file was removed while it was being checked (a retraining replaced it)
            from .service import removed_error

            raise removed_error(mv)
        top = in_effect(mv.kind)
        if previous is not None and previous.pk == mv.pk and top is not None and top.version_id == mv.pk:
            return mv
        now = timezone.now()
        if previous is not None and previous.pk != mv.pk:
            ModelVersion.objects.filter(pk=previous.pk).update(is_active=False)
        ModelVersion.objects.filter(pk=mv.pk).update(is_active=True, activated_at=now)
        entry = ModelActivation.objects.create(kind=mv.kind, version=mv, previous=top, at=now,
                                               by=by if by is not None else context.current().user)
        mv.refresh_from_db()
        audit.record("triage_model_activate", mv, actor=by,
                     before={"active": previous.version if previous else None,
                             "activation": top.pk if top else None},
                     after={"active": mv.version, "activation": entry.pk, "unmatched_labels": unmatched})
    _models_changed()
    return mv


def rollback(*, kind: str = ModelKind.CATEGORY, by=None) -> ModelVersion | None:
    """Undo the newest activation not undone yet (回退): mark it undone and activate what was
    in effect before it (its ``previous``), or return to the keyword rules when nothing was.

    Rolling back again undoes the activation before, and so on down to the keyword rules:
    A → B → A → B, then rollback gives A, B, A, the rules. The version returned to is checked
    as on activation; one that can no longer be used (file missing, altered, damaged, labels
    matching nothing) is refused with its version named, and nothing changes — it is not
    skipped. Refused too when there is nothing to undo, and when the history does not match
    the active version (changed outside these actions).
    """
    top = in_effect(kind)
    active = ModelVersion.objects.filter(kind=kind, is_active=True).first()
    if top is None and active is None:
        raise Conflict("nothing_to_undo", "没有可回退的模型启用：当前已由关键词规则分类",
                       "there is no model activation to roll back: the keyword rules already classify")
    if top is None or active is None or top.version_id != active.pk:
        raise history_mismatch(active, top)
    target_entry = top.previous
    target = target_entry.version if target_entry is not None else None
    if target is not None:
        try:
            check_version(target)
        except UserError as exc:
            raise UserError(exc.code, f"无法回退到 v{target.version}: {exc.zh}（可修复该文件，或用 triage activate "
                                      f"启用其他版本）",
                            f"cannot roll back to v{target.version}: {exc.en} (mend the file, or activate another "
                            f"version with triage activate)") from exc
    with transaction.atomic(), context.explicit_audit():
        locked = _lock_kind(kind)
        now = timezone.now()
        undone = ModelActivation.objects.filter(pk=top.pk, undone_at__isnull=True).update(
            undone_at=now, undone_by=by if by is not None else context.current().user)
        newest = ModelActivation.objects.filter(kind=kind, undone_at__isnull=True).order_by("-id").first()
        if (undone != 1 or locked is None or locked.pk != active.pk
                or (newest.pk if newest else None) != (target_entry.pk if target_entry else None)):
            raise Conflict("stale", "启用的模型已被他人更改，请刷新后重试",
                           "the active model was changed meanwhile: refresh and try again")
        ModelVersion.objects.filter(pk=active.pk).update(is_active=False)
        if target is not None:
            ModelVersion.objects.filter(pk=target.pk).update(is_active=True, activated_at=now)
            target.refresh_from_db()
        audit.record("triage_model_rollback", active, actor=by,
                     before={"active": active.version, "activation": top.pk},
                     after={"active": target.version if target else None,
                            "activation": target_entry.pk if target_entry else None})
    _models_changed()
    return target


def seed_rules(*, by=None) -> dict[str, int]:
    """Create the default keyword and routing rules that are missing (``triage rules seed``).

    Returns (and audits) how many keyword and routing rules were created, and in
    ``cohandlers_added`` how many existing default routing rules without co-handlers got their
    default ones (the migration seeds the rules before a county's departments exist); the
    audit record also names those rules and the departments they got (``cohandlers_added_to``).
    """
    from .seed import seed_keyword_rules, seed_routing_rules

    with transaction.atomic(), context.explicit_audit():
        bare = _default_routing_rules_without_cohandlers()
        out = {"keyword_rules": seed_keyword_rules(), "routing_rules": seed_routing_rules()}
        given = _cohandlers_now(bare)
        out["cohandlers_added"] = len(given)
        audit.record("triage_rules_seed", None, actor=by, object_type="triage.rules", object_id="default",
                     after={**out, "cohandlers_added_to": given})
    from . import service

    service.invalidate()
    return out


def _default_routing_rules_without_cohandlers() -> list[int]:
    """The ids of the existing default routing rules that should have co-handlers and have none."""
    from .models import RoutingRule
    from .seed import DEFAULT_ROUTES

    names = [name for name, _cat, _level, _target, co, _prio in DEFAULT_ROUTES if co]
    return list(RoutingRule.objects.filter(name__in=names, cohandlers__isnull=True).values_list("pk", flat=True))


def _cohandlers_now(rule_ids: list[int]) -> dict[str, list[str]]:
    """Rule name → its co-handling department codes, for those of ``rule_ids`` that have some now."""
    from .models import RoutingRule

    given: dict[str, list[str]] = {}
    for rule in RoutingRule.objects.filter(pk__in=rule_ids).prefetch_related("cohandlers").order_by("name", "pk"):
        codes = sorted(d.code for d in rule.cohandlers.all())
        if codes:
            given[rule.name] = codes
    return given


def remove_superseded_file(mv: ModelVersion, *, superseded_by: ModelVersion, by=None) -> bool:
    """Delete the file of ``mv``, a version never put to use, now that a later retraining
    (``superseded_by``) has taken its place: unattended retraining would otherwise keep a model
    file per try. The record stays, with its figures, marked ``file_removed_at``; activating it
    is refused (also by an activation that checked the file just before: it looks at the mark
    under the same lock). A version that was ever active keeps its file (a rollback may return
    to it). Returns whether the file was removed."""
    with transaction.atomic(), context.explicit_audit():
        _lock_kind(mv.kind)  # the lock activations take: one that checked the file waits, then sees the mark
        locked = ModelVersion.objects.filter(pk=mv.pk).first()
        if (locked is None or locked.is_active or locked.activated_at is not None
                or locked.file_removed_at is not None):
            return False
        path = locked.path()
        ModelVersion.objects.filter(pk=locked.pk).update(file_removed_at=timezone.now())
        audit.record("triage_model_file_remove", locked, actor=by, before={"file": locked.file, "sha256": locked.sha256},
                     after={"superseded_by": superseded_by.version})
        transaction.on_commit(lambda: path.unlink(missing_ok=True))  # a rollback keeps the file
    return True


def _models_changed() -> None:
    from . import service

    service.invalidate_model()
