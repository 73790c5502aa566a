"""The mediation pages' answers to bad input a black-box probe found answered with a 500: a NUL
or an unknown state in the list's filters, dates beyond any calendar and NUL in the statistics'
filters, and a mediator id beyond any database key."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def test_mediation_list_says_what_it_cannot_read(client, users):
    client.force_login(users.county_op)
    for params, said in (({"q": "排水\x00"}, "Invalid characters."), ({"state": "zzz"}, "Unknown dispute state: zzz"),
                         ({"state": "registered\x00"}, "Invalid characters.")):
        resp = client.get("/mediation/", params, **EN)
        assert resp.status_code == 200, params
        assert said in resp.content.decode() and not resp.context["page"].object_list, params
    assert client.get("/mediation/", {"state": "registered", "q": "排水 & 沟"}).status_code == 200


@pytest.mark.parametrize("params", [{"to": "0001-01-01"}, {"to": "9999-12-31"}, {"from": "0001-01-01"},
                                    {"area": "\x00"}, {"type": "x\x00"}])
def test_mediation_statistics_refuse_what_is_no_period_or_filter(client, api, users, params):
    client.force_login(users.county_op)
    resp = client.get("/mediation/stats/", params, **EN)
    assert resp.status_code == 200  # the page shows the default period and says why
    assert any(m.level_tag == "error" for m in resp.context["messages"])
    resp = api(users.county_op).get("/api/v1/mediation/stats/", params)
    assert resp.status_code == 400, resp.content


def test_assigning_a_mediator_id_beyond_any_key_is_a_400(client, users, med, new_dispute):
    from fengqiao.mediation import actions

    d = new_dispute()
    actions.act(d, "accept", by=users.town_haiyou)
    d.refresh_from_db()
    client.force_login(users.town_haiyou)
    for bad in ("99999999999999999999", "0", "-3"):
        resp = client.post(f"/mediation/disputes/{d.pk}/act/", {"action": "assign", "version": d.version,
                                                               "mediators": bad})
        assert resp.status_code == 400, (bad, resp.status_code)
    d.refresh_from_db()
    assert d.state == "accepted"


def test_the_queue_refuses_what_it_cannot_read(client, users, med):
    from fengqiao.mediation.models import Ticket

    client.force_login(users.town_haiyou)
    url = "/mediation/queue/"
    for fields, said in (({"op": "take", "centre": "99999"}, "unknown mediation centre"),
                         ({"op": "take", "centre": str(med.centre.pk), "topic": "长" * 201}, "at most 200"),
                         ({"op": "dance", "centre": str(med.centre.pk)}, "unknown operation")):
        resp = client.post(url, fields, follow=True, **EN)
        assert said in resp.content.decode(), fields
    assert not Ticket.objects.exists()  # no ticket at a centre nobody chose, no topic cut short
    resp = client.post(url, {"op": "take", "centre": str(med.centre.pk), "topic": "邻里纠纷"}, follow=True)
    assert Ticket.objects.get().topic == "邻里纠纷"
