"""Choices of the risk early warning (全域风险感知): what a signal is, how serious, where its
alert stands in its own closed loop (监测 → 预警 → 处置 → 反馈)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .detect import RANK


class Kind(models.TextChoices):
    """The signals the scan watches (DOMAIN.md, 全域风险感知)."""

    LANGUAGE = "language", _("Escalation language")  # 极端言辞 (民转刑风险)
    REPEAT_REPORTER = "repeat_reporter", _("Same person again")  # 同一人反复反映
    HOT_TOPIC = "hot_topic", _("Same matter, many reporters")  # 多人反映同一事项
    SPIKE = "spike", _("Spike by area and category")  # 区域类别激增
    REOPENED = "reopened", _("Citizen unsatisfied again and again")  # 反复不满意
    LONG_DISPUTE = "long_dispute", _("Dispute dragging on")  # 纠纷久调不决
    KEY_PERSON = "key_person", _("Touches a key person")  # 涉重点人员
    MISSED_VISIT = "missed_visit", _("Key person not visited in time")  # 重点人员走访超期
    MISSED_INSPECTION = "missed_inspection", _("Check-point not inspected in time")  # 平安点位巡查超期


class Level(models.TextChoices):
    """预警等级: red is the most serious."""

    RED = "red", _("Red")  # 红色
    ORANGE = "orange", _("Orange")  # 橙色
    YELLOW = "yellow", _("Yellow")  # 黄色


#: most serious first; a signal that grows raises its alert's level, never lowers it
LEVEL_RANK = RANK  # detect's (no Django there): red 3, orange 2, yellow 1


class State(models.TextChoices):
    OPEN = "open", _("Awaiting action")  # 待处置
    HANDLING = "handling", _("Being handled")  # 处置中
    RESOLVED = "resolved", _("Defused")  # 已化解
    DISMISSED = "dismissed", _("Dismissed")  # 已排除 (误报)


OPEN_STATES = frozenset({State.OPEN, State.HANDLING})


class TermKind(models.TextChoices):
    TRIGGER = "trigger", _("Raises an alert")  # 预警词
    IGNORE = "ignore", _("Harmless phrase")  # 排除词, e.g. 跳楼价 covers 跳楼
