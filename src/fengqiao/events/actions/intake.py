"""Intake (受理登记): one matter from any channel."""

from __future__ import annotations

import datetime as dt
import re

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.dateparse import parse_datetime

from fengqiao.areas.models import Area, Department
from fengqiao.core import audit, context, roles, rows
from fengqiao.core.errors import UserError, shown
from fengqiao.core.inputs import scoped_key
from fengqiao.core.memo import Memo
from fengqiao.core.personal import NORMALIZERS, PersonalDataError

from .. import notify
from ..choices import Channel, State, Urgency
from ..models import Category, Event, TimelineEntry
from ..places import resolve_area
from ..sla import now as sla_now
from ._base import actor_name, centre_ids

_CHANNELS, _URGENCIES, _STATES = frozenset(Channel.values), frozenset(Urgency.values), frozenset(State.values)
_ENDED = frozenset({State.CLOSED, State.REJECTED, State.CANCELLED})
#: Urgencies that notify the town's command centre at intake (the rest wait in its queue).
URGENT_ON_INTAKE = frozenset({Urgency.URGENT, Urgency.CRITICAL})


def _bad(field: str, zh: str, en: str) -> UserError:
    return UserError("invalid", zh, en, field=field)


#: the longest content taken, and the longest reporter's name: every intake (the API, Open311,
#: the console, the phone page, imports) refuses more rather than cutting it
MAX_CONTENT = 20000
MAX_REPORTER_NAME = 100


def _text(value, field: str, zh: str, en: str, max_len: int, *, required: bool = False) -> str:
    """One text field of a matter, stripped; refused (400 naming ``field``) when it is not text,
    is empty but ``required``, is longer than ``max_len`` or holds a NUL (PostgreSQL cannot store
    it; SQLite would keep it where no reader expects it)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _bad(field, f"{zh}应为文字", f"{en} must be text")
    text = value.strip()
    if required and not text:
        raise _bad(field, f"{zh}不能为空", f"{en} is required")
    if len(text) > max_len:
        raise _bad(field, f"{zh}不能超过{max_len}字", f"{en} is longer than {max_len} characters")
    if "\x00" in text:  # other control characters of a channel's text are kept: it is the citizen's record
        raise _bad(field, f"{zh}含有不可见的控制字符", f"{en} holds a NUL character")
    return text


#: bounds of a matter's times (occurred, received): nothing a county centre handles happened
#: before the People's Republic (the year 124 once came in through the API and was echoed with
#: Shanghai's local-mean-time offset, +08:05:43, which is no valid RFC 3339 time), and nothing
#: in the future beyond a day of clock skew between the reporting system and ours
EARLIEST = dt.datetime(1949, 10, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
FUTURE_SKEW = dt.timedelta(days=1)


def _datetime(value, field: str):
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        parsed = parse_datetime(str(value).strip().replace("/", "-"))
        if parsed is None:
            raise _bad(field, f"时间格式不正确: {value}", f"not a date and time: {value}")
    if parsed.tzinfo is None:
        from fengqiao.workcal.calendar import SHANGHAI

        parsed = parsed.replace(tzinfo=SHANGHAI)
    shown = f"{parsed.date().isoformat()} {parsed:%H:%M}"
    if parsed < EARLIEST:
        raise _bad(field, f"时间早于1949年10月1日: {shown}", f"before 1949-10-01: {shown}")
    if parsed > sla_now() + FUTURE_SKEW:
        raise _bad(field, f"时间晚于当前时间: {shown}", f"in the future: {shown}")
    return parsed


#: a title taken from the content is at most this long
AUTO_TITLE_CHARS = 30
_SENTENCE_END = re.compile(r"[。！？!?；;\n]")


def title_from(content: str) -> str:
    """A missing title, from the content: its first sentence when that says something and is short
    enough, else its first characters with an ellipsis, so a cut title is not read as whole."""
    if len(content) <= AUTO_TITLE_CHARS:
        return content
    first = _SENTENCE_END.split(content, maxsplit=1)[0].strip()
    if 6 <= len(first) <= AUTO_TITLE_CHARS:
        return first
    return content[:AUTO_TITLE_CHARS - 1].rstrip() + "…"


def event_number(received_at, pk: int) -> str:
    """受理编号: ``FQ`` + the UTC date received + the id, e.g. ``FQ202611230000331``."""
    return f"FQ{received_at.astimezone(dt.UTC).strftime('%Y%m%d')}{pk:07d}"


def home_root(user) -> Area | None:
    """The area a user's intake defaults to: its home node, or its department's county."""
    if user is not None and user.area_id:
        return user.area
    if user is not None and user.department_id:
        return Department.objects.select_related("county").get(pk=user.department_id).county
    return Area.objects.filter(parent__isnull=True).order_by("path").first()


_categories = Memo("categories by code and name", 30, invalidated_by=["events.category"])


def _category_maps() -> tuple[dict, dict]:
    def build():
        cats = list(Category.objects.filter(is_active=True).order_by("-depth"))
        return {c.code: c for c in cats}, {c.name: c for c in cats}

    return _categories.get("maps", build)


def category_by_code(code, *, by_name: bool = True) -> Category | None:
    """An active category by code (or, failing that and with ``by_name``, by name); kept for
    30 s per process (a change in this process is seen at once), and looked up in the
    database when not kept."""
    if code in (None, ""):
        return None
    if isinstance(code, Category):
        return code
    key = str(code).strip()
    by_code, names = _category_maps()
    cat = by_code.get(key) or (names.get(key) if by_name else None)
    if cat is None and len(key) <= 100 and "\x00" not in key:  # longer or with a NUL: no category's
        match = (Q(code=key) | Q(name=key)) if by_name else Q(code=key)
        cat = Category.objects.filter(match, is_active=True).order_by("depth").first()
    if cat is None:
        raise _bad("category", f"未知的事件分类: {shown(code)}", f"unknown category: {shown(code)}")
    return cat


def _existing(idem: str | None, channel: str, channel_ref: str) -> Event | None:
    q = Q(pk__in=[])
    if idem:
        q |= Q(idempotency_key=idem)
    if channel_ref:
        q |= Q(channel=channel, channel_ref=channel_ref)
    if not (idem or channel_ref):
        return None
    return Event.objects.filter(q).first()


def _coordinates(longitude, latitude) -> tuple[float | None, float | None]:
    """Both coordinates as numbers within range, or neither: half a point places nothing, and
    ``true`` is no number (JSON booleans pass ``float()``)."""
    given = []
    for name, zh, value, low, high in (("longitude", "经度", longitude, -180, 180), ("latitude", "纬度", latitude, -90, 90)):
        if value in (None, ""):
            given.append(None)
            continue
        try:
            if isinstance(value, bool):
                raise TypeError(value)
            v = float(value)
        except (TypeError, ValueError) as exc:
            raise _bad(name, f"{zh}应为数字", f"{name} must be a number") from exc
        if not low <= v <= high:  # NaN is in no range
            raise _bad(name, f"{zh}超出范围", f"{name} is out of range")
        given.append(v)
    if (given[0] is None) != (given[1] is None):
        missing = "latitude" if given[1] is None else "longitude"
        raise _bad(missing, "经度与纬度须同时提供", "longitude and latitude go together: send both or neither")
    return given[0], given[1]


def create_event(*, by, channel: str, title: str, content: str, address: str = "", category=None,
                 urgency: str = Urgency.NORMAL, longitude=None, latitude=None, area=None,
                 reporter_name: str = "", reporter_phone: str = "", reporter_id_number: str = "",
                 anonymous: bool = False, channel_ref: str = "", occurred_at=None, received_at=None,
                 idempotency_key: str = "", state: str = State.RECEIVED, note: str = "",
                 notify_centre: bool = True, area_checked: bool = False,
                 triage: bool = True, validate_only: bool = False) -> tuple[Event | None, bool]:
    """Take in one matter; return ``(event, created)``.

    A repeated ``idempotency_key`` (scoped to the caller) or an already seen ``channel_ref`` of
    the same channel returns the existing matter with ``created=False`` (nothing is written). Everything is
    validated before anything is written, and all writes share one transaction.

    ``area_checked``: the caller has already found ``area`` within reach of ``by`` by its own
    rule (a check-point in a grid worker's care lies in their town, not always in their grid).

    ``triage=False``: the caller triages the matter itself afterwards (``triage.service.on_intake``),
    e.g. after merging it into the matter it repeats, so no automatic dispatch comes first.

    ``validate_only=True``: every check, nothing written; ``(None, False)`` when the matter
    would be taken (an import checks a whole file before it writes any of it).
    """
    channel = (channel or "").strip()
    if channel not in _CHANNELS:
        raise _bad("channel", f"未知的来源渠道: {channel}", f"unknown channel: {channel}")
    # the one required text is the content; a missing title is taken from it
    content = _text(content, "content", "诉求内容", "the content", MAX_CONTENT, required=True)
    title = _text(title, "title", "标题", "the title", 200) or title_from(content)
    if urgency not in _URGENCIES:
        raise _bad("urgency", f"未知的紧急程度: {urgency}", f"unknown urgency: {urgency}")
    # cutting a channel reference would make two orders one matter, and drop the second
    channel_ref = _text(channel_ref, "channel_ref", "渠道工单编号", "the channel reference", 64)
    # refused like the API refuses it, not cut: the rest would be lost unsaid
    address = _text(address, "address", "地址", "the address", 300)
    longitude, latitude = _coordinates(longitude, latitude)
    personal = {}
    for field_name, kind, value, zh, en in (
            ("reporter_name", "name", reporter_name, "报告人姓名", "the reporter's name"),
            ("reporter_phone", "phone", reporter_phone, "报告人电话", "the reporter's phone"),
            ("reporter_id_number", "id_number", reporter_id_number, "报告人身份证号", "the reporter's ID number")):
        value = _text(value, field_name, zh, en, MAX_REPORTER_NAME)
        if value and not anonymous:
            try:
                personal[field_name] = NORMALIZERS[kind](value)
            except PersonalDataError as exc:
                raise UserError(exc.code, exc.message_zh, exc.message_en, field=field_name) from exc
        else:
            personal[field_name] = ""
    occurred_at = _datetime(occurred_at, "occurred_at")
    now = sla_now()
    received_at = _datetime(received_at, "received_at") or now
    if state not in _STATES:
        raise _bad("state", f"未知状态: {state}", f"unknown state: {state}")
    cat = category_by_code(category)
    idem = scoped_key(by, idempotency_key)  # refused when too long: a cut key would answer for another matter

    # A repeat (same key, or a channel reference already seen) is caught by the unique
    # constraints at the insert below rather than by a look-up first: retries are rare, and
    # every first delivery would pay for the look-up.
    root = home_root(by)
    if area not in (None, ""):
        if not isinstance(area, Area):
            code = str(area).strip()
            area = Area.objects.filter(code=code).first() if 0 < len(code) <= 32 and "\x00" not in code else None
            if area is None:
                raise _bad("area", f"未知的区域代码: {shown(code)}", f"unknown area code: {shown(code)}")
        if (root is not None and not area.path.startswith(root.path) and by.role not in roles.GLOBAL_ROLES
                and not area_checked):
            raise _bad("area", "区域不在您的管辖范围内", "the area is outside your jurisdiction")
    else:
        # The address and the coordinates say where; when neither names a place, the title and
        # the content may (a caller's "海游街道心湖社区广场路口…" with no address): a matter left at
        # the county would be seen by no town.
        area = resolve_area(address, longitude=longitude, latitude=latitude, within=root)
        if area is None and (title or content):
            area = resolve_area(f"{title} {content}", within=root)
        area = area or root
    if validate_only:
        return None, False

    # The centre's 待受理 queue shows every new matter; the inbox is for the ones that cannot
    # wait for the queue (紧急/特急). A notice per ordinary matter would bury the inbox on a busy
    # day (ADR 0011).
    notices = notify_centre and state == State.RECEIVED and urgency in URGENT_ON_INTAKE
    pk = Event.objects.allocate_id()
    # With its id drawn beforehand an ordinary intake is three inserts, which rows.together
    # sends as one statement; notices add inbox rows, written in one transaction with them.
    block = rows.together() if pk is not None and not notices else transaction.atomic()
    try:
        with block, context.explicit_audit():
            event = Event(
                channel=channel, channel_ref=channel_ref, idempotency_key=idem, title=title, content=content,
                category=cat, urgency=urgency, address=address, longitude=longitude, latitude=latitude, area=area,
                area_path=area.path if area else "", anonymous=bool(anonymous), occurred_at=occurred_at,
                received_at=received_at, created_by=by, state=state, updated_at=now, **personal,
            )
            if state == State.ACCEPTED:
                event.accepted_at = received_at
            elif state in _ENDED:  # imported already finished
                event.closed_at = received_at
            event.pk = pk
            if pk is not None:
                event.number = event_number(received_at, pk)
            rows.insert(event)
            if pk is None:  # the id came from the insert; the number follows it
                event.number = event_number(received_at, event.pk)
                Event.objects.filter(pk=event.pk).update(number=event.number)
            rows.insert(TimelineEntry(event=event, at=now, actor=by, actor_name=actor_name(by), action="create",
                                      from_state="", to_state=state, reason=note,
                                      data={"channel": channel, "channel_ref": channel_ref,
                                            "area": area.code if area else ""}))
            audit.record("event_create", event, actor=by, after=audit.snapshot(event))
            if notices:
                parts = area.path.strip("/").split("/") if area is not None else []
                ids = centre_ids(parts[1]) if len(parts) >= 2 else []
                notify.notify_on_commit([i for i in ids if i != by.pk], "event_new", f"紧急事件待受理: {title}", "",
                                        event.pk)
    except IntegrityError:
        # A repeat, or a concurrent request with the same key or reference that won the race:
        # return its matter.
        existing = _existing(idem, channel, channel_ref)
        if existing is None:
            raise
        if idem and existing.idempotency_key == idem and (
                (existing.channel, existing.title, existing.content, existing.urgency) != (channel, title, content, urgency)):
            # A retry sends the same matter again; the same key on another matter is a client's
            # mistake, and answering with the first matter would drop the second unseen.
            raise UserError("idempotency_key_reused", "该幂等键已用于另一件内容不同的事件,请为新事件换一个键",
                            "this Idempotency-Key was already used for a different matter; use a new key",
                            status=422, field="Idempotency-Key") from None
        return existing, False
    if triage:
        from fengqiao.triage.service import on_intake

        on_intake(event, True)  # never raises; runs after the intake transaction
    return event, True
