"""Choices of the matters app (事件/工单): channels, states, urgency, SLA colours, feedback."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    HOTLINE_12345 = "hotline_12345", _("12345 hotline")
    POLICE_110 = "police_110", _("110 non-police incident")
    PETITION = "petition", _("Petition")
    GRID_REPORT = "grid_report", _("Grid report")
    CITIZEN_APP = "citizen_app", _("Citizen app")
    WALK_IN = "walk_in", _("Walk-in visit")
    DEPARTMENT = "department", _("Department transfer")
    COURT = "court", _("Court referral")
    OTHER = "other", _("Other")


# Channels that expect status and result back (issue 3 §8).
FEEDBACK_CHANNELS = frozenset({Channel.HOTLINE_12345, Channel.POLICE_110})


class State(models.TextChoices):
    RECEIVED = "received", _("Received")  # 待受理
    ACCEPTED = "accepted", _("Accepted")  # 已受理
    REJECTED = "rejected", _("Rejected")  # 不予受理
    MERGED = "merged", _("Merged")  # 已合并
    CANCELLED = "cancelled", _("Cancelled")  # 已撤销
    DISPATCHED = "dispatched", _("Dispatched")  # 已派发
    SIGNED = "signed", _("Signed for")  # 已签收
    IN_PROGRESS = "in_progress", _("In progress")  # 处置中
    RESOLVED = "resolved", _("Resolved")  # 已办结
    VERIFIED = "verified", _("Verified")  # 已核实
    CLOSED = "closed", _("Closed")  # 已归档


TERMINAL_STATES = frozenset({State.REJECTED, State.MERGED, State.CANCELLED, State.CLOSED})
OPEN_STATES = frozenset(s for s in State.values if s not in TERMINAL_STATES)
# States in which somebody is working on the matter (the handling unit holds it).
WORKING_STATES = frozenset({State.DISPATCHED, State.SIGNED, State.IN_PROGRESS})


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")  # 一般
    PRIORITY = "priority", _("Priority")  # 较急, 72 natural hours
    URGENT = "urgent", _("Urgent")  # 紧急, 48 natural hours
    CRITICAL = "critical", _("Critical")  # 特急, 24 natural hours


class SlaColor(models.TextChoices):
    GREEN = "green", _("Green")
    YELLOW = "yellow", _("Yellow")
    RED = "red", _("Red")


class Feedback(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")  # 满意
    BASICALLY_SATISFIED = "basically_satisfied", _("Basically satisfied")  # 基本满意
    UNSATISFIED = "unsatisfied", _("Unsatisfied")  # 不满意


class ClockUnit(models.TextChoices):
    NATURAL_HOURS = "natural_hours", _("natural hours")
    WORKING_HOURS = "working_hours", _("working hours")
    WORKING_DAYS = "working_days", _("working days")


class AttachmentKind(models.TextChoices):
    PHOTO = "photo", _("Photo")
    DOCUMENT = "document", _("Document")
    AUDIO = "audio", _("Audio")
    VIDEO = "video", _("Video")


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    DEAD = "dead", _("Given up")
