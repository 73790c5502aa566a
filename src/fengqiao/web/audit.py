"""审计日志: the audit trail in the console, for auditors (the same records and filters as
``/api/v1/audit/``, read through ``restrict()``)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connections, router
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengqiao.alerts import transitions as alert_transitions
from fengqiao.core.audit_api import AuditFilter
from fengqiao.core.memo import Memo
from fengqiao.core.models import AuditRecord
from fengqiao.core.restrict import role_allowed
from fengqiao.events import transitions as event_transitions
from fengqiao.mediation import transitions as dispute_transitions
from fengqiao.tasks import transitions as task_transitions

PAGE_SIZE = 50
#: the steps of a published task and of its receipts, written as ``task_<action>``
TASK_STEPS = {**task_transitions.TASK_TABLE, **task_transitions.RECEIPT_TABLE}
FILTER_KEYS = ("action", "object_type", "object_id", "actor_username", "since", "until")

#: audit actions in words: every code ``audit.record`` writes across the apps, except the actions
#: of the transition tables (written as ``event_<action>``/``dispute_<action>``/``alert_<action>``/``task_<action>``,
#: labelled by the table). ``web/tests/test_audit_labels.py`` reads the sources and fails on a code written
#: without a label here.
ACTION_LABELS = {
    "create": gettext_lazy("Record created"),
    "update": gettext_lazy("Record changed"),
    "delete": gettext_lazy("Record deleted"),
    "login": gettext_lazy("Signed in"),
    "login_failed": gettext_lazy("Sign-in failed"),
    "logout": gettext_lazy("Signed out"),
    "view_personal": gettext_lazy("Personal data shown in full"),
    "export": gettext_lazy("Exported"),
    "evaluation_publish": gettext_lazy("Evaluation results published"),
    "evaluation_set_weight": gettext_lazy("Evaluation indicator weight set"),
    "issue_token": gettext_lazy("API key issued"),
    "revoke_tokens": gettext_lazy("API keys revoked"),
    "create_user": gettext_lazy("User created"),
    "import_areas": gettext_lazy("Divisions imported"),
    "generate_grids": gettext_lazy("Grids generated"),
    "event_create": gettext_lazy("Matter taken in"),
    "event_attach": gettext_lazy("Attachment added"),
    "event_auto_escalate": gettext_lazy("Escalated automatically (overdue)"),
    "triage_label": gettext_lazy("Category label stored"),
    "triage_set_category": gettext_lazy("Category set"),
    "triage_model_register": gettext_lazy("Classifier model registered"),
    "triage_model_activate": gettext_lazy("Classifier model activated"),
    "triage_model_rollback": gettext_lazy("Classifier model rolled back"),
    "triage_model_file_remove": gettext_lazy("Superseded classifier model file removed"),
    "triage_rules_seed": gettext_lazy("Default triage rules loaded"),
    "dispute_register": gettext_lazy("Dispute registered"),
    "dispute_sla_yellow": gettext_lazy("Dispute time limit near"),
    "dispute_sla_red": gettext_lazy("Dispute time limit passed"),
    "hearing_schedule": gettext_lazy("Mediation session scheduled"),
    "hearing_record": gettext_lazy("Mediation session recorded"),
    "declare_relative": gettext_lazy("Relative declared (conflict check)"),
    "upsert_mediator": gettext_lazy("Mediator saved"),
    "upsert_organisation": gettext_lazy("Mediation organisation saved"),
    "upsert_dispute_type": gettext_lazy("Dispute type saved"),
    "seed_dispute_types": gettext_lazy("Default dispute types loaded"),
    "save_agreement_template": gettext_lazy("Agreement template saved"),
    "demo_load_mediation": gettext_lazy("Demo data loaded"),
    "ticket_take": gettext_lazy("Queue number taken"),
    "ticket_call": gettext_lazy("Queue number called"),
    "ticket_done": gettext_lazy("Queue number served (advice only)"),
    "ticket_no_show": gettext_lazy("Queue number passed (no show)"),
    "backlog_open": gettext_lazy("Backlog case opened"),
    "backlog_assign_leader": gettext_lazy("Leader put in charge of a backlog case"),
    "backlog_progress": gettext_lazy("Backlog case progress reported"),
    "backlog_close": gettext_lazy("Backlog case closed"),
    "update_user": gettext_lazy("User changed"),
    "alert_raise": gettext_lazy("Risk alert raised"),
    "alert_grow": gettext_lazy("Risk alert grown (more evidence or a higher level)"),
    "key_person_register": gettext_lazy("Key person registered"),
    "key_person_update": gettext_lazy("Key person's entry changed"),
    "key_person_remove": gettext_lazy("Key person removed from the registry"),
    "key_person_visit": gettext_lazy("Key person visited"),
    "key_person_register_refused": gettext_lazy("Key person not registered: ID number already registered elsewhere"),
    "check_point_register": gettext_lazy("Check-point registered"),
    "check_point_update": gettext_lazy("Check-point's entry changed"),
    "check_point_remove": gettext_lazy("Check-point removed from the registry"),
    "check_point_inspect": gettext_lazy("Check-point inspected"),
    "rental_house_register": gettext_lazy("Rental house registered"),
    "rental_house_update": gettext_lazy("Rental house's entry changed"),
    "rental_house_remove": gettext_lazy("Rental house removed from the registry"),
    "resident_register": gettext_lazy("Resident registered"),
    "resident_update": gettext_lazy("Resident's entry changed"),
    "resident_move_out": gettext_lazy("Resident moved out of the registry"),
    "patrol_start": gettext_lazy("Patrol started"),
    "patrol_end": gettext_lazy("Patrol ended"),
    "patrol_timeout": gettext_lazy("Patrol ended automatically (phone silent or 12 hours)"),
    "task_publish": gettext_lazy("Task or notice published"),
    "workcal.seed": gettext_lazy("Holidays loaded from the calendar package"),
    "workcal.set_day": gettext_lazy("Holiday or make-up working day entered"),
    "workcal.remove_day": gettext_lazy("Holiday or make-up working day removed"),
    "workcal.mark_year": gettext_lazy("Year's holiday arrangement marked entered or not"),
}

#: how long the codes found in the table are kept: a code nothing above knows (written by an
#: older version, or new) shows in the filter at most this long after it is first written
RECORDED_ACTIONS_SECONDS = 600
MAX_RECORDED_ACTIONS = 500
_recorded = Memo("audit actions", RECORDED_ACTIONS_SECONDS)


def known_actions() -> frozenset[str]:
    """The action codes the code base writes, known without reading the table."""
    return frozenset(ACTION_LABELS).union(
        (f"event_{a}" for a in event_transitions.TABLE),
        (f"dispute_{a}" for a in dispute_transitions.TABLE),
        (f"alert_{a}" for a in alert_transitions.TABLE),
        (f"task_{a}" for a in TASK_STEPS))


def recorded_actions() -> frozenset[str]:
    """The distinct action codes in the audit table, kept for :data:`RECORDED_ACTIONS_SECONDS`.

    Read without scanning the table: a skip scan on the ``action`` index (``audit_action_idx``)
    seeks the next larger code once per code, so the cost grows with the number of distinct
    codes (a few dozen), not with the records (millions). ``SELECT DISTINCT action`` reads
    every index entry. The codes are the same for every reader: only auditors open the page and
    they read the whole trail."""
    return _recorded.get("all", _skip_scan_actions)


def _skip_scan_actions() -> frozenset[str]:
    connection = connections[router.db_for_read(AuditRecord)]
    table = connection.ops.quote_name(AuditRecord._meta.db_table)
    column = connection.ops.quote_name(AuditRecord._meta.get_field("action").column)
    sql = (  # one statement on SQLite and PostgreSQL: each step is one index seek
        f"WITH RECURSIVE codes(code, n) AS ("
        f" SELECT MIN({column}), 1 FROM {table}"
        f" UNION ALL"
        f" SELECT (SELECT r.{column} FROM {table} r WHERE r.{column} > codes.code ORDER BY r.{column} LIMIT 1), n + 1"
        f" FROM codes WHERE codes.code IS NOT NULL AND n < %s"
        f") SELECT code FROM codes WHERE code IS NOT NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [MAX_RECORDED_ACTIONS])
        return frozenset(row[0] for row in cursor.fetchall())


def action_choices(selected: str = "") -> list[tuple[str, str]]:
    """The action filter's options, by label: every known code, the codes found in the table
    and the one asked for."""
    codes = known_actions() | recorded_actions() | ({selected} if selected else set())
    return sorted(((c, action_label(c)) for c in codes), key=lambda a: a[1])


def action_label(code: str) -> str:
    """An audit action in the reader's language; actions of a transition table by their
    label, anything unknown as its code."""
    if code in ACTION_LABELS:
        return str(ACTION_LABELS[code])
    for prefix, table, words in (("event_", event_transitions.TABLE, _("Matter")),
                                 ("dispute_", dispute_transitions.TABLE, _("Dispute")),
                                 ("alert_", alert_transitions.TABLE, _("Risk alert")),
                                 ("task_", TASK_STEPS, _("Published task"))):
        t = table.get(code[len(prefix):]) if code.startswith(prefix) else None
        if t is not None:
            return f"{words}: {t.label}"
    return code


@login_required
def audit_trail(request):
    if not role_allowed(AuditRecord, request.user, "view"):
        raise PermissionDenied
    query = {k: request.GET[k].strip() for k in FILTER_KEYS if request.GET.get(k, "").strip()}
    records = AuditRecord.objects.restrict(request.user, "view").order_by("-id")
    filters = AuditFilter(query, queryset=records)
    errors = None
    if filters.is_valid():
        records = filters.qs
    else:
        errors = {k: " ".join(map(str, v)) for k, v in filters.errors.items()}
        records = records.none()
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    for r in page.object_list:
        r.action_label = action_label(r.action)
    return render(request, "web/audit.html", {
        "page": page, "query": query, "querystring": urlencode(query), "errors": errors,
        "actions": action_choices(query.get("action", "")),
    }, status=400 if errors else 200)
