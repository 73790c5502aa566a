"""Demo mediation data for the demo county 三门县: organisations (incl. 老蔡调解工作室 in
海游街道), ~20 mediators, an expert pool and a GENERATED year of cases.

The history is generated, not real: a seeded random generator (same anchor day → same data)
draws a realistic mix (≈97 % of concluded mediations succeed, a few declined or withdrawn, a
few referred to court or arbitration, recent cases still open). Registry rows go through the
registry actions; the year of cases is bulk-inserted for speed with consistent timelines
(every step has its timeline entry, timestamps in order) and one audit record for the load.
Loading twice changes nothing (``is_demo`` cases are not generated again).
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from fengqiao.accounts.models import User
from fengqiao.areas.models import Area, Department, Level
from fengqiao.core import audit, context

from . import actions, sla
from .actions.disputes import agreement_number, reserve_numbers
from .choices import AssignmentResult, Honoured, Outcome, SessionStatus, SlaColor, Source, State
from .models import (
    Agreement,
    Assignment,
    Dispute,
    DisputeType,
    Party,
    Session,
    TimelineEntry,
)

COUNTY = "331022"
SEED = 331022
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑梁谢宋唐叶蔡潘章俞"
GIVEN = ["建国", "秀英", "海峰", "丽华", "志强", "美玲", "国平", "小燕", "伟民", "春花", "永康", "雪梅", "宏伟",
         "桂芳", "德明", "晓东", "玉兰", "金龙", "红霞", "立新"]
COMPANIES = ["三门县海丰水产有限公司", "三门县宏达建筑工程有限公司", "三门县阳光物业服务有限公司", "三门县第一人民医院",
             "三门县鑫源汽车运输有限公司", "三门县金鹏鞋业有限公司", "三门县顺达装饰工程有限公司"]
# type code, weight, typical amount (yuan), whether the respondent is usually an organisation
TYPE_MIX = [
    ("neighbour_boundary", 14, 3000, False), ("neighbour_noise", 6, 0, False), ("divorce", 6, 50000, False),
    ("support", 5, 20000, False), ("inheritance", 3, 80000, False), ("unpaid_wages", 12, 25000, True),
    ("work_injury", 4, 60000, True), ("property_mgmt", 7, 4000, True), ("homestead", 6, 0, False),
    ("land_forest", 4, 10000, False), ("medical", 3, 80000, True), ("traffic", 9, 30000, False),
    ("consumer", 5, 2000, True), ("loan", 7, 40000, False), ("construction", 3, 120000, True),
    ("demolition", 2, 200000, True), ("maritime", 3, 50000, False), ("environment", 1, 5000, True),
]
TOWN_WEIGHTS = {"331022001": 22, "331022002": 12, "331022003": 10, "331022102": 8, "331022103": 7,
                "331022105": 12, "331022106": 5, "331022107": 10, "331022108": 8, "331022205": 6}
PLACES = ["村(社区)调解室", "乡镇(街道)矛调中心", "当事人家中", "老蔡调解工作室", "县矛调中心调解室"]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _registry(stdout=None):
    """Organisations, mediators and the expert pool (idempotent, through the actions)."""
    actions.seed_types()
    county = Area.objects.get(code=COUNTY)
    towns = {a.code: a for a in Area.objects.filter(level=Level.TOWN, path__startswith=county.path)}
    dept = {d.code: d for d in Department.objects.all()}
    orgs = {
        "county_centre": actions.upsert_organisation(name="三门县社会矛盾纠纷调处化解中心", kind="centre", area=county,
                                                     windows=["1", "2", "3", "4", "5", "6"], address="三门县海游街道"),
        "haiyou_centre": actions.upsert_organisation(name="海游街道矛盾纠纷调处化解中心", kind="centre",
                                                     area=towns["331022001"], windows=["1", "2", "3"]),
        "laocai": actions.upsert_organisation(name="老蔡调解工作室", kind="studio", area=towns["331022001"],
                                              specialties=["neighbours", "marriage_family", "homestead"]),
        "labour": actions.upsert_organisation(name="三门县劳动人事争议调解委员会", kind="professional_committee",
                                              area=county, department=dept.get("RS"), specialties=["labour"]),
        "medical": actions.upsert_organisation(name="三门县医疗纠纷人民调解委员会", kind="professional_committee",
                                               area=county, department=dept.get("WJ"), specialties=["medical"]),
        "traffic": actions.upsert_organisation(name="三门县道路交通事故纠纷人民调解委员会", kind="professional_committee",
                                               area=county, department=dept.get("GA"), specialties=["traffic"]),
        "property": actions.upsert_organisation(name="三门县物业纠纷人民调解委员会", kind="trade_committee",
                                                area=county, department=dept.get("ZJ"), specialties=["property_mgmt"]),
        "maritime": actions.upsert_organisation(name="三门县海事渔业纠纷人民调解委员会", kind="trade_committee",
                                                area=county, department=dept.get("HY"), specialties=["maritime"]),
    }
    for code, town in towns.items():
        orgs[code] = actions.upsert_organisation(name=f"{town.name}人民调解委员会", kind="town_committee", area=town)
    mediator_user = User.objects.filter(username="mediator").first()
    specs = [
        # name, org key, area code, level, expertise, kind, dept, user
        ("蔡文", "laocai", "331022001", "gold", ["neighbours", "marriage_family", "homestead"], "peoples_mediator", None,
         mediator_user),
        ("俞玉菜", "331022107", "331022107", "gold", ["neighbours", "land_forest", "maritime"], "peoples_mediator", None,
         None),
        ("陈海平", "331022001", "331022001", "senior", ["neighbours", "property_mgmt"], "peoples_mediator", None, None),
        ("林秀英", "331022002", "331022002", "regular", ["marriage_family", "neighbours"], "peoples_mediator", None, None),
        ("郑国平", "331022003", "331022003", "regular", ["land_forest", "homestead"], "peoples_mediator", None, None),
        ("杨立新", "331022102", "331022102", "regular", ["neighbours", "loan"], "peoples_mediator", None, None),
        ("叶春花", "331022103", "331022103", "regular", ["marriage_family", "support"], "peoples_mediator", None, None),
        ("何金龙", "331022105", "331022105", "senior", ["maritime", "neighbours"], "peoples_mediator", None, None),
        ("潘德明", "331022106", "331022106", "regular", ["land_forest", "neighbours"], "peoples_mediator", None, None),
        ("章雪梅", "331022108", "331022108", "regular", ["marriage_family", "consumer"], "peoples_mediator", None, None),
        ("吴永康", "331022205", "331022205", "regular", ["maritime", "homestead"], "peoples_mediator", None, None),
        ("胡伟民", "labour", COUNTY, "senior", ["labour", "unpaid_wages", "work_injury"], "peoples_mediator", None, None),
        ("朱丽华", "labour", COUNTY, "regular", ["unpaid_wages"], "peoples_mediator", None, None),
        ("孙志强", "medical", COUNTY, "senior", ["medical"], "peoples_mediator", None, None),
        ("马宏伟", "traffic", COUNTY, "senior", ["traffic"], "peoples_mediator", None, None),
        ("郭美玲", "property", COUNTY, "regular", ["property_mgmt", "construction"], "peoples_mediator", None, None),
        ("梁晓东", "maritime", COUNTY, "regular", ["maritime"], "peoples_mediator", None, None),
        # expert pool (专家库): department experts, lawyers, town staff
        ("人社局仲裁员 徐桂芳", None, COUNTY, "senior", ["unpaid_wages", "work_injury"], "department_expert", "RS", None),
        ("住建局 唐红霞", None, COUNTY, "regular", ["property_mgmt", "construction"], "department_expert", "ZJ", None),
        ("自然资源局 谢玉兰", None, COUNTY, "regular", ["land_forest", "demolition"], "department_expert", "ZRZY", None),
        ("卫健局 罗建国", None, COUNTY, "regular", ["medical"], "department_expert", "WJ", None),
        ("律师 宋海峰", None, COUNTY, "senior", ["contract", "loan", "construction"], "lawyer", None, None),
        ("法律顾问 黄小燕", None, COUNTY, "regular", ["marriage_family", "inheritance"], "lawyer", None, None),
        ("海游街道干部 刘伟", None, "331022001", "regular", [], "town_staff", None, None),
    ]
    mediators = []
    for name, org_key, area_code, level, expertise, kind, dept_code, user in specs:
        mediators.append(actions.upsert_mediator(
            name=name, organisation=orgs.get(org_key) if org_key else None, area=Area.objects.get(code=area_code),
            level=level, expertise=expertise, kind=kind, department=dept.get(dept_code) if dept_code else None,
            in_expert_pool=kind != "peoples_mediator", user=user, capacity=12 if level == "gold" else 8))
    if stdout:
        stdout.write(f"mediation: {len(orgs)} organisations, {len(mediators)} mediators")
    return orgs, mediators


def _pick_mediator(rng, mediators, type_obj, town_code):
    codes = set(type_obj.codes())
    local = [m for m in mediators if m.kind == "peoples_mediator" and m.area_path.strip("/").split("/")[1:2] == [town_code]]
    expert = [m for m in mediators if m.kind == "peoples_mediator" and codes & set(m.expertise)]
    both = [m for m in local if m in expert]
    pool = both or (expert if rng.random() < 0.6 else local) or expert or local or mediators
    return rng.choice(pool)


@transaction.atomic
def load_demo_mediation(*, cases: int = 620, today: dt.date | None = None, stdout=None) -> dict[str, int]:
    """Load the demo registry and a generated year of cases (once)."""
    orgs, mediators = _registry(stdout)
    if Dispute.objects.filter(is_demo=True).exists():
        if stdout:
            stdout.write("mediation: demo cases already loaded")
        return {"organisations": len(orgs), "mediators": len(mediators), "cases": 0}
    rng = random.Random(SEED)
    tz = timezone.get_current_timezone()
    today = today or timezone.localdate()
    now = dt.datetime.combine(today, dt.time(10, 0), tzinfo=tz)
    start = now - dt.timedelta(days=365)
    cal = sla.calendar()
    types = {t.code: t for t in DisputeType.objects.all()}
    towns = {a.code: a for a in Area.objects.filter(code__in=TOWN_WEIGHTS)}
    villages: dict[str, list[Area]] = {}
    for v in Area.objects.filter(level=Level.VILLAGE, path__startswith=f"/{COUNTY}/"):
        villages.setdefault(v.path.strip("/").split("/")[1], []).append(v)
    county_centre, haiyou_centre = orgs["county_centre"], orgs["haiyou_centre"]
    staff = User.objects.filter(username="county_op").first()
    sources = [(Source.SCREENING, 35), (Source.WALK_IN, 30), (Source.MATTER, 15), (Source.COURT, 12),
               (Source.PETITION, 8)]
    weights_t = [w for _c, w, _a, _o in TYPE_MIX]
    town_codes = list(TOWN_WEIGHTS)
    disputes, parties, assignments, sessions, agreements, timeline = [], [], [], [], [], []
    plan = []
    for _case in range(cases):
        registered = start + dt.timedelta(seconds=rng.uniform(0, 365 * 86400))
        registered = registered.replace(hour=rng.randint(8, 16), minute=rng.randint(0, 59))
        if registered > now:
            registered = now - dt.timedelta(hours=rng.randint(1, 48))
        code, _w, typical, org_resp = rng.choices(TYPE_MIX, weights=weights_t)[0]
        town_code = rng.choices(town_codes, weights=[TOWN_WEIGHTS[t] for t in town_codes])[0]
        place = rng.choice(villages.get(town_code) or [towns[town_code]])
        source = rng.choices([s for s, _ in sources], weights=[w for _, w in sources])[0]
        amount = Decimal(int(typical * rng.uniform(0.3, 2.0))) if typical else Decimal("0")
        d = Dispute(number="", type=types[code], area=place, area_path=place.path,
                    source=source,
                    title=f"{place.name}{types[code].name}", facts=f"(生成的演示数据)当事人因{types[code].name.rstrip('纠纷')}问题发生争议,"
                    f"经{'网格员排查' if source == Source.SCREENING else '登记'}进入调处程序。",
                    claims="请求依法依规调解处理。", amount_in_dispute=amount, registered_at=registered,
                    updated_at=registered, is_demo=True, registered_by=staff,
                    centre=haiyou_centre if town_code == "331022001" else county_centre)
        age_days = (now - registered).days
        roll = rng.random()
        if roll < 0.015:
            outcome = "declined"
        elif roll < 0.025:
            outcome = "withdrawn"
        elif age_days < 25 and rng.random() < 0.55:
            outcome = "open"
        elif rng.random() < 0.03:
            outcome = "failed"
        else:
            outcome = "succeeded"
        disputes.append(d)
        plan.append((d, outcome, town_code, org_resp, age_days))
    _number(disputes)
    Dispute.objects.bulk_create(disputes, batch_size=500)
    disputes = list(Dispute.objects.filter(is_demo=True).select_related("type", "area").order_by("number"))
    by_number = {d.number: d for d in disputes}
    counts = {"succeeded": 0, "failed": 0, "open": 0, "declined": 0, "withdrawn": 0}
    for planned, outcome, town_code, org_resp, _age_days in plan:
        d = by_number[planned.number]
        counts[outcome] += 1
        t = d.registered_at
        ev = [("register", "", State.REGISTERED, t, "", {"source": d.source})]
        parties.append(Party(dispute=d, side="applicant", kind="person", name=_name(rng), order=0,
                             phone=f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}"))
        if org_resp:
            company = rng.choice(COMPANIES)
            parties.append(Party(dispute=d, side="respondent", kind="organisation", name=company, org_name=company,
                                 order=1))
        else:
            parties.append(Party(dispute=d, side="respondent", kind="person", name=_name(rng), order=1))
        if outcome == "declined":
            t2 = t + dt.timedelta(hours=rng.randint(2, 30))
            d.state, d.declined_reason, d.concluded_at = State.DECLINED, "不属于人民调解受理范围,已引导通过诉讼解决", t2
            ev.append(("decline", State.REGISTERED, State.DECLINED, t2, d.declined_reason, {}))
            d._events = ev
            continue
        accepted = t + dt.timedelta(hours=rng.randint(1, 20))
        d.accepted_at = accepted
        d.warn_at, d.due_at = sla.start_clock(accepted, cal)
        ev.append(("accept", State.REGISTERED, State.ACCEPTED, accepted, "", {}))
        m = _pick_mediator(rng, mediators, d.type, town_code)
        d.organisation_id = m.organisation_id
        assigned = accepted + dt.timedelta(minutes=rng.randint(5, 120))
        lead = Assignment(dispute=d, mediator=m, role="lead", assigned_at=assigned, result=AssignmentResult.ACTIVE)
        assignments.append(lead)
        ev.append(("assign", "", "", assigned, m.name, {"mediators": [m.pk], "lead": m.pk}))
        started = assigned + dt.timedelta(hours=rng.randint(2, 48))
        if outcome == "open" and rng.random() < 0.3:
            d.state = State.ACCEPTED
            d._events = ev
            continue
        d.state, d.mediation_started_at = State.IN_MEDIATION, started
        ev.append(("start", State.ACCEPTED, State.IN_MEDIATION, started, "", {}))
        days_used = min(max(1.0, rng.gammavariate(2.0, 4.0)), 45.0)
        n_sessions = rng.choice([1, 1, 2, 2, 2, 3])
        last = started
        for s in range(n_sessions):
            held = started + dt.timedelta(days=days_used * (s + 1) / (n_sessions + 0.5))
            if held > now:
                break
            sessions.append(Session(dispute=d, seq=s + 1, held_at=held, place=rng.choice(PLACES),
                                    attendees=["申请人", "被申请人", m.name], minutes="(演示数据)双方陈述意见,调解员释法明理。",
                                    status=SessionStatus.HELD))
            ev.append(("record_session", "", "", held, f"第{s + 1}次调解记录", {"seq": s + 1}))
            last = held
        concluded = last + dt.timedelta(hours=rng.randint(1, 6))
        if outcome == "open" or concluded > now:
            if outcome != "open":
                counts[outcome] -= 1
                counts["open"] += 1
            if d.due_at and d.due_at <= now:
                d.sla_color, d.overdue = SlaColor.RED, True
            elif d.warn_at and d.warn_at <= now:
                d.sla_color = SlaColor.YELLOW
            d._events = ev
            continue
        if outcome == "withdrawn":
            d.state, d.concluded_at = State.WITHDRAWN, concluded
            lead.result, lead.ended_at = AssignmentResult.RELEASED, concluded
            ev.append(("withdraw", State.IN_MEDIATION, State.WITHDRAWN, concluded, "申请人撤回调解申请", {}))
            d._events = ev
            continue
        d.concluded_at = concluded
        lead.ended_at = concluded
        lead.result = AssignmentResult.FAILED if outcome == "failed" else AssignmentResult.SUCCEEDED
        if d.due_at and concluded > d.due_at:
            d.overdue, d.sla_color = True, SlaColor.RED
        if outcome == "failed":
            d.state, d.outcome, d.failed_count = State.FAILED, Outcome.FAILED, 1
            d.failure_reason = "双方分歧较大,未能达成一致"
            ev.append(("fail", State.IN_MEDIATION, State.FAILED, concluded, d.failure_reason, {"failed_count": 1}))
            d.referral = rng.choice(["litigation", "litigation", "arbitration", "administrative"])
            d.referral_body = {"litigation": "三门县人民法院", "arbitration": "三门县劳动人事争议仲裁委员会",
                               "administrative": "相关职能部门"}[d.referral]
            d.referred_at = concluded + dt.timedelta(hours=2)
            ev.append(("refer", "", "", d.referred_at, d.referral_body, {"referral": d.referral}))
        else:
            d.state, d.outcome = State.SUCCEEDED, Outcome.SUCCEEDED
            if d.amount_in_dispute:
                d.amount_recovered = (d.amount_in_dispute * Decimal(str(round(rng.uniform(0.5, 1.0), 2)))).quantize(
                    Decimal("0.01"))
            d.confirmation_deadline = concluded + sla.CONFIRMATION_WINDOW
            if rng.random() < 0.08:
                d.confirmation_status = "confirmed"
                d.confirmation_applied_at = concluded + dt.timedelta(days=rng.randint(1, 20))
                d.confirmation_decided_at = d.confirmation_applied_at + dt.timedelta(days=rng.randint(1, 10))
                d.confirmation_court = "三门县人民法院"
                if d.confirmation_decided_at > now:
                    d.confirmation_status, d.confirmation_decided_at = "applied", None
                    d.confirmation_applied_at = min(d.confirmation_applied_at, now)
            agreements.append(Agreement(dispute=d, number=agreement_number(d.number), signed_at=concluded,
                                        terms="(演示数据)双方自愿达成和解,按约定期限履行。"))
            ev.append(("succeed", State.IN_MEDIATION, State.SUCCEEDED, concluded, "达成调解协议", {}))
        visited = concluded + dt.timedelta(days=rng.randint(7, 20))
        if visited < now and rng.random() < 0.93:
            d.followed_up_at, d.state = visited, State.FOLLOWED_UP
            if d.outcome == Outcome.SUCCEEDED:
                d.honoured = rng.choices([Honoured.YES, Honoured.PARTLY, Honoured.NO], weights=[94, 5, 1])[0]
            else:
                d.honoured = Honoured.NOT_APPLICABLE
            ev.append(("follow_up", ev[-1][2] or d.state, State.FOLLOWED_UP, visited, "", {"honoured": d.honoured}))
            archived = visited + dt.timedelta(days=rng.randint(1, 10))
            if archived < now:
                d.state, d.archived_at = State.ARCHIVED, archived
                ev.append(("archive", State.FOLLOWED_UP, State.ARCHIVED, archived, "", {}))
        d._events = ev
    for d in disputes:
        last_state = State.REGISTERED
        for action, frm, to, at, reason, data in d._events:
            if to:
                frm = frm or last_state
                last_state = to
            timeline.append(TimelineEntry(dispute=d, at=at, actor=staff, actor_name="演示数据", action=action,
                                          from_state=frm if to else "", to_state=to, reason=reason, data=data))
        d.updated_at = d._events[-1][3]
    fields = ["state", "accepted_at", "declined_reason", "mediation_started_at", "concluded_at", "outcome",
              "failure_reason", "failed_count", "referral", "referral_body", "referred_at", "followed_up_at",
              "honoured", "archived_at", "due_at", "warn_at", "sla_color", "overdue", "organisation",
              "amount_recovered", "confirmation_status", "confirmation_deadline", "confirmation_applied_at",
              "confirmation_decided_at", "confirmation_court", "updated_at"]
    with context.explicit_audit():
        Dispute.objects.bulk_update(disputes, fields, batch_size=300)
        Party.objects.bulk_create(parties, batch_size=500)
        Assignment.objects.bulk_create(assignments, batch_size=500)
        Session.objects.bulk_create(sessions, batch_size=500)
        Agreement.objects.bulk_create(agreements, batch_size=500)
        TimelineEntry.objects.bulk_create(timeline, batch_size=1000)
        _todays_sessions(now, mediators, tz)
        audit.record("demo_load_mediation", object_type="mediation.dispute", object_repr="generated demo history",
                     after={"cases": len(disputes), **counts, "anchor": today.isoformat()})
    if stdout:
        stdout.write(f"mediation: {len(disputes)} generated cases ({counts})")
    return {"organisations": len(orgs), "mediators": len(mediators), "cases": len(disputes), **counts}


def _number(disputes: list[Dispute]) -> None:
    """Number the generated cases in the one series new disputes use (TJ2026-000123), in order of
    registration, taking the numbers from the same yearly counter, so the next dispute registered
    continues the series instead of starting again at 1."""
    by_year: dict[int, list[Dispute]] = {}
    for d in sorted(disputes, key=lambda d: d.registered_at):
        by_year.setdefault(timezone.localtime(d.registered_at).year, []).append(d)
    for year, cases in sorted(by_year.items()):
        for d, number in zip(cases, reserve_numbers(year, len(cases)), strict=True):
            d.number = number


def _todays_sessions(now: dt.datetime, mediators, tz) -> None:
    """Give 蔡文 (the demo ``mediator`` user) a session today on an open case, if any."""
    cai = next((m for m in mediators if m.user_id), None)
    if cai is None:
        return
    open_ids = list(Assignment.objects.filter(mediator=cai, result="", dispute__state=State.IN_MEDIATION)
                    .values_list("dispute_id", flat=True)[:2])
    for k, did in enumerate(open_ids):
        seq = (Session.objects.filter(dispute_id=did).order_by("-seq").values_list("seq", flat=True).first() or 0) + 1
        Session.objects.create(dispute_id=did, seq=seq, held_at=now.replace(hour=14 + k, minute=30),
                               place="老蔡调解工作室", attendees=["申请人", "被申请人", cai.name],
                               status=SessionStatus.SCHEDULED)
