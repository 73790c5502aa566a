"""The default category tree (事件分类) for social-governance matters: code, name, children.

Codes are stable (imports, Open311 ``service_code`` and SLA policies refer to them); names can
be edited in the admin. ``dept`` is the department usually in charge (a routing hint only).
"""

from __future__ import annotations

# (code, name, department hint, children)
DEFAULT_TREE = [
    ("urban", "城乡建设", "ZJ", [
        ("urban.housing", "房屋安全", "ZJ", []),
        ("urban.illegal_building", "违章搭建", "ZF", []),
        ("urban.construction", "建筑工地", "ZJ", [
            ("urban.construction.noise", "工地夜间施工", "ZF", []),
            ("urban.construction.muck", "渣土运输", "ZF", []),
        ]),
        ("urban.road", "道路设施破损", "JT", []),
        ("urban.water", "供水排水", "SL", []),
    ]),
    ("property", "物业管理", "ZJ", [
        ("property.service", "物业服务", "ZJ", []),
        ("property.elevator", "电梯故障", "SJ", []),
        ("property.fee", "物业收费", "ZJ", []),
        ("property.leak", "房屋漏水", "ZJ", []),
    ]),
    ("street_vending", "占道经营", "ZF", [
        ("street_vending.stall", "流动摊贩", "ZF", []),
        ("street_vending.shop", "店外经营", "ZF", []),
    ]),
    ("noise", "噪声扰民", "ZF", [
        ("noise.social", "社会生活噪声", "GA", []),
        ("noise.business", "商业经营噪声", "ZF", []),
        ("noise.industrial", "工业噪声", "STHJ", []),
    ]),
    ("labour", "劳动保障欠薪", "RS", [
        ("labour.unpaid_wages", "拖欠工资", "RS", []),
        ("labour.social_insurance", "社保缴纳", "RS", []),
        ("labour.contract", "劳动合同", "RS", []),
    ]),
    ("dispute", "矛盾纠纷", "SF", [
        ("dispute.family", "婚姻家庭纠纷", "SF", []),
        ("dispute.neighbour", "邻里纠纷", "SF", []),
        ("dispute.land", "土地山林纠纷", "ZRZY", []),
        ("dispute.medical", "医疗纠纷", "WJ", []),
        ("dispute.traffic", "交通事故赔偿", "GA", []),
        ("dispute.consumer", "消费纠纷", "SJ", []),
        ("dispute.contract", "合同纠纷", "SF", []),
        ("dispute.demolition", "征地拆迁纠纷", "ZRZY", []),
        ("dispute.fishery", "海事渔事纠纷", "HY", []),
    ]),
    ("hazard", "安全隐患", "YJ", [
        ("hazard.fire", "消防隐患", "XFJY", [
            ("hazard.fire.ebike", "电动车违规充电", "XFJY", []),
            ("hazard.fire.lane", "消防通道堵塞", "XFJY", []),
        ]),
        ("hazard.gas", "燃气安全", "ZJ", []),
        ("hazard.building", "危房", "ZJ", []),
        ("hazard.chemicals", "危险化学品", "YJ", []),
        ("hazard.height", "高空抛物", "GA", []),
        ("hazard.production", "安全生产", "YJ", []),
    ]),
    ("environment", "环境保护", "STHJ", [
        ("environment.air", "大气污染", "STHJ", []),
        ("environment.water", "水污染", "STHJ", []),
        ("environment.waste", "固废垃圾", "ZF", []),
        ("environment.smell", "油烟异味", "ZF", []),
    ]),
    ("traffic", "交通出行", "JT", [
        ("traffic.bus", "公交客运", "JT", []),
        ("traffic.taxi", "出租车", "JT", []),
        ("traffic.parking", "违章停车", "GA", []),
    ]),
    ("education", "教育", "JY", [
        ("education.enrolment", "招生入学", "JY", []),
        ("education.campus", "校园安全", "JY", []),
        ("education.training", "校外培训", "JY", []),
    ]),
    ("health", "医疗卫生", "WJ", [
        ("health.service", "医疗服务", "WJ", []),
        ("health.public", "公共卫生", "WJ", []),
    ]),
    ("market", "市场监管", "SJ", [
        ("market.food", "食品安全", "SJ", []),
        ("market.price", "价格违法", "SJ", []),
        ("market.fake", "假冒伪劣", "SJ", []),
    ]),
    ("public_order", "社会治安", "GA", [
        ("public_order.fight", "打架斗殴", "GA", []),
        ("public_order.theft", "盗窃", "GA", []),
        ("public_order.fraud", "诈骗", "GA", []),
        ("public_order.key_person", "重点人员", "GA", []),
    ]),
    ("civil_affairs", "民政救助", "MZ", [
        ("civil_affairs.subsistence", "低保救助", "MZ", []),
        ("civil_affairs.elderly", "养老服务", "MZ", []),
        ("civil_affairs.hardship", "困难帮扶", "MZ", []),
    ]),
    ("other", "其他", "", []),
]


def flatten(tree=DEFAULT_TREE, parent: str | None = None, depth: int = 0):
    """Yield ``(code, name, dept, parent_code, depth, order)`` parents before children."""
    for order, (code, name, dept, children) in enumerate(tree):
        yield code, name, dept, parent, depth, order
        yield from flatten(children, code, depth + 1)
