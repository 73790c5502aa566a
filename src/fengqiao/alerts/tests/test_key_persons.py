"""The key-person signals: a matter from a key person, an abnormal visit, an overdue visit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fengqiao.alerts import actions as alert_actions
from fengqiao.grid import actions
from fengqiao.grid.models import KeyPerson

from .conftest import JIANZHONG, XINHU

pytestmark = pytest.mark.django_db


@pytest.fixture
def key_person(users):
    from fengqiao.grid.tests.conftest import make_id

    def make(**kw):
        kw.setdefault("by", users.cadre_xinhu)
        kw.setdefault("name", "陈建国")
        kw.setdefault("category", "mental_disorder")
        kw.setdefault("area", XINHU)
        kw.setdefault("id_number", make_id("33102219700101003"))
        kw.setdefault("phone", "13911112222")
        kw.setdefault("caretaker", users.grid_xinhu1)
        return actions.register_key_person(**kw)

    return make


def test_a_matter_from_a_key_person(matter, key_person, scan, alerts):
    p = key_person()
    e = matter("噪声", "邻居装修太吵。", phone="13911112222", area=XINHU)
    matter("噪声", "别人反映。", phone="13911113333")
    scan()
    (alert,) = alerts("key_person")
    assert alert.evidence == {"event": e.pk, "key_person": p.pk, "by": "phone", "category": "mental_disorder"}
    assert alert.area.code == XINHU and alert.level == "orange"
    assert "陈建国" not in alert.title + alert.summary and "陈**" in alert.summary
    assert "精神" not in alert.title + alert.summary  # the category stays in the registry
    scan()
    assert len(alerts("key_person")) == 1


def test_the_alert_sits_where_both_the_matter_and_the_person_are_visible(matter, key_person, scan, alerts):
    key_person()
    matter("噪声", "在健跳反映。", phone="13911112222", area=JIANZHONG)
    scan()
    (alert,) = alerts("key_person")
    assert alert.area.code == "331022"  # 心湖社区 (海游) and 健中 (健跳): only the county sees both


def test_a_removed_key_person_raises_nothing(matter, key_person, scan, alerts, users):
    actions.remove_key_person(key_person(), by=users.town_haiyou, reason="迁出本县")
    matter("噪声", "邻居装修太吵。", phone="13911112222")
    scan()
    assert alerts("key_person") == []


def test_an_abnormal_visit(key_person, scan, alerts, users):
    p = key_person()
    actions.record_visit(p, by=users.grid_xinhu1, condition="attention", note="近期失眠。")
    scan()
    assert alerts("key_person") == []
    v = actions.record_visit(p, by=users.grid_xinhu1, condition="abnormal", note="停药,情绪激动,扬言伤人。")
    scan()
    (alert,) = alerts("key_person")
    assert alert.evidence["visit"] == v.pk and alert.area.code == XINHU and "停药" not in alert.summary
    scan()
    assert len(alerts("key_person")) == 1


def test_an_overdue_visit_grows_with_the_delay_and_a_visit_then_defusing_ends_it(key_person, scan, alerts, users):
    p = key_person()
    KeyPerson.objects.filter(pk=p.pk).update(next_visit_due=timezone.now() - dt.timedelta(days=2))
    scan()
    (alert,) = alerts("missed_visit")
    assert alert.level == "yellow" and alert.evidence["days_overdue"] == 2 and alert.area.code == XINHU
    KeyPerson.objects.filter(pk=p.pk).update(next_visit_due=timezone.now() - dt.timedelta(days=8))
    scan()
    (alert,) = alerts("missed_visit")
    assert alert.level == "orange" and alert.evidence["days_overdue"] == 8
    scan()
    assert alerts("missed_visit")[0].entries.count() == 2  # raised, grown once
    actions.record_visit(p, by=users.grid_xinhu1)
    alert_actions.act(alert, "defuse", by=users.town_haiyou, text="网格员已走访。")
    scan()
    assert [a.state for a in alerts("missed_visit")] == ["resolved"]
    # weeks later the next visit is overdue again: a new alert (the old one closed before it fell due)
    type(alert).objects.filter(pk=alert.pk).update(closed_at=timezone.now() - dt.timedelta(days=10))
    KeyPerson.objects.filter(pk=p.pk).update(next_visit_due=timezone.now() - dt.timedelta(days=3))
    scan()
    assert [a.state for a in alerts("missed_visit")] == ["resolved", "open"]


def test_a_key_person_s_alert_reaches_the_town(key_person, scan, users):
    from fengqiao.events.models import Notification

    p = key_person()
    KeyPerson.objects.filter(pk=p.pk).update(next_visit_due=timezone.now() - dt.timedelta(days=2))
    scan()
    assert set(Notification.objects.filter(kind="risk_alert").values_list("user__username", flat=True)) == {
        "town_haiyou"}


# ---------------------------------------------------------------- the review's cases

def test_two_matters_of_a_key_person_in_one_scan_are_two_alerts(matter, key_person, scan, alerts):
    key_person()
    matter("噪声", "邻居装修太吵。", phone="13911112222")
    matter("噪声", "又在装修。", phone="13911112222")
    scan()
    assert len(alerts("key_person")) == 2


def test_the_visit_note_and_the_category_stay_out_of_what_is_sent(key_person, scan, alerts, users):
    from fengqiao.events.models import Notification

    p = key_person()
    actions.record_visit(p, by=users.grid_xinhu1, condition="abnormal", note="复吸,其妻电话13955556666")
    scan()
    (alert,) = alerts("key_person")
    sent = " ".join(Notification.objects.filter(kind="risk_alert").values_list("title", "body").first())
    for secret in ("复吸", "13955556666", "严重精神障碍", "陈建国"):
        assert secret not in alert.title + alert.summary and secret not in sent


def test_an_abnormal_visit_entered_after_a_day_is_still_seen(key_person, scan, alerts, users):
    scan()  # the visits cursor exists
    p = key_person()
    actions.record_visit(p, by=users.grid_xinhu1, condition="abnormal", note="情绪激动。")
    scan(timezone.now() + dt.timedelta(days=2))
    assert len(alerts("key_person")) == 1


def test_a_dismissed_missed_visit_comes_back_when_it_turns_worse(key_person, scan, alerts, users):
    p = key_person()
    KeyPerson.objects.filter(pk=p.pk).update(next_visit_due=timezone.now() - dt.timedelta(days=2))
    scan()
    (alert,) = alerts("missed_visit")
    alert_actions.act(alert, "dismiss", by=users.town_haiyou, text="本周内走访。")
    scan()
    # the same spell, later but still at the dismissed level: nothing new
    scan(timezone.now() + dt.timedelta(days=1))
    assert len(alerts("missed_visit")) == 1
    # the same spell gone red (two intervals overdue): a new alert
    scan(timezone.now() + dt.timedelta(days=13))
    old, new = alerts("missed_visit")
    assert new.state == "open" and new.level == "red" and new.evidence["due"] == old.evidence["due"]


def test_a_new_overdue_spell_while_the_old_alert_is_open_is_news(key_person, scan, alerts, users):
    from fengqiao.events.models import Notification

    p = key_person()
    KeyPerson.objects.filter(pk=p.pk).update(next_visit_due=timezone.now() - dt.timedelta(days=2))
    scan()
    told = Notification.objects.filter(kind="risk_alert").count()
    KeyPerson.objects.filter(pk=p.pk).update(next_visit_due=timezone.now() - dt.timedelta(days=3, hours=1))
    scan()
    (alert,) = alerts("missed_visit")
    assert alert.entries.last().action == "grown" and Notification.objects.filter(kind="risk_alert").count() > told
