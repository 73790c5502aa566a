"""The console pages of the check-point registry (/grid/check-points/) through Django's test client:
each page four ways (anonymous, wrong role, outside the jurisdiction, inside), the list's filters,
marks and counters, registration, inspections through the form (problems reported as a hazard
matter, linked only for those who may read it), changes and removal, refusals re-shown with their
message and 4xx status, the menu's count and the phone page's link; and one inspection in a real
browser."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.utils import timezone

from fengqiao.areas.models import Area
from fengqiao.events.models import Event
from fengqiao.grid import points
from fengqiao.grid.choices import DEFAULT_CHECKLISTS
from fengqiao.grid.models import CheckPoint, Inspection
from fengqiao.web.tests import conftest as browser_fixtures

from .conftest import HAIYOU, JIANTIAO, JIANZHONG, XINHU

pytestmark = pytest.mark.django_db

# where the web app's browser tests put their screenshots
screenshot_dir = browser_fixtures.screenshot_dir

LOGIN = "/accounts/login/"
LIST = "/grid/check-points/"
NEW = "/grid/check-points/new/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
SCHOOL = DEFAULT_CHECKLISTS["school"]
WEB = Path(__file__).resolve().parents[2] / "web" / "templates" / "web"


def _html(resp) -> str:
    return resp.content.decode()


def _detail(p) -> str:
    return f"/grid/check-points/{p.pk}/"


def _posts(p) -> dict[str, dict]:
    """Each write of a check-point's page with a valid body."""
    return {
        f"{_detail(p)}inspect/": {"note": ""},
        f"{_detail(p)}edit/": {"inspect_every_days": "3", "version": str(p.version)},
        f"{_detail(p)}remove/": {"reason": "已关停", "version": str(p.version)},
    }


def _unchanged(p) -> bool:
    fresh = CheckPoint.objects.get(pk=p.pk)
    return (fresh.version == p.version and fresh.is_active and fresh.inspect_every_days == p.inspect_every_days
            and not Inspection.objects.filter(point=p).exists())


def _row(html: str, p) -> str:
    found = re.search(rf'<tr class="[^"]*" data-point="{p.pk}">(.*?)</tr>', html, re.S)
    assert found, html
    return found.group(1)


def _local(when: dt.datetime) -> str:
    return timezone.localtime(when).strftime("%Y-%m-%d %H:%M")


def _inspected(p, by, days_ago: float, **kw):
    return points.record_inspection(p, by=by, inspected_at=timezone.now() - dt.timedelta(days=days_ago), **kw)


def _shown(client, **params) -> list[int]:
    resp = client.get(LIST, params)
    assert resp.status_code == 200
    return [p.pk for p in resp.context["page"].object_list]


def _other_grid(users, village=XINHU):
    return (Area.objects.filter(parent__code=village, level="grid").exclude(pk=users.grid_xinhu1.area_id)
            .order_by("code").first())


# ---------------------------------------------------------------- four ways


def test_anonymous_is_sent_to_login(client, point):
    p = point()
    for url in (LIST, NEW, _detail(p)):
        resp = client.get(url)
        assert resp.status_code == 302 and resp["Location"].startswith(LOGIN), url
    for url, body in {NEW: {"name": "某商店", "kind": "small_venue", "area": XINHU}, **_posts(p)}.items():
        resp = client.post(url, body)
        assert resp.status_code == 302 and resp["Location"].startswith(LOGIN), url
    assert _unchanged(p) and CheckPoint.objects.count() == 1


@pytest.mark.parametrize("username", ["dept_police", "auditor", "admin", "mediator"])
def test_wrong_role_is_403(client, users, point, username):
    p = point()
    client.force_login(getattr(users, username))
    for url in (LIST, NEW, _detail(p)):
        assert client.get(url).status_code == 403, url
    for url, body in {NEW: {"name": "某商店", "kind": "small_venue", "area": XINHU}, **_posts(p)}.items():
        assert client.post(url, body).status_code == 403, url
    assert _unchanged(p) and CheckPoint.objects.count() == 1


@pytest.mark.parametrize("username", ["leader", "grid_xinhu1"])
def test_roles_that_do_not_register_get_403_on_the_form(client, users, username):
    client.force_login(getattr(users, username))
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, {"name": "某商店", "kind": "small_venue", "area": XINHU}).status_code == 403
    assert not CheckPoint.objects.exists()
    resp = client.get(LIST)
    assert resp.status_code == 200 and 'id="register-link"' not in _html(resp)


@pytest.mark.parametrize("username", ["town_jiantiao", "cadre_jianzhong", "grid_jianzhong1"])
def test_right_role_outside_the_jurisdiction_is_404(client, users, point, username):
    p = point()
    client.force_login(getattr(users, username))
    resp = client.get(LIST, {"active": "all"})
    assert resp.status_code == 200 and f'data-point="{p.pk}"' not in _html(resp)
    assert resp.context["counts"]["total"] == 0
    assert client.get(_detail(p)).status_code == 404
    for url, body in _posts(p).items():
        assert client.post(url, body).status_code == 404, url
    assert _unchanged(p)


def test_a_number_that_is_no_check_point_is_404(client, users):
    client.force_login(users.county_op)
    assert client.get("/grid/check-points/999999999/").status_code == 404
    assert client.get("/grid/check-points/99999999999999999999999/").status_code == 404
    assert client.post("/grid/check-points/999999999/inspect/", {"note": ""}).status_code == 404


@pytest.mark.parametrize("username", ["county_op", "town_haiyou", "leader", "leader_haiyou", "cadre_xinhu",
                                      "grid_xinhu1"])
def test_right_role_inside_the_jurisdiction_is_200(client, users, point, username):
    p = point()
    client.force_login(getattr(users, username))
    resp = client.get(LIST)
    assert resp.status_code == 200 and f'data-point="{p.pk}"' in _html(resp)
    resp = client.get(_detail(p))
    assert resp.status_code == 200 and "心湖社区幼儿园" in _html(resp)


# ---------------------------------------------------------------- the list


def test_a_list_row_shows_the_entry(client, users, point):
    p = point(inspect_every_days="7")
    inspected = _inspected(p, users.grid_xinhu1, 2, problems=[0], note="保安未在岗", report=False).inspected_at
    client.force_login(users.town_haiyou)
    row = _row(_html(client.get(LIST, **EN)), p)
    assert f'href="/grid/check-points/{p.pk}/">心湖社区幼儿园</a>' in row
    assert "School or kindergarten" in row
    assert "心湖社区" in row and "心湖路8号" in row
    assert "吴晓" in row  # the responsible grid worker
    assert _local(inspected) in row and "Problems found" in row
    assert _local(inspected + dt.timedelta(days=7)) in row and "every 7 days" in row
    assert 'class="dot' not in row  # due in five days: no mark


def test_overdue_and_soon_are_marked_and_counted(client, users, point):
    overdue = point(name="甲超市", kind="market")
    _inspected(overdue, users.grid_xinhu1, 10)  # due three days ago
    soon = point(name="乙超市", kind="market")
    _inspected(soon, users.grid_xinhu1, 5)  # due in two days
    fresh = point(name="丙超市", kind="market")
    removed = point(name="丁超市", kind="market")
    _inspected(removed, users.grid_xinhu1, 20)
    points.remove_point(removed, by=users.cadre_xinhu, reason="已关停")
    client.force_login(users.cadre_xinhu)
    resp = client.get(LIST)
    assert resp.context["counts"] == {"total": 3, "overdue": 1, "soon": 1}
    html = _html(resp)
    assert 'id="count-overdue" data-count="1"' in html and 'id="count-soon" data-count="1"' in html
    assert '<span class="dot red"' in _row(html, overdue) and "超期 3 天" in _row(html, overdue)
    assert '<span class="dot yellow"' in _row(html, soon)
    assert 'class="dot' not in _row(html, fresh)
    assert f'data-point="{removed.pk}"' not in html
    assert [p.pk for p in resp.context["page"].object_list] == [overdue.pk, soon.pk, fresh.pk]  # most urgent first


def test_list_filters(client, users, point):
    grid = _other_grid(users)
    school = point(area=grid.code)
    _inspected(school, users.grid_xinhu1, 10)  # overdue
    market = point(name="心湖农贸市场", kind="market", address="湖滨路2号")
    _inspected(market, users.grid_xinhu1, 6)  # due soon
    rental = point(name="湖滨出租屋", kind="rental", address="心湖路20号")
    elsewhere = point(name="健跳农贸市场", kind="market", area=JIANZHONG, address="健跳镇中街",
                      by=users.town_jiantiao, caretaker=users.grid_jianzhong1)
    gone = point(name="旧仓库", kind="other")
    points.remove_point(gone, by=users.cadre_xinhu, reason="已拆除")

    client.force_login(users.county_op)
    assert set(_shown(client)) == {school.pk, market.pk, rental.pk, elsewhere.pk}  # in the registry
    assert set(_shown(client, kind="market")) == {market.pk, elsewhere.pk}
    assert _shown(client, area=JIANTIAO) == [elsewhere.pk]
    assert set(_shown(client, area=XINHU)) == {school.pk, market.pk, rental.pk}
    assert _shown(client, area=grid.code) == [school.pk]
    assert _shown(client, due="overdue") == [school.pk]
    assert _shown(client, due="soon") == [market.pk]
    assert _shown(client, due="due") == [school.pk, market.pk]
    assert set(_shown(client, q="农贸市场")) == {market.pk, elsewhere.pk}
    assert set(_shown(client, q="心湖路")) == {school.pk, rental.pk}  # the address
    assert _shown(client, active="removed") == [gone.pk]
    assert len(_shown(client, active="all")) == 5
    assert _shown(client, kind="market", area=HAIYOU, due="soon", q="心湖") == [market.pk]

    client.force_login(users.town_haiyou)
    assert set(_shown(client)) == {school.pk, market.pk, rental.pk}
    resp = client.get(LIST, {"area": JIANTIAO})  # another town: said, never widened
    assert resp.context["errors"] and not resp.context["page"].object_list
    for bad, said in (({"kind": "bank"}, "Unknown check-point kind: bank"),
                      ({"due": "someday"}, "Unknown inspection status: someday"),
                      ({"active": "maybe"}, "Unknown registry status: maybe"), ({"q": "a\x00b"}, "Invalid characters.")):
        resp = client.get(LIST, bad, **EN)
        assert resp.status_code == 200 and not resp.context["page"].object_list, bad
        assert said in _html(resp), bad
    # the filter boxes keep what was chosen
    html = _html(client.get(LIST, {"kind": "market", "q": "心湖"}))
    assert '<option value="market" selected>' in html and 'value="心湖"' in html


def test_the_console_list_filters_as_the_api_does(client, api, users, point):
    """One FilterSet for both: the same parameters narrow the console's list and the API's alike
    (the console says ``removed`` where the API says ``false``)."""
    grid = _other_grid(users)
    _inspected(point(area=grid.code), users.grid_xinhu1, 10)
    _inspected(point(name="心湖农贸市场", kind="market"), users.grid_xinhu1, 6)
    point(name="湖滨出租屋", kind="rental", address="心湖路20号")
    point(name="健跳农贸市场", kind="market", area=JIANZHONG, by=users.town_jiantiao, caretaker=None)
    points.remove_point(point(name="旧仓库", kind="other"), by=users.cadre_xinhu, reason="已拆除")
    client.force_login(users.county_op)
    rest = api(users.county_op)
    for params in ({}, {"kind": "market"}, {"area": XINHU}, {"area": grid.code}, {"due": "overdue"},
                   {"due": "due"}, {"active": "all"}, {"active": "removed"}, {"q": "市场"},
                   {"kind": "market", "area": HAIYOU, "due": "soon"}):
        console = _shown(client, **params)
        asked = {**params, "active": "false"} if params.get("active") == "removed" else params
        listed = [p["id"] for p in rest.get("/api/v1/check-points/", asked).json()["results"]]
        assert console == listed, params


def test_the_list_is_paginated_with_its_filters(client, users, point):
    for i in range(32):
        point(name=f"出租屋{i}", kind="rental")
    point(name="某商店", kind="small_venue")
    client.force_login(users.town_haiyou)
    resp = client.get(LIST, {"kind": "rental"})
    assert len(resp.context["page"].object_list) == 30 and resp.context["page"].paginator.count == 32
    assert "kind=rental&amp;page=2" in _html(resp)
    assert len(_shown(client, kind="rental", page="2")) == 2


def test_the_list_runs_a_bounded_number_of_queries(client, users, point, django_assert_max_num_queries):
    for i in range(20):
        _inspected(point(name=f"出租屋{i}", kind="rental"), users.grid_xinhu1, i)
    client.force_login(users.town_haiyou)
    client.get(LIST)
    with django_assert_max_num_queries(13):
        assert client.get(LIST).status_code == 200


def test_a_grid_worker_sees_the_check_points_in_their_care(client, users, point):
    grid = _other_grid(users)
    cared = point(name="甲", area=grid.code)
    other = point(name="乙", area=grid.code, caretaker=None)
    own = point(name="丙", area=users.grid_xinhu1.area.code, caretaker=None)
    client.force_login(users.grid_xinhu1)
    assert set(_shown(client)) == {cared.pk, own.pk}
    assert client.get(_detail(cared)).status_code == 200
    assert client.get(_detail(other)).status_code == 404


# ---------------------------------------------------------------- registration


def test_register_through_the_form_with_the_kind_s_defaults(client, users):
    client.force_login(users.cadre_xinhu)
    resp = client.get(NEW)
    assert resp.status_code == 200
    caretakers = {u.username for u in resp.context["caretakers"]}
    assert "grid_xinhu1" in caretakers and "grid_jianzhong1" not in caretakers
    codes = {a.code for a in resp.context["places"]}
    assert XINHU in codes and JIANZHONG not in codes and all(c.startswith(XINHU) for c in codes)
    html = _html(resp)
    # each kind's usual checklist goes with its option (the placeholder) and is listed as help
    assert 'data-checklist="' + "\n".join(SCHOOL) + '"' in html and "; ".join(SCHOOL) in html
    before = timezone.now()
    resp = client.post(NEW, {"name": " 心湖小学 ", "kind": "school", "area": XINHU, "address": "心湖路1号",
                             "caretaker": "grid_xinhu1", "inspect_every_days": "", "checklist": " \r\n",
                             "note": "上下学时段重点巡查"})
    p = CheckPoint.objects.get()
    assert resp.status_code == 302 and resp["Location"] == _detail(p)
    assert (p.name, p.kind, p.area.code, p.address, p.caretaker) == ("心湖小学", "school", XINHU, "心湖路1号",
                                                                       users.grid_xinhu1)
    assert p.inspect_every_days == 7 and p.checklist == SCHOOL and p.registered_by == users.cadre_xinhu
    assert before + dt.timedelta(days=7) <= p.next_inspection_due <= timezone.now() + dt.timedelta(days=7)
    html = _html(client.get(resp["Location"], **EN))
    assert "平安点位已登记。" in html  # said in the language of the request that registered it
    assert all(f"<li>{item}</li>" in html for item in SCHOOL)


def test_register_with_its_own_checklist_and_interval(client, users):
    client.force_login(users.town_haiyou)
    resp = client.post(NEW, {"name": "湖滨出租屋", "kind": "rental", "area": XINHU, "inspect_every_days": "14",
                             "checklist": "租住人员已登记\r\n\r\n 电动车不在室内充电 \r\n租住人员已登记"})
    assert resp.status_code == 302
    p = CheckPoint.objects.get()
    assert p.inspect_every_days == 14 and p.checklist == ["租住人员已登记", "电动车不在室内充电"]


def test_registration_errors_re_show_the_form_with_the_message(client, users):
    client.force_login(users.cadre_xinhu)
    resp = client.post(NEW, {"name": "心湖小学", "kind": "school", "area": XINHU, "address": "心湖路1号",
                             "inspect_every_days": "0", "checklist": "校门安保\r\n消防器材", "note": "备注"})
    assert resp.status_code == 400
    html = _html(resp)
    assert "巡查周期应为 1 到 365 天" in html and 'data-field="inspect_every_days"' in html
    # what was typed is kept
    assert 'value="心湖小学"' in html and 'value="心湖路1号"' in html and 'value="0"' in html
    assert "校门安保\r\n消防器材</textarea>" in html and '<option value="school" data-days' in html
    assert re.search(r'<option value="school"[^>]* selected>', html)
    assert f'<option value="{XINHU}" selected>' in html
    for body, message in (
        ({"name": "", "kind": "school", "area": XINHU}, "请填写点位名称"),
        ({"name": "某处", "kind": "bank", "area": XINHU}, "点位类别无效"),
        ({"name": "某处", "kind": "school", "area": JIANZHONG}, "区域不存在或不在您的管辖范围内"),
        ({"name": "某处", "kind": "school", "area": XINHU, "caretaker": "grid_jianzhong1"}, "责任网格员"),
        ({"name": "某处", "kind": "school", "area": XINHU, "checklist": "项" * 101}, "每项检查内容不超过"),
    ):
        resp = client.post(NEW, body)
        assert resp.status_code == 400 and message in _html(resp), body
    resp = client.post(NEW, {"name": "", "kind": "school", "area": XINHU}, **EN)
    assert resp.status_code == 400 and "the name is required" in _html(resp)
    assert not CheckPoint.objects.exists()


# ---------------------------------------------------------------- inspections


def test_a_grid_worker_records_problems_and_a_hazard_matter_is_reported(client, users, point):
    p = point()
    before = Event.objects.count()
    client.force_login(users.grid_xinhu1)
    html = _html(client.get(_detail(p)))
    assert 'id="inspect-form"' in html and 'id="edit-form"' not in html and 'id="remove-form"' not in html
    assert 'id="report-hazard" checked' in html
    assert all(f'name="problem" value="{i}"' in html for i in range(len(SCHOOL)))
    resp = client.post(f"{_detail(p)}inspect/", {
        "checklist_key": re.search(r'name="checklist_key" value="(\w+)"', html).group(1),
        "problem": ["2", "3"], "note_2": "两具灭火器过期", "note_3": "", "note_4": "不在勾选项下,不记",
        "note": "已当场告知园方\r\n限期整改", "report": "1"}, follow=True, **EN)
    assert resp.status_code == 200 and resp.redirect_chain == [(_detail(p), 302)]
    inspection = Inspection.objects.get(point=p)
    assert inspection.by == users.grid_xinhu1 and inspection.outcome == "problems"
    assert inspection.note == "已当场告知园方\n限期整改"
    assert [(r["item"], r["note"]) for r in inspection.problems()] == [(SCHOOL[2], "两具灭火器过期"), (SCHOOL[3], "")]
    hazard = inspection.hazard
    assert hazard is not None and Event.objects.count() == before + 1
    assert hazard.channel == "grid_report" and hazard.area.code == XINHU and hazard.created_by == users.grid_xinhu1
    assert SCHOOL[2] in hazard.content and "两具灭火器过期" in hazard.content
    p.refresh_from_db()
    assert p.last_outcome == "problems" and p.next_inspection_due == inspection.inspected_at + dt.timedelta(days=7)
    html = _html(resp)
    assert "Inspection recorded." in html and f"The problems were reported as matter {hazard.number}." in html
    row = re.search(rf'<tr data-inspection="{inspection.pk}"[^>]*>(.*?)</tr>', html, re.S).group(1)
    assert f"{SCHOOL[2]}:两具灭火器过期" in row and "Problems found" in row
    # the grid worker may not open a matter of the village: its number, not a link
    assert not Event.objects.restrict(users.grid_xinhu1, "view").filter(pk=hazard.pk).exists()
    assert f'<td class="hazard">{hazard.number}</td>' in row and "/matters/" not in row
    assert f'<span id="next-due-at">{_local(p.next_inspection_due)}</span>' in html
    # the village's cadre may: a link to the matter
    client.force_login(users.cadre_xinhu)
    html = _html(client.get(_detail(p)))
    assert f'<a href="/matters/{hazard.pk}/">{hazard.number}</a>' in html


def test_an_inspection_in_order_or_not_reported_takes_in_no_matter(client, users, point):
    p = point()
    before = Event.objects.count()
    client.force_login(users.cadre_xinhu)
    when = timezone.localtime(timezone.now() - dt.timedelta(days=1)).replace(second=0, microsecond=0)
    resp = client.post(f"{_detail(p)}inspect/", {"note": "", "report": "1",
                                                 "inspected_at": when.strftime("%Y-%m-%dT%H:%M")})
    assert resp.status_code == 302
    first = Inspection.objects.get(point=p)
    assert first.outcome == "passed" and first.hazard is None and first.inspected_at == when
    # problems put right on the spot: the box unticked, nothing reported
    resp = client.post(f"{_detail(p)}inspect/", {"problem": "0", "note": "保安临时离岗,已回岗"})
    assert resp.status_code == 302
    second = Inspection.objects.exclude(pk=first.pk).get(point=p)
    assert second.outcome == "problems" and second.hazard is None
    assert Event.objects.count() == before
    html = _html(client.get(_detail(p)))
    assert f'<tr data-inspection="{second.pk}" class="outcome-problems">' in html
    assert re.search(rf'<tr data-inspection="{second.pk}".*?<td class="hazard">—</td>', html, re.S)


def test_bad_inspections_re_show_the_form_with_the_message_and_what_was_typed(client, users, point):
    p = point()
    url = f"{_detail(p)}inspect/"
    before = Event.objects.count()
    client.force_login(users.grid_xinhu1)
    resp = client.post(url, {"problem": ["1"], "note_1": "防冲撞桩缺失", "note": "  "})  # the report box unticked
    assert resp.status_code == 400
    html = _html(resp)
    assert "发现问题时请填写巡查说明" in html and 'data-field="note"' in html
    assert 'id="problem-1" checked' in html and 'id="problem-0">' in html
    assert 'value="防冲撞桩缺失"' in html and 'id="report-hazard">' in html  # left unticked
    resp = client.post(url, {"problem": ["1"], "note": ""}, **EN)
    assert resp.status_code == 400 and "a note is required when problems are found" in _html(resp)
    future = timezone.localtime(timezone.now() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    resp = client.post(url, {"inspected_at": future})
    assert resp.status_code == 400 and "巡查时间不能晚于现在" in _html(resp) and f'value="{future}"' in _html(resp)
    for body, message in (({"inspected_at": "yesterday"}, "巡查时间格式不正确"),
                          ({"problem": ["9"], "note": "x"}, "检查项不存在"),
                          ({"problem": ["abc"], "note": "x"}, "检查项不存在"),
                          ({"problem": ["1", "1"], "note": "x"}, "检查项重复"),
                          ({"problem": ["1"], "note_1": "长" * 201, "note": "x"}, "问题说明不能超过")):
        resp = client.post(url, body)
        assert resp.status_code == 400 and message in _html(resp), body
    assert not Inspection.objects.exists() and Event.objects.count() == before


def test_an_inspection_against_a_checklist_changed_meanwhile_is_refused(client, users, point):
    p = point()
    client.force_login(users.grid_xinhu1)
    key = re.search(r'name="checklist_key" value="(\w+)"', _html(client.get(_detail(p)))).group(1)
    points.update_point(p, by=users.cadre_xinhu, checklist=["消防器材在有效期内", *SCHOOL])  # item 2 moved
    resp = client.post(f"{_detail(p)}inspect/", {"checklist_key": key, "problem": "2", "note_2": "灭火器过期",
                                                  "note": "灭火器过期"})
    assert resp.status_code == 409 and "检查项已被他人修改" in _html(resp)
    assert not Inspection.objects.exists()
    # the form comes back without the ticks: item 2 is another item now, a plain resubmit must not move them
    html = _html(resp)
    assert 'name="problem" value="2" id="problem-2" checked' not in html and " checked>" not in html.split(
        'id="inspect-form"')[1].split("report-hazard")[0]
    assert "灭火器过期" not in html.split('id="inspect-form"')[1].split("</form>")[0]


def test_who_may_not_inspect(client, users, point):
    p = point()
    client.force_login(users.leader)  # reads the registry, does not inspect
    assert 'id="inspect-form"' not in _html(client.get(_detail(p)))
    resp = client.post(f"{_detail(p)}inspect/", {"note": ""})
    assert resp.status_code == 403 and "您的角色不能登记巡查" in _html(resp)
    points.remove_point(p, by=users.cadre_xinhu, reason="已搬迁")
    client.force_login(users.grid_xinhu1)
    assert 'id="inspect-form"' not in _html(client.get(_detail(p)))
    resp = client.post(f"{_detail(p)}inspect/", {"note": ""})
    assert resp.status_code == 409 and 'id="action-error"' in _html(resp) and "该点位已移出台账" in _html(resp)
    assert not Inspection.objects.exists()


# ---------------------------------------------------------------- changes and removal


def _edit_body(p, **kw) -> dict:
    """The edit form as the page sends it: every box back."""
    return {"version": str(p.version), "name": p.name, "kind": p.kind, "area": p.area.code, "address": p.address,
            "caretaker": p.caretaker.username if p.caretaker else "", "inspect_every_days": str(p.inspect_every_days),
            "checklist": "\r\n".join(p.checklist), "note": p.note, **kw}


def test_change_the_entry_through_the_form(client, users, point):
    p = point()
    client.force_login(users.cadre_xinhu)
    html = _html(client.get(_detail(p)))
    assert f'name="version" value="{p.version}"' in html and "\n".join(SCHOOL) + "</textarea>" in html
    resp = client.post(f"{_detail(p)}edit/", _edit_body(p, inspect_every_days="14", note="寒暑假每两周\r\n开学后每周",
                                                         checklist="校门安保人员在岗\r\n消防器材在有效期内"))
    assert resp.status_code == 302
    fresh = CheckPoint.objects.get(pk=p.pk)
    assert fresh.inspect_every_days == 14 and fresh.note == "寒暑假每两周\n开学后每周"
    assert fresh.checklist == ["校门安保人员在岗", "消防器材在有效期内"] and fresh.version == p.version + 1
    assert fresh.next_inspection_due == fresh.registered_at + dt.timedelta(days=14)
    # the form sent again unchanged changes nothing
    resp = client.post(f"{_detail(p)}edit/", _edit_body(fresh), follow=True)
    assert "没有修改任何内容" in _html(resp) and CheckPoint.objects.get(pk=p.pk).version == fresh.version


def test_an_edit_with_a_stale_version_is_a_409_and_keeps_what_was_typed(client, users, point):
    p = point()
    seen = _edit_body(p)
    points.update_point(p, by=users.town_haiyou, address="心湖路10号")  # someone else first
    client.force_login(users.cadre_xinhu)
    resp = client.post(f"{_detail(p)}edit/", {**seen, "inspect_every_days": "21", "note": "每三周巡查"})
    assert resp.status_code == 409
    html = _html(resp)
    assert "记录已被他人更新" in html and '<details class="action" open data-action="edit">' in html
    assert 'value="21"' in html and "每三周巡查</textarea>" in html
    fresh = CheckPoint.objects.get(pk=p.pk)
    assert fresh.inspect_every_days == 7 and fresh.note == "" and fresh.address == "心湖路10号"
    resp = client.post(f"{_detail(p)}remove/", {"version": seen["version"], "reason": "已搬迁"})
    assert resp.status_code == 409 and CheckPoint.objects.get(pk=p.pk).is_active


def test_change_errors_are_4xx(client, users, point):
    p = point()
    url = f"{_detail(p)}edit/"
    client.force_login(users.town_haiyou)
    for kw, message in (({"inspect_every_days": "500"}, "巡查周期应为 1 到 365 天"), ({"kind": "bank"}, "点位类别无效"),
                        ({"caretaker": "grid_jianzhong1"}, "责任网格员"), ({"checklist": " "}, "请至少填写一项检查内容"),
                        ({"name": ""}, "请填写点位名称")):
        resp = client.post(url, _edit_body(p, **kw))
        assert resp.status_code == 400 and message in _html(resp), kw
    client.force_login(users.grid_xinhu1)
    resp = client.post(url, _edit_body(p, inspect_every_days="3"))
    assert resp.status_code == 403 and "您的角色不能修改平安点位" in _html(resp)
    assert CheckPoint.objects.get(pk=p.pk).version == p.version


def test_remove_from_the_registry(client, users, point):
    p = point()
    url = f"{_detail(p)}remove/"
    client.force_login(users.cadre_xinhu)
    resp = client.post(url, {"version": str(p.version), "reason": " "})
    assert resp.status_code == 400 and "请填写移出理由" in _html(resp)
    resp = client.post(url, {"version": str(p.version), "reason": "幼儿园已搬迁"})
    assert resp.status_code == 302
    fresh = CheckPoint.objects.get(pk=p.pk)
    assert not fresh.is_active and fresh.removed_at is not None and fresh.removal_reason == "幼儿园已搬迁"
    html = _html(client.get(_detail(p)))
    assert 'id="point-removed"' in html and "幼儿园已搬迁" in html
    assert 'id="inspect-form"' not in html and 'id="edit-form"' not in html and 'id="remove-form"' not in html
    assert f'data-point="{p.pk}"' not in _html(client.get(LIST))
    assert f'data-point="{p.pk}"' in _html(client.get(LIST, {"active": "removed"}))
    # a second click: the form is gone, the refusal is said above the actions
    resp = client.post(url, {"version": str(fresh.version), "reason": "再次移出"})
    assert resp.status_code == 409 and 'id="action-error"' in _html(resp)


# ---------------------------------------------------------------- the menu and the phone page


def test_the_menu_links_the_registry_with_the_inspections_due(client, users, point):
    for username, shown in (("county_op", True), ("cadre_xinhu", True), ("grid_xinhu1", True), ("leader", True),
                            ("dept_police", False), ("mediator", False)):
        client.force_login(getattr(users, username))
        html = _html(client.get("/matters/" if username != "mediator" else "/mediation/disputes/"))
        assert ('id="nav-check-points"' in html) is shown, username
        assert 'id="nav-check-points-due"' not in html  # nothing due
    _inspected(point(name="甲"), users.grid_xinhu1, 10)  # overdue
    _inspected(point(name="乙"), users.grid_xinhu1, 5)  # due soon
    point(name="丙")  # due in a week
    _inspected(point(name="丁", area=JIANZHONG, by=users.town_jiantiao, caretaker=None), users.town_jiantiao, 10)
    for username, count in (("cadre_xinhu", 2), ("town_haiyou", 2), ("county_op", 3), ("town_jiantiao", 1)):
        client.force_login(getattr(users, username))
        html = _html(client.get("/matters/"))
        found = re.search(r'<span class="tag red" id="nav-check-points-due"[^>]*>(\d+)</span>', html)
        assert found and found.group(1) == str(count), username


def test_the_phone_page_links_to_the_inspections_due(client, users, point):
    overdue = point(name="甲")
    _inspected(overdue, users.grid_xinhu1, 10)
    point(name="乙")
    client.force_login(users.grid_xinhu1)
    html = _html(client.get("/m/"))
    link = re.search(r'<a href="([^"]+)" id="check-points-due-link" data-count="(\d+)">([^<]*)</a>', html)
    assert link and link.group(1) == "/grid/check-points/?due=due" and link.group(2) == "1"
    assert _shown(client, due="due") == [overdue.pk]


# ---------------------------------------------------------------- in a real browser


def _browser(steps):
    """``steps(page, seen)`` on a Chromium thread of its own (the web tests' ``BrowserThread``)."""
    def on_chromium(chromium, seen):
        steps(chromium.new_context(locale="zh-CN", viewport={"width": 1280, "height": 860}).new_page(), seen)
    return browser_fixtures.BrowserThread(on_chromium)


@pytest.fixture
def chromium_ready():
    browser_fixtures.need_chromium()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_grid_worker_records_an_inspection_with_one_problem(chromium_ready, live_server, demo_county, users,
                                                               point, screenshot_dir):
    from fengqiao.events.seed import link_departments, seed_categories, seed_policies

    # an earlier test's flush empties what the migrations seeded; the hazard needs its category
    seed_categories()
    seed_policies()
    link_departments()
    p = point()
    before = Event.objects.count()

    def steps(page, seen):
        browser_fixtures.login(page, live_server.url, "grid_xinhu1")
        page.goto(f"{live_server.url}/matters/")
        with page.expect_navigation():
            page.click("#nav-check-points")
        seen["total"] = page.locator("#count-total").get_attribute("data-count")
        page.screenshot(path=str(screenshot_dir / "check-points-list.png"), full_page=True)
        with page.expect_navigation():
            page.click(f"tr[data-point='{p.pk}'] td a")
        seen["items"] = page.locator("#point-checklist li").all_inner_texts()
        seen["report_ticked"] = page.locator("#report-hazard").is_checked()
        page.check("#problem-2")
        page.fill("#problem-note-2", "两具灭火器过期")
        page.fill("#inspect-form textarea[name=note]", "已当场告知园方,限期一周整改。")
        page.screenshot(path=str(screenshot_dir / "check-point-inspect.png"), full_page=True)
        with page.expect_navigation():
            page.click("#inspect-form button[type=submit]")
        seen["url"] = page.url
        seen["outcome"] = page.locator("#last-outcome").get_attribute("class")
        seen["next_due"] = page.locator("#next-due-at").inner_text()
        rows = page.locator("#inspections tbody tr[data-inspection]")
        seen["rows"] = rows.count()
        seen["row"] = rows.first.inner_text()
        seen["hazard"] = rows.first.locator("td.hazard").inner_text()
        page.screenshot(path=str(screenshot_dir / "check-point-inspected.png"), full_page=True)

    seen = _browser(steps).drive()
    assert seen["total"] == "1" and seen["items"] == SCHOOL and seen["report_ticked"]
    inspection = Inspection.objects.get(point=p)
    assert seen["url"].endswith(_detail(p)) and seen["rows"] == 1
    assert [(r["item"], r["note"]) for r in inspection.problems()] == [(SCHOOL[2], "两具灭火器过期")]
    assert inspection.by == users.grid_xinhu1 and inspection.note == "已当场告知园方,限期一周整改。"
    assert inspection.hazard is not None and Event.objects.count() == before + 1
    assert seen["outcome"] == "outcome outcome-problems"
    assert f"{SCHOOL[2]}:两具灭火器过期" in seen["row"] and seen["hazard"] == inspection.hazard.number
    p.refresh_from_db()
    assert seen["next_due"] == _local(p.next_inspection_due)


def test_a_grid_worker_filters_by_a_village_in_their_town_as_the_api_does(client, users, point):
    p = point()  # in 心湖社区, in grid_xinhu1's care
    client.force_login(users.grid_xinhu1)
    resp = client.get(LIST, {"area": XINHU})
    assert resp.status_code == 200 and [r["point"].pk for r in resp.context["rows"]] == [p.pk]
    assert not resp.context["errors"]


def test_a_form_sent_twice_records_one_inspection(client, users, point):
    p = point()
    client.force_login(users.grid_xinhu1)
    html = _html(client.get(_detail(p)))
    form = {"checklist_key": re.search(r'name="checklist_key" value="(\w+)"', html).group(1),
            "idempotency_key": re.search(r'name="idempotency_key" value="(\w+)"', html).group(1),
            "problem": "1", "note": "疏散通道堆物", "report": "1"}
    assert client.post(f"{_detail(p)}inspect/", form).status_code == 302
    resp = client.post(f"{_detail(p)}inspect/", form, follow=True)
    assert "该次巡查已登记过" in _html(resp)
    assert Inspection.objects.filter(point=p).count() == 1 and Event.objects.filter(channel="grid_report").count() == 1
