"""Checks shared by the writes of the grid registries (key persons, check-points): typed text,
choices, the place and the responsible grid worker, an interval in days, and a past time a field
worker records afterwards. Each refusal is a :class:`UserError` in Chinese and English naming
its field."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from fengqiao.accounts.models import User
from fengqiao.areas.models import Area, Level
from fengqiao.core import roles
from fengqiao.core.errors import Conflict, Forbidden, UserError
from fengqiao.core.inputs import has_control, optional_version, whole_number
from fengqiao.core.personal import NORMALIZERS, PersonalDataError
from fengqiao.events.sla import now as clock_now

from .models import town_path

MAX_NOTE = 2000
#: the longest name, ID number or phone number typed
MAX_NAME = 50
#: a visit or an inspection may be recorded this long after it happened (typed in at night)
MAX_BACKDATE = dt.timedelta(days=30)
FUTURE_SLACK = dt.timedelta(minutes=5)
#: where a registry entry lies: a village or community, or a grid (or micro-grid) in it
PLACE_LEVELS = frozenset({Level.VILLAGE, Level.GRID, Level.MICROGRID})


def text(value, field: str, zh: str, en: str, *, required: bool = False, max_len: int = MAX_NOTE,
         lines: bool = True) -> str:
    """A text typed, stripped: of several ``lines`` (a note, a reason: tabs and line breaks kept)
    unless ``lines=False`` (an address, a name: one line); no other control character
    (:func:`core.inputs.has_control`)."""
    value = value.strip() if isinstance(value, str) else ""
    if required and not value:
        raise UserError("required", f"请填写{zh}", f"{en} is required", field=field)
    if len(value) > max_len:
        raise UserError("too_long", f"{zh}不能超过 {max_len} 字", f"{en}: at most {max_len} characters", field=field)
    if has_control(value, lines=lines):
        if lines:
            raise UserError("bad_text", f"{zh}含有不可见的控制字符", f"{en} holds an invisible control character",
                            field=field)
        raise UserError("bad_text", f"{zh}应为一行文字,不能含有换行或不可见的控制字符",
                        f"{en} must be one line, without line breaks or invisible control characters", field=field)
    return value


#: what a refusal calls each kind of personal value (the form puts it under its own box)
PERSONAL_WORDS = {"name": ("姓名", "the name"), "id_number": ("身份证号码", "the ID number"),
                  "phone": ("电话号码", "the phone number")}


def personal(kind: str, value, field: str, *, required: bool = False) -> str:
    """A name, ID number or phone number (``kind``), normalised; only a name is ever required.
    None holds a control character, a tab or a line break (:func:`core.inputs.has_control`)."""
    value = value.strip() if isinstance(value, str) else ""
    if not value:
        if required:
            raise UserError("required", "请填写姓名", "the name is required", field=field)  # only the name is
        return ""
    if has_control(value) or len(value) > MAX_NAME:
        zh, en = PERSONAL_WORDS[kind]
        raise UserError("bad_value", f"{zh}格式不正确(不超过 {MAX_NAME} 字,不含控制字符)",
                        f"{en}: at most {MAX_NAME} characters, no control characters", field=field)
    try:
        return NORMALIZERS[kind](value)
    except PersonalDataError as exc:
        raise UserError(exc.code, exc.message_zh, exc.message_en, field=field) from exc


def choice(value, choices, field: str, zh: str, en: str) -> str:
    if value in (None, ""):
        raise UserError("required", f"请选择{zh}", f"choose a {en}", field=field)
    if value not in choices.values:
        shown = str(value)[:40]  # a long value is not echoed back whole
        raise UserError("bad_choice", f"{zh}无效: {shown}", f"not a valid {en}: {shown}", field=field)
    return value


def days(value, field: str, zh: str, en: str) -> int:
    """An interval of 1 to 365 days (``zh`` and ``en`` name what is repeated: 走访, visit)."""
    try:
        n = whole_number(value, field)
    except UserError:
        n = -1
    if not 1 <= n <= 365:
        raise UserError("bad_frequency", f"{zh}周期应为 1 到 365 天", f"{en} every 1 to 365 days", field=field)
    return n


def code(value) -> str:
    """A code typed or posted: NUL would be refused by PostgreSQL (a 500), so it is no code."""
    c = str(value or "").strip()
    return "" if "\x00" in c else c


def place(value, by) -> Area:
    """A village, grid or micro-grid in ``by``'s jurisdiction that is still in use."""
    area = value if isinstance(value, Area) else Area.objects.filter(code=code(value)).first() if code(value) \
        else None
    if area is None or by.area_id is None or not area.path.startswith(by.area.path):
        raise UserError("bad_area", "区域不存在或不在您的管辖范围内", "unknown area, or outside your jurisdiction",
                        field="area")
    if not area.is_active:
        raise UserError("inactive_area", "该区域已停用", "the area is no longer in use", field="area")
    if area.level not in PLACE_LEVELS:
        raise UserError("bad_area_level", "请选择村(社区)或网格", "choose a village/community or a grid", field="area")
    return area


def caretaker(value, area: Area) -> User | None:
    """The responsible grid worker: an active grid worker of ``area``'s town, or nobody."""
    if value in (None, ""):
        return None
    user = value if isinstance(value, User) else User.objects.filter(username=code(value)).first() if code(value) \
        else None
    town = town_path(area.path)
    if (user is None or user.role != roles.GRID_WORKER or not user.is_active or user.area_id is None
            or not user.area.path.startswith(town)):
        raise UserError("bad_caretaker", "责任网格员应为本乡镇(街道)在岗的网格员",
                        "the responsible person must be an active grid worker of the same town", field="caretaker")
    return user


def may(by, allowed: frozenset, zh: str, en: str) -> None:
    if by is None or by.role not in allowed:
        raise Forbidden("role_not_allowed", f"您的角色不能{zh}", f"your role may not {en}")


def moment(value, field: str, zh: str, en: str) -> dt.datetime:
    """A date and time (ISO 8601) a field worker's device sent; one without a zone is the
    server's local time. ``zh``/``en`` name the event (走访/visit) in the refusal."""
    try:
        when = value if isinstance(value, dt.datetime) else parse_datetime(value.strip()) if isinstance(
            value, str) else None
    except ValueError:  # well formed but impossible (2026-02-30T10:00)
        when = None
    if when is None:
        raise UserError("bad_time", f"{zh}时间格式不正确", f"the {en} time is not a date and time", field=field)
    return timezone.make_aware(when) if timezone.is_naive(when) else when


def past_time(value, field: str, zh: str, en: str) -> dt.datetime:
    """When a visit or an inspection (``zh``/``en``: 走访/visit) happened: now when not given,
    never in the future, at most :data:`MAX_BACKDATE` ago."""
    now = clock_now()
    if value in (None, ""):
        return now
    when = moment(value, field, zh, en)
    if when > now + FUTURE_SLACK:
        raise UserError("future_time", f"{zh}时间不能晚于现在", f"the {en} cannot be in the future", field=field)
    if when < now - MAX_BACKDATE:
        raise UserError("too_old", f"只能补录30天内的{zh}", f"{en}s older than 30 days cannot be recorded",
                        field=field)
    return when


def unchanged(entry, field: str, value, *, readers=None) -> bool:
    """Whether ``value`` given for ``field`` is what the registry ``entry`` holds already (a form
    sends every box back, a client may send the whole entry): such a value is no change and is
    not checked again. The responsible grid worker and the area compare by username and code;
    ``readers`` (field → function) read other values the way the action would, and a value they
    refuse is a change (the action then refuses it with its message); other fields are texts."""
    if field == "caretaker":
        if isinstance(value, User):
            return value.pk == entry.caretaker_id
        if value in (None, ""):
            return entry.caretaker_id is None
        return entry.caretaker is not None and code(value) == entry.caretaker.username
    if field == "area":
        return value.pk == entry.area_id if isinstance(value, Area) else code(value) == entry.area.code
    if readers and field in readers:
        try:
            return readers[field](value) == getattr(entry, field)
        except UserError:
            return False
    return isinstance(value, str) and value.strip() == getattr(entry, field)


def only(changes: dict, allowed) -> None:
    """An edit names only fields the entry lets change (else 400 ``unknown_field``)."""
    unknown = set(changes) - set(allowed)
    if unknown:
        raise UserError("unknown_field", f"不能修改: {', '.join(sorted(unknown))}",
                        f"cannot change: {', '.join(sorted(unknown))}")


def current(version, entry) -> None:
    """The ``version`` an edit was made on (none: not checked) is the locked ``entry``'s, else
    409 ``stale_version``: someone else changed it meanwhile."""
    sent = optional_version(version)
    if sent is not None and sent != entry.version:
        raise Conflict("stale_version", "记录已被他人更新,请刷新后重试", "someone else changed this record; reload and try again")


def once(record, key: str | None, owner: str, owner_pk, *, zh: str, en: str, related=()):
    """What ``record`` (a visit or an inspection, recorded with an ``Idempotency-Key``) wrote
    the first time with ``key``, marked ``repeated``; ``None`` when the key is new (or none was
    sent). A key used for another entry (``owner``) is the client's mistake (422), never an
    answer about that entry. ``zh``/``en`` name the other entry's kind of record; ``related``
    are further relations the answer reads (an inspection's hazard matter)."""
    if not key:
        return None
    done = record.objects.select_related(owner, *related).filter(idempotency_key=key).first()
    if done is None:
        return None
    if getattr(done, f"{owner}_id") != owner_pk:
        raise UserError("idempotency_key_reused", f"该幂等键已用于另一个{zh},请换一个键",
                        f"this Idempotency-Key was already used for another {en}; use a new key",
                        status=422, field="Idempotency-Key")
    done.repeated = True
    return done


def retried(done, same, *, zh: str, en: str):
    """``done`` (what :func:`once` found written first with the key, or ``None``) when the
    request repeats it: ``same(done)`` says whether it sends what ``done`` holds. The same key
    with other content is the client's mistake (ADR 0105 as amended): 422
    ``idempotency_key_reused``, for answering with the first record would drop the second one
    unseen. ``zh``/``en`` name the kind of record (走访/visit)."""
    if done is not None and not same(done):
        raise UserError("idempotency_key_reused", f"该幂等键已用于内容不同的另一次{zh},请为这次{zh}换一个键",
                        f"this Idempotency-Key was already used for a different {en}; use a new key for this one",
                        status=422, field="Idempotency-Key")
    return done


def sent_time(value, when: dt.datetime) -> bool:
    """Whether a retry's time (``value``, as sent) is ``when``, the time recorded the first
    time. None sent means "now", which a retry cannot repeat: no difference."""
    if value in (None, ""):
        return True
    try:
        return moment(value, "", "", "") == when
    except UserError:
        return False


def same_text(value, stored: str) -> bool:
    """Whether a retry's text is what was stored (read as :func:`text` reads it: stripped)."""
    return (value.strip() if isinstance(value, str) else "") == stored


def written_once(write, repeat):
    """``write()``, the write of a round recorded with an ``Idempotency-Key``; when two identical
    requests raced and the key's unique index refused the second, the round the first one wrote
    (``repeat()``, :func:`once`). An integrity error that is not the key's is not the user's: it
    is raised."""
    try:
        return write()
    except IntegrityError:
        done = repeat()
        if done is None:
            raise
        return done
