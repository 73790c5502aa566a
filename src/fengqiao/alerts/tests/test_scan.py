"""The risk scan on matters and disputes made through the product's actions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fengqiao.alerts import actions
from fengqiao.alerts import actions as alert_actions
from fengqiao.alerts.models import RiskAlert, RiskRule, RiskTerm, ScanCursor
from fengqiao.events.models import Notification

from .conftest import HAIYOU, JIANTIAO, JIANZHONG, XINHU

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------- escalation language

def test_escalation_language_raises_one_alert_at_the_words_level(matter, scan, alerts, users):
    e = matter("宅基地纠纷", "邻居扬言再不解决就同归于尽。")
    result = scan()
    (alert,) = alerts("language")
    assert result["language:raised"] == 1
    assert alert.level == "red" and alert.state == "open" and alert.area.code == XINHU
    assert [t["phrase"] for t in alert.evidence["terms"]] == ["扬言", "同归于尽"]
    assert list(alert.links.values_list("event_id", flat=True)) == [e.pk]
    assert alert.number.startswith("YJ") and alert.entries.get().action == "raised"
    # red: the town's command room, the county's operators and its leader are told
    told = set(Notification.objects.filter(kind="risk_alert").values_list("user__username", flat=True))
    assert {"town_haiyou", "county_op", "leader"} <= told and "town_jiantiao" not in told
    # reading the same matter again changes nothing
    scan()
    assert len(alerts("language")) == 1


def test_harmless_phrases_and_plain_matters_raise_nothing(matter, scan, alerts):
    matter("商场促销", "商场跳楼价清仓,人多拥挤。")
    matter("路灯不亮", "小区路灯坏了一周。")
    scan()
    assert alerts("language") == []


def test_an_orange_word_tells_only_the_town(matter, scan, alerts):
    matter("工地欠薪", "工人们在项目部门口拉横幅讨薪。", area=JIANZHONG)
    scan()
    (alert,) = alerts("language")
    assert alert.level == "orange"
    told = set(Notification.objects.filter(kind="risk_alert").values_list("user__username", flat=True))
    assert told == {"town_jiantiao"}


def test_admin_edits_take_effect_on_the_next_scan(matter, scan, alerts):
    RiskTerm.objects.create(phrase="要去北京", level="orange")
    RiskRule.objects.filter(kind="repeat_reporter").update(enabled=False)
    matter("征地补偿", "补偿不到位,我们要去北京反映。")
    scan()
    (alert,) = alerts("language")
    assert alert.evidence["terms"][0]["phrase"] == "要去北京"
    RiskRule.objects.filter(kind="language").update(enabled=False)
    matter("征地补偿", "再不解决就同归于尽。")
    scan()
    assert len(alerts("language")) == 1


def test_a_one_character_phrase_is_refused():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        RiskTerm(phrase=" 炸 ").full_clean()


# ---------------------------------------------------------------- the same person again

def test_the_same_phone_three_times_in_a_month(matter, scan, alerts):
    phone = "13900001111"
    matter("噪声", "石料厂夜里作业。", hours_ago=24 * 20, phone=phone)
    matter("噪声", "石料厂夜里作业。", hours_ago=24 * 10, phone=phone)
    scan()
    assert alerts("repeat_reporter") == []
    third = matter("噪声", "石料厂夜里作业。", hours_ago=1, phone=phone, area=HAIYOU)
    scan()
    (alert,) = alerts("repeat_reporter")
    assert alert.matter_count == 3 and alert.level == "yellow"
    assert alert.area.code == HAIYOU  # the common area of 心湖社区 and 海游街道
    assert alert.evidence["by"] == "phone" and "13900001111" not in str(alert.evidence) + alert.summary
    # a fourth time: the same alert grows
    matter("噪声", "石料厂夜里作业。", hours_ago=0.5, phone=phone, channel="petition")
    scan()
    (alert,) = alerts("repeat_reporter")
    assert alert.matter_count == 4 and third.pk in set(alert.links.values_list("event_id", flat=True))
    assert [e.action for e in alert.entries.all()] == ["raised", "grown"]


def test_old_and_non_citizen_matters_do_not_count(matter, scan, alerts):
    phone = "13900002222"
    matter("噪声", "石料厂。", hours_ago=24 * 40, phone=phone)  # outside the 30 days
    matter("噪声", "石料厂。", hours_ago=24 * 3, phone=phone, channel="grid_report")  # a grid worker's report
    matter("噪声", "石料厂。", hours_ago=2, phone=phone)
    matter("噪声", "石料厂。", hours_ago=1, phone=phone)
    scan()
    assert alerts("repeat_reporter") == []


def test_repeat_petitions_are_at_least_orange(matter, scan, alerts):
    for h in (30, 20, 10):
        matter("信访", "征地补偿问题。", hours_ago=h, phone="13900003333", channel="petition")
    scan()
    (alert,) = alerts("repeat_reporter")
    assert alert.level == "orange"


def test_after_defusing_only_new_matters_count(matter, scan, alerts, users):
    phone = "13900004444"
    for h in (50, 40, 30):
        matter("噪声", "石料厂。", hours_ago=h, phone=phone)
    scan()
    (first,) = alerts("repeat_reporter")
    actions.act(first, "defuse", by=users.town_haiyou, text="已约谈企业,停止夜间作业。")
    matter("噪声", "石料厂。", hours_ago=0.5, phone=phone)
    scan()
    assert len(alerts("repeat_reporter")) == 1  # one new matter since: not three
    matter("噪声", "石料厂。", hours_ago=0.2, phone=phone)
    matter("噪声", "石料厂。", hours_ago=0.1, phone=phone)
    scan()
    first_again, second = alerts("repeat_reporter")
    assert first_again.state == "resolved" and second.state == "open" and second.matter_count == 3
    assert second.number != first_again.number


# ---------------------------------------------------------------- hot topics

def test_merged_repeats_make_a_hot_topic(matter, scan, alerts, users):
    from fengqiao.events.actions import perform
    from fengqiao.events.models import Event

    target = matter("小区电梯困人", "3号楼电梯又困人了。", phone="13900005551")
    perform(target, "accept", by=users.county_op)
    for i, phone in enumerate(["13900005552", "13900005553"]):
        e = matter("电梯困人", f"3号楼电梯困人,第{i + 2}次反映。", phone=phone, hours_ago=0.5 - i * 0.1)
        perform(e, "merge", by=users.county_op, into=Event.objects.get(pk=target.pk), reason="同一事项")
    scan()
    (alert,) = alerts("hot_topic")
    assert alert.matter_count == 3 and alert.evidence["reporters"] == 3
    assert target.pk in set(alert.links.values_list("event_id", flat=True))
    scan()
    assert len(alerts("hot_topic")) == 1


def test_triage_candidates_above_the_grouping_threshold_make_a_hot_topic(matter, scan, alerts):
    from fengqiao.triage.dedupe import GROUP_THRESHOLD
    from fengqiao.triage.models import TriageResult

    a, b, c, d = (matter("河道死鱼", f"溪里出现死鱼({i})。", phone=f"1390000600{i}") for i in range(4))
    TriageResult.objects.update_or_create(event=c, defaults={"duplicates": [[a.pk, GROUP_THRESHOLD + 0.1],
                                                                            [b.pk, GROUP_THRESHOLD]]})
    TriageResult.objects.update_or_create(event=d, defaults={"duplicates": [[a.pk, GROUP_THRESHOLD - 0.05]]})
    scan()
    (alert,) = alerts("hot_topic")
    assert set(alert.links.values_list("event_id", flat=True)) == {a.pk, b.pk, c.pk}


def test_matters_merged_together_join_two_groups_of_candidates_into_one_hot_topic(matter, scan, alerts, users):
    from fengqiao.events.actions import perform
    from fengqiao.events.models import Event
    from fengqiao.triage.dedupe import GROUP_THRESHOLD
    from fengqiao.triage.models import TriageResult

    a, b, x, y = (matter("工地夜间施工", f"工地半夜打桩({i})。", phone=f"1390000700{i}") for i in range(4))
    perform(b, "accept", by=users.county_op)
    perform(a, "merge", by=users.county_op, into=Event.objects.get(pk=b.pk), reason="同一事项")
    TriageResult.objects.update_or_create(event=x, defaults={"duplicates": [[a.pk, GROUP_THRESHOLD]]})
    TriageResult.objects.update_or_create(event=y, defaults={"duplicates": [[b.pk, GROUP_THRESHOLD]]})
    scan()
    (alert,) = alerts("hot_topic")
    assert set(alert.links.values_list("event_id", flat=True)) == {a.pk, b.pk, x.pk, y.pk}
    assert alert.evidence["reporters"] == 4


def test_the_hot_topic_signal_reads_a_few_queries_whatever_the_number_of_groups(matter):
    """Every group of candidates is re-read behind the cursor on every scan, so its cost must
    not be a handful of queries per group (the signal once cost about eight per group)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from fengqiao.alerts.scan import Scan
    from fengqiao.triage.dedupe import GROUP_THRESHOLD
    from fengqiao.triage.models import TriageResult

    def groups(n, start):
        for i in range(start, start + n):
            first = matter("楼道堆物", f"楼道堆放杂物({i})。", phone=f"1390000{i:04d}")
            second = matter("楼道堆物", f"楼道又堆满杂物({i})。", phone=f"1390001{i:04d}")
            # intake's own candidates would join the groups (the texts are alike): pairs only
            TriageResult.objects.update_or_create(event=first, defaults={"duplicates": []})
            TriageResult.objects.update_or_create(event=second, defaults={"duplicates": [[first.pk, GROUP_THRESHOLD]]})

    def queries():
        with CaptureQueriesContext(connection) as captured:
            Scan().hot_topics()
        return len(captured)

    groups(2, 0)
    queries()  # the first scan creates its cursors
    few = queries()
    groups(20, 2)
    assert queries() == few


# ---------------------------------------------------------------- spikes

def test_a_day_far_above_the_usual_is_a_spike(matter, scan, alerts):
    for i in range(7):
        matter("溪水发黑", f"溪里死鱼,怀疑偷排({i})。", hours_ago=1 + i, area=JIANZHONG, category="environment.water")
    result = scan()
    (alert,) = alerts("spike")
    assert result["spike:raised"] == 1
    assert alert.area.code == JIANTIAO and alert.category_code == "environment"
    assert alert.evidence["count"] == 7 and alert.matter_count == 7 and alert.level in ("orange", "red")
    assert len(alert.evidence["daily"]) == 28
    scan()
    assert len(alerts("spike")) == 1


def test_a_busy_but_usual_day_is_no_spike(matter, scan, alerts):
    for day in range(1, 8):
        for i in range(6):
            matter("噪声", f"广场舞噪声({day}-{i})。", hours_ago=24 * day + i, area=JIANZHONG, category="noise.social")
    RiskRule.objects.filter(kind="spike").update(window_days=7)
    for i in range(6):
        matter("噪声", f"广场舞噪声(今-{i})。", hours_ago=1 + i, area=JIANZHONG, category="noise.social")
    scan()
    assert alerts("spike") == []


# ---------------------------------------------------------------- dragging on

def _through_to_resolved(e, users):
    from fengqiao.areas.models import Area
    from fengqiao.events.actions import perform
    from fengqiao.events.models import Event

    for action, by, data in (("accept", users.county_op, {}),
                             ("dispatch", users.county_op, {"to_unit": Area.objects.get(code=HAIYOU)}),
                             ("sign", users.town_haiyou, {}),
                             ("resolve", users.town_haiyou, {"result": "已处理。"})):
        perform(Event.objects.get(pk=e.pk), action, by=by, **data)
    return Event.objects.get(pk=e.pk)


def _unsatisfied_again(e, users):
    from fengqiao.events.actions import perform
    from fengqiao.events.models import Event

    perform(Event.objects.get(pk=e.pk), "verify", by=users.county_op, feedback="unsatisfied")
    perform(Event.objects.get(pk=e.pk), "reopen", by=users.county_op, reason="群众不满意")
    e = Event.objects.get(pk=e.pk)
    perform(e, "resolve", by=users.town_haiyou, result="再次处理。")
    return Event.objects.get(pk=e.pk)


def test_a_matter_sent_back_twice_is_an_alert_and_a_third_time_raises_it(matter, scan, alerts, users):
    e = _through_to_resolved(matter("漏水", "楼上漏水。"), users)
    e = _unsatisfied_again(e, users)
    scan()
    assert alerts("reopened") == []
    e = _unsatisfied_again(e, users)
    scan()
    (alert,) = alerts("reopened")
    assert alert.level == "orange" and alert.evidence["reopen_count"] == 2
    scan()
    assert alerts("reopened")[0].entries.count() == 1
    _unsatisfied_again(e, users)
    scan()
    (alert,) = alerts("reopened")
    assert alert.evidence["reopen_count"] == 3 and alert.entries.count() == 2


def test_an_overdue_dispute_is_an_alert(users, scan, alerts):
    from fengqiao.areas.models import Area
    from fengqiao.mediation import actions as mediation
    from fengqiao.mediation.models import DisputeType

    mediation.seed_types()
    began = timezone.now() - dt.timedelta(days=80)
    d = mediation.register_dispute(
        by=users.town_haiyou, type=DisputeType.objects.get(code="neighbours"), title="排水沟纠纷", facts="雨水倒灌。",
        area=Area.objects.get(code=XINHU), parties=[{"side": "applicant", "name": "张三"}], at=began)
    d = mediation.act(d, "accept", by=users.town_haiyou, at=began + dt.timedelta(hours=1))
    assert d.due_at < timezone.now() - dt.timedelta(days=7)
    scan()
    (alert,) = alerts("long_dispute")
    assert alert.evidence["dispute"] == d.pk and alert.area.code == XINHU
    assert alert.evidence["days_overdue"] >= 7


# ---------------------------------------------------------------- the cursor

def test_the_first_scan_starts_at_the_window_and_later_ones_at_the_cursor(matter, scan):
    matter("旧事项", "很久以前。", hours_ago=24 * 200)
    recent = matter("新事项", "刚刚。")
    result = scan()
    assert result["matters_read"] == 1  # the 200-day-old matter is not read
    assert ScanCursor.objects.get(name="events").last_id >= recent.pk
    later = matter("再新事项", "又一件。")
    scan()
    assert ScanCursor.objects.get(name="events").last_id >= later.pk


def test_a_scan_in_progress_does_not_lose_a_matter_that_commits_late(matter, scan, alerts):
    """Ids are drawn before commit; a matter with a lower id may commit after a scan read a
    higher one. The scan re-reads the last ids behind its cursor, so it is still seen."""
    early = matter("路灯", "路灯坏了。")
    late = matter("路灯", "路灯坏了。")
    scan()
    ScanCursor.objects.filter(name="events").update(last_id=late.pk)
    # pretend ``early`` arrived only now: its words changed after the cursor passed it
    type(early).objects.filter(pk=early.pk).update(content="邻居扬言要同归于尽。")
    RiskAlert.objects.all().delete()
    scan()
    assert [a.links.get().event_id for a in alerts("language")] == [early.pk]


def test_old_angry_words_are_history_not_news(matter, scan, alerts):
    matter("旧纠纷", "三个月前有人扬言报复。", hours_ago=24 * 5)
    scan()
    assert alerts("language") == []


# ---------------------------------------------------------------- the review's cases

def test_one_person_by_phone_and_by_id_number_is_one_alert(matter, scan, alerts):
    from fengqiao.grid.tests.conftest import make_id

    idn = make_id("33102219800101001")
    matter("噪声", "石料厂。", hours_ago=30, phone="13900007777", reporter_id_number=idn)
    matter("噪声", "石料厂。", hours_ago=20, phone="13900007777")
    matter("噪声", "石料厂。", hours_ago=10, reporter_id_number=idn)
    scan()
    (alert,) = alerts("repeat_reporter")
    assert alert.matter_count == 3 and alert.evidence["by"] == "id_number"


def _near(a, b):
    from fengqiao.triage.dedupe import GROUP_THRESHOLD
    from fengqiao.triage.models import TriageResult

    TriageResult.objects.update_or_create(event=a, defaults={"duplicates": [[b.pk, GROUP_THRESHOLD + 0.1]]})


def test_a_chain_of_candidates_is_one_matter_and_dismissed_matters_stay_dealt_with(matter, scan, alerts, users):
    a, b, c = (matter("河道死鱼", f"死鱼({i})。", phone=f"1390000800{i}") for i in range(3))
    _near(b, a)
    scan()
    _near(c, b)  # c is like b only: a, b, c are one matter
    scan()
    (alert,) = alerts("hot_topic")
    assert set(alert.links.values_list("event_id", flat=True)) == {a.pk, b.pk, c.pk}
    d = matter("河道死鱼", "死鱼(3)。", phone="13900008003")
    _near(d, c)  # like one member only: the open alert grows
    scan()
    (alert,) = alerts("hot_topic")
    assert alert.matter_count == 4
    alert_actions.act(alert, "dismiss", by=users.town_haiyou, text="上游养殖场已处理,属同一事件。")
    e = matter("河道死鱼", "死鱼(4)。", phone="13900008004")
    _near(e, d)
    scan()
    assert [x.state for x in alerts("hot_topic")] == ["dismissed"]  # one new report: not three


def test_one_person_telling_the_same_thing_is_not_a_hot_topic(matter, scan, alerts, users):
    from fengqiao.events.actions import perform
    from fengqiao.events.models import Event

    target = matter("电梯困人", "3号楼电梯困人。", phone="13900009999")
    for i in range(2):
        e = matter("电梯困人", f"又困人了({i})。", phone="13900009999")
        perform(e, "merge", by=users.county_op, into=Event.objects.get(pk=target.pk), reason="同一事项")
    scan()
    assert alerts("hot_topic") == []
    assert len(alerts("repeat_reporter")) == 1


def test_after_a_dismissed_spike_only_later_matters_count(matter, scan, alerts, users):
    for i in range(7):
        matter("溪水发黑", f"死鱼({i})。", hours_ago=3 + i, area=JIANZHONG, category="environment.water")
    scan()
    (alert,) = alerts("spike")
    alert_actions.act(alert, "dismiss", by=users.town_jiantiao, text="上游施工导致,已处理。")
    matter("溪水发黑", "又有死鱼。", hours_ago=0.5, area=JIANZHONG, category="environment.water")
    scan()
    assert len(alerts("spike")) == 1  # one more since the close is no spike
    for i in range(7):
        matter("溪水发黑", f"大面积死鱼({i})。", hours_ago=0.1, area=JIANZHONG, category="environment.water")
    scan()
    old, new = alerts("spike")
    assert old.state == "dismissed" and new.state == "open" and new.matter_count == 8


def test_words_of_a_matter_entered_late_are_still_judged(matter, scan, alerts):
    scan()  # the cursor exists: later scans trust it
    matter("补录事项", "当事人扬言报复。", hours_ago=30)  # received yesterday, entered now
    scan()
    assert len(alerts("language")) == 1


def test_an_alert_moves_up_when_its_evidence_leaves_its_area(matter, scan, alerts):
    phone = "13900001212"
    for h in (30, 20, 10):
        matter("噪声", "石料厂。", hours_ago=h, phone=phone)
    scan()
    (alert,) = alerts("repeat_reporter")
    assert alert.area.code == XINHU
    matter("偷排", "健跳镇某厂偷排。", hours_ago=1, phone=phone, area=JIANZHONG)
    scan()
    (alert,) = alerts("repeat_reporter")
    assert alert.area.code == "331022"
    told = set(Notification.objects.filter(kind="risk_alert").values_list("user__username", flat=True))
    assert "county_op" in told


def test_growing_leaves_the_version_people_hold(matter, scan, alerts, users):
    phone = "13900001313"
    for h in (30, 20, 10):
        matter("噪声", "石料厂。", hours_ago=h, phone=phone)
    scan()
    (alert,) = alerts("repeat_reporter")
    seen = alert.version
    matter("噪声", "石料厂。", hours_ago=1, phone=phone)
    scan()
    alert.refresh_from_db()
    assert alert.matter_count == 4 and alert.version == seen
    actions.act(alert, "take_on", by=users.town_haiyou, version=seen)


def test_absurd_versions_and_nul_text_are_400s(matter, scan, alerts, users):
    from fengqiao.core.errors import UserError

    matter("纠纷", "扬言报复。")
    scan()
    (alert,) = alerts("language")
    for kw in ({"version": "9" * 5000}, {"text": "a\x00b"}):
        with pytest.raises(UserError) as exc:
            actions.act(alert, "comment", by=users.county_op, **{"text": "备注", **kw})
        assert exc.value.status == 400
