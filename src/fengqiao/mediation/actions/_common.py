"""Helpers shared by the mediation actions: locking, timeline, parameter parsing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_noop

from fengqiao.core.errors import Conflict, NotFound, UserError
from fengqiao.core.inputs import has_control, optional_version

from ..models import Dispute, TimelineEntry


def now() -> dt.datetime:
    return timezone.now()


def lock(dispute_or_id, expected_version: int | None = None) -> Dispute:
    """Re-read the dispute under a row lock; a stale version is a 409 (someone acted first)."""
    pk = getattr(dispute_or_id, "pk", dispute_or_id)
    # a whole number (``core.inputs.whole_number``: 400 ``bad_version``), never -5 or 2**63 read as
    # a version someone else made
    expected_version = optional_version(expected_version)
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


class Field(NamedTuple):
    """A parameter of the actions as users know it."""

    zh: str
    en: str
    widget: str = ""  # how the console's action forms ask for it (views._field); "" = not on them


# The one table of the actions' parameters: what a user calls each one, in Chinese and English,
# for error messages (a message names the field as the form labels it, never by its parameter
# name) and, for a field with a ``widget``, the console's action forms, which show the English
# through the catalogue (so that English is marked with gettext_noop for makemessages).
FIELDS: dict[str, Field] = {
    "address": Field("地址", "Address"),
    "amount": Field("涉及金额", "Amount in dispute"),
    "amount_in_dispute": Field("涉及金额", "Amount in dispute"),
    "amount_recovered": Field("协议/挽回金额", "Amount agreed/recovered"),
    "attendees": Field("参加人员", "Attendees"),
    "claims": Field("当事人请求", "Claims"),
    "confirmed": Field("法院是否确认", gettext_noop("Confirmed by the court?"), "confirmed"),
    "court": Field("法院", gettext_noop("Court"), "text"),
    "credit_code": Field("统一社会信用代码", "Unified social credit code"),
    "facts": Field("纠纷事实", "Facts"),
    "held_at": Field("调解时间", gettext_noop("Date and time"), "datetime-local"),
    "honoured": Field("协议履行情况", gettext_noop("Agreement honoured?"), "honoured"),
    "household_code": Field("户籍户号", "Household register number"),
    "id_number": Field("身份证号码", "ID number"),
    "leader": Field("包案领导", "Leader in charge"),
    "mediators": Field("调解员", gettext_noop("Mediators"), "mediators"),
    "minutes": Field("调解笔录", gettext_noop("Minutes"), "textarea"),
    "name": Field("姓名", "Name"),
    "note": Field("备注", "Note"),
    "org_name": Field("单位名称", "Organisation name"),
    "organisation": Field("调解组织", "Organisation"),
    "participants": Field("参加人员", "Participants"),
    "phone": Field("电话", "Phone"),
    "place": Field("地点", gettext_noop("Place"), "text"),
    "plan": Field("化解方案", "Plan"),
    "reason": Field("原因", gettext_noop("Reason"), "textarea"),
    "referral": Field("转处去向", gettext_noop("Referred to"), "referral"),
    "referral_body": Field("转处机关", "Body referred to"),
    "referral_note": Field("转处说明", "Referral note"),
    "resolved": Field("是否已化解", "Resolved"),
    "result": Field("化解结果", "Result"),
    "scheduled_at": Field("听证时间", "Hearing date and time"),
    "session": Field("调解场次", gettext_noop("Session"), "session"),
    "signed_at": Field("签订时间", "Signed at"),
    "source_ref": Field("来源编号", "Source reference"),
    "summary": Field("听证纪要", "Summary"),
    "terms": Field("协议内容", gettext_noop("Terms of the agreement"), "textarea"),
    "text": Field("备注内容", gettext_noop("Comment"), "textarea"),
    "title": Field("标题", "Title"),
    "version": Field("版本号", "Version"),
    "visited_at": Field("回访时间", "Visited at"),
}


def label(key: str) -> tuple[str, str]:
    """(Chinese, English) name of a parameter as users know it; unknown keys as they are."""
    f = FIELDS.get(key)
    return (f.zh, f.en) if f is not None else (key, key)


def required_error(key: str) -> UserError:
    zh, en = label(key)
    return UserError("required", f"请填写{zh}", f"{en} is required", field=key)


def control_error(key: str) -> UserError:
    zh, en = label(key)
    return UserError("bad_text", f"{zh}含有不可见的控制字符", f"{en} holds a control character (such as NUL)",
                     field=key)


def text(params: dict, key: str, *, required: bool = False, max_len: int = 5000) -> str:
    """Free text: text or nothing, stripped, at most ``max_len`` characters, no control
    characters but tab and line breaks; else a bilingual 400 naming the field."""
    value = params.get(key, "")
    if value is None:
        value = ""
    zh, en = label(key)
    if not isinstance(value, str):
        raise UserError("invalid", f"{zh}应为文本", f"{en} must be text", field=key)
    value = value.strip()
    if required and not value:
        raise required_error(key)
    if len(value) > max_len:
        raise UserError("too_long", f"{zh}过长:最多 {max_len} 字,现为 {len(value)} 字",
                        f"{en} is too long: at most {max_len} characters, got {len(value)}", field=key)
    if has_control(value, lines=True):
        raise control_error(key)
    return value


def when(params: dict, key: str, *, required: bool = False, default: dt.datetime | None = None) -> dt.datetime | None:
    value = params.get(key)
    if value in (None, ""):
        if required:
            raise required_error(key)
        return default
    zh, en = label(key)
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        try:
            parsed = parse_datetime(str(value))
        except ValueError:
            parsed = None
        if parsed is None:
            raise UserError("bad_datetime", f"{zh}不是有效的日期时间(如 2026-03-01 14:30)",
                            f"{en} is not a valid date and time (e.g. 2026-03-01 14:30)", field=key)
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def money(params: dict, key: str, default: Decimal | None = None) -> Decimal | None:
    value = params.get(key)
    if value in (None, ""):
        return default
    zh, en = label(key)
    problem = UserError("bad_amount", f"{zh}不是有效金额:应为 0 至 1 万亿元之间的数字(元,最多两位小数)",
                        f"{en} is not a valid amount: give a number of yuan from 0 to one trillion", field=key)
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise problem from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
        raise problem
    return amount.quantize(Decimal("0.01"))


def string_list(params: dict, key: str, *, max_items: int = 50) -> list[str]:
    value = params.get(key) or []
    zh, en = label(key)
    if isinstance(value, str):
        value = [v.strip() for v in value.replace("、", ",").replace(",", ",").split(",")]
    if not isinstance(value, (list, tuple)):
        raise UserError("invalid", f"{zh}应为名单(用逗号或顿号分隔)", f"{en} must be a list of names", field=key)
    if len(value) > max_items:
        raise UserError("invalid", f"{zh}过多:最多 {max_items} 项", f"{en}: at most {max_items} entries", field=key)
    out = []
    for v in value:
        if not isinstance(v, (str, int)):
            raise UserError("invalid", f"{zh}应为名单(用逗号或顿号分隔)", f"{en} must be a list of names", field=key)
        v = str(v).strip()
        if has_control(v):  # a name: one line
            raise control_error(key)
        if v:
            out.append(v[:100])
    return out


#: how a form writes a yes or a no (a JSON body sends ``true``/``false``)
TRUE_TEXT, FALSE_TEXT = frozenset({"true", "1"}), frozenset({"false", "0"})


def boolean(value, key: str) -> bool:
    """A yes or a no: JSON ``true``/``false``, or a form's ``"true"``/``"false"``/``"1"``/``"0"``.
    Anything else (``"no"``, ``1``, ``""``, a list) is a bilingual 400 naming the field, never
    taken for a yes because it is not empty."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE_TEXT:
        return True
    if isinstance(value, str) and value.strip().lower() in FALSE_TEXT:
        return False
    zh, en = label(key)
    raise UserError("invalid", f"{zh}应为 true 或 false", f"{en} must be true or false", field=key)


def flag(params: dict, key: str) -> bool:
    """A required yes or no (:func:`boolean`)."""
    value = params.get(key)
    if value is None:
        raise required_error(key)
    return boolean(value, key)
