"""Hand-built matters with known figures for November 2025 (and November 2024), made through the
product's actions at frozen times (``events.sla.frozen_now``). The expected counts are written
out below, matter by matter, in docs/evaluation.md's definitions."""

from __future__ import annotations

import datetime as dt

from fengqiao.areas.models import Area, Department
from fengqiao.events import sla
from fengqiao.events.actions import create_event, perform
from fengqiao.events.models import Event
from fengqiao.workcal.calendar import SHANGHAI

HAIYOU, XINHU, JIANTIAO, JIANZHONG = "331022001", "331022001001", "331022105", "331022105001"
#: the evaluation is read on 2 December 2025, after the month is over
NOW = dt.datetime(2025, 12, 2, 9, 0, tzinfo=SHANGHAI)
NOVEMBER = "2025-11"


def at(month_day: str, hm: str = "09:00", year: int = 2025) -> dt.datetime:
    m, d = (int(x) for x in month_day.split("-"))
    h, mi = (int(x) for x in hm.split(":"))
    return dt.datetime(year, m, d, h, mi, tzinfo=SHANGHAI)


class Scenario:
    def __init__(self, users):
        self.users = users
        self.n = 0
        self.m: dict[str, Event] = {}

    def new(self, key: str, when: dt.datetime, address: str = "海游街道心湖社区", **kw) -> Event:
        self.n += 1
        with sla.frozen_now(when):
            e, _ = create_event(by=self.users.county_op, channel="hotline_12345", title=f"考评核对事件{key}",
                                content=f"{address}路灯损坏,夜间通行不便,请尽快维修({key})", address=address,
                                urgency="urgent", idempotency_key=f"evaluation-{key}", **kw)
        self.m[key] = e
        return e

    def step(self, key: str, action: str, by, when: dt.datetime, **data) -> Event:
        e = Event.objects.get(pk=self.m[key].pk)
        with sla.frozen_now(when):
            perform(e, action, by=by, **data)
        e.refresh_from_db()
        self.m[key] = e
        return e

    def dispatched(self, key: str, when: dt.datetime, unit, address: str = "海游街道心湖社区", **kw) -> Event:
        self.new(key, when, address=address, **kw)
        self.step(key, "accept", self.users.county_op, when + dt.timedelta(minutes=30))
        return self.step(key, "dispatch", self.users.county_op, when + dt.timedelta(hours=1), to_unit=unit)


def build(users) -> Scenario:
    """The matters (M…) and their expected figures (see EXPECTED)."""
    s = Scenario(users)
    haiyou, jiantiao = Area.objects.get(code=HAIYOU), Area.objects.get(code=JIANTIAO)
    zj, zf = Department.objects.get(code="ZJ"), Department.objects.get(code="ZF")
    town, op = users.town_haiyou, users.county_op

    # M1: signed and resolved on time, visited: satisfied, closed
    e = s.dispatched("M1", at("11-03"), haiyou)
    s.step("M1", "sign", town, e.dispatched_at + dt.timedelta(minutes=20))
    s.step("M1", "resolve", town, at("11-04"), result="已修复路灯。")
    s.step("M1", "verify", op, at("11-05"), feedback="satisfied")
    s.step("M1", "close", op, at("11-05", "10:00"))
    # M2: signed late, resolved late, visited: unsatisfied
    e = s.dispatched("M2", at("11-03", "09:05"), haiyou)
    s.step("M2", "sign", town, e.sign_due_at + dt.timedelta(hours=3))
    e = s.step("M2", "start", town, e.sign_due_at + dt.timedelta(hours=4))
    s.step("M2", "resolve", town, e.handle_due_at + dt.timedelta(days=1), result="已修复路灯。")
    s.step("M2", "verify", op, at("11-12"), feedback="unsatisfied")
    # M3: signed on time, still in progress, its handling limit ran out in November
    e = s.dispatched("M3", at("11-04"), haiyou)
    s.step("M3", "sign", town, e.dispatched_at + dt.timedelta(minutes=10))
    s.step("M3", "start", town, e.dispatched_at + dt.timedelta(minutes=20))
    # M4: a repeat of M3, merged into it; M5: rejected
    s.new("M4", at("11-05"))
    s.step("M4", "merge", op, at("11-05", "09:30"), into=Event.objects.get(pk=s.m["M3"].pk))
    s.new("M5", at("11-05", "10:00"))
    s.step("M5", "reject", op, at("11-05", "10:30"), reason="非本县事项")
    # M6: returned by the town (a decision of the town's staff)
    e = s.dispatched("M6", at("11-06"), haiyou)
    s.step("M6", "return", town, e.dispatched_at + dt.timedelta(minutes=15), reason="不属于本街道职责")
    # M7: a safety hazard, rectified on time, basically satisfied
    e = s.dispatched("M7", at("11-07"), haiyou, category="hazard.fire.ebike")
    s.step("M7", "sign", town, e.dispatched_at + dt.timedelta(minutes=10))
    s.step("M7", "resolve", town, e.dispatched_at + dt.timedelta(hours=5), result="已清理飞线充电。")
    s.step("M7", "verify", op, at("11-10"), feedback="basically_satisfied")
    # M8: received and signed in October, resolved late in November
    e = s.dispatched("M8", at("10-27"), haiyou)
    s.step("M8", "sign", town, e.dispatched_at + dt.timedelta(minutes=10))
    e = Event.objects.get(pk=e.pk)
    s.step("M8", "resolve", town, max(e.handle_due_at + dt.timedelta(days=1), at("11-03", "12:00")), result="已修复。")
    # M9: 健跳镇, all on time, satisfied
    e = s.dispatched("M9", at("11-10"), jiantiao, address="健跳镇健中居委会")
    s.step("M9", "sign", users.town_jiantiao, e.dispatched_at + dt.timedelta(minutes=10))
    s.step("M9", "resolve", users.town_jiantiao, e.dispatched_at + dt.timedelta(hours=3), result="已处理。")
    s.step("M9", "verify", op, at("11-12"), feedback="satisfied")
    # M10: in 海游 but handled by 住建局, on time, not yet visited
    e = s.dispatched("M10", at("11-10", "10:00"), zj)
    s.step("M10", "sign", users.dept_zhujian, e.dispatched_at + dt.timedelta(minutes=10))
    s.step("M10", "resolve", users.dept_zhujian, e.dispatched_at + dt.timedelta(hours=6), result="已鉴定。")
    # M11: in 海游, dispatched to 综合执法局, which returned it
    e = s.dispatched("M11", at("11-10", "11:00"), zf)
    s.step("M11", "return", users.dept_zhifa, e.dispatched_at + dt.timedelta(minutes=5), reason="属住建职责")
    # P1: a year earlier in 海游: on time, satisfied
    e = s.dispatched("P1", at("11-05", year=2024), haiyou)
    s.step("P1", "sign", town, e.dispatched_at + dt.timedelta(minutes=10))
    s.step("P1", "resolve", town, e.dispatched_at + dt.timedelta(hours=2), result="已修复。")
    s.step("P1", "verify", op, at("11-08", year=2024), feedback="satisfied")
    key_persons(users)
    check_points(users)
    return s


def key_persons(users) -> None:
    """Key persons of 心湖社区 (海游) at the end of November 2025: K1 (weekly) visited on 11-27, in
    time (and again on 12-01, after the period); K2 (every 14 days) last visited 11-10, not in
    time; K3 registered 11-28, its first visit not yet due; K4 removed on 11-20. 海游: 2 due, 1
    visited; 健跳 none."""
    from fengqiao.core.personal import id_check_digit
    from fengqiao.grid import actions as g

    def person(n: int, category: str, when: dt.datetime):
        first17 = f"3310221980010100{n}"
        with sla.frozen_now(when):
            return g.register_key_person(by=users.cadre_xinhu, name=f"重点{n}", category=category, area=XINHU,
                                         id_number=first17 + id_check_digit(first17))

    def visit(p, when: dt.datetime):
        with sla.frozen_now(when):
            g.record_visit(p, by=users.cadre_xinhu, visited_at=when)

    k1 = person(1, "community_correction", at("10-25"))
    visit(k1, at("11-27"))
    k2 = person(2, "drug_user", at("10-25"))
    visit(k2, at("11-10"))
    person(3, "community_correction", at("11-28"))
    k4 = person(4, "community_correction", at("10-25"))
    with sla.frozen_now(at("11-20")):
        g.remove_key_person(k4, by=users.town_haiyou, reason="矫正期满")
    visit(k1, at("12-01"))  # after November: its end counts the visit of 11-27


def check_points(users) -> None:
    """Check-points of 心湖社区 (海游) at the end of November 2025: C1 (every 7 days) inspected on
    11-26, in time (and again on 12-01, after the period); C2 (every 7 days) last inspected
    11-10, not in time; C3 (every 30 days) registered 11-20, its first inspection not yet due;
    C4 removed on 11-15. 海游: 2 due, 1 inspected; 健跳 none."""
    from fengqiao.grid import points

    def point(n: int, every: int, when: dt.datetime):
        with sla.frozen_now(when):
            return points.register_point(by=users.cadre_xinhu, name=f"点位{n}", kind="market", area=XINHU,
                                         inspect_every_days=every)

    def inspect(p, when: dt.datetime):
        with sla.frozen_now(when):
            points.record_inspection(p, by=users.cadre_xinhu, inspected_at=when.isoformat())

    c1 = point(1, 7, at("10-25"))
    inspect(c1, at("11-26"))
    c2 = point(2, 7, at("10-25"))
    inspect(c2, at("11-10"))
    point(3, 30, at("11-20"))
    c4 = point(4, 7, at("10-25"))
    with sla.frozen_now(at("11-15")):
        points.remove_point(c4, by=users.town_haiyou, reason="市场关闭")
    inspect(c1, at("12-01"))  # after November: its end counts the inspection of 11-26


_ZERO = {"intake": 0, "valid": 0, "valid_resolved": 0, "merged": 0, "hazard": 0, "hazard_resolved": 0, "signed": 0,
         "signed_on_time": 0, "signed_late": 0, "resolved": 0, "resolved_on_time": 0, "visited": 0, "satisfied": 0,
         "overdue_matters": 0, "overdue": 0, "decisions": 0, "returns": 0}
#: an area's counts also hold the key persons due a visit and visited in time, and the check-points
#: due an inspection and inspected in time (departments have none)
_AREA_ZERO = {**_ZERO, "key_persons_due": 0, "key_persons_visited": 0, "points_due": 0, "points_inspected": 0}

#: November 2025, as the county sees it
EXPECTED = {
    # place 海游 (M1–M8, M10, M11): intake M1–M7, M10, M11; resolved M1, M2, M7, M8, M10 (by
    # place, M10 too). The town's own sign-fors in November: M1, M2 (late), M3, M7 (M8 was signed
    # in October, M10 by 住建局); decisions = the matters it signed for or returned (M1, M2, M3,
    # M7, M6), returns M6. Overdue: M2's late sign-for + the matters M2 and M8 (resolved late)
    # and M3 (limit ran out, in progress)
    HAIYOU: {**_AREA_ZERO, "key_persons_due": 2, "key_persons_visited": 1, "points_due": 2, "points_inspected": 1,
             "intake": 9, "valid": 7, "valid_resolved": 4, "merged": 1, "hazard": 1, "hazard_resolved": 1,
             "signed": 4, "signed_on_time": 3, "signed_late": 1, "resolved": 5, "resolved_on_time": 3, "visited": 3,
             "satisfied": 2, "overdue_matters": 3, "overdue": 4, "decisions": 5, "returns": 1},
    JIANTIAO: {**_AREA_ZERO, "intake": 1, "valid": 1, "valid_resolved": 1, "signed": 1, "signed_on_time": 1,
               "resolved": 1, "resolved_on_time": 1, "visited": 1, "satisfied": 1, "decisions": 1},
    # departments: matters by the handling department (M10); sign-fors and returns by the
    # department that took them (M10 signed by 住建局, M11 returned by 综合执法局)
    "ZJ": {**_ZERO, "intake": 1, "valid": 1, "valid_resolved": 1, "signed": 1, "signed_on_time": 1, "resolved": 1,
           "resolved_on_time": 1, "decisions": 1},
    "ZF": {**_ZERO, "decisions": 1, "returns": 1},
}
#: November 2024 (the year-on-year period), as the county sees it
EXPECTED_PREVIOUS = {
    HAIYOU: {**_AREA_ZERO, "intake": 1, "valid": 1, "valid_resolved": 1, "signed": 1, "signed_on_time": 1,
             "resolved": 1, "resolved_on_time": 1, "visited": 1, "satisfied": 1, "decisions": 1},
}


def disputes(users) -> None:
    """Two disputes in 心湖社区 concluded in November 2025 (one succeeded, one failed) and one
    succeeded in 健跳镇 in October (outside the period), through the mediation actions."""
    from fengqiao.mediation import actions as m
    from fengqiao.mediation.models import DisputeType

    m.seed_types()
    haiyou, xinhu = Area.objects.get(code=HAIYOU), Area.objects.get(code=XINHU)
    jianzhong = Area.objects.get(code=JIANZHONG)
    studio = m.upsert_organisation(name="老蔡调解工作室", kind="studio", area=haiyou, specialties=["neighbours"])
    cai = m.upsert_mediator(name="蔡文", area=haiyou, organisation=studio, expertise=["neighbours"],
                            user=users.mediator)
    kind = DisputeType.objects.get(code="neighbour_boundary")

    def case(area, registrar, outcome: str, when: dt.datetime):
        d = m.register_dispute(by=registrar, type=kind, title="宅基地界线纠纷", facts="两户因宅基地界线争执。",
                               area=area, at=when, parties=[{"side": "applicant", "name": "张三丰"},
                                                            {"side": "respondent", "name": "李四海"}])
        m.act(d, "accept", by=registrar, at=when + dt.timedelta(hours=1))
        m.act(d, "assign", by=registrar, params={"mediators": [cai.pk]}, at=when + dt.timedelta(hours=2))
        m.act(d, "start", by=users.mediator, at=when + dt.timedelta(hours=3))
        m.act(d, "record_session", by=users.mediator, params={"place": "调解室", "minutes": "双方陈述。"},
              at=when + dt.timedelta(days=1))
        if outcome == "succeeded":
            m.act(d, "succeed", by=users.mediator, params={"terms": "双方按原界线各自退让。"},
                  at=when + dt.timedelta(days=2))
        else:
            m.act(d, "fail", by=users.mediator, params={"reason": "双方分歧过大"}, at=when + dt.timedelta(days=2))

    case(xinhu, users.town_haiyou, "succeeded", at("11-03"))
    case(xinhu, users.town_haiyou, "failed", at("11-10"))
    case(jianzhong, users.county_op, "succeeded", at("10-10"))


def get(client, url, data=None):
    """``client.get`` at the scenario's :data:`NOW` (the periods' "today")."""
    with sla.frozen_now(NOW):
        return client.get(url, data or {})
