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
    """走访、巡查提醒: how a person's next visit, or a check-point's next inspection, stands; the
    values of the lists' ``due`` filter (the rule is ``models.due_q``)."""

    OVERDUE = "overdue", _("Overdue")  # 已超期
    SOON = "soon", _("Due within 3 days")  # 3天内到期
    DUE = "due", _("Overdue or due within 3 days")  # either


class CheckPointKind(models.TextChoices):
    """平安点位: the kinds of place grid workers inspect on a round."""

    SCHOOL = "school", _("School or kindergarten")  # 学校、幼儿园
    MARKET = "market", _("Market or shopping centre")  # 集贸市场、商场
    CROWDED = "crowded", _("Crowded venue")  # 人员密集场所 (车站、广场、娱乐场所)
    FUEL = "fuel", _("Fuel or gas station")  # 加油站、燃气站
    CHEMICALS = "chemicals", _("Hazardous chemicals")  # 危化品单位
    SMALL_VENUE = "small_venue", _("Small venue (shop, workshop)")  # 九小场所
    RENTAL = "rental", _("Rental housing")  # 出租房、群租房
    WATER = "water", _("Reservoir or pond")  # 水库、山塘
    BUILDING = "building", _("Old or risky building")  # 危旧房
    OTHER = "other", _("Other check-point")  # 其他


#: how often each kind of check-point is inspected unless the registry says otherwise (days)
DEFAULT_INSPECT_EVERY_DAYS = {
    CheckPointKind.SCHOOL: 7,
    CheckPointKind.MARKET: 7,
    CheckPointKind.CROWDED: 7,
    CheckPointKind.FUEL: 7,
    CheckPointKind.CHEMICALS: 7,
    CheckPointKind.SMALL_VENUE: 30,
    CheckPointKind.RENTAL: 30,
    CheckPointKind.WATER: 14,
    CheckPointKind.BUILDING: 14,
    CheckPointKind.OTHER: 30,
}

#: the checklist a new check-point of each kind starts with (the registrar edits it); the items
#: are what a county's fire-safety and "nine small places" sheets ask a grid worker to look at
DEFAULT_CHECKLISTS = {
    CheckPointKind.SCHOOL: ["校门安保人员在岗", "防冲撞设施完好", "消防器材在有效期内", "疏散通道畅通", "周边无占道经营"],
    CheckPointKind.MARKET: ["消防通道畅通", "消防器材在有效期内", "电线无私拉乱接", "燃气使用规范", "无占道经营"],
    CheckPointKind.CROWDED: ["安全出口畅通", "消防器材在有效期内", "应急照明有效", "人员不超载", "监控设施正常"],
    CheckPointKind.FUEL: ["消防器材在有效期内", "无违规灌装", "防静电设施完好", "人员持证上岗"],
    CheckPointKind.CHEMICALS: ["储存符合规范", "台账与实物相符", "消防器材在有效期内", "人员持证上岗", "警示标志齐全"],
    CheckPointKind.SMALL_VENUE: ["消防器材在有效期内", "电线无私拉乱接", "无“三合一”住人", "电动车不在室内充电"],
    CheckPointKind.RENTAL: ["租住人员已登记", "无群租隔断", "电动车不在室内充电", "消防器材在有效期内", "逃生通道畅通"],
    CheckPointKind.WATER: ["水位正常", "坝体无渗漏裂缝", "警示标志齐全", "防溺水设施完好"],
    CheckPointKind.BUILDING: ["无新增裂缝或倾斜", "无人违规居住", "警示标志齐全"],
    CheckPointKind.OTHER: ["现场无安全隐患"],
}

#: the category a problem found at each kind of check-point is reported under (事件分类 codes)
HAZARD_CATEGORIES = {
    CheckPointKind.CHEMICALS: "hazard.chemicals",
    CheckPointKind.FUEL: "hazard.chemicals",
    CheckPointKind.BUILDING: "hazard.building",
    CheckPointKind.WATER: "hazard",
    CheckPointKind.OTHER: "hazard",
}
#: every other kind: fire safety, what most of their checklists are about
DEFAULT_HAZARD_CATEGORY = "hazard.fire"


class InspectionOutcome(models.TextChoices):
    """巡查结果: whether every item of the checklist was in order."""

    PASSED = "passed", _("All in order")  # 正常
    PROBLEMS = "problems", _("Problems found")  # 发现问题
