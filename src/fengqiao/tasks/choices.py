"""Choices of top-down publishing (统一发布): what was sent, where the sending stands, and where
each receiving unit stands with it."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    TASK = "task", _("Task")  # 任务: each unit acknowledges, then reports completion
    NOTICE = "notice", _("Notice")  # 通知: each unit acknowledges that it has read it


class State(models.TextChoices):
    """Where the sending stands (the publisher's side)."""

    PUBLISHED = "published", _("Published")  # 已发布 (in progress)
    CLOSED = "closed", _("Ended")  # 已结束
    WITHDRAWN = "withdrawn", _("Withdrawn")  # 已撤回


class ReceiptState(models.TextChoices):
    """Where one receiving unit stands (签收 → 反馈 → 确认)."""

    PENDING = "pending", _("Not acknowledged")  # 待签收
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")  # 已签收 (a notice ends here)
    REPORTED = "reported", _("Completion reported")  # 已反馈, awaiting the publisher's check
    DONE = "done", _("Completed")  # 已完成 (the publisher accepted the report)


#: a receipt still owes something: acknowledgement, or for a task a completion report
OWING_STATES = frozenset({ReceiptState.PENDING, ReceiptState.ACKNOWLEDGED})
