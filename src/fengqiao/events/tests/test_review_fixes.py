"""Regressions from the code review: odd ids are 4xx, merges cannot cross, Open311 hides others."""

import pytest

from fengqiao.areas.models import Area
from fengqiao.events.actions import create_event, perform

pytestmark = pytest.mark.django_db


def _accepted(by, title):
    e, _ = create_event(by=by, channel="hotline_12345", title=title, content=title + "请处理", address="海游街道心湖社区")
    perform(e, "accept", by=by)
    e.refresh_from_db()
    return e


def test_non_ascii_and_huge_ids_are_400(api, users):
    e = _accepted(users.county_op, "楼道堆物")
    client = api(users.county_op)
    for body in ({"action": "merge", "into": "²"}, {"action": "comment", "text": "x", "attachments": ["²"]},
                 {"action": "comment", "text": "x", "attachments": ["9" * 30]}):
        resp = client.post(f"/api/v1/events/{e.pk}/actions/", body, format="json")
        assert 400 <= resp.status_code < 500, (body, resp.status_code)


def test_crossed_merges_cannot_both_win(users):
    from fengqiao.core.errors import Conflict

    a = _accepted(users.county_op, "路灯不亮A")
    b = _accepted(users.county_op, "路灯不亮B")
    stale_a = type(a).objects.get(pk=a.pk)  # the second operator opened both before the first merge
    stale_b = type(b).objects.get(pk=b.pk)
    perform(a, "merge", by=users.county_op, into=b)
    a.refresh_from_db()
    with pytest.raises(Conflict):  # the target claim refuses it, not the early state check
        perform(stale_b, "merge", by=users.county_op2, into=stale_a)
    b.refresh_from_db()
    assert a.state == "merged" and b.state != "merged"


def test_open311_odd_ids_and_dates_are_400(api, users):
    from fengqiao.accounts.actions import token_for

    key = token_for(users.county_op)
    client = api()
    for params in ({"service_request_id": "²"}, {"service_request_id": "9" * 30},
                   {"end_date": "0001-01-05T00:00:00+00:00"}, {"end_date": "garbage"}):
        resp = client.get("/open311/v2/requests.json", {"api_key": key, **params})
        assert resp.status_code == 400, (params, resp.status_code)


def test_open311_external_id_of_another_town_reveals_nothing(api, users):
    from fengqiao.accounts.actions import token_for

    create_event(by=users.county_op, channel="citizen_app", title="健跳镇道路破损", content="健跳镇健中居委会道路破损",
                 address="健跳镇健中居委会", channel_ref="EXT-REVIEW-1", area=Area.objects.get(code="331022105001"))
    client = api()
    resp = client.post("/open311/v2/requests.json", {
        "api_key": token_for(users.town_haiyou), "service_code": "urban.road", "description": "海游街道心湖社区道路破损",
        "address_string": "海游街道心湖社区", "external_id": "EXT-REVIEW-1"})
    assert resp.status_code == 409, resp.content
    assert "service_request_id" not in resp.content.decode()


def test_unmasked_list_page_writes_one_audit_record(api, users):
    from fengqiao.core.models import AuditRecord

    for i in range(3):
        create_event(by=users.county_op, channel="hotline_12345", title=f"噪音{i}", content=f"噪音扰民{i}",
                     address="海游街道心湖社区", reporter_phone="13812345678")
    before = AuditRecord.objects.filter(action="view_personal").count()
    resp = api(users.county_op).get("/api/v1/events/", {"unmask": "1", "page_size": 3})
    assert resp.status_code == 200 and "13812345678" in resp.content.decode()
    records = AuditRecord.objects.filter(action="view_personal").order_by("-id")
    assert records.count() == before + 1
    assert len(records.first().after["ids"]) == 3


def test_extension_days_that_are_not_whole_numbers_are_400(api, users):
    e = _accepted(users.county_op, "路面塌陷")
    client = api(users.county_op)
    perform(e, "dispatch", by=users.county_op, to_unit=Area.objects.get(code="331022001"))
    town = api(users.town_haiyou)
    town.post(f"/api/v1/events/{e.pk}/actions/", {"action": "sign"}, format="json")
    for days in ("1e400", "true", "1.5"):
        resp = town.post(f"/api/v1/events/{e.pk}/actions/", data='{"action": "request_extension", "reason": "x", '
                         f'"days": {days}}}', content_type="application/json")
        assert resp.status_code == 400, (days, resp.status_code, resp.content)
    assert client.get(f"/api/v1/events/{e.pk}/").status_code == 200


def test_a_cohandler_must_be_a_unit_of_the_callers_county(users):
    """A co-handler sees the matter and its reporter: a unit of another county is refused."""
    from fengqiao.areas.models import Department
    from fengqiao.core.errors import UserError

    e = _accepted(users.county_op, "河道垃圾")
    other = Area.objects.create(code="330000999", name="外县", level="county", path="/330000999/", depth=0)
    other_town = Area.objects.create(code="330000999001", name="外县某镇", level="town", parent=other,
                                     path="/330000999/330000999001/", depth=1)
    other_dept = Department.objects.create(code="X-ZF", name="外县执法局", county=other)
    for unit in (other_town, other_dept):
        with pytest.raises(UserError) as exc:
            perform(e, "add_cohandler", by=users.county_op, unit=unit)
        assert exc.value.code == "unit_outside"
    e.refresh_from_db()
    perform(e, "add_cohandler", by=users.county_op, unit=Department.objects.filter(county__code="331022").first())


def test_a_matter_taken_in_as_finished_has_its_closing_time(users):
    """Imported work orders that were already closed keep received = closed (set by the action)."""
    e, _ = create_event(by=users.county_op, channel="hotline_12345", title="旧工单", content="已办结的旧工单",
                        state="closed", channel_ref="OLD-1")
    e.refresh_from_db()
    assert e.closed_at == e.received_at
