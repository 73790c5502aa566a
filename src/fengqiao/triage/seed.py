"""Default triage rules for the default category tree (``events.categories``): the cold-start
keyword classifier and a few routing rules. Used by the data migration and by
``triage rules seed`` (idempotent: rules a county already has are left as it edited them).
"""

from __future__ import annotations

# category code → keywords (a deeper category's words also speak for its parent through the
# tree: the classifier scores leaves, the operator may pick the parent)
DEFAULT_KEYWORDS: dict[str, list[str]] = {
    "urban.housing": ["房屋开裂", "墙体开裂", "房屋倾斜", "房屋安全"],
    "urban.illegal_building": ["违章搭建", "违建", "私搭乱建", "违法建筑", "加盖", "搭建棚"],
    "urban.construction": ["建筑工地", "施工单位", "工地扬尘", "施工围挡"],
    "urban.construction.noise": ["夜间施工", "半夜施工", "凌晨施工", "施工噪音", "施工噪声", "打桩"],
    "urban.construction.muck": ["渣土车", "渣土运输", "泥头车", "渣土"],
    "urban.road": ["路面破损", "坑洼", "井盖", "路灯不亮", "路灯坏", "人行道破损", "道路破损"],
    "urban.water": ["停水", "水压低", "自来水", "下水道堵", "排水不畅", "污水管", "积水"],
    "property.service": ["物业不作为", "物业服务", "物业公司", "保安", "保洁"],
    "property.elevator": ["电梯故障", "电梯坏", "电梯停运", "困电梯", "电梯"],
    "property.fee": ["物业费", "停车费", "公摊", "乱收费用"],
    "property.leak": ["漏水", "渗水", "楼上漏水", "屋顶漏水"],
    "street_vending.stall": ["流动摊贩", "摆摊", "小摊贩", "占道摆摊", "流动摊"],
    "street_vending.shop": ["店外经营", "占道经营", "出店经营", "门口堆放"],
    "noise.social": ["广场舞", "装修噪音", "装修噪声", "邻居噪音", "邻居噪声", "音响太大"],
    "noise.business": ["KTV", "酒吧噪音", "烧烤摊噪音", "商铺噪音", "商铺噪声", "噪音扰民", "噪声扰民", "扰民"],
    "noise.industrial": ["工厂噪音", "工厂噪声", "机器轰鸣", "机器噪声", "厂房噪音", "厂房噪声", "石料厂", "采石场"],
    "labour.unpaid_wages": ["拖欠工资", "欠薪", "讨薪", "拖欠农民工", "不发工资", "工资未发", "工钱"],
    "labour.social_insurance": ["社保", "五险一金", "养老保险", "医保缴纳", "公积金"],
    "labour.contract": ["劳动合同", "辞退", "解除合同", "加班费", "试用期"],
    "dispute.family": ["离婚", "家暴", "赡养", "抚养费", "婚姻", "家庭矛盾"],
    "dispute.neighbour": ["邻居", "邻里纠纷", "宅基地边界", "滴水", "采光"],
    "dispute.land": ["土地纠纷", "山林", "林地", "承包地", "土地确权"],
    "dispute.medical": ["医疗纠纷", "医疗事故", "误诊", "医院赔偿"],
    "dispute.traffic": ["交通事故", "车祸", "撞伤", "事故赔偿"],
    "dispute.consumer": ["退款", "消费纠纷", "预付卡", "退货", "霸王条款"],
    "dispute.contract": ["合同纠纷", "违约", "欠款不还", "借款"],
    "dispute.demolition": ["拆迁", "征地", "征收补偿", "安置房", "拆迁补偿"],
    "dispute.fishery": ["渔船", "渔民", "海域", "养殖塘", "渔事"],
    "hazard.fire.ebike": ["电动车充电", "飞线充电", "电瓶车充电", "楼道充电"],
    "hazard.fire.lane": ["消防通道", "堵塞通道", "占用消防"],
    "hazard.fire": ["火灾隐患", "消防隐患", "灭火器", "消防栓"],
    "hazard.gas": ["燃气泄漏", "煤气", "液化气", "燃气管道", "闻到燃气"],
    "hazard.building": ["危房", "随时倒塌", "墙体倒塌"],
    "hazard.chemicals": ["危化品", "危险化学品", "易燃易爆"],
    "hazard.height": ["高空抛物", "楼上扔", "高空坠物"],
    "hazard.production": ["安全生产", "无证生产", "作业事故", "安全措施"],
    "environment.air": ["废气", "粉尘", "扬尘", "烟囱", "黑烟", "焚烧"],
    "environment.water": ["排污", "污水直排", "河道污染", "水体发黑", "死鱼"],
    "environment.waste": ["垃圾堆放", "乱倒垃圾", "建筑垃圾", "垃圾清运", "垃圾桶"],
    "environment.smell": ["油烟", "异味", "臭味", "恶臭"],
    "traffic.bus": ["公交车", "公交线路", "班车", "客运"],
    "traffic.taxi": ["出租车", "拒载", "网约车", "绕路"],
    "traffic.parking": ["乱停车", "违停", "违章停车", "占用车位", "堵门停车"],
    "education.enrolment": ["入学", "学位", "招生", "学区", "转学"],
    "education.campus": ["校园欺凌", "学生安全", "校车", "食堂"],
    "education.training": ["培训机构", "补课", "辅导班"],
    "health.service": ["医院", "看病", "医生态度", "挂号"],
    "health.public": ["疫苗", "传染", "卫生院", "防疫"],
    "market.food": ["食品安全", "过期食品", "变质", "食物中毒", "无证餐饮"],
    "market.price": ["乱涨价", "价格欺诈", "哄抬", "明码标价"],
    "market.fake": ["假冒", "伪劣", "假货", "山寨"],
    "public_order.fight": ["打架", "斗殴", "殴打", "打人"],
    "public_order.theft": ["被盗", "偷窃", "小偷", "盗窃"],
    "public_order.fraud": ["诈骗", "骗子", "被骗", "传销"],
    "public_order.key_person": ["精神病人", "吸毒", "社区矫正", "刑满释放"],
    "civil_affairs.subsistence": ["低保", "救助", "特困"],
    "civil_affairs.elderly": ["养老院", "老人无人照顾", "居家养老", "高龄补贴"],
    "civil_affairs.hardship": ["困难家庭", "生活困难", "残疾人补贴", "帮扶"],
}

# name, category code, area level (precision needed), target level or department code,
# co-handling department codes, priority
DEFAULT_ROUTES = [
    ("占道经营 → 综合行政执法局", "street_vending", "", "dept:ZF", [], 10),
    ("违章搭建 → 综合行政执法局(乡镇协办)", "urban.illegal_building", "", "dept:ZF", [], 10),
    ("欠薪 → 人力社保局", "labour", "", "dept:RS", [], 10),
    ("消防隐患 → 消防救援大队", "hazard.fire", "", "dept:XFJY", ["ZF"], 10),
    ("燃气安全 → 住建局", "hazard.gas", "", "dept:ZJ", ["XFJY"], 10),
    ("邻里纠纷 → 所在村(社区)调委会", "dispute.neighbour", "village", "village", [], 20),
    ("婚姻家庭纠纷 → 所在村(社区)", "dispute.family", "village", "village", [], 20),
    ("矛盾纠纷 → 所在乡镇(街道)", "dispute", "town", "town", [], 5),
    ("物业服务 → 所在社区", "property.service", "village", "village", ["ZJ"], 15),
    ("噪声扰民(社会生活) → 所在网格", "noise.social", "grid", "grid", [], 15),
]


def seed_keyword_rules(KeywordRule=None, Category=None) -> int:
    """Create a keyword rule for each category of the default tree that has none."""
    if KeywordRule is None:
        from fengqiao.events.models import Category

        from .models import KeywordRule
    created = 0
    cats = {c.code: c for c in Category.objects.filter(code__in=list(DEFAULT_KEYWORDS))}
    have = set(KeywordRule.objects.values_list("category__code", flat=True))
    for code, words in DEFAULT_KEYWORDS.items():
        cat = cats.get(code)
        if cat is None or code in have:
            continue
        KeywordRule.objects.create(category=cat, keywords=list(words), weight=1.0, note="default")
        created += 1
    return created


def seed_routing_rules(RoutingRule=None, Category=None, Department=None) -> int:
    """Create the default routing rules whose category (and department) exist; skip names already
    there, except that a default rule with no co-handlers gets the default ones that exist now
    (the migration seeds the rules before a county's departments are loaded)."""
    if RoutingRule is None:
        from fengqiao.areas.models import Department
        from fengqiao.events.models import Category

        from .models import RoutingRule
    created = 0
    have = set(RoutingRule.objects.values_list("name", flat=True))
    for name, cat_code, level, target, co, priority in DEFAULT_ROUTES:
        if name in have:
            rule = RoutingRule.objects.filter(name=name).first()
            if co and rule is not None and not rule.cohandlers.exists():
                rule.cohandlers.set(Department.objects.filter(code__in=co))
            continue
        cat = Category.objects.filter(code=cat_code).first()
        if cat is None:
            continue
        dept = None
        target_level = ""
        if target.startswith("dept:"):
            dept = Department.objects.filter(code=target[5:]).order_by("pk").first()
            if dept is None:
                continue
        else:
            target_level = target
        rule = RoutingRule.objects.create(name=name, category=cat, include_subcategories=True, area_level=level,
                                          target_level=target_level, department=dept, priority=priority)
        cos = list(Department.objects.filter(code__in=co))
        if cos:
            rule.cohandlers.set(cos)
        created += 1
    return created
