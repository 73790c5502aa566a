"""Why a matter waits for a person: stored with the flag, listed in the needs-a-person queue and
named on the triage panel, and kept true as people decide."""

from __future__ import annotations

import re

import pytest
from django.apps import apps

from fengqiao.areas.models import Area
from fengqiao.events.actions import create_event, perform
from fengqiao.events.models import Category
from fengqiao.triage import service
from fengqiao.triage.actions import label_event
from fengqiao.triage.models import TriageResult

pytestmark = pytest.mark.django_db

HAIYOU, XINHU = "331022001", "331022001001"


@pytest.fixture(autouse=True)
def _fresh_triage_caches():
    service.reset()
    yield
    service.reset()


def _matter(by, content, address="", **kw):
    event, _ = create_event(by=by, channel="hotline_12345", title="", content=content, address=address,
                            reporter_name="林美华", reporter_phone="13912341234", **kw)
    return event


@pytest.mark.parametrize(("kw", "reasons"), [
    ({"categories": [], "top": None, "conflict": False, "unit": "x"}, ["no_category"]),
    ({"categories": [{"code": "a"}], "top": 0.2, "conflict": False, "unit": "x"}, ["unsure"]),
    ({"categories": [{"code": "a"}], "top": 0.9, "conflict": True, "unit": None}, ["place_conflict", "no_route"]),
    ({"categories": [{"code": "a"}], "top": 0.9, "conflict": False, "unit": "x"}, []),
    ({"categories": [], "top": None, "conflict": False, "unit": "x", "decided": True}, []),  # chosen at intake
])
def test_reasons_follow_the_rule_of_the_queue(kw, reasons):
    categories, top = kw.pop("categories"), kw.pop("top")
    assert service.person_reasons(categories, top, **kw) == reasons


def test_a_vague_matter_says_why_in_the_queue_and_on_its_page_until_a_person_decides(client, users):
    vague = _matter(users.county_op, "想问一下有关情况，谢谢。", address="海游街道")
    result = TriageResult.objects.get(event=vague)
    assert result.needs_person and result.person_reasons == ["no_category", "no_route"]
    client.force_login(users.county_op)
    listing = client.get("/matters/", {"queue": "needs_person"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<th>Why a person</th>" in listing
    row = re.search(rf'<tr class="sla-[a-z]*">(?:(?!</tr>).)*?/matters/{vague.pk}/(?:(?!</tr>).)*</tr>', listing, re.S)
    assert row and "no category recognised, no handling unit found" in row.group(0)  # English punctuation
    # the other lists keep their columns
    assert "Why a person" not in client.get("/matters/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    page = client.get(f"/matters/{vague.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert re.search(r'id="person-reasons">未识别出分类、未找到承办单位<', page)
    # an operator chooses the category: routed now, nothing left to say
    label_event(vague, Category.objects.get(code="street_vending.stall"), by=users.county_op)
    result.refresh_from_db()
    assert not result.needs_person and result.person_reasons == []
    assert 'id="person-reasons"' not in client.get(f"/matters/{vague.pk}/").content.decode()


def test_an_api_client_reads_the_reasons(api, users):
    vague = _matter(users.county_op, "想问一下有关情况，谢谢。", address="海游街道")
    data = api(users.county_op).get(f"/api/v1/triage/events/{vague.pk}/").json()
    assert data["needs_person"] is True and data["person_reasons"] == ["no_category", "no_route"]
    # once merged it waits for nobody, as the queue and the page say
    other = _matter(users.county_op, "心湖社区菜场门口流动摊贩占道摆摊，影响通行", address="海游街道心湖社区")
    perform(vague, "merge", by=users.county_op, into=other)
    data = api(users.county_op).get(f"/api/v1/triage/events/{vague.pk}/").json()
    assert data["needs_person"] is False and data["person_reasons"] == []


def test_a_role_without_the_queue_gets_no_reasons_column(client, users):
    client.force_login(users.grid_xinhu1)
    listing = client.get("/matters/", {"queue": "needs_person"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Why a person" not in listing


def test_results_stored_before_the_reasons_get_them_from_what_they_hold(users):
    migration = __import__("fengqiao.triage.migrations.0009_person_reasons", fromlist=["backfill"])
    vague = _matter(users.county_op, "想问一下有关情况，谢谢。", address="海游街道")
    clear = _matter(users.county_op, "心湖社区菜场门口流动摊贩占道摆摊，影响通行", address="海游街道心湖社区")
    failed = _matter(users.county_op, "心湖社区门口有人摆摊", address="海游街道心湖社区")
    TriageResult.objects.update(person_reasons=[])
    TriageResult.objects.filter(event=failed).update(error="triage failed", needs_person=True)
    TriageResult.objects.filter(event=clear).update(place_conflict=True, needs_person=True,
                                                    route_area=Area.objects.get(code=XINHU))
    migration.backfill(apps, None)
    got = dict(TriageResult.objects.values_list("event_id", "person_reasons"))
    assert got[vague.pk] == ["no_category", "no_route"]
    assert got[failed.pk] == ["triage_failed"]
    assert got[clear.pk] == ["place_conflict"]
