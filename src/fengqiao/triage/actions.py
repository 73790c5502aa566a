"""Every triage write that matters to a user: one function, one transaction, one audit record."""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from fengqiao.core import audit, context
from fengqiao.core.errors import UserError
from fengqiao.events.actions._base import actor_name, stale
from fengqiao.events.models import Category, Event, TimelineEntry

from .models import CategoryLabel, LabelSource, ModelKind, ModelVersion, TriageResult


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
    suggestion, else ``operator_correct``) and one audit record, in one transaction.
    """
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


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def register_version(*, file: str, labels, training: dict, evaluation: dict, by=None, note: str = "",
                     kind: str = ModelKind.CATEGORY) -> ModelVersion:
    """Record a trained model file as the next version of ``kind`` (not active yet)."""
    with transaction.atomic(), context.explicit_audit():
        last = ModelVersion.objects.select_for_update().filter(kind=kind).order_by("-version").first()
        mv = ModelVersion(kind=kind, version=(last.version + 1) if last else 1, file=file, labels=list(labels),
                          training=audit.canonical(training), evaluation=audit.canonical(evaluation), note=note,
                          created_by=by)
        p = mv.path()
        mv.sha256 = sha256_of(p) if p.is_file() else ""
        mv.save()
        audit.record("triage_model_register", mv, actor=by, after={"kind": kind, "version": mv.version,
                                                                     "file": file, "evaluation": evaluation})
    return mv


def activate_version(mv: ModelVersion, *, by=None) -> ModelVersion:
    """Make ``mv`` the one active model of its kind (the previous one is deactivated)."""
    from . import classifier

    try:
        classifier.load(mv.path())  # refuse a file that is missing, damaged or unsafe
    except classifier.ModelFileError as exc:
        raise UserError("bad_model", f"模型文件不可用: {exc}", f"the model file cannot be used: {exc}") from exc
    with transaction.atomic(), context.explicit_audit():
        previous = ModelVersion.objects.select_for_update().filter(kind=mv.kind, is_active=True).first()
        if previous is not None and previous.pk == mv.pk:
            return mv
        if previous is not None:
            ModelVersion.objects.filter(pk=previous.pk).update(is_active=False)
        ModelVersion.objects.filter(pk=mv.pk).update(is_active=True, activated_at=timezone.now())
        mv.refresh_from_db()
        audit.record("triage_model_activate", mv, actor=by,
                     before={"active": previous.version if previous else None}, after={"active": mv.version})
    _models_changed()
    return mv


def rollback(*, kind: str = ModelKind.CATEGORY, by=None) -> ModelVersion | None:
    """Go back to the version activated before the current one (or to none: the keyword rules)."""
    with transaction.atomic(), context.explicit_audit():
        current = ModelVersion.objects.select_for_update().filter(kind=kind, is_active=True).first()
        if current is None:
            raise UserError("no_active_model", "当前没有启用的模型", "no model is active")
        earlier = (ModelVersion.objects.filter(kind=kind, activated_at__isnull=False, version__lt=current.version)
                   .order_by("-activated_at", "-version").first())
        ModelVersion.objects.filter(pk=current.pk).update(is_active=False)
        if earlier is not None:
            ModelVersion.objects.filter(pk=earlier.pk).update(is_active=True, activated_at=timezone.now())
            earlier.refresh_from_db()
        audit.record("triage_model_rollback", current, actor=by, before={"active": current.version},
                     after={"active": earlier.version if earlier else None})
    _models_changed()
    return earlier


def seed_rules(*, by=None) -> dict[str, int]:
    """Create the default keyword and routing rules that are missing (``triage rules seed``)."""
    from .seed import seed_keyword_rules, seed_routing_rules

    with transaction.atomic(), context.explicit_audit():
        out = {"keyword_rules": seed_keyword_rules(), "routing_rules": seed_routing_rules()}
        audit.record("triage_rules_seed", None, actor=by, object_type="triage.rules", object_id="default", after=out)
    from . import service

    service.invalidate()
    return out


def _models_changed() -> None:
    from . import service

    service.invalidate_model()
