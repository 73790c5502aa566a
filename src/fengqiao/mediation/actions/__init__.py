"""Every write of the mediation app is one of these functions (see ARCHITECTURE.md)."""

from .backlog import (
    assign_leader,
    close_case,
    open_backlog_case,
    record_hearing,
    report_progress,
    schedule_hearing,
)
from .disputes import act, register_dispute
from .queue import call_next, finish_ticket, take_ticket
from .registry import (
    declare_relative,
    save_template,
    seed_types,
    upsert_mediator,
    upsert_organisation,
    upsert_type,
)
from .sweep import sweep

__all__ = [
    "act", "assign_leader", "call_next", "close_case", "declare_relative", "finish_ticket", "open_backlog_case",
    "record_hearing", "register_dispute", "report_progress", "save_template", "schedule_hearing", "seed_types",
    "sweep", "take_ticket", "upsert_mediator", "upsert_organisation", "upsert_type",
]
