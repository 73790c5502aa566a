"""Mediation fixtures: a small registry in 三门县 set up through the actions."""

from __future__ import annotations

import os

import pytest

ID_APPLICANT = "33102219800101001X"  # check digits are computed below
HAIYOU = "331022001"
XINHU = "331022001001"
JIANTIAO = "331022105"


def make_id(first17: str) -> str:
    from fengqiao.core.personal import id_check_digit

    return first17 + id_check_digit(first17)


if os.environ.get("MEDIATION_TESTS_WITH_DEMO") == "1":
    # Check that the tests hold when the project's demo loader also loads the mediation history.
    @pytest.fixture(scope="session")
    def django_db_setup(django_db_setup, django_db_blocker):
        from fengqiao.mediation.demo import load_demo_mediation

        with django_db_blocker.unblock():
            load_demo_mediation()


@pytest.fixture
def ids():
    return {
        "applicant": make_id("33102219800101001"),
        "respondent": make_id("33102219750505002"),
        "relative": make_id("33102219820202003"),
        "mediator": make_id("33102219700303004"),
    }


@pytest.fixture
def med(db, users):
    """Types, a centre with two windows, the 老蔡 studio and a handful of mediators."""
    from fengqiao.areas.models import Area, Department
    from fengqiao.mediation import actions

    actions.seed_types()
    county = Area.objects.get(code="331022")
    haiyou = Area.objects.get(code=HAIYOU)
    xinhu = Area.objects.get(code=XINHU)
    jiantiao = Area.objects.get(code=JIANTIAO)
    centre = actions.upsert_organisation(name="海游街道矛盾纠纷调处化解中心", kind="centre", area=haiyou, windows=["1", "2"])
    studio = actions.upsert_organisation(name="老蔡调解工作室", kind="studio", area=haiyou,
                                         specialties=["neighbours", "marriage_family"])
    town = actions.upsert_organisation(name="海游街道人民调解委员会", kind="town_committee", area=haiyou)
    labour = actions.upsert_organisation(name="三门县劳动争议人民调解委员会", kind="professional_committee", area=county)
    jt = actions.upsert_organisation(name="健跳镇人民调解委员会", kind="town_committee", area=jiantiao)
    cai = actions.upsert_mediator(name="蔡文", area=haiyou, organisation=studio, level="gold",
                                  expertise=["neighbours", "marriage_family"], user=users.mediator)
    wang = actions.upsert_mediator(name="王调解", area=xinhu, organisation=town, expertise=["neighbours"])
    li = actions.upsert_mediator(name="李调解", area=haiyou, organisation=town, expertise=["neighbour_boundary"])
    zhou = actions.upsert_mediator(name="周劳动", area=county, organisation=labour, expertise=["labour", "unpaid_wages"],
                                   level="senior")
    lin = actions.upsert_mediator(name="林健跳", area=jiantiao, organisation=jt, expertise=["neighbours"])
    rs = actions.upsert_mediator(name="人社专家", area=county, kind="department_expert", in_expert_pool=True,
                                 department=Department.objects.get(code="RS"), expertise=["unpaid_wages"])
    lawyer = actions.upsert_mediator(name="律师顾问", area=county, kind="lawyer", in_expert_pool=True,
                                     expertise=["contract"])
    staff = actions.upsert_mediator(name="街道干部", area=haiyou, kind="town_staff", in_expert_pool=True)

    class Reg:
        pass

    r = Reg()
    r.centre, r.studio, r.town, r.labour, r.jt = centre, studio, town, labour, jt
    r.cai, r.wang, r.li, r.zhou, r.lin, r.rs, r.lawyer, r.staff = cai, wang, li, zhou, lin, rs, lawyer, staff
    r.haiyou, r.xinhu, r.jiantiao, r.county = haiyou, xinhu, jiantiao, county
    return r


@pytest.fixture
def new_dispute(med, users, ids):
    """A registered neighbours dispute in 心湖社区 (海游街道), created through the action."""
    from fengqiao.mediation import actions
    from fengqiao.mediation.models import DisputeType

    def make(type_code="neighbour_boundary", area=None, by=None, parties=None, **kw):
        kw.setdefault("title", "排水沟堵塞引发邻里纠纷")
        kw.setdefault("facts", "两户因屋后排水沟堵塞、雨水倒灌发生争执。")
        kw.setdefault("amount_in_dispute", "3000")
        return actions.register_dispute(
            by=by or users.town_haiyou, type=DisputeType.objects.get(code=type_code), area=area or med.xinhu,
            parties=parties or [
                {"side": "applicant", "name": "张三丰", "phone": "13812345678", "id_number": ids["applicant"],
                 "household_code": "H-001"},
                {"side": "respondent", "name": "李四海", "phone": "13987654321", "id_number": ids["respondent"]},
            ], **kw)

    return make
