"""Choices of the key-person registry (重点人员) and its visits (走访)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class KeyPersonCategory(models.TextChoices):
    COMMUNITY_CORRECTION = "community_correction", _("Under community correction")  # 社区矫正对象
    RELEASED_PRISONER = "released_prisoner", _("Released from prison")  # 刑满释放人员
    DRUG_USER = "drug_user", _("Drug user")  # 吸毒人员
    MENTAL_DISORDER = "mental_disorder", _("Severe mental disorder")  # 严重精神障碍患者
    KEY_PETITIONER = "key_petitioner", _("Key petitioner")  # 重点信访人员
    OTHER = "other", _("Other key person")  # 其他


#: how often each kind of key person is visited unless the registry says otherwise (days)
DEFAULT_VISIT_EVERY_DAYS = {
    KeyPersonCategory.COMMUNITY_CORRECTION: 7,
    KeyPersonCategory.RELEASED_PRISONER: 30,
    KeyPersonCategory.DRUG_USER: 14,
    KeyPersonCategory.MENTAL_DISORDER: 7,
    KeyPersonCategory.KEY_PETITIONER: 14,
    KeyPersonCategory.OTHER: 30,
}


class VisitMethod(models.TextChoices):
    HOME = "home", _("Home visit")  # 入户走访
    PHONE = "phone", _("Phone call")  # 电话
    VIDEO = "video", _("Video call")  # 视频
    OTHER = "other", _("Other")


class Condition(models.TextChoices):
    """走访情况: what the visitor found."""

    STABLE = "stable", _("Stable")  # 稳定
    ATTENTION = "attention", _("Needs attention")  # 需关注
    ABNORMAL = "abnormal", _("Abnormal")  # 异常


class VisitDue(models.TextChoices):
    """走访提醒: how a person's next visit stands, the values of the lists' ``due`` filter (the rule
    is ``models.due_q``)."""

    OVERDUE = "overdue", _("Overdue")  # 已超期
    SOON = "soon", _("Due within 3 days")  # 3天内到期
    DUE = "due", _("Overdue or due within 3 days")  # either
