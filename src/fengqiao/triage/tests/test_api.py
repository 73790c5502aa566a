"""The triage API: anonymous 401, wrong role 403, outside the jurisdiction 404, inside 200."""

from __future__ import annotations

import pytest
from django.utils import translation

from fengqiao.triage import service
from fengqiao.triage.models import CategoryLabel, TriageResult

from .conftest import XINHU, new_event

pytestmark = [pytest.mark.usefixtures("triage_db"), pytest.mark.urls("fengqiao.triage.tests.urls")]

SUGGEST = "/api/v1/triage/suggest/"
BODY = {"title": "流动摊贩占道摆摊", "content": "心湖社区菜场门口流动摊贩占道摆摊", "address": "海游街道心湖社区"}


def test_suggest_permissions(api, users):
    assert api().post(SUGGEST, BODY, format="json").status_code == 401
    assert api(users.auditor).post(SUGGEST, BODY, format="json").status_code == 403
    res = api(users.town_haiyou).post(SUGGEST, BODY, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert res.status_code == 200, res.content
    data = res.json()
    assert data["categories"][0]["code"] == "street_vending.stall"
    assert data["place"]["area"]["code"] == XINHU and data["place"]["evidence"]["text"] == "心湖社区"
    assert data["route"]["unit"]["code"] == "ZF" and "by rule #" in data["route"]["explanation"]
    zh = api(users.town_haiyou).post(SUGGEST, BODY, format="json").json()
    assert "依据规则" in zh["route"]["explanation"]  # Chinese by default


def test_suggest_validation_is_bilingual(api, users):
    res = api(users.county_op).post(SUGGEST, {"title": "", "content": ""}, format="json")
    assert res.status_code == 400 and res.json()["error"] == "required" and res.json()["detail_en"]
    res = api(users.county_op).post(SUGGEST, {**BODY, "longitude": 500}, format="json")
    assert res.status_code == 400


def test_suggest_duplicates_only_what_the_user_sees(api, users):
    ev = new_event(users.county_op, title="金鳌花园车库积水", content="海游街道心湖社区金鳌花园车库长期积水发臭",
                   address="海游街道心湖社区")
    service.triage_event(ev)
    body = {"title": "车库积水", "content": "心湖社区金鳌花园车库积水一直没人管", "address": "海游街道心湖社区"}
    data = api(users.town_haiyou).post(SUGGEST, body, format="json").json()
    assert [d["id"] for d in data["duplicates"]] == [ev.pk]
    assert data["duplicates"][0]["number"] == ev.number
    # a Jiantiao operator gets no Haiyou matter back, whatever the text
    data = api(users.town_jiantiao).post(SUGGEST, body, format="json").json()
    assert data["duplicates"] == []


def test_stored_result_permissions(api, users):
    ev = new_event(users.county_op, title="流动摊贩占道", content="海游街道心湖社区流动摊贩占道摆摊", address="海游街道心湖社区")
    service.triage_event(ev)
    url = f"/api/v1/triage/events/{ev.pk}/"
    assert api().get(url).status_code == 401
    assert api(users.auditor).get(url).status_code == 403
    assert api(users.town_jiantiao).get(url).status_code == 404
    res = api(users.town_haiyou).get(url)
    assert res.status_code == 200
    assert res.json()["route"]["unit"]["code"] == "ZF"
    assert api(users.town_haiyou).get("/api/v1/triage/events/999999999/").status_code == 404


def test_a_stored_route_reads_in_the_readers_language(api, users):
    """The route is stored as facts, so the one result reads in Chinese and in English; a result
    stored before the facts were (text only) shows its text."""
    ev = new_event(users.county_op, title="流动摊贩占道", content="海游街道心湖社区流动摊贩占道摆摊", address="海游街道心湖社区")
    with translation.override("en"):  # triaged in an English request
        r = service.triage_event(ev)
    r.refresh_from_db()
    assert "依据规则 #" in r.route_explanation  # stored in the site's language all the same
    url = f"/api/v1/triage/events/{ev.pk}/"
    en = api(users.town_haiyou).get(url, HTTP_ACCEPT_LANGUAGE="en").json()["route"]["explanation"]
    zh = api(users.town_haiyou).get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").json()["route"]["explanation"]
    rule = f"#{r.route_rule_id}"
    assert en.startswith("category ") and "by rule " + rule in en and "三门县综合行政执法局" in en
    assert zh.startswith("分类 ") and "依据规则 " + rule in zh
    TriageResult.objects.filter(pk=r.pk).update(route_facts={}, route_explanation="旧的说明")
    assert api(users.town_haiyou).get(url, HTTP_ACCEPT_LANGUAGE="en").json()["route"]["explanation"] == "旧的说明"


@pytest.mark.parametrize(("facts", "en"), [
    ({"kind": "no_category"}, "no category: a person decides"),
    ({"kind": "none", "category": "噪声", "area": ""}, "no rule or history for category 噪声 at unknown place: a person decides"),
    ({"kind": "history", "category": "噪声", "town": "海游街道", "unit": "生态环境分局", "n": 3, "total": 4},
     "matters like this (噪声 in 海游街道) were handled by 生态环境分局: 3 of 4 closed"),
    ({"kind": "category", "category": "噪声", "area": "心湖社区", "unit": "生态环境分局"},
     "category 噪声 at 心湖社区 → 生态环境分局 (the category's usual department)"),
    ({"kind": "rule", "category": "噪声", "area": "心湖社区", "unit": "生态环境分局", "rule": 7, "rule_name": ""},
     "category 噪声 at 心湖社区 → 生态环境分局 by rule #7"),
    ({"kind": "rule", "category": "噪声"}, "kind=rule · category=噪声"),  # facts of another version
    ({}, ""),
])
def test_explain_words_every_kind_of_route(facts, en):
    with translation.override("en"):
        assert service.explain(facts) == en
    with translation.override("zh-hans"):
        zh = service.explain(facts)
    assert (zh == "") == (en == "") and (not en or en.startswith("kind=") or zh != en)


def test_label_endpoint(api, users):
    ev = new_event(users.county_op, title="流动摊贩占道", content="海游街道心湖社区流动摊贩占道摆摊", address="海游街道心湖社区")
    service.triage_event(ev)
    TriageResult.objects.filter(event=ev).update(needs_person=True)  # in the queue of matters for a person
    url = f"/api/v1/triage/events/{ev.pk}/label/"
    assert api().post(url, {"category": "street_vending.shop"}, format="json").status_code == 401
    assert api(users.grid_xinhu1).post(url, {"category": "street_vending.shop"}, format="json").status_code == 403
    assert api(users.town_jiantiao).post(url, {"category": "street_vending.shop"}, format="json").status_code == 404
    res = api(users.town_haiyou).post(url, {"category": "nope"}, format="json")
    assert res.status_code == 400
    res = api(users.town_haiyou).post(url, {"category": "street_vending.shop"}, format="json")
    assert res.status_code == 200, res.content
    assert res.json()["source"] == "operator_correct"
    ev.refresh_from_db()
    assert ev.category.code == "street_vending.shop"
    assert CategoryLabel.objects.filter(event=ev, by=users.town_haiyou).count() == 1
    assert not TriageResult.objects.get(event=ev).needs_person  # a person has decided


def test_stored_repeats_are_restricted_to_the_caller(api, users):
    """A repeat found across the town must not leak to a cadre of another village (review fix)."""
    a = new_event(users.county_op, title="心湖社区金鳌花园车库积水", content="海游街道心湖社区金鳌花园车库长期积水",
                  address="海游街道心湖社区")
    b = new_event(users.county_op, title="金鳌花园车库又积水", content="海游街道心湖社区金鳌花园车库积水发臭没人管",
                  address="海游街道心湖社区")
    elsewhere = new_event(users.county_op, title="健跳镇车库积水", content="健跳镇车库长期积水", address="健跳镇")
    r = service.triage_event(b)
    r.duplicates = [[a.pk, 0.9], [elsewhere.pk, 0.8]]  # one visible repeat, one in another town
    r.save()
    assert not elsewhere.area_path.startswith(users.town_haiyou.area.path)
    data = api(users.town_haiyou).get(f"/api/v1/triage/events/{b.pk}/").json()
    assert [d["id"] for d in data["duplicates"]] == [a.pk]
    everything = api(users.county_op).get(f"/api/v1/triage/events/{b.pk}/").json()
    assert [d["id"] for d in everything["duplicates"]] == [a.pk, elsewhere.pk]


def test_nested_place_names_keep_only_the_longest_span():
    """The one-pass filter (linear, replacing a quadratic one) keeps 城西村委会 over 城西村 inside it."""
    _pk, evidence = service.match_text("海游街道城西村委会门口垃圾堆放")
    assert evidence["text"] == "城西村委会"
    _pk, evidence = service.match_text("城西村委会门口垃圾堆放" * 200)
    assert evidence["text"] == "城西村委会"
