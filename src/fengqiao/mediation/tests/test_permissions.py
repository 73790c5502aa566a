"""Four ways for each endpoint: anonymous 401, wrong role 403, outside the jurisdiction 404,
inside 200 — and bad input is a 4xx, never a 500."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db
B = "/api/v1/mediation"


@pytest.fixture
def case(med, new_dispute, users):
    from fengqiao.mediation import actions

    d = new_dispute()
    d = actions.act(d, "accept", by=users.town_haiyou)
    d = actions.act(d, "assign", by=users.town_haiyou, params={"mediators": [med.cai.pk]})
    d = actions.act(d, "start", by=users.mediator)
    d = actions.act(d, "record_session", by=users.mediator, params={"place": "调解室", "minutes": "记录"})
    d = actions.act(d, "succeed", by=users.mediator, params={"terms": "协议条款"})
    return d


def detail_urls(case, med):
    return [
        f"{B}/disputes/{case.pk}/",
        f"{B}/disputes/{case.pk}/match/",
        f"{B}/disputes/{case.pk}/agreement.pdf",
        f"{B}/match/?dispute={case.pk}",
        f"{B}/sessions/{case.sessions.first().pk}/",
    ]


def test_anonymous_is_401(api, case, med):
    client = api()
    for url in [*detail_urls(case, med), f"{B}/disputes/", f"{B}/stats/", f"{B}/tickets/", f"{B}/mediators/",
                f"{B}/organisations/", f"{B}/backlog/", f"{B}/hearings/", f"{B}/types/", f"{B}/sessions/"]:
        r = client.get(url)
        assert r.status_code == 401, url
        assert r.json()["error"] == "not_authenticated"
    assert client.post(f"{B}/disputes/{case.pk}/actions/", {"action": "comment", "text": "x"}).status_code == 401


def test_wrong_role_is_403(api, users, case, med):
    auditor = api(users.auditor)
    for url in [*detail_urls(case, med), f"{B}/disputes/", f"{B}/stats/", f"{B}/tickets/", f"{B}/mediators/",
                f"{B}/backlog/", f"{B}/hearings/"]:
        assert auditor.get(url).status_code == 403, url
    admin = api(users.admin)
    assert admin.get(f"{B}/disputes/{case.pk}/").status_code == 403  # no silent access to cases
    assert api(users.grid_xinhu1).get(f"{B}/tickets/").status_code == 403  # the front desk is the centre's
    assert api(users.grid_xinhu1).get(f"{B}/stats/").status_code == 403
    assert api(users.cadre_xinhu).post(f"{B}/mediators/", {"name": "x", "area": "331022001"}).status_code == 403
    assert api(users.dept_police).post(f"{B}/disputes/", {}, format="json").status_code == 403


def test_outside_jurisdiction_is_404(api, users, case, med):
    other = api(users.town_jiantiao)
    for url in detail_urls(case, med):
        r = other.get(url)
        assert r.status_code == 404, url
    r = other.post(f"{B}/disputes/{case.pk}/actions/", {"action": "comment", "text": "x"}, format="json")
    assert r.status_code == 404
    assert api(users.cadre_jianzhong).get(f"{B}/disputes/{case.pk}/").status_code == 404
    assert case.pk not in [d["id"] for d in other.get(f"{B}/disputes/").json()["results"]]
    assert other.get(f"{B}/tickets/screen/", {"centre": med.centre.pk}).status_code == 404


def test_inside_jurisdiction_is_200(api, users, case, med):
    for user in (users.town_haiyou, users.county_op, users.mediator):
        client = api(user)
        for url in detail_urls(case, med):
            r = client.get(url)
            assert r.status_code == 200, (user.username, url, r.content[:200])
    assert api(users.leader).get(f"{B}/disputes/{case.pk}/").status_code == 200
    assert api(users.cadre_xinhu).get(f"{B}/disputes/{case.pk}/").status_code == 200
    for url in [f"{B}/disputes/", f"{B}/stats/", f"{B}/tickets/", f"{B}/mediators/", f"{B}/organisations/",
                f"{B}/backlog/", f"{B}/hearings/", f"{B}/types/", f"{B}/sessions/?today=1", f"{B}/templates/"]:
        assert api(users.town_haiyou).get(url).status_code == 200, url


def test_unmask_is_audited_and_role_bound(api, users, case):
    from fengqiao.core.models import AuditRecord

    n = AuditRecord.objects.filter(action="view_personal").count()
    r = api(users.town_haiyou).get(f"{B}/disputes/{case.pk}/", {"unmask": 1}).json()
    assert r["parties"][0]["name"] == "张三丰" and r["parties"][0]["phone"] == "13812345678"
    assert AuditRecord.objects.filter(action="view_personal").count() == n + 1
    r = api(users.leader).get(f"{B}/disputes/{case.pk}/", {"unmask": 1}).json()
    assert r["parties"][0]["name"] == "张**"
    assert AuditRecord.objects.filter(action="view_personal").count() == n + 1


BAD_ACTIONS = [
    {"action": "fly"}, {}, {"action": ["accept"]}, {"action": "comment"}, {"action": "comment", "text": 5},
    {"action": "assign", "mediators": "abc"}, {"action": "assign", "mediators": [999999]},
    {"action": "assign", "mediators": list(range(1, 9))}, {"action": "schedule_session", "held_at": "tomorrow"},
    {"action": "comment", "text": "x", "version": "abc"}, {"action": "follow_up", "honoured": "maybe"},
    {"action": "succeed", "terms": "x", "amount_recovered": "NaN"}, {"action": "accept", "organisation": "x"},
]


@pytest.mark.parametrize("payload", BAD_ACTIONS)
def test_bad_action_input_is_4xx(api, users, med, new_dispute, payload):
    d = new_dispute()
    r = api(users.town_haiyou).post(f"{B}/disputes/{d.pk}/actions/", payload, format="json")
    assert 400 <= r.status_code < 500, (payload, r.status_code, r.content[:300])
    assert "error" in r.json() and "detail_en" in r.json()


BAD_CREATES = [
    {}, {"type": "nope"}, {"type": "neighbours", "title": "x", "facts": "y", "area": "331022001", "parties": []},
    {"type": "neighbours", "title": "x", "facts": "y", "area": "999", "parties": [{"name": "甲"}]},
    {"type": "neighbours", "title": "x", "facts": "y", "area": "331022105", "parties": [{"name": "甲"}]},
    {"type": "neighbours", "title": "x", "facts": "y", "area": "331022001", "parties": [{"name": "甲", "id_number": "123"}]},
    {"type": "neighbours", "title": "x", "facts": "y", "area": "331022001", "parties": [{"name": "甲", "phone": "12"}]},
    {"type": "neighbours", "title": "x", "facts": "y", "area": "331022001", "parties": [{"side": "respondent", "name": "乙"}]},
    {"type": "neighbours", "title": "x", "facts": "y", "area": "331022001", "parties": [{"name": "甲"}], "ticket": 99999},
    {"type": "neighbours", "title": "x", "facts": "y", "area": "331022001", "parties": [{"name": "甲"}],
     "amount_in_dispute": "-5"},
    {"type": "neighbours", "title": "x", "facts": "y", "area": "331022001", "parties": "甲"},
]


@pytest.mark.parametrize("payload", BAD_CREATES)
def test_bad_create_is_4xx(api, users, med, payload):
    r = api(users.town_haiyou).post(f"{B}/disputes/", payload, format="json")
    assert 400 <= r.status_code < 500, (payload, r.status_code, r.content[:300])


def test_other_bad_inputs(api, users, med):
    c = api(users.town_haiyou)
    for url, params in [(f"{B}/stats/", {"from": "2026-13-01"}), (f"{B}/stats/", {"from": "2026-05-01", "to": "2026-01-01"}),
                        (f"{B}/stats/", {"type": "nope"}), (f"{B}/stats/", {"organisation": "x"}),
                        (f"{B}/tickets/screen/", {"centre": "x"}), (f"{B}/tickets/screen/", {}),
                        (f"{B}/match/", {"dispute": "x"}), (f"{B}/disputes/", {"state": "nope"})]:
        r = c.get(url, params)
        assert 400 <= r.status_code < 500, (url, params, r.status_code)
    for url, body in [(f"{B}/tickets/", {"centre": med.studio.pk}), (f"{B}/tickets/", {"centre": "x"}),
                      (f"{B}/tickets/call-next/", {"centre": med.centre.pk, "window": "9"}),
                      (f"{B}/hearings/", {"place": "x"}), (f"{B}/mediators/", {"name": "x", "area": "331022001",
                                                                                "expertise": ["nope"]}),
                      (f"{B}/templates/", {"name": "t", "body": "{{nope}}"})]:
        r = c.post(url, body, format="json")
        assert 400 <= r.status_code < 500, (url, body, r.status_code, r.content[:200])
    assert c.get(f"{B}/disputes/abc/").status_code == 404
