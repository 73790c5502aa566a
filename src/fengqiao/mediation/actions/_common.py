"""Helpers shared by the mediation actions: locking, timeline, parameter parsing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from fengqiao.core.errors import Conflict, NotFound, UserError

from ..models import Dispute, TimelineEntry


def now() -> dt.datetime:
    return timezone.now()


def lock(dispute_or_id, expected_version: int | None = None) -> Dispute:
    """Re-read the dispute under a row lock; a stale version is a 409 (someone acted first)."""
    pk = getattr(dispute_or_id, "pk", dispute_or_id)
    if expected_version is not None:
        try:
            expected_version = int(expected_version)
        except (TypeError, ValueError):
            raise UserError("invalid", "版本号应为整数", "version must be an integer", field="version") from None
    d = Dispute.objects.select_for_update(of=("self",)).select_related("area", "type", "organisation").filter(pk=pk).first()
    if d is None:
        raise NotFound("纠纷", "dispute")
    if expected_version is not None and expected_version != d.version:
        raise Conflict("stale_version", "该纠纷已被他人更新,请刷新后重试",
                       "the dispute was changed by someone else; reload and try again")
    return d


def bump(d: Dispute, at: dt.datetime | None = None, fields: list[str] | None = None) -> None:
    """Save with version + 1, guarded by the version we hold (a lost update cannot happen)."""
    at = at or now()
    old = d.version
    d.version = old + 1
    d.updated_at = at
    d.area_path = d.area.path
    if fields is None:
        fields = [f.name for f in d._meta.concrete_fields if not f.primary_key]
    else:
        fields = [*fields, "version", "updated_at"]
    values = {f: getattr(d, d._meta.get_field(f).attname) for f in fields}
    values = {d._meta.get_field(f).attname: v for f, v in values.items()}
    updated = Dispute.objects.filter(pk=d.pk, version=old).update(**values)
    if updated != 1:
        raise Conflict("stale_version", "该纠纷已被他人更新,请刷新后重试",
                       "the dispute was changed by someone else; reload and try again")


def timeline(d: Dispute, by, action: str, from_state: str, to_state: str, reason: str = "",
             data: dict | None = None, at: dt.datetime | None = None) -> TimelineEntry:
    return TimelineEntry.objects.create(
        dispute=d, at=at or now(), actor=by if getattr(by, "pk", None) else None,
        actor_name=(by.get_full_name() or by.username) if getattr(by, "pk", None) else "system",
        action=action, from_state=from_state, to_state=to_state, reason=str(reason or "")[:2000], data=data or {},
    )


def text(params: dict, key: str, *, required: bool = False, max_len: int = 5000) -> str:
    value = params.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise UserError("invalid", f"字段 {key} 应为文本", f"field {key} must be text", field=key)
    value = value.strip()
    if required and not value:
        raise UserError("required", f"请填写 {key}", f"{key} is required", field=key)
    if len(value) > max_len:
        raise UserError("too_long", f"{key} 过长(最多 {max_len} 字)", f"{key} is too long (at most {max_len})", field=key)
    return value


def when(params: dict, key: str, *, required: bool = False, default: dt.datetime | None = None) -> dt.datetime | None:
    value = params.get(key)
    if value in (None, ""):
        if required:
            raise UserError("required", f"请填写 {key}", f"{key} is required", field=key)
        return default
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        try:
            parsed = parse_datetime(str(value))
        except ValueError:
            parsed = None
        if parsed is None:
            raise UserError("bad_datetime", f"{key} 不是有效的日期时间(ISO 8601)", f"{key} is not an ISO 8601 date-time",
                            field=key)
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def money(params: dict, key: str, default: Decimal | None = None) -> Decimal | None:
    value = params.get(key)
    if value in (None, ""):
        return default
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise UserError("bad_amount", f"{key} 不是有效金额", f"{key} is not a valid amount", field=key) from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
        raise UserError("bad_amount", f"{key} 不是有效金额", f"{key} is not a valid amount", field=key)
    return amount.quantize(Decimal("0.01"))


def string_list(params: dict, key: str, *, max_items: int = 50) -> list[str]:
    value = params.get(key) or []
    if isinstance(value, str):
        value = [v.strip() for v in value.replace("、", ",").replace(",", ",").split(",")]
    if not isinstance(value, (list, tuple)) or len(value) > max_items:
        raise UserError("invalid", f"{key} 应为列表", f"{key} must be a list", field=key)
    out = []
    for v in value:
        if not isinstance(v, (str, int)):
            raise UserError("invalid", f"{key} 应为文本列表", f"{key} must be a list of text", field=key)
        v = str(v).strip()
        if v:
            out.append(v[:100])
    return out


def flag(params: dict, key: str) -> bool:
    value = params.get(key)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"1", "true", "yes", "on"}:
        return True
    if isinstance(value, str) and value.lower() in {"0", "false", "no", "off", ""}:
        return False
    if value is None:
        raise UserError("required", f"请填写 {key}", f"{key} is required", field=key)
    raise UserError("invalid", f"{key} 应为是/否", f"{key} must be true or false", field=key)
