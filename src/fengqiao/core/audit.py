"""Writing and verifying the audit trail (审计日志)."""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from . import context
from .models import AuditChainHead, AuditRecord

GENESIS = "0" * 64


def _default(value):
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    return str(value)


def canonical(value) -> object:
    """JSON-safe value that survives a round trip through any database's JSON column."""
    return json.loads(json.dumps(value, default=_default, ensure_ascii=False, sort_keys=True))


def _payload(rec: AuditRecord) -> str:
    data = {
        "seq": rec.seq,
        "at": rec.at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f"),
        "actor_id": rec.actor_id,
        "actor_username": rec.actor_username,
        "action": rec.action,
        "object_type": rec.object_type,
        "object_id": rec.object_id,
        "object_repr": rec.object_repr,
        "before": rec.before,
        "after": rec.after,
        "ip": rec.ip,
        "request_id": rec.request_id,
        "channel": rec.channel,
    }
    return json.dumps(data, default=_default, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def compute_hash(prev_hash: str, rec: AuditRecord) -> str:
    key = settings.FENGQIAO_AUDIT_KEY.encode("utf-8")
    return hmac.new(key, (prev_hash + _payload(rec)).encode("utf-8"), hashlib.sha256).hexdigest()


def snapshot(instance: models.Model) -> dict:
    """Field values of a model instance for before/after, personal data masked."""
    from .fields import PersonalDataField, PersonalDigestField

    data = {}
    for f in instance._meta.concrete_fields:
        if isinstance(f, PersonalDigestField) or f.name in {"password"}:
            continue
        value = getattr(instance, f.attname)
        if isinstance(f, PersonalDataField):
            value = f.mask(value)
        elif isinstance(f, models.FileField):
            value = str(value) if value else ""
        data[f.name] = value
    return canonical(data)


def record(
    action: str,
    obj: models.Model | None = None,
    *,
    before: dict | None = None,
    after: dict | None = None,
    actor=None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
) -> AuditRecord:
    """Append one record to the chain in the caller's transaction (or its own)."""
    ctx = context.current()
    actor = actor if actor is not None else ctx.user
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    with transaction.atomic():
        head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            head = AuditChainHead.objects.create(pk=1)
            head = AuditChainHead.objects.select_for_update().get(pk=1)
        rec = AuditRecord(
            seq=head.last_seq + 1,
            at=timezone.now(),
            actor_id=getattr(actor, "pk", None),
            actor_username=getattr(actor, "username", "") or "",
            action=action,
            object_type=object_type,
            object_id=str(object_id)[:64],
            object_repr=object_repr[:200],
            before=canonical(before) if before is not None else None,
            after=canonical(after) if after is not None else None,
            ip=ctx.ip[:64],
            request_id=ctx.request_id,
            channel=ctx.channel,
            prev_hash=head.last_hash,
        )
        rec.hash = compute_hash(head.last_hash, rec)
        rec.save()
        AuditChainHead.objects.filter(pk=1).update(last_seq=rec.seq, last_hash=rec.hash)
    return rec


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    first_bad_id: int | None = None
    reason: str = ""


def verify(chunk_size: int = 5000) -> VerifyResult:
    """Walk the whole chain; report the first record whose link or content does not match."""
    prev = GENESIS
    expected_seq = 1
    checked = 0
    for rec in AuditRecord.objects.order_by("seq").iterator(chunk_size=chunk_size):
        if rec.seq != expected_seq:
            return VerifyResult(False, checked, expected_seq, rec.pk, f"record seq {expected_seq} is missing (next found: {rec.seq})")
        if rec.prev_hash != prev:
            return VerifyResult(False, checked, rec.seq, rec.pk, "link to the previous record is broken")
        if compute_hash(prev, rec) != rec.hash:
            return VerifyResult(False, checked, rec.seq, rec.pk, "record content does not match its hash")
        prev = rec.hash
        expected_seq += 1
        checked += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.last_seq != checked or head.last_hash != prev):
        return VerifyResult(False, checked, checked + 1, None, f"records after seq {checked} were removed (chain head says {head.last_seq})")
    return VerifyResult(True, checked)
