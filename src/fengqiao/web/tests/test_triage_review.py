"""The triage panel of a matter as an operator uses it (from a review of the workflow in a
browser): duplicates each with their own merge button, every reporter of a merged matter on
the one it joined, the place read from the text put to use, a place conflict settled in one
click (更正地点), the route following a corrected category, and the queue saying what it is."""

from __future__ import annotations

import re

import pytest

from fengqiao.areas.models import Area, Level
from fengqiao.core.models import AuditRecord
from fengqiao.events.actions import create_event, perform
from fengqiao.events.choices import State
from fengqiao.events.models import Event
from fengqiao.triage import service
from fengqiao.triage.models import TriageResult

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_triage_caches():
    """Ids come round again once a test's transaction is rolled back; the process's same-matter
    index must not answer for another test's text."""
    service.reset()
    yield
    service.reset()

HAIYOU, XINHU = "331022001", "331022001001"
JIANTIAO, JIANZHONG = "331022105", "331022105001"
STONE = "健跳镇健中居委会石料厂每天夜里开机，噪声和粉尘很大，附近居民睡不着觉。"


def _matter(by, content=STONE, title="", address="", **kw):
    event, _ = create_event(by=by, channel=kw.pop("channel", "hotline_12345"), title=title, content=content,
                            address=address, reporter_name=kw.pop("name", "林美华"),
                            reporter_phone=kw.pop("phone", "13912341234"), **kw)
    return event


def _candidate_items(html: str) -> dict[str, str]:
    """Each listed candidate's ``<li>``, by the id it names."""
    return dict(re.findall(r'<li data-candidate="(\d+)">(.*?)</li>', html, flags=re.S))


def test_each_duplicate_carries_its_own_merge_button_and_the_confirmation_names_it(client, users):
    first = _matter(users.county_op, name="王强", phone="13912340001")
    second = _matter(users.county_op, content="健中居委会石料厂晚上噪声大，粉尘也大，居民无法休息，请查处。")
    client.force_login(users.county_op)
    items = _candidate_items(client.get(f"/matters/{second.pk}/").content.decode())
    assert str(first.pk) in items
    own = items[str(first.pk)]
    # the button inside the candidate's own row merges into that candidate, and says so
    assert re.search(rf'name="into" value="{first.pk}"', own)
    assert first.number in own and "%" in own
    assert re.search(rf"(Merge into|合并到) {first.number}", own)
    # the first report lists the repeat that came in after it (looked up again when shown)
    assert str(second.pk) in _candidate_items(client.get(f"/matters/{first.pk}/").content.decode())


def test_a_candidate_that_has_ended_is_listed_without_a_merge_button(client, users):
    first = _matter(users.county_op)
    perform(first, "reject", by=users.county_op, reason="重复来电")
    second = _matter(users.county_op, content="健中居委会石料厂晚上噪声大，粉尘也大，居民无法休息，请查处。")
    client.force_login(users.county_op)
    items = _candidate_items(client.get(f"/matters/{second.pk}/").content.decode())
    assert str(first.pk) in items
    assert 'name="into"' not in items[str(first.pk)]


def test_every_reporter_of_a_merged_matter_shows_on_the_matter_it_joined(client, users):
    first = _matter(users.county_op, name="王强", phone="13912340001")
    second = _matter(users.county_op, content="健中居委会石料厂晚上噪声大，请查处。", name="林美华",
                     phone="13912341234")
    perform(second, "merge", by=users.county_op, into=first)
    client.force_login(users.county_op)
    html = client.get(f"/matters/{first.pk}/").content.decode()
    block = html[html.index('id="merged-reporters"'):]
    block = block[:block.index("</ul>")]
    assert second.number in block and "林" in block and "13912341234" not in block  # masked
    assert "林美华" not in block and "1234" in block
    timeline = html[html.index('id="timeline"'):]
    timeline = timeline[:timeline.index("</ol>")]
    assert f'href="/matters/{second.pk}/"' in timeline  # "another matter merged in" names which
    # shown in full on request, and the view of each reporter is audited
    before = AuditRecord.objects.filter(action="view_personal").count()
    html = client.get(f"/matters/{first.pk}/", {"unmask": "1"}).content.decode()
    assert "林美华" in html and "13912341234" in html and "王强" in html
    assert AuditRecord.objects.filter(action="view_personal").count() == before + 2


def test_a_place_named_only_in_the_content_is_the_matters_place(client, users):
    """A caller's matter with no address used to stay at the county: no town saw it."""
    e = _matter(users.county_op)
    assert e.area.code == JIANZHONG
    client.force_login(users.town_jiantiao)
    assert client.get(f"/matters/{e.pk}/").status_code == 200
    # an address still decides when it names a place
    other = _matter(users.county_op, address="海游街道心湖社区")
    assert other.area.code == XINHU


def test_a_place_conflict_shows_both_places_and_is_settled_in_one_click(client, users):
    grid = Area.objects.filter(level=Level.GRID, parent__code=XINHU).order_by("path").first()
    e = _matter(users.grid_xinhu1, channel="grid_report", longitude=grid.center_lng, latitude=grid.center_lat)
    result = TriageResult.objects.get(event=e)
    assert result.place_conflict and result.needs_person
    assert e.area.path.startswith(grid.path)  # the coordinates placed it
    client.force_login(users.county_op)
    html = client.get(f"/matters/{e.pk}/").content.decode()
    place = html[html.index('id="triage-place"'):]
    place = place[:place.index("</div>")]
    assert "健中居委会" in place and "心湖社区" in place
    assert f'name="place" value="{JIANZHONG}"' in place
    version = Event.objects.get(pk=e.pk).version
    resp = client.post(f"/matters/{e.pk}/act/relocate/", {"place": JIANZHONG, "version": version})
    assert resp.status_code == 302
    e.refresh_from_db()
    assert e.area.code == JIANZHONG and e.area_path == e.area.path
    assert e.timeline.filter(action="relocate", data__to=JIANZHONG).exists()
    result.refresh_from_db()
    assert result.route_explanation and "健中居委会" in result.route_explanation
    client.force_login(users.town_jiantiao)  # the town of the place now sees it
    assert client.get(f"/matters/{e.pk}/").status_code == 200


def test_relocate_is_refused_outside_the_jurisdiction_and_to_the_same_place(api, users):
    e = _matter(users.county_op, address="海游街道心湖社区", content="心湖社区广场夜间广场舞音响太大，影响休息。")
    perform(e, "accept", by=users.county_op)
    perform(Event.objects.get(pk=e.pk), "dispatch", by=users.county_op, to_unit=Area.objects.get(code=HAIYOU))
    url = f"/api/v1/events/{e.pk}/actions/"
    # dispatched: the place is no longer the centre's to change
    resp = api(users.county_op).post(url, {"action": "relocate", "place": JIANZHONG}, format="json")
    assert resp.status_code == 409
    e2 = _matter(users.town_haiyou, address="海游街道心湖社区", content="心湖社区路灯不亮，晚上很黑。")
    resp = api(users.town_haiyou).post(f"/api/v1/events/{e2.pk}/actions/", {"action": "relocate", "place": JIANZHONG},
                                       format="json")
    assert resp.status_code == 400 and resp.json()["error"] == "place_outside"
    resp = api(users.town_haiyou).post(f"/api/v1/events/{e2.pk}/actions/", {"action": "relocate", "place": XINHU},
                                       format="json")
    assert resp.status_code == 400 and resp.json()["error"] == "same_place"
    resp = api(users.town_haiyou).post(f"/api/v1/events/{e2.pk}/actions/", {"action": "relocate", "place": "nowhere"},
                                       format="json")
    assert resp.status_code == 400 and resp.json()["error"] == "unknown_area"
    assert Event.objects.get(pk=e2.pk).area.code == XINHU


def test_the_route_follows_a_corrected_category(client, users):
    e = _matter(users.county_op, address="海游街道心湖社区", content="心湖社区门口有人摆摊，请处理。")
    client.force_login(users.county_op)
    resp = client.post(f"/matters/{e.pk}/category/", {"category": "street_vending.shop"})
    assert resp.status_code == 302
    result = TriageResult.objects.get(event=e)
    assert not result.needs_person
    assert "店外" in result.route_explanation or "street_vending" in result.route_explanation or \
        "占道" in result.route_explanation
    # an empty correction is refused, never taken as the first category of the tree
    html = client.get(f"/matters/{e.pk}/").content.decode()
    assert re.search(r'<select name="category"[^>]*required><option value="">', html)
    client.post(f"/matters/{e.pk}/category/", {"category": ""})
    e.refresh_from_db()
    assert e.category.code == "street_vending.shop"


def test_one_keyword_is_not_a_decision():
    cls = service.KeywordClassifier([("noise.industrial", ["粉尘"], 1.0), ("noise.business", ["扰民", "噪音扰民"], 1.0)])
    (code, p), = cls.predict_top("厂里粉尘大")
    assert p < 0.5
    top = cls.predict_top("晚上噪音扰民，楼下扰民")
    assert top[0][0] == "noise.business" and top[0][1] >= 0.5


def test_the_needs_a_person_mark_goes_once_the_matter_is_routed_and_the_queue_says_its_name(client, users):
    vague = _matter(users.county_op, content="想问一下有关情况，谢谢。", address="海游街道")
    assert TriageResult.objects.get(event=vague).needs_person
    client.force_login(users.county_op)
    assert "需人工研判" in client.get(f"/matters/{vague.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    listing = client.get("/matters/", {"queue": "needs_person"}).content.decode()
    assert 'id="queue-label"' in listing
    perform(vague, "accept", by=users.county_op)
    perform(Event.objects.get(pk=vague.pk), "dispatch", by=users.county_op, to_unit=Area.objects.get(code=HAIYOU))
    assert Event.objects.get(pk=vague.pk).state == State.DISPATCHED
    html = client.get(f"/matters/{vague.pk}/").content.decode()
    triage = html[html.index('id="triage"'):]
    assert "needs a person" not in triage[:400] and "需人工研判" not in triage[:400]


def test_the_category_filter_offers_every_level(client, users):
    client.force_login(users.county_op)
    html = client.get("/matters/").content.decode()
    assert 'value="hazard.fire.ebike"' in html


def test_candidates_say_whether_they_are_likely_the_same_matter(client, users):
    _matter(users.county_op, name="王强", phone="13912340001")
    second = _matter(users.county_op, content="健中居委会石料厂晚上噪声大，粉尘也大，居民无法休息，请查处。")
    s = service.suggest(users.county_op, "健中居委会石料厂晚上噪声大，粉尘也大，居民无法休息，请查处。")
    assert s.duplicates and all(d["likely"] == (d["score"] >= service.LIKELY_SAME_SCORE) for d in s.duplicates)
    client.force_login(users.county_op)
    items = _candidate_items(client.get(f"/matters/{second.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert all(("likely the same matter" in li) != ("perhaps related" in li) for li in items.values())


def test_the_language_menu_names_each_language_in_its_own_words(client, users):
    client.force_login(users.county_op)
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    menu = html[html.index('name="language"'):]
    menu = menu[:menu.index("</select>")]
    assert ">English<" in menu and "英语" not in menu and "简体中文" in menu


def test_favicon_ico_leads_to_the_consoles_icon(client):
    resp = client.get("/favicon.ico")
    assert resp.status_code == 301 and resp["Location"].endswith("fengqiao/favicon.svg")


def _conflict_report(users):
    grid = Area.objects.filter(level=Level.GRID, parent__code=XINHU).order_by("path").first()
    return _matter(users.grid_xinhu1, channel="grid_report", longitude=grid.center_lng, latitude=grid.center_lat)


def test_a_settled_conflict_says_who_settled_it_and_the_reporter_is_told(client, users, django_capture_on_commit_callbacks):
    from fengqiao.events.models import Notification

    e = _conflict_report(users)
    client.force_login(users.county_op)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/matters/{e.pk}/act/relocate/", {"place": JIANZHONG, "version": Event.objects.get(pk=e.pk).version})
    html = client.get(f"/matters/{e.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    place = html[html.index('id="triage-place"'):]
    place = place[:place.index("</div>")]
    assert "place corrected by" in place and "text and coordinates disagree" not in place
    # the grid worker who reported it no longer sees it in the village of its grid: told where it went
    note = Notification.objects.get(user=users.grid_xinhu1, event_id=e.pk, kind="event_relocate")
    assert "健中居委会" in note.title


def test_a_town_centre_is_told_how_to_get_a_place_outside_it_corrected(client, users):
    e = _conflict_report(users)  # placed by the point in 海游街道, the text names 健跳镇
    client.force_login(users.town_haiyou)
    html = client.get(f"/matters/{e.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    place = html[html.index('id="triage-place"'):]
    place = place[:place.index("</div>")]
    assert f'value="{JIANZHONG}"' not in place and "is outside your jurisdiction" in place


@pytest.mark.parametrize(("place", "code"), [
    ("33102200\x001001", "unknown_area"), ("3" * 100_000, "unknown_area"), ("331022", "place_too_coarse"),
    (None, "required"), (True, "unknown_area"),
])
def test_relocate_refuses_odd_places_in_words_never_a_500(api, users, place, code):
    e = _matter(users.county_op, address="海游街道心湖社区", content="心湖社区路灯不亮，晚上很黑。")
    resp = api(users.county_op).post(f"/api/v1/events/{e.pk}/actions/", {"action": "relocate", "place": place},
                                     format="json")
    assert resp.status_code == 400 and resp.json()["error"] == code
    assert len(resp.content) < 2000  # a long value is not echoed back in bulk
    assert Event.objects.get(pk=e.pk).area.code == XINHU


def test_relocate_takes_a_code_sent_as_a_number_and_merge_refuses_a_nul(api, users):
    e = _matter(users.county_op, address="海游街道心湖社区", content="心湖社区路灯不亮，晚上很黑。")
    resp = api(users.county_op).post(f"/api/v1/events/{e.pk}/actions/", {"action": "relocate", "place": int(JIANZHONG)},
                                     format="json")
    assert resp.status_code == 200 and Event.objects.get(pk=e.pk).area.code == JIANZHONG
    resp = api(users.county_op).post(f"/api/v1/events/{e.pk}/actions/", {"action": "merge", "into": "FQ\x001"},
                                     format="json")
    assert resp.status_code == 400 and resp.json()["error"] == "unknown_target"


def test_no_merge_button_into_a_matter_already_resolved(client, users):
    first = _matter(users.county_op)
    perform(first, "accept", by=users.county_op)
    perform(Event.objects.get(pk=first.pk), "dispatch", by=users.county_op, to_unit=Area.objects.get(code=JIANTIAO))
    perform(Event.objects.get(pk=first.pk), "sign", by=users.town_jiantiao)
    perform(Event.objects.get(pk=first.pk), "resolve", by=users.town_jiantiao, result="已责令石料厂夜间停产")
    second = _matter(users.county_op, content="健中居委会石料厂晚上噪声大，粉尘也大，居民无法休息，请查处。")
    client.force_login(users.county_op)
    items = _candidate_items(client.get(f"/matters/{second.pk}/").content.decode())
    assert str(first.pk) in items and 'name="into"' not in items[str(first.pk)]


def test_the_timeline_names_the_categories_of_a_correction(client, users):
    e = _matter(users.county_op, address="海游街道心湖社区", content="心湖社区门口有人摆摊，请处理。")
    client.force_login(users.county_op)
    client.post(f"/matters/{e.pk}/category/", {"category": "street_vending.shop"})
    html = client.get(f"/matters/{e.pk}/").content.decode()
    timeline = html[html.index('id="timeline"'):]
    timeline = timeline[:timeline.index("</ol>")]
    assert "→ 店外经营" in timeline


def test_one_click_dispatch_adds_the_co_handlers_the_route_names(client, users):
    from fengqiao.events.models import Cohandler

    e = _matter(users.county_op, address="健跳镇沿港居委会",
                content="沿港居委会某小区住户把电瓶车推进楼道充电，飞线充电，存在火灾隐患。")
    perform(e, "accept", by=users.county_op)
    result = TriageResult.objects.get(event=e)
    if result.route_department is None or not result.route_cohandlers:  # the top suggestion decides the rule
        client.force_login(users.county_op)
        client.post(f"/matters/{e.pk}/category/", {"category": "hazard.fire.ebike"})
        result.refresh_from_db()
    assert result.route_cohandlers == ["ZF"]
    client.force_login(users.county_op)
    html = client.get(f"/matters/{e.pk}/").content.decode()
    route = html[html.index('id="triage-route"'):]
    route = route[:route.index("</div>")]
    assert 'name="with_cohandlers" value="1"' in route
    ev = Event.objects.get(pk=e.pk)
    resp = client.post(f"/matters/{e.pk}/act/dispatch/", {"to_unit": result.route_unit(), "with_cohandlers": "1",
                                                          "version": ev.version})
    assert resp.status_code == 302
    ev.refresh_from_db()
    assert ev.state == State.DISPATCHED and ev.handling_department.code == result.route_department.code
    assert list(Cohandler.objects.filter(event=ev).values_list("department__code", flat=True)) == ["ZF"]


def test_on_a_place_conflict_the_town_the_text_names_is_searched_for_repeats_too(client, users):
    first = _matter(users.county_op, address="健跳镇健中居委会")  # the same plant, reported in its own town
    e = _conflict_report(users)  # a grid worker in 海游街道 whose text names 健跳镇
    result = TriageResult.objects.get(event=e)
    assert result.place_conflict and first.pk in [pk for pk, _s in result.duplicates]
    client.force_login(users.county_op)
    assert str(first.pk) in _candidate_items(client.get(f"/matters/{e.pk}/").content.decode())


def test_on_a_place_conflict_the_matters_own_town_keeps_its_candidates(users):
    """Five better repeats in the town the text names do not push out the own town's."""
    for i in range(6):
        _matter(users.county_op, address="健跳镇健中居委会", phone=f"1391234{i:04d}",
                content=f"健跳镇健中居委会石料厂每天夜里开机，噪声和粉尘很大，附近居民睡不着觉。第{i + 1}次反映。")
    own = _matter(users.grid_xinhu1, channel="grid_report", content="心湖社区这边也能听到石料厂夜里的噪声，粉尘大。",
                  address="海游街道心湖社区")
    e = _conflict_report(users)
    found = dict(TriageResult.objects.get(event=e).duplicates)
    assert own.pk in found and len(found) > 5


@pytest.mark.parametrize("language, separator", [("zh-hans", "、"), ("en", ", ")])
def test_the_route_lists_its_co_handlers_with_the_readers_list_separator(client, users, language, separator):
    e = _matter(users.county_op, address="健跳镇沿港居委会",
                content="沿港居委会某小区住户把电瓶车推进楼道充电，飞线充电，存在火灾隐患。")
    perform(e, "accept", by=users.county_op)
    TriageResult.objects.filter(event=e).update(route_cohandlers=["STHJ", "ZF"])
    client.force_login(users.county_op)
    html = client.get(f"/matters/{e.pk}/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    route = html[html.index('id="triage-route"'):]
    route = route[:route.index("</div>")]
    a, b = "三门县综合行政执法局", "台州市生态环境局三门分局"
    listed = {route.count(a + sep + b) + route.count(b + sep + a) for sep in ("、", ", ")}
    assert route.count(a + separator + b) + route.count(b + separator + a) == 2  # the hint and the button
    assert listed == {0, 2}
