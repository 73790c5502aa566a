"""Choices of the population registry: rental houses (出租房屋) and the people living in the
area (实有人口: registered residents, floating population, foreign nationals)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class HouseKind(models.TextChoices):
    """How a rental house is let."""

    WHOLE = "whole", _("Let as a whole")  # 整租
    ROOMS = "rooms", _("Let room by room")  # 分租、合租
    DORMITORY = "dormitory", _("Staff dormitory")  # 员工宿舍
    SHOP_HOME = "shop_home", _("Shop with living quarters")  # 沿街商住 (“三合一”风险)
    OTHER = "other", _("Other rental")  # 其他


class ResidentKind(models.TextChoices):
    """实有人口: how a person lives in the area."""

    REGISTERED = "registered", _("Registered resident")  # 户籍人口
    FLOATING = "floating", _("Floating population")  # 流动人口
    FOREIGN = "foreign", _("Foreign national")  # 境外人员


class StayReason(models.TextChoices):
    """Why a floating resident came (来本地事由)."""

    WORK = "work", _("Work")  # 务工
    BUSINESS = "business", _("Business")  # 经商
    STUDY = "study", _("Study")  # 就学
    FAMILY = "family", _("Joining family")  # 投亲靠友、随迁
    OTHER = "other", _("Other reason")  # 其他


class PermitDue(models.TextChoices):
    """居住证: how a floating resident's residence permit stands; the lists' ``permit`` filter
    (the rule is ``models.permit_q``)."""

    EXPIRED = "expired", _("Expired")  # 已过期
    SOON = "soon", _("Expires within 30 days")  # 30天内到期
    MISSING = "missing", _("No permit after 6 months")  # 居住满半年未办证


class MoveOutReason(models.TextChoices):
    """注销: why a person leaves the registry."""

    LEFT = "left", _("Left the area")  # 离开本地
    MOVED = "moved", _("Moved elsewhere in the county")  # 县内迁移 (another entry took over)
    DIED = "died", _("Died")  # 死亡
    WRONG = "wrong", _("Registered by mistake")  # 错误登记
