"""``fengqiao demo load``: the demo county 三门县 (331022), its departments and demo users.

Towns and villages are real (official statistical division codes, shipped in data/);
grids, their boundaries and the users are generated. Loading twice changes nothing.
"""

from __future__ import annotations

from pathlib import Path

from django.db import transaction

from fengqiao.accounts.actions import save_user
from fengqiao.areas import actions as area_actions
from fengqiao.areas.models import Area, Department

from .departments import DEPARTMENTS

COUNTY = "331022"
DATA = Path(__file__).resolve().parent / "data" / "sanmen_331022.csv"
DEMO_PASSWORD = "Fengqiao-2026"

# Extra everyday names for a few real places (old names, landmarks) used by place resolution.
ALIASES = {
    "331022001": ["海游镇", "海游"],
    "331022105": ["健跳", "健跳港"],
    "331022001001": ["心湖"],
}

# username, role, area code, department code, display name, post
USERS = [
    ("admin", "admin", COUNTY, None, "系统管理员", "信息中心"),
    ("auditor", "auditor", None, None, "审计员", "县纪委监委派驻"),
    ("county_op", "county_operator", COUNTY, None, "王芳", "县社会治理中心坐席"),
    ("county_op2", "county_operator", COUNTY, None, "陈立", "县社会治理中心坐席"),
    ("leader", "leader", COUNTY, None, "李建国", "县委政法委副书记"),
    ("town_haiyou", "town_operator", "331022001", None, "张敏", "海游街道综合信息指挥室"),
    ("town_jiantiao", "town_operator", "331022105", None, "林海", "健跳镇综合信息指挥室"),
    # one command room for each of the other eight towns, so the demo matters spread over the county
    ("town_hairun", "town_operator", "331022002", None, "何静", "海润街道综合信息指挥室"),
    ("town_shaliu", "town_operator", "331022003", None, "徐斌", "沙柳街道综合信息指挥室"),
    ("town_zhuao", "town_operator", "331022102", None, "胡燕", "珠岙镇综合信息指挥室"),
    ("town_tingpang", "town_operator", "331022103", None, "罗平", "亭旁镇综合信息指挥室"),
    ("town_hengdu", "town_operator", "331022106", None, "章俊", "横渡镇综合信息指挥室"),
    ("town_pubagang", "town_operator", "331022107", None, "潘宇", "浦坝港镇综合信息指挥室"),
    ("town_huaqiao", "town_operator", "331022108", None, "蒋丽", "花桥镇综合信息指挥室"),
    ("town_shepan", "town_operator", "331022205", None, "邵华", "蛇蟠乡综合信息指挥室"),
    ("leader_haiyou", "leader", "331022001", None, "周涛", "海游街道党工委副书记"),
    ("cadre_xinhu", "village_cadre", "331022001001", None, "叶红", "心湖社区书记"),
    ("cadre_jianzhong", "village_cadre", "331022105001", None, "郑军", "健中居委会主任"),
    ("grid_xinhu1", "grid_worker", "331022001001001", None, "吴晓", "心湖社区第1网格网格长"),
    ("grid_jianzhong1", "grid_worker", "331022105001001", None, "杨帆", "健中居委会第1网格网格员"),
    ("dept_zhifa", "department_handler", COUNTY, "ZF", "孙浩", "综合行政执法局承办人"),
    ("dept_police", "department_handler", COUNTY, "GA", "赵磊", "公安局承办人"),
    ("dept_zhujian", "department_handler", COUNTY, "ZJ", "钱伟", "住建局承办人"),
    ("mediator", "mediator", "331022001", None, "蔡文", "老蔡调解工作室"),
]


@transaction.atomic
def load_demo(stdout=None, *, history: bool = True) -> dict[str, int]:
    """Load the demo county. ``history`` adds generated matters and a year of mediation cases
    (the test suite loads the county without them and creates what each test needs)."""
    def say(msg: str) -> None:
        if stdout is not None:
            stdout.write(msg)

    report = area_actions.import_divisions(DATA, COUNTY)
    say(report.summary())
    county = Area.objects.get(code=COUNTY)
    for code, aliases in ALIASES.items():
        area = Area.objects.filter(code=code).first()
        if area is not None and not set(aliases) <= set(area.aliases):
            area.aliases = sorted(set(area.aliases) | set(aliases))
            area.save(update_fields=["aliases"])
    counts = area_actions.generate_grids(county, low=3, high=8)
    say(f"grids: created {counts['grid']}")
    xinhu = Area.objects.get(code="331022001001")
    micro = area_actions.generate_grids(xinhu, micro_per_grid=4)
    say(f"micro-grids in 心湖社区: created {micro['microgrid']}")
    for code, name, short, resp, keywords, feedback in DEPARTMENTS:
        area_actions.upsert_department(county, code=code, name=name, short_name=short, responsibilities=resp,
                                       keywords=keywords, feedback_required=feedback)
    created_users = 0
    for username, role, area_code, dept_code, full_name, title in USERS:
        area = Area.objects.get(code=area_code) if area_code else None
        dept = Department.objects.get(code=dept_code) if dept_code else None
        result = save_user(username=username, role=role, password=DEMO_PASSWORD, area=area, department=dept,
                           full_name=full_name, title=title, is_demo=True)
        created_users += int(result.created)
    say(f"users: {len(USERS)} demo users ({created_users} new), password {DEMO_PASSWORD}")
    from fengqiao.events.seed import link_departments

    link_departments()
    from fengqiao.triage.actions import seed_rules

    seed_rules()  # the routing rules to departments need the departments loaded above
    if history:
        from fengqiao.events.demo import load_demo_events
        from fengqiao.mediation.demo import load_demo_mediation

        load_demo_events()
        load_demo_mediation(stdout=stdout)
        from fengqiao.alerts.demo import load_demo_risks
        from fengqiao.grid.demo import load_demo_check_points, load_demo_key_persons
        from fengqiao.tasks.demo import load_demo_tasks

        load_demo_key_persons()
        load_demo_check_points()
        from fengqiao.population.demo import load_demo_population

        load_demo_population()
        from fengqiao.patrols.demo import load_demo_patrols

        load_demo_patrols()
        load_demo_tasks()
        load_demo_risks()  # matters the risk scan catches, then the scan
    return {"areas": Area.objects.count(), "users": len(USERS), "departments": Department.objects.count()}
