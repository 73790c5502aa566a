"""The check-point signal: an inspection overdue (平安点位巡查超期), as the key persons' overdue
visit (test_key_persons.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fengqiao.alerts import actions as alert_actions
from fengqiao.alerts.models import RiskAlert, RiskRule
from fengqiao.grid import points
from fengqiao.grid.models import CheckPoint

from .conftest import XINHU

pytestmark = pytest.mark.django_db


@pytest.fixture
def check_point(users):
    """``check_point(**kw)``: 心湖社区幼儿园 (a school: inspected every 7 days) in 心湖社区, in
    grid_xinhu1's care; any argument of ``register_point`` overrides."""

    def make(**kw):
        kw.setdefault("by", users.cadre_xinhu)
        kw.setdefault("name", "心湖社区幼儿园")
        kw.setdefault("kind", "school")
        kw.setdefault("area", XINHU)
        kw.setdefault("address", "心湖路8号")
        kw.setdefault("caretaker", users.grid_xinhu1)
        return points.register_point(**kw)

    return make


def overdue(point, **delta):
    """Make ``point``'s next inspection due ``delta`` before now."""
    CheckPoint.objects.filter(pk=point.pk).update(next_inspection_due=timezone.now() - dt.timedelta(**delta))


def test_the_rule_is_seeded_for_the_admin():
    rule = RiskRule.objects.get(kind="missed_inspection")
    assert (rule.enabled, rule.threshold, rule.level) == (True, 1, "yellow")


def test_raised_at_the_threshold_and_not_before(check_point, scan, alerts):
    p = check_point()
    scan()
    assert alerts("missed_inspection") == []  # just registered: due in a week
    overdue(p, hours=23)
    scan()
    assert alerts("missed_inspection") == []  # overdue, but less than the threshold's one day
    overdue(p, days=1, hours=1)
    result = scan()
    (alert,) = alerts("missed_inspection")
    assert result["missed_inspection:raised"] == 1
    assert alert.level == "yellow" and alert.state == "open" and alert.area.code == XINHU
    p.refresh_from_db()
    assert alert.evidence == {"check_point": p.pk, "days_overdue": 1, "kind": "school", "inspect_every_days": 7,
                              "due": p.next_inspection_due.isoformat()}
    assert alert.signature == f"inspection:{p.pk}" and alert.matter_count == 0


def test_the_threshold_is_the_rule_s(check_point, scan, alerts):
    RiskRule.objects.filter(kind="missed_inspection").update(threshold=3)
    p = check_point()
    overdue(p, days=2, hours=12)
    scan()
    assert alerts("missed_inspection") == []
    overdue(p, days=3, hours=1)
    scan()
    assert len(alerts("missed_inspection")) == 1


def test_a_disabled_rule_raises_nothing(check_point, scan, alerts):
    RiskRule.objects.filter(kind="missed_inspection").update(enabled=False)
    overdue(check_point(), days=20)
    scan()
    assert alerts("missed_inspection") == []


def test_an_inactive_check_point_raises_nothing(check_point, scan, alerts, users):
    p = points.remove_point(check_point(), by=users.cadre_xinhu, reason="幼儿园已停办")
    overdue(p, days=20)
    scan()
    assert alerts("missed_inspection") == []


def test_the_level_grows_with_the_delay_one_alert_per_due_period(check_point, scan, alerts):
    p = check_point()
    overdue(p, days=2)
    scan()
    scan()
    (alert,) = alerts("missed_inspection")
    assert alert.level == "yellow" and alert.entries.count() == 1  # raised; the second scan had nothing new
    overdue(p, days=8)  # past one interval (7 days)
    scan()
    (alert,) = alerts("missed_inspection")
    assert alert.level == "orange" and alert.evidence["days_overdue"] == 8
    overdue(p, days=15)  # past two
    scan()
    scan()
    (alert,) = alerts("missed_inspection")
    assert alert.level == "red" and alert.entries.count() == 3  # raised, grown twice


def test_an_inspection_ends_the_spell_and_the_next_lapse_raises_a_new_alert(check_point, scan, alerts, users):
    p = check_point()
    overdue(p, days=2)
    scan()
    (alert,) = alerts("missed_inspection")
    points.record_inspection(p, by=users.grid_xinhu1)
    scan()
    # as an overdue visit's: the scan stops growing it, the command room closes it with its feedback
    alert.refresh_from_db()
    assert alert.state == "open" and alert.entries.count() == 1
    alert_actions.act(alert, "defuse", by=users.town_haiyou, text="网格员已巡查。")
    scan()
    assert [a.state for a in alerts("missed_inspection")] == ["resolved"]
    # weeks later the next inspection is overdue again: a new alert (the old one closed before it fell due)
    RiskAlert.objects.filter(pk=alert.pk).update(closed_at=timezone.now() - dt.timedelta(days=10))
    overdue(p, days=3)
    scan()
    assert [a.state for a in alerts("missed_inspection")] == ["resolved", "open"]


def test_a_removed_check_point_s_alert_stays_for_the_command_room(check_point, scan, alerts, users):
    p = check_point()
    overdue(p, days=2)
    scan()
    points.remove_point(p, by=users.cadre_xinhu, reason="幼儿园已停办")
    overdue(p, days=9)
    scan()
    (alert,) = alerts("missed_inspection")
    assert alert.state == "open" and alert.level == "yellow" and alert.entries.count() == 1
    alert_actions.act(alert, "dismiss", by=users.town_haiyou, text="点位已移出台账。")
    scan()
    assert [a.state for a in alerts("missed_inspection")] == ["dismissed"]


def test_a_dismissed_alert_comes_back_when_it_turns_worse(check_point, scan, alerts, users):
    p = check_point()
    overdue(p, days=2)
    scan()
    (alert,) = alerts("missed_inspection")
    alert_actions.act(alert, "dismiss", by=users.town_haiyou, text="本周内巡查。")
    scan()
    # the same spell, later but still at the dismissed level: nothing new
    scan(timezone.now() + dt.timedelta(days=1))
    assert len(alerts("missed_inspection")) == 1
    # the same spell gone red (two intervals overdue): a new alert
    scan(timezone.now() + dt.timedelta(days=13))
    old, new = alerts("missed_inspection")
    assert new.state == "open" and new.level == "red" and new.evidence["due"] == old.evidence["due"]


def test_a_new_overdue_spell_while_the_old_alert_is_open_is_news(check_point, scan, alerts):
    from fengqiao.events.models import Notification

    p = check_point()
    overdue(p, days=2)
    scan()
    told = Notification.objects.filter(kind="risk_alert").count()
    overdue(p, days=3, hours=1)
    scan()
    (alert,) = alerts("missed_inspection")
    assert alert.entries.last().action == "grown" and Notification.objects.filter(kind="risk_alert").count() > told


def test_the_text_names_the_check_point_and_the_days(check_point, scan, alerts, users):
    p = check_point()
    overdue(p, days=4)
    scan()
    (alert,) = alerts("missed_inspection")
    assert alert.title == "平安点位巡查超期 4 天:心湖社区幼儿园"
    assert alert.summary == ("心湖社区幼儿园(学校、幼儿园)应每 7 天巡查一次,登记后尚未巡查。"
                             "请责任网格员尽快巡查并登记。")
    q = check_point(name="心湖菜场", kind="market")
    with_inspection = timezone.now() - dt.timedelta(days=10)
    points.record_inspection(q, by=users.grid_xinhu1, inspected_at=with_inspection)
    scan()
    alert = RiskAlert.objects.get(signature=f"inspection:{q.pk}")
    assert alert.title == "平安点位巡查超期 3 天:心湖菜场"
    assert "上次巡查已过 10 天" in alert.summary and "集贸市场" in alert.summary


def test_the_alert_reaches_the_town_of_the_check_point_only(check_point, scan, alerts, users, client):
    from fengqiao.events.models import Notification

    p = check_point()
    overdue(p, days=2)
    scan()
    (alert,) = alerts("missed_inspection")
    assert set(Notification.objects.filter(kind="risk_alert").values_list("user__username", flat=True)) == {
        "town_haiyou"}
    for name in ("town_haiyou", "county_op", "leader", "cadre_xinhu"):
        assert RiskAlert.objects.restrict(getattr(users, name), "view").filter(pk=alert.pk).exists(), name
    for name in ("town_jiantiao", "cadre_jianzhong"):
        assert not RiskAlert.objects.restrict(getattr(users, name), "view").filter(pk=alert.pk).exists(), name
    client.force_login(users.town_jiantiao)
    assert client.get(f"/alerts/{alert.pk}/").status_code == 404


def test_the_detail_page_shows_the_facts_and_links_the_check_point(check_point, scan, alerts, users, client):
    p = check_point()
    overdue(p, days=9)
    scan()
    (alert,) = alerts("missed_inspection")
    client.force_login(users.town_haiyou)
    resp = client.get(f"/alerts/{alert.pk}/")
    assert resp.status_code == 200
    facts = {str(label): value for label, value in resp.context["facts"]}
    assert list(facts.values()) == ["学校、幼儿园", 9, 7]
    assert resp.context["check_point"] == p and resp.context["key_person"] is None
    html = resp.content.decode()
    assert f'href="/grid/check-points/{p.pk}/"' in html and 'id="check-point"' in html
    assert "下次巡查期限" in html


def test_the_api_lists_the_kind_and_its_evidence(check_point, scan, alerts, users, api):
    p = check_point()
    overdue(p, days=2)
    scan()
    (alert,) = alerts("missed_inspection")
    resp = api(users.town_haiyou).get("/api/v1/alerts/", {"kind": "missed_inspection"})
    assert resp.status_code == 200
    assert [a["id"] for a in resp.json()["results"]] == [alert.pk]
    assert resp.json()["results"][0]["kind"] == "missed_inspection"
    one = api(users.town_haiyou).get(f"/api/v1/alerts/{alert.pk}/").json()
    assert one["evidence"]["check_point"] == p.pk and one["evidence"]["days_overdue"] == 2
    assert api(users.town_jiantiao).get(f"/api/v1/alerts/{alert.pk}/").status_code == 404


def test_the_demo_check_points_raise_their_alerts(users, scan, alerts):
    """The demo's fuel station (inspected 10 days ago, every 7) and market (9 days ago, every 7)
    are overdue: the demo county opens with alerts of this kind too."""
    from fengqiao.grid.demo import load_demo_check_points

    load_demo_check_points()
    scan()
    found = alerts("missed_inspection")
    assert sorted(a.title.split(":")[1] for a in found) == ["城东加油站", "海游农贸市场"]
    assert {a.area.code for a in found} == {XINHU}


def test_the_signal_reads_a_fixed_number_of_queries_whatever_the_number_of_check_points(check_point):
    """Every overdue check-point is read again on every scan: the reads must not grow with their
    number (the alerts raised cost their own writes)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from fengqiao.alerts.scan import Scan

    def make(n, start):
        for i in range(start, start + n):
            overdue(check_point(name=f"点位{i}"), days=2 + i % 20)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            Scan().missed_inspections()
        return len(captured)

    make(2, 0)
    queries()  # raises their alerts
    few = queries()
    make(18, 2)
    queries()
    assert queries() == few
    assert RiskAlert.objects.filter(kind="missed_inspection").count() == 20
