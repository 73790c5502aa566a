"""The walk-in queue and the console pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fengqiao.mediation import actions

pytestmark = pytest.mark.django_db


def test_numbers_restart_each_day_and_windows_never_share(users, med):
    day1 = timezone.now().replace(hour=9)
    t1 = actions.take_ticket(centre=med.centre, by=users.town_haiyou, at=day1)
    t2 = actions.take_ticket(centre=med.centre, by=users.town_haiyou, at=day1)
    t3 = actions.take_ticket(centre=med.centre, by=users.town_haiyou, at=day1 + dt.timedelta(days=1))
    assert (t1.label, t2.label, t3.label) == ("A001", "A002", "A001")
    a = actions.call_next(centre=med.centre, window="1", by=users.town_haiyou, at=day1)
    b = actions.call_next(centre=med.centre, window="2", by=users.town_haiyou, at=day1)
    assert (a.label, b.label) == ("A001", "A002")
    assert actions.call_next(centre=med.centre, window="1", by=users.town_haiyou, at=day1) is None
    actions.finish_ticket(a, by=users.town_haiyou)
    from fengqiao.core.errors import Conflict

    with pytest.raises(Conflict):
        actions.finish_ticket(a, by=users.town_haiyou)


def test_console_pages(client, users, med, new_dispute):
    d = new_dispute()
    client.force_login(users.town_haiyou)
    for url in ["/mediation/", "/mediation/queue/", f"/mediation/screen/{med.centre.pk}/", "/mediation/register/",
                f"/mediation/disputes/{d.pk}/", "/mediation/stats/", "/mediation/backlog/", "/mediation/my/"]:
        r = client.get(url)
        assert r.status_code == 200, url
    page = client.get(f"/mediation/disputes/{d.pk}/").content.decode()
    assert "张**" in page and "张三丰" not in page
    assert 'name="action" value="accept"' in page
    # The screen refreshes itself: htmx polling, no inline script.
    screen = client.get(f"/mediation/screen/{med.centre.pk}/").content.decode()
    assert 'hx-trigger="every 5s"' in screen and "vendor/htmx.min.js" in screen
    assert "<script>" not in screen
    partial = client.get(f"/mediation/screen/{med.centre.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial
    stats = client.get("/mediation/stats/").content.decode()
    assert 'id="mediation-chart-data"' in stats and "mediation/stats.js" in stats
    # Queue desk: take and call.
    r = client.post("/mediation/queue/", {"centre": med.centre.pk, "op": "take", "visitor_name": "王五"})
    assert r.status_code == 302
    r = client.post("/mediation/queue/", {"centre": med.centre.pk, "op": "call", "window": "1"})
    assert r.status_code == 302
    # Register from the console, act from the console; a refused action is a message, not a 500.
    r = client.post("/mediation/register/", {"type": "neighbours", "area": "331022001001", "title": "邻里纠纷",
                                             "facts": "事实", "applicant_name": "赵六", "applicant_phone": "13700001111"})
    assert r.status_code == 302
    r = client.post(f"/mediation/disputes/{d.pk}/act/", {"action": "accept", "version": d.version}, follow=True)
    assert r.status_code == 200
    d.refresh_from_db()
    assert d.state == "accepted"
    # A refused action shows the page again (4xx) with the message; see test_console_fixes.py.
    r = client.post(f"/mediation/disputes/{d.pk}/act/", {"action": "accept"}, follow=True)
    assert r.status_code == 409 and ("不能受理".encode() in r.content or b"not allowed" in r.content)
    r = client.post(f"/mediation/disputes/{d.pk}/act/", {"action": "assign", "mediators": ["abc"]}, follow=True)
    assert r.status_code == 400
    # Outside the jurisdiction: 404; wrong role: 403.
    client.force_login(users.town_jiantiao)
    assert client.get(f"/mediation/disputes/{d.pk}/").status_code == 404
    client.force_login(users.auditor)
    assert client.get("/mediation/").status_code == 403


def test_mediator_pages(client, users, med, new_dispute):
    d = new_dispute()
    actions.act(d, "accept", by=users.town_haiyou)
    actions.act(d, "assign", by=users.town_haiyou, params={"mediators": [med.cai.pk]})
    actions.act(d, "schedule_session", by=users.mediator, params={"held_at": timezone.now().isoformat(),
                                                                  "place": "老蔡调解工作室"})
    client.force_login(users.mediator)
    page = client.get("/mediation/my/").content.decode()
    assert d.number in page and "老蔡调解工作室" in page


@pytest.mark.parametrize("username, offered", [("town_haiyou", True), ("county_op", True), ("town_jiantiao", False),
                                               ("town_hairun", False)])
def test_the_walk_in_desk_is_offered_only_where_a_centres_queue_is_in_reach(client, users, med, username, offered):
    """健跳 and 海润 have no centre of their own and do not serve the county's: the menu does not
    lead them to a page that would be a 404."""
    client.force_login(getattr(users, username))
    page = client.get("/mediation/").content.decode()
    assert ('href="/mediation/queue/"' in page) is offered
    assert client.get("/mediation/queue/").status_code == (200 if offered else 404)
