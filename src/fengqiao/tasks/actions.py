"""Writes of top-down publishing (统一发布), each one function in one transaction with its timeline
entry and audit record: publish a task or notice to chosen units; the publisher's remind, close
and withdraw; each unit's acknowledge and report; the publisher's accept and send back; and the
worker's deadline reminders. Times come from the platform's clock (``events.sla.now``)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from fengqiao.accounts.models import User
from fengqiao.areas.models import Area, subtree_q
from fengqiao.core import audit, context, uploads
from fengqiao.core.errors import Conflict, Forbidden, NotFound, UserError
from fengqiao.core.inputs import clean_text
from fengqiao.events.actions._base import actor_name
from fengqiao.events.notify import notify_on_commit
from fengqiao.events.sla import now as clock_now

from . import transitions
from .choices import Kind, State
from .models import (
    PUBLISHERS,
    RECIPIENT_LEVELS,
    RESPONDER_ROLE,
    Receipt,
    Task,
    TaskEntry,
    TaskFile,
    owing_q,
)

MAX_TITLE = 200
MAX_BODY = 5000
#: one sending reaches at most this many units (a county has about 1,000 grids)
MAX_RECIPIENTS = 3000
#: a deadline is at most this far ahead
MAX_AHEAD = dt.timedelta(days=366)
#: a publisher reminds the same units at most this often
REMIND_GAP = dt.timedelta(minutes=30)
#: the worker reminds units that still owe something this long before the deadline
DUE_SOON = dt.timedelta(hours=24)
#: files sent with one publication or one report, and kept per task or per receipt at most
MAX_FILES_PER_STEP = 9
MAX_FILES = 30


def checked_files(files) -> list[uploads.CheckedUpload]:
    """The files of one step, each checked (type by name and content, size) before anything is written."""
    if files in (None, ""):
        return []
    if not isinstance(files, (list, tuple)):
        files = [files]
    if len(files) > MAX_FILES_PER_STEP:
        raise UserError("too_many_files", f"一次最多上传 {MAX_FILES_PER_STEP} 个附件",
                        f"at most {MAX_FILES_PER_STEP} files at once", field="files")
    return [uploads.check_upload(f, field="files") for f in files]


def _store_files(task: Task, receipt: Receipt | None, files: list[uploads.CheckedUpload], by, now) -> list[int]:
    """Store the checked files of one step in the caller's transaction; their ids."""
    if not files:
        return []
    held = TaskFile.objects.filter(task=task, receipt=receipt).count()
    if held + len(files) > MAX_FILES:
        raise UserError("too_many_files", f"附件总数不能超过 {MAX_FILES} 个(已有 {held} 个)",
                        f"at most {MAX_FILES} files in all ({held} already)", field="files")
    ids = []
    for f in files:
        tf = TaskFile(task=task, receipt=receipt, original_name=f.name, content_type=f.content_type, kind=f.kind,
                      size=f.size, sha256=f.sha256, uploaded_by=by, uploaded_by_name=actor_name(by), uploaded_at=now)
        tf.file.save(f.name, f.upload, save=False)
        tf.save()
        ids.append(tf.pk)
    return ids


def _kind(value) -> str:
    if value not in Kind.values:
        shown = str(value)[:40]
        raise UserError("bad_kind", f"类型无效: {shown}", f"not a valid kind: {shown}", field="kind")
    return value


def parse_due(value, now: dt.datetime) -> dt.datetime | None:
    """截止时间: a date (the end of that day, local time), a date and time, or nothing."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        due = value
    elif isinstance(value, dt.date):
        due = dt.datetime.combine(value, dt.time(23, 59, 59))
    else:
        text = value.strip() if isinstance(value, str) else ""
        try:
            # a date in any ISO form (2026-12-31, 20261231) is the end of that day
            day = dt.date.fromisoformat(text) if text and not any(c in text for c in "T :") else None
        except ValueError:
            day = None
        try:
            due = dt.datetime.combine(day, dt.time(23, 59, 59)) if day else parse_datetime(text.replace(" ", "T"))
        except ValueError:
            due = None
        if due is None:
            shown = str(value)[:40]
            raise UserError("bad_due", f"截止时间格式不正确: {shown}(应为 2026-12-31 或 2026-12-31 17:00)",
                            f"not a deadline: {shown} (use 2026-12-31 or 2026-12-31 17:00)", field="due_at")
    if timezone.is_naive(due):
        due = timezone.make_aware(due)
    if due <= now:
        raise UserError("due_in_past", "截止时间应晚于现在", "the deadline must lie in the future", field="due_at")
    if due > now + MAX_AHEAD:
        raise UserError("due_too_far", "截止时间不能超过一年", "the deadline is at most a year ahead", field="due_at")
    return due


def _codes(values) -> list[str]:
    if values in (None, ""):
        return []
    if isinstance(values, (str, Area)):
        values = [values]
    if not isinstance(values, (list, tuple, set)) or len(values) > MAX_RECIPIENTS:
        raise UserError("bad_recipients", f"接收单位应为区域代码列表(不超过 {MAX_RECIPIENTS} 个)",
                        f"recipients: a list of at most {MAX_RECIPIENTS} area codes", field="recipients")
    codes = []
    for v in values:
        code = v.code if isinstance(v, Area) else str(v).strip() if isinstance(v, (str, int)) else None
        if not code or "\x00" in code or len(code) > 64:
            raise UserError("bad_recipients", "接收单位代码无效", "an invalid area code among the recipients",
                            field="recipients")
        codes.append(code)
    return list(dict.fromkeys(codes))


def resolve_recipients(by, recipients=(), to_level=None) -> list[Area]:
    """The receiving units: the areas named, or with ``to_level`` every active area of that
    level under them (under the publisher's own area when none is named). Each must lie below
    the publisher's area, be in use, and be a town, village or grid."""
    codes = _codes(recipients)
    if to_level is not None and not isinstance(to_level, str):
        to_level = "?"  # refused below, by the same message
    if to_level not in (None, "") and to_level not in RECIPIENT_LEVELS:
        raise UserError("bad_level", "接收层级应为乡镇(街道)、村(社区)或网格",
                        "the level must be town, village or grid", field="to_level")
    home = by.area
    named = list(Area.objects.filter(code__in=codes)) if codes else []
    missing = sorted(set(codes) - {a.code for a in named})
    if missing:
        shown = "、".join(missing[:5]) + (" …" if len(missing) > 5 else "")
        raise UserError("unknown_recipient", f"区域不存在或不在您的管辖范围内: {shown}",
                        f"unknown area, or outside your jurisdiction: {shown}", field="recipients")
    for area in named:
        if not area.path.startswith(home.path) or (area.pk == home.pk and not to_level):
            raise UserError("unknown_recipient", f"区域不存在或不在您的管辖范围内: {area.code}",
                            f"unknown area, or outside your jurisdiction: {area.code}", field="recipients")
        if not area.is_active:
            raise UserError("inactive_area", f"该区域已停用: {area.name}", f"the area is no longer in use: {area.code}",
                            field="recipients")
    if to_level:
        roots = named or [home]
        q = Q(pk__in=[])
        for root in roots:
            q |= subtree_q(root.path)
        units = list(Area.objects.filter(q, level=to_level, is_active=True).exclude(pk=home.pk)
                     .order_by("path")[:MAX_RECIPIENTS + 1])
    else:
        units = named
        wrong = [a for a in units if a.level not in RECIPIENT_LEVELS]
        if wrong:
            raise UserError("bad_recipient_level", f"只能发给乡镇(街道)、村(社区)或网格: {wrong[0].name}",
                            f"send to towns, villages or grids only: {wrong[0].code}", field="recipients")
    if not units:
        raise UserError("no_recipients", "请选择接收单位", "choose at least one receiving unit", field="recipients")
    if len(units) > MAX_RECIPIENTS:
        raise UserError("too_many_recipients", f"一次最多发给 {MAX_RECIPIENTS} 个单位",
                        f"at most {MAX_RECIPIENTS} receiving units at once", field="recipients")
    return units


def responders(areas: Iterable[Area], under: Area) -> list[int]:
    """The people who answer for ``areas``: each unit's command room, cadres or grid workers."""
    wanted = {a.pk: RESPONDER_ROLE[a.level] for a in areas}
    rows = (User.objects.filter(subtree_q(under.path, "area__path"), is_active=True,
                                role__in=set(wanted.values()))
            .values_list("pk", "area_id", "role"))
    return [pk for pk, area_id, role in rows if wanted.get(area_id) == role]


def _publishers(task: Task) -> list[int]:
    return list(User.objects.filter(is_active=True, role__in=PUBLISHERS, area_id=task.area_id)
                .values_list("pk", flat=True))


def _entry(task: Task, action: str, by, now, *, receipt: Receipt | None = None, source: str = "", target: str = "",
           text: str = "", data: dict | None = None, publisher_only: bool = False) -> None:
    TaskEntry.objects.create(task=task, receipt=receipt, at=now, action=action, actor=by, actor_name=actor_name(by)
                             if by is not None else "系统", from_state=source, to_state=target, text=text,
                             data=data or {}, publisher_only=publisher_only)


def publish_task(*, by, kind, title, body="", recipients=(), to_level=None, due_at=None, files=()) -> Task:
    """统一发布: send a task (to be acknowledged and reported on) or a notice (to be acknowledged)
    to the chosen towns, villages or grids below the publisher's area, with its documents."""
    if by is None or by.role not in PUBLISHERS or by.area_id is None:
        raise Forbidden("role_not_allowed", "您的角色不能发布任务或通知", "your role may not publish tasks or notices")
    now = clock_now()
    kind = _kind(kind)
    title = clean_text(title, field="title", zh="标题", en="the title", required=True, max_len=MAX_TITLE)
    body = clean_text(body, field="body", zh="内容", en="the content", max_len=MAX_BODY)
    due = parse_due(due_at, now)
    if kind == Kind.TASK and due is None:
        raise UserError("due_required", "任务须设截止时间", "a task needs a deadline", field="due_at")
    units = resolve_recipients(by, recipients, to_level)
    attached = checked_files(files)
    with transaction.atomic(), context.explicit_audit():
        task = Task.objects.create(number=f"tmp-{uuid.uuid4().hex[:28]}", kind=kind, title=title, body=body,
                                   area=by.area, published_by=by, published_by_name=actor_name(by),
                                   published_at=now, due_at=due, recipient_count=len(units))
        task.number = f"FB{timezone.localdate(now):%Y%m%d}{task.pk:05d}"
        task.save(update_fields=["number"])
        Receipt.objects.bulk_create([Receipt(task=task, area=a, area_path=a.path) for a in units])
        file_ids = _store_files(task, None, attached, by, now)
        _entry(task, "published", by, now, target=State.PUBLISHED,
               data={"recipients": len(units), "to_level": to_level or "", "files": len(file_ids)})
        audit.record("task_publish", task, object_repr=task.number, actor=by,
                     after={"kind": kind, "title": title[:100], "recipients": len(units),
                            "due_at": due.isoformat() if due else None, "files": file_ids})
        label = "任务" if kind == Kind.TASK else "通知"
        deadline = f",请于 {timezone.localtime(due):%Y-%m-%d %H:%M} 前反馈" if due and kind == Kind.TASK else ""
        notify_on_commit(responders(units, by.area), "task_published", f"新{label}:{title}",
                         f"{task.published_by_name}发布{deadline}")
    return task


def _lock_task(task: Task, by) -> Task:
    locked = Task.objects.restrict(by, "view").select_for_update(of=("self",)).filter(pk=task.pk).first()
    if locked is None:
        raise NotFound("任务", "task")
    return locked


def act_on_task(task: Task, action: str, *, by, text: str = "") -> Task:
    """The publisher's step: 催办 (remind the units that still owe something), 结束, 撤回."""
    t = transitions.TASK_RULES.get(action)
    zh, en = transitions.TEXT_LABELS.get(action, ("说明", "the note"))
    value = clean_text(text, zh=zh, en=en, required="text" in t.required)
    now = clock_now()
    with transaction.atomic(), context.explicit_audit():
        locked = _lock_task(task, by)
        transitions.TASK_RULES.check(locked, action, by)
        source = locked.state
        owing = locked.receipts.filter(locked.owing_q()).select_related("area")
        if action == "remind":
            last = locked.entries.filter(action="remind").order_by("-at").values_list("at", flat=True).first()
            if last is not None and now - last < REMIND_GAP:
                raise Conflict("reminded_recently", f"{timezone.localtime(last):%H:%M} 已催办过,请稍后再催",
                               f"reminded at {timezone.localtime(last):%H:%M}; wait a while before reminding again")
            units = list(owing)
            owing.update(reminded_at=now)
            notify_on_commit(responders([r.area for r in units], locked.area), "task_reminded",
                             f"催办:{locked.title}", value or f"{actor_name(by)}催办,请尽快签收并反馈")
            data = {"units": len(units)}
        else:
            locked.state = t.target
            locked.closed_at, locked.closed_by_name, locked.close_note = now, actor_name(by), value
            locked.save(update_fields=["state", "closed_at", "closed_by_name", "close_note"])
            data = {"owing": owing.count()}
            if action == "withdraw":
                units = [r.area for r in locked.receipts.select_related("area")]
                notify_on_commit(responders(units, locked.area), "task_withdrawn", f"已撤回:{locked.title}", value)
        # the counts go to the audit trail only, and a reminder is the publishing side's line:
        # a receiving unit reads the task's entries and is not told how many others still owe
        _entry(locked, action, by, now, source=source, target=locked.state, text=value,
               publisher_only=action == "remind")
        audit.record(f"task_{action}", locked, object_repr=locked.number, actor=by, before={"state": source},
                     after={"state": locked.state, **data})
    return locked


def act_on_receipt(receipt: Receipt, action: str, *, by, text: str = "", files=()) -> Receipt:
    """A unit's step (签收, 反馈完成情况 with its photos or documents) or the publisher's answer
    (确认完成, 退回重办)."""
    t = transitions.RECEIPT_RULES.get(action)
    attached = checked_files(files)
    if attached and action != "report":
        raise UserError("files_not_here", "只有反馈完成情况时可以上传附件", "files go with a completion report only",
                        field="files")
    zh, en = transitions.TEXT_LABELS.get(action, ("说明", "the note"))
    value = clean_text(text, zh=zh, en=en, required="text" in t.required)
    now = clock_now()
    with transaction.atomic(), context.explicit_audit():
        # the task first (as its own steps do): a withdrawal and a report cannot cross
        task = _lock_task(receipt.task, by)
        # only the receipt's row: the joined area (and the task, already held) are read, not locked
        locked = (Receipt.objects.restrict(by, "view").select_for_update(of=("self",)).select_related("area")
                  .filter(pk=receipt.pk, task=task).first())
        if locked is None:
            raise NotFound("签收单", "receipt")
        locked.task = task
        transitions.RECEIPT_RULES.check(locked, action, by)
        source = locked.state
        locked.state = t.target
        name = actor_name(by)
        if action in ("acknowledge", "report") and locked.acknowledged_at is None:
            locked.acknowledged_at, locked.acknowledged_by_name = now, name
        if action == "report":
            locked.reported_at, locked.reported_by_name, locked.report = now, name, value
        elif action == "accept":
            locked.accepted_at = now
        elif action == "return":
            # the report sent back is no report any more (its text stays in the timeline)
            locked.returned_count += 1
            locked.return_reason = value
            locked.reported_at, locked.reported_by_name, locked.report = None, "", ""
        locked.save()
        file_ids = _store_files(task, locked, attached, by, now)
        _entry(task, action, by, now, receipt=locked, source=source, target=locked.state, text=value,
               data={"area": locked.area.code, **({"files": len(file_ids)} if file_ids else {})})
        audit.record(f"task_{action}", locked, object_repr=f"{task.number} {locked.area.code}", actor=by,
                     before={"state": source}, after={"state": locked.state, **({"files": file_ids} if file_ids else {})})
        if action == "report":
            notify_on_commit(_publishers(task), "task_reported", f"{locked.area.name}已反馈:{task.title}", value[:200])
        elif action == "return":
            notify_on_commit(responders([locked.area], task.area), "task_returned", f"退回重办:{task.title}", value)
    return locked


def remind_due(now: dt.datetime | None = None) -> dict[str, int]:
    """The worker's reminders: units that still owe something a day before the deadline, and
    the publisher once when the deadline passes with units still owing. Each goes out once. Each
    task is handled in its own transaction with its row locked first (as every step does), and
    read again under the lock, so a task closed or a receipt answered meanwhile is left alone."""
    now = now or clock_now()
    told = {"due_soon": 0, "overdue": 0}
    soon = (Receipt.objects.filter(owing_q(), task__state=State.PUBLISHED, due_reminded=False,
                                   task__due_at__gt=now, task__due_at__lte=now + DUE_SOON)
            .values_list("task_id", flat=True).distinct())
    for task_id in list(soon):
        with transaction.atomic():
            task = (Task.objects.select_for_update(of=("self",)).select_related("area")
                    .filter(pk=task_id, state=State.PUBLISHED, due_at__gt=now, due_at__lte=now + DUE_SOON).first())
            if task is None:
                continue
            receipts = list(task.receipts.filter(task.owing_q(), due_reminded=False).select_related("area"))
            if not receipts:
                continue
            Receipt.objects.filter(pk__in=[r.pk for r in receipts]).update(due_reminded=True)
            notify_on_commit(responders([r.area for r in receipts], task.area), "task_due_soon",
                             f"即将到期:{task.title}",
                             f"截止 {timezone.localtime(task.due_at):%Y-%m-%d %H:%M},请及时签收并反馈")
            told["due_soon"] += len(receipts)
    late = Task.objects.filter(state=State.PUBLISHED, overdue_notified=False, due_at__lte=now)
    for task_id in list(late.values_list("pk", flat=True)):
        with transaction.atomic():
            task = (Task.objects.select_for_update(of=("self",)).select_related("area")
                    .filter(pk=task_id, state=State.PUBLISHED, overdue_notified=False).first())
            if task is None:
                continue
            task.overdue_notified = True
            task.save(update_fields=["overdue_notified"])
            owing = task.receipts.filter(task.owing_q()).count()
            if owing:
                notify_on_commit(_publishers(task), "task_overdue", f"已到期:{task.title}",
                                 f"{owing} 个单位未按时签收或反馈")
                # the publishing side's line: a unit that answered is not told others are late
                _entry(task, "overdue", None, now, publisher_only=True)
                told["overdue"] += 1
    return told
