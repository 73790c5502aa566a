"""The console pages of the risk alerts (/alerts/) through Django's test client: each page four
ways (anonymous, wrong role, outside the jurisdiction, inside), linked matters and disputes only
through ``restrict()``, the actions through their forms, refusals as 4xx pages, the filters."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.utils import timezone

from fengqiao.alerts import detect
from fengqiao.alerts.actions import Signal, raise_or_grow
from fengqiao.alerts.models import RiskAlert
from fengqiao.areas.models import Area

from .conftest import HAIYOU, JIANTIAO, JIANZHONG, XINHU

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
THREAT = "两户村民因宅基地围墙再次发生争吵,一方扬言再不解决就和对方同归于尽,请尽快介入。"
_signatures = iter(range(1, 10_000))


def _html(resp) -> str:
    return resp.content.decode()


@pytest.fixture
def language_alert(matter):
    """``language_alert(area=XINHU, level="orange", extra=())``: a matter with escalation language
    and its alert, raised through the scan's own action; ``extra`` matters are linked too."""

    def make(area=XINHU, level="orange", extra=(), now=None, title="宅基地纠纷激化"):
        event = matter(title, THREAT, area=area)
        hits = detect.TermMatcher({"同归于尽": level}).scan(f"{event.title}\n{event.content}")
        assert hits
        alert, what = raise_or_grow(Signal(
            kind="language", signature=f"language:event:{event.pk}", level=level,
            title=f"极端言辞「同归于尽」:{event.title}", summary="事项中出现 1 处预警词:同归于尽。",
            area=Area.objects.get(code=area), evidence={"event": event.pk, "terms": [h.as_dict() for h in hits]},
            event_ids=[event.pk, *(e.pk for e in extra)], seen_at=event.received_at), now=now)
        assert what == "raised"
        return alert, event

    return make


def _signal_alert(kind="repeat_reporter", area=HAIYOU, level="yellow", evidence=None, event_ids=(), **kw):
    alert, what = raise_or_grow(Signal(
        kind=kind, signature=f"test:{kind}:{next(_signatures)}", level=level, title=kw.pop("title", "测试预警"),
        summary="测试摘要", area=Area.objects.get(code=area), evidence=evidence or {}, event_ids=event_ids), **kw)
    assert what == "raised"
    return alert


def _urls(alert):
    return {"list": "/alerts/", "detail": f"/alerts/{alert.pk}/"}


# ---------------------------------------------------------------- four ways


def test_anonymous_is_sent_to_login(client, language_alert):
    alert, _event = language_alert()
    for url in ("/alerts/", f"/alerts/{alert.pk}/"):
        resp = client.get(url)
        assert resp.status_code == 302 and resp["Location"].startswith(LOGIN), url
    resp = client.post(f"/alerts/{alert.pk}/act/take_on/", {"version": alert.version})
    assert resp.status_code == 302 and resp["Location"].startswith(LOGIN)
    alert.refresh_from_db()
    assert alert.state == "open"


@pytest.mark.parametrize("username", ["dept_police", "auditor", "admin", "grid_xinhu1", "mediator"])
def test_wrong_role_is_403(client, users, language_alert, username):
    alert, _event = language_alert()
    client.force_login(getattr(users, username))
    assert client.get("/alerts/").status_code == 403
    assert client.get(f"/alerts/{alert.pk}/").status_code == 403
    assert client.post(f"/alerts/{alert.pk}/act/take_on/", {"version": alert.version}).status_code == 403
    assert client.post(f"/alerts/{alert.pk}/act/comment/", {"text": "看看", "version": alert.version}).status_code == 403
    alert.refresh_from_db()
    assert alert.state == "open" and alert.version == 0


@pytest.mark.parametrize("username", ["town_jiantiao", "cadre_jianzhong"])
def test_right_role_outside_the_jurisdiction_is_404(client, users, language_alert, username):
    alert, event = language_alert()
    client.force_login(getattr(users, username))
    resp = client.get("/alerts/", {"state": "all"})
    assert resp.status_code == 200 and alert.number not in _html(resp)
    assert client.get(f"/alerts/{alert.pk}/").status_code == 404
    assert client.post(f"/alerts/{alert.pk}/act/take_on/", {"version": alert.version}).status_code == 404
    assert client.post(f"/alerts/{alert.pk}/act/comment/", {"text": "看看", "version": alert.version}).status_code == 404
    alert.refresh_from_db()
    assert alert.state == "open" and alert.version == 0


def test_an_alert_number_that_is_no_alert_is_404(client, users):
    client.force_login(users.county_op)
    assert client.get("/alerts/999999999/").status_code == 404
    assert client.post("/alerts/999999999/act/take_on/", {"version": "0"}).status_code == 404


@pytest.mark.parametrize("username", ["town_haiyou", "county_op", "leader", "leader_haiyou", "cadre_xinhu"])
def test_right_role_inside_the_jurisdiction_is_200(client, users, language_alert, username):
    alert, _event = language_alert()
    client.force_login(getattr(users, username))
    resp = client.get("/alerts/")
    assert resp.status_code == 200
    assert alert.number in _html(resp)
    resp = client.get(f"/alerts/{alert.pk}/")
    assert resp.status_code == 200
    assert alert.title in _html(resp)


# ---------------------------------------------------------------- the list


def test_list_row_shows_the_alert(client, users, language_alert):
    # 16:30 UTC is half past midnight the next day in Shanghai
    now = dt.datetime(2026, 3, 1, 16, 30, tzinfo=dt.UTC)
    alert, _event = language_alert(now=now)
    client.force_login(users.town_haiyou)
    resp = client.get("/alerts/")
    html = _html(resp)
    row = re.search(rf'<tr class="alert-orange" data-alert="{alert.pk}">(.*?)</tr>', html, re.S)
    assert row, html
    row = row.group(1)
    assert alert.number in row
    assert 'class="level level-orange"' in row
    assert str(alert.get_kind_display()) in row
    assert "宅基地纠纷激化" in row
    assert "心湖社区" in row  # the area's name
    assert "<td>1</td>" in row  # matters
    assert "03-02 00:30" in row  # raised at, Asia/Shanghai
    assert f'state-{alert.state}' in row


def test_list_counts_open_alerts_by_level(client, users, language_alert):
    language_alert(level="red")
    language_alert(level="orange")
    language_alert(level="orange")
    closed = _signal_alert(level="yellow")
    from fengqiao.alerts.actions import act

    act(closed, "dismiss", by=users.town_haiyou, text="误报")
    client.force_login(users.town_haiyou)
    resp = client.get("/alerts/")
    counts = {c["level"]: c["count"] for c in resp.context["counts"]}
    assert counts == {"red": 1, "orange": 2, "yellow": 0}
    assert [c["level"] for c in resp.context["counts"]] == ["red", "orange", "yellow"]
    client.force_login(users.town_jiantiao)
    counts = {c["level"]: c["count"] for c in client.get("/alerts/").context["counts"]}
    assert counts == {"red": 0, "orange": 0, "yellow": 0}


def test_list_filters(client, users, language_alert):
    red, _e = language_alert(level="red")
    orange, _e = language_alert(level="orange", area=XINHU)
    repeat = _signal_alert(kind="repeat_reporter", area=HAIYOU, level="yellow")
    jiantiao = _signal_alert(kind="hot_topic", area=JIANZHONG, level="yellow")
    done = _signal_alert(kind="spike", area=HAIYOU, level="yellow")
    from fengqiao.alerts.actions import act

    act(done, "take_on", by=users.town_haiyou)
    handling = RiskAlert.objects.get(pk=done.pk)
    dismissed = _signal_alert(kind="spike", area=HAIYOU, level="orange")
    act(dismissed, "dismiss", by=users.town_haiyou, text="误报")

    def shown(**params):
        resp = client.get("/alerts/", params)
        assert resp.status_code == 200
        return {a.pk for a in resp.context["page"].object_list}

    client.force_login(users.county_op)
    # by default: open and being handled, newest first
    assert shown() == {red.pk, orange.pk, repeat.pk, jiantiao.pk, handling.pk}
    resp = client.get("/alerts/")
    assert [a.pk for a in resp.context["page"].object_list][0] == handling.pk  # the newest
    assert shown(state="dismissed") == {dismissed.pk}
    assert shown(state="handling") == {handling.pk}
    assert shown(state="all") == {red.pk, orange.pk, repeat.pk, jiantiao.pk, handling.pk, dismissed.pk}
    assert shown(level="red") == {red.pk}
    assert shown(level="yellow") == {repeat.pk, jiantiao.pk, handling.pk}
    assert shown(kind="language") == {red.pk, orange.pk}
    assert shown(kind="hot_topic") == {jiantiao.pk}
    assert shown(area=JIANTIAO) == {jiantiao.pk}
    assert shown(area=HAIYOU) == {red.pk, orange.pk, repeat.pk, handling.pk}
    assert shown(area=XINHU) == {red.pk, orange.pk}
    assert shown(area=HAIYOU, level="yellow", kind="repeat_reporter") == {repeat.pk}

    client.force_login(users.town_haiyou)
    assert shown() == {red.pk, orange.pk, repeat.pk, handling.pk}
    # an area outside the user's own is refused, never widened
    resp = client.get("/alerts/", {"area": JIANTIAO})
    assert resp.status_code == 200 and resp.context["errors"] and not resp.context["page"].object_list
    for bad in ({"state": "sleeping"}, {"level": "purple"}, {"kind": "weather"}):
        resp = client.get("/alerts/", bad)
        assert resp.status_code == 200 and resp.context["errors"], bad
        assert not resp.context["page"].object_list


def test_list_is_paginated_with_its_filters(client, users):
    for _ in range(35):
        _signal_alert(kind="hot_topic", area=XINHU)
    _signal_alert(kind="repeat_reporter", area=XINHU)
    client.force_login(users.town_haiyou)
    resp = client.get("/alerts/", {"kind": "hot_topic"})
    assert len(resp.context["page"].object_list) == 30 and resp.context["page"].paginator.count == 35
    assert "kind=hot_topic&amp;page=2" in _html(resp)
    resp = client.get("/alerts/", {"kind": "hot_topic", "page": "2"})
    assert len(resp.context["page"].object_list) == 5


def test_list_runs_a_bounded_number_of_queries(client, users, django_assert_max_num_queries):
    for _ in range(40):
        _signal_alert(kind="hot_topic", area=XINHU)
    client.force_login(users.town_haiyou)
    client.get("/alerts/")
    with django_assert_max_num_queries(13):
        resp = client.get("/alerts/")
    assert resp.status_code == 200


# ---------------------------------------------------------------- the detail


def test_detail_marks_the_phrase_in_its_snippet(client, users, language_alert):
    alert, event = language_alert()
    client.force_login(users.town_haiyou)
    html = _html(client.get(f"/alerts/{alert.pk}/"))
    assert "<mark>同归于尽</mark>" in html
    assert "一方扬言再不解决就和对方" in html  # the words around it
    assert f'href="/matters/{event.pk}/"' in html
    assert 'id="hidden-matters"' not in html


def test_a_linked_matter_outside_the_jurisdiction_is_counted_not_shown(client, users, matter, language_alert):
    elsewhere = matter("健跳镇同一人反映", "健跳镇健中居委会路灯不亮。", area=JIANZHONG)
    alert, event = language_alert(extra=[elsewhere])
    assert alert.matter_count == 2
    client.force_login(users.town_haiyou)
    resp = client.get(f"/alerts/{alert.pk}/")
    html = _html(resp)
    assert [e.pk for e in resp.context["matters"]] == [event.pk]
    assert f"/matters/{elsewhere.pk}/" not in html
    assert elsewhere.title not in html and (elsewhere.number or "—") not in html
    assert resp.context["hidden_matters"] == 1
    assert re.search(r'id="hidden-matters">[^<]*\b1\b', html)
    # the county centre sees both
    client.force_login(users.county_op)
    resp = client.get(f"/alerts/{alert.pk}/")
    assert {e.pk for e in resp.context["matters"]} == {event.pk, elsewhere.pk}
    assert resp.context["hidden_matters"] == 0


def test_the_phrase_context_of_a_matter_the_user_may_not_read_is_not_shown(client, users, matter):
    # a (synthetic) alert in 海游街道 about a matter of 健跳镇: the viewer sees the phrase, not the text
    event = matter("宅基地纠纷", THREAT, area=JIANZHONG)
    hits = detect.TermMatcher({"同归于尽": "orange"}).scan(event.content)
    alert = _signal_alert(kind="language", area=HAIYOU, level="orange",
                          evidence={"event": event.pk, "terms": [h.as_dict() for h in hits]}, event_ids=[event.pk])
    client.force_login(users.town_haiyou)
    resp = client.get(f"/alerts/{alert.pk}/")
    html = _html(resp)
    assert resp.status_code == 200 and "同归于尽" in html
    assert "一方扬言" not in html and "<mark>" not in html
    assert resp.context["snippets_hidden"] and resp.context["hidden_matters"] == 1


def test_spike_evidence_is_a_bar_chart(client, users):
    daily = [0, 1, 0, 2, 1, 0, 1]
    alert = _signal_alert(kind="spike", area=HAIYOU, level="red",
                          evidence={"count": 9, "mean": 0.71, "p": 3.2e-7, "category": "environment",
                                    "daily": daily})
    client.force_login(users.town_haiyou)
    resp = client.get(f"/alerts/{alert.pk}/")
    html = _html(resp)
    chart = json.loads(re.search(r'<script id="alert-chart" type="application/json">(.*?)</script>', html, re.S)
                       .group(1))
    assert chart["type"] == "bar" and len(chart["x"]) == 8
    assert chart["series"][0]["data"] == [*daily, None]
    assert chart["series"][1]["data"] == [None] * 7 + [9]
    assert 'data-chart="alert-chart"' in html
    assert "/static/vendor/echarts.min.js" in html
    # every script and stylesheet is served from here (a random CSRF token may spell "cdn")
    assert all(ref.startswith("/") for ref in re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html))
    facts = dict(resp.context["facts"])
    assert 9 in facts.values() and 0.71 in facts.values() and "3.2e-07" in facts.values()


def test_counting_signals_show_counts_and_channels(client, users):
    alert = _signal_alert(kind="repeat_reporter", area=HAIYOU, level="orange",
                          evidence={"count": 4, "by": "phone", "channels": {"hotline_12345": 1, "petition": 3},
                                    "since": timezone.now().isoformat()})
    client.force_login(users.town_haiyou)
    resp = client.get(f"/alerts/{alert.pk}/")
    assert resp.status_code == 200
    assert 4 in dict(resp.context["facts"]).values()
    channels = resp.context["channels"]
    assert [n for _label, n in channels] == [3, 1]
    assert "/static/vendor/echarts.min.js" not in _html(resp)  # only a spike draws a chart


def test_a_dispute_is_shown_only_through_restrict(client, users):
    from fengqiao.mediation import actions as mediation
    from fengqiao.mediation.models import DisputeType

    mediation.seed_types()
    dispute = mediation.register_dispute(
        by=users.town_jiantiao, type=DisputeType.objects.filter(is_active=True).order_by("path").first(),
        title="工地欠薪纠纷", facts="工人讨要工资。", area=Area.objects.get(code=JIANZHONG),
        parties=[{"side": "applicant", "name": "王五", "phone": "13812345679"}])
    alert = _signal_alert(kind="long_dispute", area=HAIYOU, level="yellow",
                          evidence={"dispute": dispute.pk, "number": dispute.number, "days_overdue": 9})
    client.force_login(users.town_haiyou)
    resp = client.get(f"/alerts/{alert.pk}/")
    html = _html(resp)
    assert resp.context["disputes"] == [] and resp.context["hidden_disputes"] == 1
    assert "工地欠薪纠纷" not in html and f"/mediation/disputes/{dispute.pk}/" not in html
    assert 'id="hidden-disputes"' in html
    client.force_login(users.county_op)
    resp = client.get(f"/alerts/{alert.pk}/")
    assert [d.pk for d in resp.context["disputes"]] == [dispute.pk]
    assert f"/mediation/disputes/{dispute.pk}/" in _html(resp)


def test_detail_offers_the_forms_the_table_allows(client, users, language_alert):
    alert, _event = language_alert()

    def offered(user):
        client.force_login(user)
        resp = client.get(f"/alerts/{alert.pk}/")
        return [f["name"] for f in resp.context["forms"]], _html(resp)

    names, html = offered(users.town_haiyou)
    assert names == ["take_on", "defuse", "dismiss", "supervise", "comment"]
    assert html.count(f'name="version" value="{alert.version}"') == 5
    assert html.count('<textarea name="text"') == 4  # take_on asks for no text
    form = re.search(r'<form[^>]*id="act-take_on".*?</form>', html, re.S).group(0)
    assert "<textarea" not in form
    form = re.search(r'<form[^>]*id="act-defuse".*?</form>', html, re.S).group(0)
    assert f'action="/alerts/{alert.pk}/act/defuse/"' in form and "<textarea" in form
    assert offered(users.leader)[0] == ["supervise", "comment"]
    assert offered(users.cadre_xinhu)[0] == ["comment"]


# ---------------------------------------------------------------- actions through the forms


def _post(client, alert, name, **data):
    data.setdefault("version", alert.version)
    return client.post(f"/alerts/{alert.pk}/act/{name}/", data)


def test_take_on_then_defuse_through_the_forms(client, users, language_alert):
    alert, _event = language_alert()
    client.force_login(users.town_haiyou)
    resp = _post(client, alert, "take_on")
    assert resp.status_code == 302 and resp["Location"] == f"/alerts/{alert.pk}/"
    alert.refresh_from_db()
    assert alert.state == "handling" and alert.acknowledged_by == users.town_haiyou
    resp = _post(client, alert, "defuse", text="已上门调解,双方签订和解协议。")
    assert resp.status_code == 302
    alert.refresh_from_db()
    assert alert.state == "resolved" and alert.outcome == "已上门调解,双方签订和解协议。"
    html = _html(client.get(f"/alerts/{alert.pk}/"))
    assert 'data-state="resolved"' in html and "已上门调解,双方签订和解协议。" in html
    assert [e.action for e in alert.entries.all()] == ["raised", "take_on", "defuse"]


def test_dismiss_through_the_form(client, users, language_alert):
    alert, _event = language_alert()
    client.force_login(users.county_op)
    resp = _post(client, alert, "dismiss", text="系当事人口头禅,经核实无风险。")
    assert resp.status_code == 302
    alert.refresh_from_db()
    assert alert.state == "dismissed" and alert.closed_by == users.county_op
    assert RiskAlert.objects.restrict(users.county_op).filter(pk=alert.pk, state="dismissed").exists()


def test_missing_text_is_a_400_with_the_chinese_message(client, users, language_alert):
    alert, _event = language_alert()
    client.force_login(users.town_haiyou)
    resp = _post(client, alert, "defuse", text="   ")
    assert resp.status_code == 400
    html = _html(resp)
    assert "请填写处置反馈" in html
    assert re.search(r'<details class="action" open data-action="defuse">', html)
    alert.refresh_from_db()
    assert alert.state == "open" and alert.version == 0


def test_a_stale_version_is_a_409_and_keeps_what_was_typed(client, users, language_alert):
    alert, _event = language_alert()
    seen = alert.version
    from fengqiao.alerts.actions import act

    act(alert, "comment", by=users.county_op, text="请海游街道核实")  # someone else, a moment earlier
    client.force_login(users.town_haiyou)
    resp = _post(client, alert, "dismiss", version=seen, text="经核实无风险")
    assert resp.status_code == 409
    html = _html(resp)
    assert "预警已被他人更新" in html and "经核实无风险</textarea>" in html
    alert.refresh_from_db()
    assert alert.state == "open"


def test_an_action_the_state_no_longer_allows_is_a_409_not_a_500(client, users, language_alert):
    alert, _event = language_alert()
    client.force_login(users.town_haiyou)
    assert _post(client, alert, "take_on").status_code == 302
    alert.refresh_from_db()
    resp = _post(client, alert, "take_on")  # a second click after the page moved on
    assert resp.status_code == 409
    assert "不能签收处置" in _html(resp)
    client.force_login(users.leader)
    resp = _post(client, alert, "defuse", text="已化解")
    assert resp.status_code == 409 and "您的角色不能执行" in _html(resp)


def test_bad_input_is_a_4xx(client, users, language_alert):
    alert, _event = language_alert()
    client.force_login(users.town_haiyou)
    assert _post(client, alert, "launch").status_code == 404
    assert _post(client, alert, "take_on", version="²").status_code == 400
    assert client.get(f"/alerts/{alert.pk}/act/take_on/").status_code == 405
    assert _post(client, alert, "comment", text="字" * 2001).status_code == 400
    alert.refresh_from_db()
    assert alert.state == "open" and alert.version == 0


def test_english_pages_show_the_english_message(client, users, language_alert):
    alert, _event = language_alert()
    client.force_login(users.town_haiyou)
    resp = client.post(f"/alerts/{alert.pk}/act/defuse/", {"version": alert.version, "text": ""},
                       HTTP_ACCEPT_LANGUAGE="en")
    assert resp.status_code == 400 and "is required" in _html(resp)


# ---------------------------------------------------------------- navigation


def test_navigation_entry_with_the_open_count(client, users, language_alert):
    language_alert()
    language_alert()
    client.force_login(users.town_haiyou)
    html = _html(client.get("/"))
    assert 'id="nav-alerts"' in html and 'href="/alerts/"' in html
    assert re.search(r'id="nav-alerts-open"[^>]*>2<', html)
    client.force_login(users.town_jiantiao)
    html = _html(client.get("/"))
    assert 'id="nav-alerts"' in html and 'id="nav-alerts-open"' not in html
    for username in ("dept_police", "grid_xinhu1", "mediator"):
        client.force_login(getattr(users, username))
        assert 'id="nav-alerts"' not in _html(client.get("/matters/")), username
