"""The alerts API as the demo users: each endpoint four ways (anonymous, wrong role, outside the
jurisdiction, inside), filters, matters the caller may not see, the actions through the
transition table (400 missing text, 409 stale version, 409 a step the table forbids), and the
OpenAPI schema of the three endpoints.

Alerts are raised through the scan's own ``raise_or_grow``, matters through ``create_event``."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from fengqiao.alerts.actions import Signal, raise_or_grow
from fengqiao.alerts.models import RiskAlert
from fengqiao.areas.models import Area
from fengqiao.core.tests.api_checks import assert_error, row_ids
from fengqiao.events.actions import create_event

pytestmark = pytest.mark.django_db

URL = "/api/v1/alerts/"
HAIYOU, XINHU = "331022001", "331022001001"
JIANTIAO, JIANZHONG = "331022105", "331022105001"
_seq = itertools.count(1)


def new_matter(area_code: str, *, title: str = "宅基地纠纷激化", content: str = "两户村民因宅基地围墙争吵,一方扬言同归于尽。"):
    from fengqiao.accounts.models import User

    event, _created = create_event(by=User.objects.get(username="county_op"), channel="hotline_12345", title=title,
                                   content=content, area=Area.objects.get(code=area_code), notify_centre=False)
    return event


def new_alert(area_code: str = XINHU, *, events=(), kind: str = "language", level: str = "orange", evidence=None,
          now=None) -> RiskAlert:
    n = next(_seq)
    raised, what = raise_or_grow(Signal(
        kind=kind, signature=f"test:{kind}:{n}", level=level, title=f"测试预警{n}", summary="测试用的预警。",
        area=Area.objects.get(code=area_code), evidence=evidence if evidence is not None else {"n": n},
        event_ids=[e.pk for e in events]), now=now)
    assert what == "raised"
    return raised


def act(client, alert_id: int, name: str, **body):
    return client.post(f"{URL}{alert_id}/actions/{name}/", body, format="json")


def ids(response) -> set[int]:
    return set(row_ids(response))


# ---------------------------------------------------------------- four ways


@pytest.mark.parametrize("username,expected", [
    (None, 401), ("auditor", 403), ("admin", 403), ("dept_police", 403), ("grid_xinhu1", 403), ("mediator", 403),
    ("town_jiantiao", 200), ("cadre_jianzhong", 200),
    ("county_op", 200), ("leader", 200), ("town_haiyou", 200), ("cadre_xinhu", 200),
])
def test_list_four_ways(username, expected, api, users):
    a = new_alert(XINHU)
    r = api(getattr(users, username) if username else None).get(URL)
    assert r.status_code == expected, r.content
    if expected != 200:
        assert r.json()["error"] in {"not_authenticated", "permission_denied"}
        return
    inside = username in {"county_op", "leader", "town_haiyou", "cadre_xinhu"}
    assert (a.pk in ids(r)) is inside  # outside the jurisdiction: simply not there


@pytest.mark.parametrize("username,expected", [
    (None, 401), ("auditor", 403), ("dept_police", 403), ("grid_xinhu1", 403),
    ("town_jiantiao", 404), ("cadre_jianzhong", 404),
    ("county_op", 200), ("leader", 200), ("town_haiyou", 200), ("cadre_xinhu", 200),
])
def test_retrieve_four_ways(username, expected, api, users):
    a = new_alert(XINHU)
    r = api(getattr(users, username) if username else None).get(f"{URL}{a.pk}/")
    assert r.status_code == expected, r.content
    if expected != 200:
        assert r.json()["error"] in {"not_authenticated", "permission_denied", "not_found"}


@pytest.mark.parametrize("username,expected", [
    (None, 401), ("auditor", 403), ("dept_police", 403), ("town_jiantiao", 404), ("town_haiyou", 200),
])
def test_actions_four_ways(username, expected, api, users):
    a = new_alert(XINHU)
    r = act(api(getattr(users, username) if username else None), a.pk, "take_on", version=a.version)
    assert r.status_code == expected, r.content
    a.refresh_from_db()
    assert a.state == ("handling" if expected == 200 else "open")


def test_unknown_alert_is_404_in_the_error_shape(api, users):
    client = api(users.county_op)
    assert_error(client.get(f"{URL}999999999/"), 404, "not_found")
    assert_error(act(client, 999999999, "take_on"), 404, "not_found")
    assert client.get(f"{URL}abc/").status_code == 404


# ---------------------------------------------------------------- detail


def test_detail_has_evidence_area_matters_timeline_and_actions(api, users):
    ev = new_matter(XINHU)
    a = new_alert(XINHU, events=[ev], level="red", evidence={"event": ev.pk, "terms": [
        {"phrase": "同归于尽", "level": "red", "start": 20, "end": 24, "snippet": "一方扬言同归于尽。"}]})
    body = api(users.county_op).get(f"{URL}{a.pk}/").json()
    assert body["number"] == a.number and body["number"].startswith("YJ")
    assert (body["kind"], body["level"], body["state"]) == ("language", "red", "open")
    assert body["kind_label"] and body["level_label"] and body["state_label"]
    assert body["area"] == XINHU and body["area_name"] == Area.objects.get(code=XINHU).name
    assert body["evidence"]["event"] == ev.pk and body["evidence"]["terms"][0]["snippet"]
    assert body["matters"] == [{"id": ev.pk, "number": ev.number}] and body["hidden_matters"] == 0
    assert body["matter_count"] == 1 and body["version"] == a.version
    assert [(e["action"], e["to_state"], e["actor_name"]) for e in body["entries"]] == [("raised", "open", "系统")]
    assert body["actions"] == ["take_on", "defuse", "dismiss", "supervise", "comment"]
    assert api(users.leader).get(f"{URL}{a.pk}/").json()["actions"] == ["supervise", "comment"]
    assert api(users.cadre_xinhu).get(f"{URL}{a.pk}/").json()["actions"] == ["comment"]


def test_matters_the_caller_cannot_see_are_only_counted(api, users):
    """A village cadre reads an alert of the village whose evidence also holds a matter of
    another town: that matter's id, number and quoted text stay hidden; the county sees all."""
    mine, other = new_matter(XINHU), new_matter(JIANZHONG, title="工人讨薪情绪激动", content="工地工人讨薪,扬言要跳楼。")
    a = new_alert(XINHU, events=[mine, other], evidence={"event": other.pk, "terms": [
        {"phrase": "跳楼", "level": "orange", "start": 10, "end": 12, "snippet": "扬言要跳楼。"}]})
    body = api(users.cadre_xinhu).get(f"{URL}{a.pk}/").json()
    assert body["matters"] == [{"id": mine.pk, "number": mine.number}]
    assert body["hidden_matters"] == 1
    assert body["evidence"] == {"terms": [{"phrase": "跳楼", "level": "orange", "start": 10, "end": 12}]}
    raised = body["entries"][0]["data"]
    assert "event" not in raised["evidence"] and "snippet" not in raised["evidence"]["terms"][0]
    text = str(body)
    assert other.number not in text and "扬言要跳楼" not in text

    full = api(users.county_op).get(f"{URL}{a.pk}/").json()
    assert {m["id"] for m in full["matters"]} == {mine.pk, other.pk} and full["hidden_matters"] == 0
    assert full["evidence"]["event"] == other.pk and full["evidence"]["terms"][0]["snippet"] == "扬言要跳楼。"


# ---------------------------------------------------------------- filters and ordering


def test_list_filters(api, users):
    now = timezone.now()
    xinhu = new_alert(XINHU, kind="language", level="red", now=now - dt.timedelta(days=3))
    haiyou = new_alert(HAIYOU, kind="spike", level="yellow", now=now - dt.timedelta(days=1))
    jiantiao = new_alert(JIANTIAO, kind="repeat_reporter", level="orange", now=now)
    mine = {xinhu.pk, haiyou.pk, jiantiao.pk}
    client = api(users.county_op)
    assert act(client, haiyou.pk, "take_on").status_code == 200

    def found(query: str) -> set[int]:
        return ids(client.get(f"{URL}?{query}")) & mine

    assert found("") == mine
    assert found("state=open") == {xinhu.pk, jiantiao.pk}
    assert found("state=handling") == {haiyou.pk}
    assert found("state=open&state=handling") == mine
    assert found("level=red") == {xinhu.pk}
    assert found("level=red&level=orange") == {xinhu.pk, jiantiao.pk}
    assert found("kind=spike") == {haiyou.pk}
    assert found(f"area={HAIYOU}") == {xinhu.pk, haiyou.pk}  # the town's whole subtree
    assert found(f"area={XINHU}") == {xinhu.pk}
    assert found(f"area={JIANTIAO}") == {jiantiao.pk}
    assert found("area=000000") == set()
    after = (now - dt.timedelta(days=2)).isoformat()
    before = (now - dt.timedelta(hours=12)).isoformat()
    assert found(f"raised_after={after.replace('+', '%2B')}") == {haiyou.pk, jiantiao.pk}
    assert found(f"raised_before={before.replace('+', '%2B')}") == {xinhu.pk, haiyou.pk}
    assert found(f"raised_after={after.replace('+', '%2B')}&raised_before={before.replace('+', '%2B')}") == {haiyou.pk}
    day = timezone.localdate(now) + dt.timedelta(days=1)
    assert found(f"raised_before={day.isoformat()}") == mine
    assert found("supervised=false") == mine

    rows = [a["id"] for a in client.get(f"{URL}?ordering=-severity&page_size=500").json()["results"] if a["id"] in mine]
    assert rows == [xinhu.pk, jiantiao.pk, haiyou.pk]
    rows = [a["id"] for a in client.get(f"{URL}?page_size=500").json()["results"] if a["id"] in mine]
    assert rows == [jiantiao.pk, haiyou.pk, xinhu.pk]  # newest first

    # A town sees only its own, whatever the filter asks for.
    assert ids(api(users.town_jiantiao).get(f"{URL}?area={HAIYOU}")) & mine == set()


@pytest.mark.parametrize("query", ["state=closed", "level=purple", "kind=weather", "raised_after=yesterday",
                                   "supervised=maybe", "page_size=0"])
def test_bad_filters_are_a_400(query, api, users):
    r = api(users.county_op).get(f"{URL}?{query}")
    assert r.status_code == 400, r.content
    assert r.json()["error"] in {"invalid", "bad_page_size"} and r.json()["detail_en"]


def test_list_is_paginated(api, users):
    for _ in range(3):
        new_alert(XINHU)
    body = api(users.county_op).get(f"{URL}?page_size=2").json()
    assert body["count"] >= 3 and len(body["results"]) == 2 and body["next"]
    row = body["results"][0]
    assert {"id", "number", "kind", "level", "state", "title", "area", "area_name", "raised_at", "version",
            "url"} <= set(row)
    assert "evidence" not in row and "entries" not in row


# ---------------------------------------------------------------- actions


def test_actions_close_the_loop(api, users):
    a = new_alert(XINHU)
    town, leader, cadre = api(users.town_haiyou), api(users.leader), api(users.cadre_xinhu)
    r = act(town, a.pk, "take_on", version=0)
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["state"] == "handling" and body["version"] == 1 and body["acknowledged_by"] == "town_haiyou"
    assert body["actions"] == ["defuse", "dismiss", "supervise", "comment"]

    body = act(leader, a.pk, "supervise", text="请三日内化解并反馈", version=1).json()
    assert body["supervised"] is True and body["state"] == "handling" and body["version"] == 2
    body = act(cadre, a.pk, "comment", text="已上门了解情况").json()
    assert body["version"] == 3

    r = act(town, a.pk, "defuse", text="已组织双方调解,签订协议", version="3")  # a version as text is read too
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["state"] == "resolved" and body["outcome"] == "已组织双方调解,签订协议"
    assert body["closed_by"] == "town_haiyou" and body["closed_at"]
    assert body["actions"] == ["comment"]
    assert [(e["action"], e["from_state"], e["to_state"]) for e in body["entries"]] == [
        ("raised", "", "open"), ("take_on", "open", "handling"), ("supervise", "handling", "handling"),
        ("comment", "handling", "handling"), ("defuse", "handling", "resolved")]
    assert [e["actor"] for e in body["entries"]] == [None, "town_haiyou", "leader", "cadre_xinhu", "town_haiyou"]
    a.refresh_from_db()
    assert (a.state, a.version) == ("resolved", 4)


def test_dismiss_straight_from_open(api, users):
    a = new_alert(XINHU)
    r = act(api(users.county_op), a.pk, "dismiss", text="误报:系电视剧台词", version=a.version)
    assert r.status_code == 200, r.content
    assert (r.json()["state"], r.json()["outcome"]) == ("dismissed", "误报:系电视剧台词")


@pytest.mark.parametrize("name", ["defuse", "dismiss", "supervise", "comment"])
def test_missing_text_is_a_bilingual_400(name, api, users):
    a = new_alert(XINHU)
    client = api(users.county_op)
    for body in ({}, {"text": ""}, {"text": "   "}, {"text": None}):
        r = act(client, a.pk, name, **body, version=a.version)
        err = assert_error(r, 400, "text_required")
        assert err["field"] == "text"
        assert err["detail"] == err["detail_zh"] and err["detail_zh"].startswith("请填写")
        assert err["detail_en"].endswith("is required")
    english = client.post(f"{URL}{a.pk}/actions/{name}/", {}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["detail"] == english.json()["detail_en"]
    a.refresh_from_db()
    assert (a.state, a.version) == ("open", 0)


@pytest.mark.parametrize("body,code", [
    ({"text": 5}, "invalid"), ({"text": ["a"]}, "invalid"), ({"text": "x" * 2001}, "text_too_long"),
    ({"version": "abc"}, "bad_version"), ({"version": 1.5}, "bad_version"), ({"version": True}, "bad_version"),
    ({"txt": "拼错的键"}, "unknown_field"), ({"state": "closed"}, "unknown_field"),
])
def test_bad_bodies_are_a_400(body, code, api, users):
    a = new_alert(XINHU)
    assert_error(act(api(users.county_op), a.pk, "comment", **{"text": "备注", **body}), 400, code)
    a.refresh_from_db()
    assert a.version == 0


def test_a_body_that_is_not_an_object_is_a_400(api, users):
    a = new_alert(XINHU)
    r = api(users.county_op).post(f"{URL}{a.pk}/actions/comment/", ["备注"], format="json")
    assert_error(r, 400, "invalid")


def test_unknown_action_is_a_400(api, users):
    a = new_alert(XINHU)
    client = api(users.county_op)
    for name in ("close", "TAKE_ON", "reopen"):
        err = assert_error(act(client, a.pk, name, text="x"), 400, "unknown_action")
        assert err["field"] == "action"
    # outside the jurisdiction the alert does not exist, whatever the action
    assert_error(act(api(users.town_jiantiao), a.pk, "close"), 404, "not_found")


def test_stale_version_is_a_409(api, users):
    a = new_alert(XINHU)
    first, second = api(users.town_haiyou), api(users.county_op)
    assert act(first, a.pk, "take_on", version=0).status_code == 200
    assert_error(act(second, a.pk, "dismiss", text="误报", version=0), 409, "stale_version")
    a.refresh_from_db()
    assert (a.state, a.version, a.outcome) == ("handling", 1, "")
    # Without a version the caller takes the alert as it is now.
    assert act(second, a.pk, "comment", text="已知悉").status_code == 200


def test_a_step_the_table_forbids_is_a_409(api, users):
    a = new_alert(XINHU)
    town = api(users.town_haiyou)
    # a role the table does not allow for the step (it may read the alert and comment)
    assert_error(act(api(users.cadre_xinhu), a.pk, "take_on", version=0), 409, "role_not_allowed")
    assert_error(act(api(users.leader), a.pk, "defuse", text="已化解", version=0), 409, "role_not_allowed")
    assert act(town, a.pk, "take_on", version=0).status_code == 200
    # a state the step does not start from
    assert_error(act(town, a.pk, "take_on", version=1), 409, "transition_not_allowed")
    assert act(town, a.pk, "defuse", text="已化解", version=1).status_code == 200
    for name in ("take_on", "defuse", "dismiss", "supervise"):
        assert_error(act(town, a.pk, name, text="再来一次", version=2), 409, "transition_not_allowed")
    a.refresh_from_db()
    assert (a.state, a.version) == ("resolved", 2)


def test_a_county_alert_is_the_county_centres(api, users):
    """An alert of the whole county: a town's operator does not see it (404), a county
    operator acts on it."""
    a = new_alert("331022")
    assert api(users.town_haiyou).get(f"{URL}{a.pk}/").status_code == 404
    assert act(api(users.town_haiyou), a.pk, "take_on").status_code == 404
    assert act(api(users.county_op), a.pk, "take_on").status_code == 200


def test_get_on_an_action_is_not_allowed(api, users):
    a = new_alert(XINHU)
    assert_error(api(users.county_op).get(f"{URL}{a.pk}/actions/take_on/"), 405, "method_not_allowed")


# ---------------------------------------------------------------- schema


@pytest.fixture(scope="module")
def schema():
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def test_schema_documents_the_three_endpoints(schema):
    paths, components = schema["paths"], schema["components"]["schemas"]
    listing = paths["/api/v1/alerts/"]["get"]
    params = {p["name"]: p for p in listing["parameters"]}
    assert {"state", "level", "kind", "area", "raised_after", "raised_before", "ordering", "page",
            "page_size"} <= set(params)
    assert set(params["state"]["schema"]["items"]["enum"]) == {"open", "handling", "resolved", "dismissed"}
    assert listing["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("PaginatedAlertListList")
    detail = paths["/api/v1/alerts/{id}/"]["get"]
    assert detail["responses"]["200"]["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/Alert"
    post = paths["/api/v1/alerts/{id}/actions/{name}/"]["post"]
    name = [p for p in post["parameters"] if p["name"] == "name"][0]
    assert set(name["schema"]["enum"]) == {"take_on", "defuse", "dismiss", "supervise", "comment"}
    request = post["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(components[request]["properties"]) == {"text", "version"}
    assert post["responses"]["200"]["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/Alert"
    alert_props = components["Alert"]["properties"]
    assert {"evidence", "matters", "hidden_matters", "entries", "actions", "area", "area_name"} <= set(alert_props)
    assert alert_props["closed_at"]["nullable"] and alert_props["acknowledged_by"]["nullable"]
    for enum in ("AlertStateEnum", "AlertLevelEnum", "AlertKindEnum", "AlertActionEnum"):
        assert enum in components


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_alert_answers_match_the_schema(live_server, demo_county, users):
    """schemathesis on the three endpoints with alerts present (the suite-wide run has none, so
    it only ever saw empty lists and 404s): no 5xx, and every answer as the schema says."""
    from fengqiao.core.tests.test_schemathesis import _schemathesis

    ev, elsewhere = new_matter(XINHU), new_matter(JIANZHONG)
    for _ in range(3):
        new_alert(XINHU, events=[ev, elsewhere], evidence={"event": elsewhere.pk, "terms": [
            {"phrase": "跳楼", "level": "orange", "start": 0, "end": 2, "snippet": "跳楼"}]})
    new_alert("331022", kind="spike", level="red")
    proc = _schemathesis(live_server, users, "--phases", "examples,fuzzing", "--include-path-regex", "^/api/v1/alerts/",
                         checks="not_a_server_error,status_code_conformance,response_schema_conformance,"
                                "content_type_conformance")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "3 selected" in proc.stdout, proc.stdout[-2000:]


def test_api_index_lists_alerts(api, users):
    index = api(users.county_op).get("/api/v1/").json()
    assert index["alerts"].endswith("/api/v1/alerts/")
