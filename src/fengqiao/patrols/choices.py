"""Choices of the patrols (巡逻)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class EndReason(models.TextChoices):
    """How a patrol came to an end (a running patrol has none)."""

    FINISHED = "finished", _("Ended by the patroller")  # 正常结束
    TIMED_OUT = "timed_out", _("Ended automatically")  # 超时自动结束


class PatrolState(models.TextChoices):
    """What the lists filter by: a patrol is running until it has an end."""

    RUNNING = "running", _("Running")  # 巡逻中
    ENDED = "ended", _("Ended")  # 已结束
