"""Console pages of top-down publishing (统一发布, ``/tasks/``): the list in two boxes (what
reached the user's own unit, what their area published), the publish form, and one task with its
progress, the receipts the user may read, the forms the transition tables allow and the timeline.

Views parse input, read through ``restrict()``, call one action of :mod:`.actions` and render. A
role that never reads tasks gets 403; a task or receipt outside the user's jurisdiction does not
exist for them (404); a refused action is the action's bilingual message with its 4xx status,
what was typed kept. Progress is counted over the receipts the user may read: the publishing
side counts every unit, a receiving town only itself and the units under it.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from fengqiao.areas.models import LEVEL_ORDER, Area
from fengqiao.areas.models import Level as AreaLevel
from fengqiao.core import roles
from fengqiao.core.errors import UserError
from fengqiao.core.filters import filter_listing, has_nul
from fengqiao.core.restrict import role_allowed
from fengqiao.core.uploads import file_response
from fengqiao.events.sla import now as clock_now

from . import actions, filters, transitions
from .choices import Kind, ReceiptState, State
from .filters import (
    BOX_PUBLISHED,
    BOX_RECEIVED,
    ReceiptFilter,
    TaskFilter,
    inbox,
    progress,
)
from .models import PUBLISHERS, RECIPIENT_LEVELS, RESPONDER_ROLE, Receipt, Task, TaskEntry, TaskFile

PAGE_SIZE = 30
RECEIPTS_PAGE_SIZE = 50
#: the timeline shows at most this many entries (the latest)
TIMELINE_LIMIT = filters.TIMELINE_LIMIT
#: a deadline within this long is marked yellow (passed with units owing: red)
SOON = dt.timedelta(hours=24)
#: the list's third box: every task the user may read (no box filter)
BOX_ALL = "all"
FILTER_KEYS = ("box", "state", "kind", "overdue", "q")
#: the state box's own values besides the states: the default (in progress) and all
STATE_OPEN, STATE_ALL = "", "all"
#: the receipts table's GET parameters on a task's page
RECEIPT_KEYS = ("state", "overdue", "page")
PUBLISH_FIELDS = ("kind", "title", "body", "due_date", "due_time", "to_level")
MAX_TITLE = actions.MAX_TITLE
MAX_FILES_PER_STEP = actions.MAX_FILES_PER_STEP
MAX_BODY = actions.MAX_BODY
RESPONDERS = frozenset(RESPONDER_ROLE.values())
#: actions a unit takes on its own receipt (their forms sit in the unit's own box at the top)
OWN_ACTIONS = frozenset(name for name, t in transitions.RECEIPT_TABLE.items() if t.relation == "recipient")


def _need(user, action: str = "view") -> None:
    if not role_allowed(Task, user, "view"):
        raise PermissionDenied(_("Your role does not open the published tasks and notices."))
    if action != "view" and not role_allowed(Task, user, action):
        raise PermissionDenied(_("Your role may not publish tasks or notices."))


def _task(user, pk) -> Task:
    return Task.objects.restrict(user, "view").select_related("area").one_or_404(pk)


def _receipt(user, task: Task, rid) -> Receipt:
    receipt = Receipt.objects.restrict(user, "view").select_related("area").one_or_404(rid, task=task)
    receipt.task = task
    return receipt


def _publishing_side(task: Task, user) -> bool:
    """The task was published in the user's area: every receipt of it is theirs to read."""
    return task.published_under(user.area if user.area_id else None)


# ---------------------------------------------------------------- progress and marks


def _counts(row: dict, kind: str) -> dict:
    """:func:`filters.progress`'s counts with the two the page adds: still owing, answered."""
    c = dict(row)
    c["owing"] = c[ReceiptState.PENDING] + (c[ReceiptState.ACKNOWLEDGED] if kind == Kind.TASK else 0)
    c["answered"] = c["total"] - c[ReceiptState.PENDING]
    return c


def _progress(tasks: list[Task], user, now) -> dict[int, dict]:
    """Receipt counts per task over the receipts the user may read (:func:`filters.progress`),
    with the totals the page shows."""
    found = progress(user, [t.pk for t in tasks], now)
    return {t.pk: _counts(found[t.pk], t.kind) for t in tasks}


def _progress_parts(task: Task, c: dict) -> list[str]:
    """The progress figure: 已完成 3/10 (a notice: 已签收 3/10), awaiting check, overdue."""
    if task.kind == Kind.TASK:
        parts = [_("Completed %(done)s/%(total)s") % {"done": c[ReceiptState.DONE], "total": c["total"]}]
        if c[ReceiptState.REPORTED]:
            parts.append(_("%(n)s awaiting check") % {"n": c[ReceiptState.REPORTED]})
    else:
        parts = [_("Acknowledged %(n)s/%(total)s") % {"n": c["answered"], "total": c["total"]}]
    if c["overdue"]:
        parts.append(_("%(n)s overdue") % {"n": c["overdue"]})
    return parts


def _deadline_mark(task: Task, owing: bool, now) -> str:
    """red: the deadline passed with something still owing; yellow: it falls within 24 hours."""
    if task.state != State.PUBLISHED or task.due_at is None or not owing:
        return ""
    if task.due_at < now:
        return "red"
    return "yellow" if task.due_at < now + SOON else ""


def _receipt_mark(receipt: Receipt, now) -> str:
    return _deadline_mark(receipt.task, receipt.owing, now)


# ---------------------------------------------------------------- list


def _boxes(user) -> list[str]:
    """The boxes this role has, its default first: the units that answer (a town's command room,
    a village's cadres, a grid's workers) start with what reached them; the county centre and
    the leaders with what their area published. Below the county, ``all`` adds the tasks that
    reached the units under the user's own."""
    boxes = []
    if user.role in RESPONDERS:
        boxes.append(BOX_RECEIVED)
    if user.role in PUBLISHERS or user.role == roles.LEADER:
        boxes.append(BOX_PUBLISHED)
    if user.area_id is not None and user.area.level in (AreaLevel.TOWN, AreaLevel.VILLAGE):
        boxes.append(BOX_ALL)
    return boxes or [BOX_ALL]


def _box_labels() -> dict[str, str]:
    """The boxes' names (the first two as :class:`filters.TaskFilter` names them)."""
    return {BOX_RECEIVED: _("Received by my unit"), BOX_PUBLISHED: _("Published in my area"),
            BOX_ALL: _("Everything in my area")}


def _filtered(request, boxes: list[str]):
    """The user's tasks narrowed by the list's GET parameters through :class:`filters.TaskFilter`
    (the API's FilterSet); (queryset, query, errors). The box defaults to the role's first; the
    state box adds two values of its own: nothing for the tasks in progress, ``all`` for every
    state."""
    user = request.user
    qs = Task.objects.restrict(user, "view")
    query = {k: request.GET.get(k, "").strip() for k in FILTER_KEYS}
    if has_nul(query.values()):
        return qs.none(), {k: v.replace("\x00", "") for k, v in query.items() if v}, [_("Invalid characters.")]
    query["box"] = query["box"] or boxes[0]
    params = QueryDict(mutable=True)
    if query["box"] != BOX_ALL:
        params["box"] = query["box"]
    for key in ("kind", "overdue", "q"):
        if query[key]:
            params[key] = query[key]
    if query["state"] == STATE_OPEN:
        params["state"] = State.PUBLISHED
    elif query["state"] != STATE_ALL:
        params["state"] = query["state"]
    qs, errors = filter_listing(TaskFilter, params, qs, request)
    return qs, {k: v for k, v in query.items() if v}, errors


@login_required
@require_safe
def task_list(request):
    _need(request.user)
    user = request.user
    now = clock_now()
    boxes = _boxes(user)
    qs, query, errors = _filtered(request, boxes)
    qs = qs.select_related("area").order_by("-published_at", "-id")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    tasks = list(page.object_list)
    progress = _progress(tasks, user, now)
    own = {}
    if user.role in RESPONDERS and tasks:
        own = {r.task_id: r for r in inbox(user).filter(task_id__in=[t.pk for t in tasks]).select_related("area")}
    rows = []
    for t in tasks:
        c = progress[t.pk]
        mine = own.get(t.pk)
        if mine is not None:
            mine.task = t
        rows.append({"task": t, "mine": mine, "progress": _progress_parts(t, c),
                     "mark": _receipt_mark(mine, now) if mine is not None else _deadline_mark(t, c["owing"] > 0, now)})
    labels = _box_labels()
    return render(request, "tasks/list.html", {
        "page": page, "rows": rows, "query": query, "querystring": urlencode(query), "errors": errors,
        "box": query.get("box"), "boxes": [(b, labels[b]) for b in boxes],
        "states": State.choices, "kinds": Kind.choices, "state_all": STATE_ALL,
        "may_publish": role_allowed(Task, user, "publish") and user.area_id is not None,
    })


# ---------------------------------------------------------------- publish


def _unit_options(user):
    """The units the form ticks: the ones right below the user's area (towns for the county
    centre, villages for a town's command room)."""
    if user.area_id is None:
        return Area.objects.none()
    return (Area.objects.restrict(user, "view").filter(parent_id=user.area_id, is_active=True,
                                                       level__in=RECIPIENT_LEVELS).order_by("path"))


def _level_options(user) -> list[tuple[str, str]]:
    """The levels below the user's area a task can go to in full (乡镇、村社区、网格)."""
    if user.area_id is None or user.area.level not in LEVEL_ORDER:
        return []
    below = LEVEL_ORDER[LEVEL_ORDER.index(user.area.level) + 1:]
    return [(level.value, level.label) for level in below if level in RECIPIENT_LEVELS]


def _due_value(date: str, time: str) -> str:
    """The form's date and time boxes as the action reads a deadline: ``2026-12-31`` (the end of
    that day) or ``2026-12-31 17:00``; a time without a date is passed on to be refused."""
    date, time = date.strip(), time.strip()
    return f"{date} {time}" if date and time else date or time


@login_required
@require_http_methods(["GET", "POST"])
def task_new(request):
    """统一发布: the publish form; a refusal keeps what was typed and shows the action's message."""
    _need(request.user, "publish")
    user = request.user
    status, error = 200, None
    posted: dict = {"kind": Kind.TASK.value}
    chosen: list[str] = []
    if request.method == "POST":
        posted = {k: request.POST.get(k, "") for k in PUBLISH_FIELDS}
        chosen = [c for c in request.POST.getlist("recipients") if c]
        try:
            task = actions.publish_task(by=user, kind=posted["kind"], title=posted["title"], body=posted["body"],
                                        recipients=chosen, to_level=posted["to_level"] or None,
                                        due_at=_due_value(posted["due_date"], posted["due_time"]),
                                        files=request.FILES.getlist("files"))
        except UserError as exc:
            status, error = exc.status, exc
        else:
            messages.success(request, _("Published to %(n)s units.") % {"n": task.recipient_count})
            return HttpResponseRedirect(reverse("tasks:detail", args=[task.pk]))
    units = list(_unit_options(user))
    return render(request, "tasks/new.html", {
        "posted": posted, "chosen": set(chosen), "units": units,
        "unit_level": units[0].get_level_display() if units else "",
        "levels": _level_options(user), "kinds": Kind.choices,
        "max_title": MAX_TITLE, "max_body": MAX_BODY, "max_files": MAX_FILES_PER_STEP,
        "error": error.message() if error else "", "error_field": error.field if error else "",
    }, status=status)


# ---------------------------------------------------------------- one task


def _text_label(name: str) -> str:
    if name in transitions.TEXT_LABELS:
        return str(transitions.TEXT_LABELS[name][1])
    return _("Message to the units (optional)")


def _form(key: str, name: str, t, url: str, *, failed: str, posted, error: UserError | None) -> dict:
    """One action's form: a text box when the action takes a text (required or not), what was
    typed kept and the action's error shown when this is the form just refused."""
    this = error is not None and failed == key
    text = None
    if "text" in t.required or name in ("remind", "close"):
        text = {"label": _text_label(name), "required": "text" in t.required,
                "value": (posted or {}).get("text", "") if this else "",
                "error": error.message() if this and error.field == "text" else ""}
    files_error = error.message() if this and error.field == "files" else ""
    return {"key": key, "name": name, "label": t.label, "url": url, "primary": t.target is not None,
            "text": text, "confirm": name in ("close", "withdraw"),
            # a report may carry its photos and documents (actions.checked_files)
            "files": {"error": files_error, "max": MAX_FILES_PER_STEP} if name == "report" else None,
            "error": error.message() if this and not (text and text["error"]) and not files_error else ""}


def _task_forms(task: Task, user, **kw) -> list[dict]:
    return [_form(f"task:{name}", name, transitions.TASK_TABLE[name],
                  reverse("tasks:act", args=[task.pk, name]), **kw)
            for name in transitions.TASK_RULES.allowed_actions(task, user)]


def _receipt_forms(receipt: Receipt, user, names, **kw) -> list[dict]:
    return [_form(f"receipt:{receipt.pk}:{name}", name, transitions.RECEIPT_TABLE[name],
                  reverse("tasks:receipt-act", args=[receipt.task_id, receipt.pk, name]), **kw)
            for name in transitions.RECEIPT_RULES.allowed_actions(receipt, user) if name in names]


def _receipt_query(request) -> dict[str, str]:
    """The receipts table's filters and page: from the page's GET, or on a POST from the ``back``
    field its forms carry (so the page comes back as it was)."""
    source = QueryDict(request.POST.get("back", "")) if request.method == "POST" else request.GET
    return {k: source.get(k, "").strip() for k in RECEIPT_KEYS if source.get(k, "").strip()}


def _receipts(request, task: Task, query: dict):
    """The receipts of ``task`` the user may read, narrowed by :class:`filters.ReceiptFilter`;
    (queryset, errors)."""
    qs = (Receipt.objects.restrict(request.user, "view").filter(task=task).select_related("area")
          .order_by("area_path", "id"))
    if has_nul(query.values()):
        return qs.none(), [_("Invalid characters.")]
    params = QueryDict(mutable=True)
    for key in ("state", "overdue"):
        if query.get(key):
            params[key] = query[key]
    return filter_listing(ReceiptFilter, params, qs, request)


def _states() -> dict[str, str]:
    return {**dict(State.choices), **dict(ReceiptState.choices)}


def _timeline(task: Task, user) -> tuple[list[dict], int]:
    """The latest entries the user may read (an entry about one unit's receipt only for those who
    may read that receipt), oldest first, and how many earlier ones are left out."""
    entries = TaskEntry.objects.restrict(user, "view").filter(task=task)
    total = entries.count()
    latest = list(entries.select_related("receipt__area").order_by("-at", "-id")[:TIMELINE_LIMIT])
    labels = {"published": _("Published"), "overdue": _("Deadline passed")}
    states = _states()
    out = []
    for e in reversed(latest):
        t = transitions.TASK_TABLE.get(e.action) or transitions.RECEIPT_TABLE.get(e.action)
        data = e.data if isinstance(e.data, dict) else {}
        # how many units a step reached or left owing goes to the audit trail, not the timeline
        # (every receiving unit reads the task's entries); publishing says how many it went to
        note = ""
        if e.action == "published" and isinstance(data.get("recipients"), int):
            note = _("to %(n)s units") % {"n": data["recipients"]}
        out.append({
            "at": e.at, "who": e.actor_name or "—", "action": e.action,
            "label": t.label if t is not None else labels.get(e.action, e.action),
            "unit": e.receipt.area.name if e.receipt_id else "",
            "from_state": states.get(e.from_state, e.from_state), "to_state": states.get(e.to_state, e.to_state),
            "moved": bool(e.to_state) and e.from_state != e.to_state and e.action != "published",
            "note": note, "text": e.text,
        })
    return out, max(0, total - len(latest))


def _render_detail(request, task: Task, *, status: int = 200, failed: str = "", posted=None,
                   error: UserError | None = None):
    user = request.user
    now = clock_now()
    kw = {"failed": failed, "posted": posted, "error": error}
    counts = _progress([task], user, now)[task.pk]
    mine = inbox(user).filter(task=task).select_related("area").first()
    own = None
    if mine is not None:
        mine.task = task
        own = {"receipt": mine, "mark": _receipt_mark(mine, now), "late": mine.late(),
               "forms": _receipt_forms(mine, user, OWN_ACTIONS, **kw)}
    query = _receipt_query(request)
    receipts, receipt_errors = _receipts(request, task, query)
    page = Paginator(receipts, RECEIPTS_PAGE_SIZE).get_page(query.get("page"))
    back = urlencode(query)
    rows = []
    for r in page.object_list:
        r.task = task
        is_own = mine is not None and r.pk == mine.pk
        forms = [] if is_own else _receipt_forms(r, user, set(transitions.RECEIPT_TABLE) - OWN_ACTIONS, **kw)
        mark = _receipt_mark(r, now)
        # overdue as the filters count it: still owing after the deadline of a published task
        rows.append({"receipt": r, "own": is_own, "mark": mark, "late": r.late(), "overdue": mark == "red",
                     "forms": forms})
    task_forms = _task_forms(task, user, **kw)
    shown = {f["key"] for f in task_forms} | {f["key"] for row in rows for f in row["forms"]}
    if own is not None:
        shown |= {f["key"] for f in own["forms"]}
    timeline, earlier = _timeline(task, user)
    # the task's documents, and the report files of the receipts on this page and of the user's own
    files = list(TaskFile.objects.restrict(user, "view").filter(
        Q(receipt__isnull=True) | Q(receipt_id__in=[r["receipt"].pk for r in rows] + ([mine.pk] if mine else [])),
        task=task))
    by_receipt: dict[int | None, list] = {}
    for f in files:
        by_receipt.setdefault(f.receipt_id, []).append(f)
    for row in rows:
        row["files"] = by_receipt.get(row["receipt"].pk, [])
    if own is not None:
        own["files"] = by_receipt.get(mine.pk, [])
    ctx = {
        "task_files": by_receipt.get(None, []),
        "task": task, "now": now, "publishing_side": _publishing_side(task, user),
        "mark": _deadline_mark(task, counts["owing"] > 0, now),
        "counts": counts, "progress": _progress_parts(task, counts),
        "by_state": [(s, label, counts[s]) for s, label in ReceiptState.choices
                     if task.kind == Kind.TASK or s in (ReceiptState.PENDING, ReceiptState.ACKNOWLEDGED)],
        "own": own, "task_forms": task_forms,
        "receipts": page, "rows": rows, "receipt_query": query, "receipt_errors": receipt_errors, "back": back,
        "querystring": urlencode({k: v for k, v in query.items() if k != "page"}),
        "receipt_states": ReceiptState.choices,
        "timeline": timeline, "earlier": earlier,
        # an action refused after its form went away (someone acted first): said above the forms
        "error": error.message() if error is not None and failed not in shown else "",
    }
    return render(request, "tasks/detail.html", ctx, status=status)


@login_required
@require_safe
def task_detail(request, pk):
    _need(request.user)
    return _render_detail(request, _task(request.user, pk))


def _done(request, task: Task, label) -> HttpResponseRedirect:
    messages.success(request, _("%(action)s: done.") % {"action": label})
    query = _receipt_query(request)
    url = reverse("tasks:detail", args=[task.pk])
    return HttpResponseRedirect(f"{url}?{urlencode(query)}" if query else url)


def _refused(request, pk, failed: str, exc: UserError):
    return _render_detail(request, _task(request.user, pk), status=exc.status, failed=failed, posted=request.POST,
                          error=exc)


@login_required
@require_POST
def task_act(request, pk, name):
    """The publisher's step on the task: 催办, 结束, 撤回."""
    _need(request.user)
    task = _task(request.user, pk)
    if name not in transitions.TASK_TABLE:
        raise Http404
    try:
        actions.act_on_task(task, name, by=request.user, text=request.POST.get("text", ""))
    except UserError as exc:
        return _refused(request, pk, f"task:{name}", exc)
    return _done(request, task, transitions.TASK_TABLE[name].label)


@login_required
@require_POST
def receipt_act(request, pk, rid, name):
    """A unit's step on its receipt (签收, 反馈) or the publisher's answer (确认完成, 退回重办)."""
    _need(request.user)
    task = _task(request.user, pk)
    receipt = _receipt(request.user, task, rid)
    if name not in transitions.RECEIPT_TABLE:
        raise Http404
    try:
        actions.act_on_receipt(receipt, name, by=request.user, text=request.POST.get("text", ""),
                               files=request.FILES.getlist("files"))
    except UserError as exc:
        return _refused(request, pk, f"receipt:{receipt.pk}:{name}", exc)
    return _done(request, task, transitions.RECEIPT_TABLE[name].label)


@login_required
@require_safe
def task_file(request, pk, fid):
    """One file of the task or of a unit's report, to whoever may read it (404 otherwise): photos
    and PDFs inline, other types downloaded, sandboxed (ADR 0111)."""
    _need(request.user)
    task = _task(request.user, pk)
    f = TaskFile.objects.restrict(request.user, "view").filter(task=task, pk=fid).first()
    if f is None:
        raise Http404
    return file_response(f.file, f.content_type, f.original_name)
