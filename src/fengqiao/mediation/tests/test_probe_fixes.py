"""What an outside probe of the mediation API found: values of the wrong kind taken for others
(a string for a boolean, a dict for text), a town's desk writing to the county centre's queue,
unknown fields silently ignored, NUL in free text, versions out of any range, the statistics
naming the wrong field, list filters that cannot be read answered with an empty list, and
instants in UTC where the rest of the API speaks local time."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fengqiao.mediation import actions

pytestmark = pytest.mark.django_db

B = "/api/v1/mediation"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def bilingual(resp, code: str | None = None, field: str | None = None) -> dict:
    body = resp.json()
    assert body.get("detail_zh") and body.get("detail_en"), body
    if code is not None:
        assert body["error"] == code, body
    if field is not None:
        assert body.get("field") == field, body
    return body


@pytest.fixture
def case(users, med, new_dispute):
    """A backlog case on a 海游街道 dispute, with the leader in charge."""
    d = new_dispute()
    return actions.open_backlog_case(dispute=d, reason="manual", by=users.county_op, leader=users.leader)


# ---------------------------------------------------------------- 1. kinds of values


def test_backlog_progress_refuses_what_is_no_text_and_false_never_resolves(api, users, case):
    client = api(users.county_op)
    url = f"{B}/backlog/{case.pk}/progress/"
    r = client.post(url, {"text": {"x": 1}, "resolved": "false"}, format="json")
    assert r.status_code == 400, r.content
    bilingual(r, field="text")
    case.refresh_from_db()
    assert case.status == "in_charge" and case.progress == [] and case.version == 0  # nothing written

    for bad in ("no", "yes", "", 1, 0, None, ["true"], {"v": True}):
        r = client.post(url, {"text": "已约谈", "resolved": bad}, format="json")
        assert r.status_code == 400, (bad, r.content)
        bilingual(r, field="resolved")
    case.refresh_from_db()
    assert case.status == "in_charge" and case.progress == []

    r = client.post(url, {"text": "已约谈双方", "resolved": "false"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "in_charge", r.content
    r = client.post(url, {"text": "再次约谈", "resolved": False}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "in_charge", r.content
    r = client.post(url, {"text": "双方和解", "resolved": "true"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "resolved", r.content


def test_backlog_close_and_assign_leader_refuse_what_is_no_text_or_id(api, users, case):
    client = api(users.county_op)
    r = client.post(f"{B}/backlog/{case.pk}/close/", {"result": 12345}, format="json")
    assert r.status_code == 400, r.content
    bilingual(r, field="result")
    url = f"{B}/backlog/{case.pk}/assign-leader/"
    for body, field in (({"leader": users.leader.pk, "plan": 5}, "plan"),
                        ({"leader": users.leader.pk, "plan": ["a"]}, "plan"),
                        ({"leader": True, "plan": "x"}, "leader"), ({"leader": 1.5}, "leader"),
                        ({"leader": {"id": users.leader.pk}}, "leader"), ({"plan": "x"}, "leader"),
                        ({"leader": users.leader.pk, "version": "x"}, "version")):
        r = client.post(url, body, format="json")
        assert r.status_code == 400, (body, r.content)
        bilingual(r, field=field)
    case.refresh_from_db()
    assert case.status == "in_charge" and case.result == "" and case.version == 0
    r = client.post(f"{B}/backlog/{case.pk}/close/", {"result": "已化解", "version": 0}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "closed", r.content


def test_hearing_record_refuses_what_is_no_text(api, users, case):
    h = actions.schedule_hearing(by=users.county_op, scheduled_at=timezone.now(), place="听证室",
                                 participants=["县领导"], backlog_case=case)
    client = api(users.county_op)
    for body, field in (({"outcome": ["settled"]}, "outcome"), ({"outcome": "settled", "summary": {"a": 1}}, "summary"),
                        ({"outcome": "settled", "summary": 7}, "summary")):
        r = client.post(f"{B}/hearings/{h.pk}/record/", body, format="json")
        assert r.status_code == 400, (body, r.content)
        bilingual(r, field=field)
    h.refresh_from_db()
    assert h.status == "scheduled" and h.version == 0
    r = client.post(f"{B}/hearings/{h.pk}/record/", {"outcome": "settled", "summary": "当场停访息诉"}, format="json")
    assert r.status_code == 200 and r.json()["outcome"] == "settled"


def test_the_court_decision_takes_only_a_true_or_false(users, med, new_dispute):
    from fengqiao.core.errors import UserError
    from fengqiao.mediation.actions._common import flag

    assert flag({"c": True}, "c") is True and flag({"c": "false"}, "c") is False
    assert flag({"c": "1"}, "c") is True and flag({"c": "0"}, "c") is False
    for bad in ("", "no", "maybe", 1, 0, [True]):
        with pytest.raises(UserError) as exc:
            flag({"c": bad}, "c")
        assert exc.value.status == 400 and exc.value.field == "c", bad


# ---------------------------------------------------------------- 2. whose queue


@pytest.fixture
def county_centre(med):
    return actions.upsert_organisation(name="三门县矛盾纠纷调处化解中心", kind="centre", area=med.county, windows=["1", "2"])


def test_a_town_desk_cannot_write_to_the_county_centres_queue(api, users, med, county_centre):
    from fengqiao.mediation.models import Ticket

    visitor = actions.take_ticket(centre=county_centre, by=users.county_op, visitor_name="王五",
                                  visitor_phone="13812345678", topic="欠薪")
    town = api(users.town_haiyou)
    r = town.post(f"{B}/tickets/", {"centre": county_centre.pk, "topic": "x"}, format="json")
    assert r.status_code == 404, r.content
    r = town.post(f"{B}/tickets/call-next/", {"centre": county_centre.pk, "window": "2"}, format="json")
    assert r.status_code == 404, r.content
    assert "13812345678" not in r.content.decode() and "王" not in r.content.decode()
    visitor.refresh_from_db()
    assert visitor.status == "waiting" and Ticket.objects.filter(centre=county_centre).count() == 1
    assert town.get(f"{B}/tickets/{visitor.pk}/").status_code == 404
    # its own centre still works, and the county's desk still serves its own centre
    assert town.post(f"{B}/tickets/", {"centre": med.centre.pk, "topic": "x"}, format="json").status_code == 201
    r = api(users.county_op).post(f"{B}/tickets/call-next/", {"centre": county_centre.pk, "window": "1"},
                                  format="json")
    assert r.status_code == 200 and r.json()["ticket"]["label"] == "A001"


def test_the_console_desk_of_a_town_cannot_serve_the_county_centre(client, users, med, county_centre):
    from fengqiao.mediation.models import Ticket

    visitor = actions.take_ticket(centre=county_centre, by=users.county_op, topic="欠薪")
    client.force_login(users.town_haiyou)
    page = client.get("/mediation/queue/", {"centre": county_centre.pk}, **EN)
    assert page.status_code == 200 and page.context["centre"] == med.centre
    assert county_centre not in page.context["centres"]
    for op in ({"op": "take", "topic": "x"}, {"op": "call", "window": "1"}):
        client.post("/mediation/queue/", {"centre": county_centre.pk, **op}, follow=True)
    visitor.refresh_from_db()
    assert visitor.status == "waiting"
    assert Ticket.objects.filter(centre=county_centre).count() == 1 and not Ticket.objects.filter(centre=med.centre)
    client.force_login(users.county_op)
    page = client.get("/mediation/queue/", {"centre": county_centre.pk})
    assert page.context["centre"] == county_centre


# ---------------------------------------------------------------- 3. unknown fields

DISPUTE = {"type": "neighbours", "title": "邻里纠纷", "facts": "事实", "area": "331022001001"}


@pytest.mark.parametrize("body,named", [
    ({**DISPUTE, "parties": [{"name": "甲", "role": "applicant"}, {"name": "乙", "role": "respondent"}]}, "role"),
    ({**DISPUTE, "parties": [{"name": "甲"}], "urgent": True}, "urgent"),
])
def test_registering_a_dispute_refuses_unknown_fields(api, users, med, body, named):
    from fengqiao.mediation.models import Dispute

    r = api(users.town_haiyou).post(f"{B}/disputes/", body, format="json", **EN)
    assert r.status_code == 400, r.content
    assert named in bilingual(r, "unknown_field")["detail_en"]
    assert not Dispute.objects.exists()


@pytest.mark.parametrize("body,field", [
    ({**DISPUTE, "title": 12345, "parties": [{"name": "甲"}]}, "title"),
    ({**DISPUTE, "parties": [{"name": 5}]}, "parties"),
    ({**DISPUTE, "parties": [{"name": "甲", "phone": 13812345678}]}, "parties"),
])
def test_registering_a_dispute_takes_text_as_text(api, users, med, body, field):
    from fengqiao.mediation.models import Dispute

    r = api(users.town_haiyou).post(f"{B}/disputes/", body, format="json")
    assert r.status_code == 400, r.content
    bilingual(r, "invalid", field)
    assert not Dispute.objects.exists()


def test_taking_a_number_takes_text_as_text(api, users, med):
    from fengqiao.mediation.models import Ticket

    r = api(users.town_haiyou).post(f"{B}/tickets/", {"centre": med.centre.pk, "topic": 12345}, format="json")
    assert r.status_code == 400, r.content
    bilingual(r, "invalid", "topic")
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("body", [
    {"action": "comment", "text": "x", "note": "y"}, {"action": "accept", "reason": "x"},
    {"action": "comment", "text": "x", "_skip_pdf": True}, {"action": "decline", "reson": "x"},
])
def test_a_dispute_action_refuses_fields_it_does_not_take(api, users, med, new_dispute, body):
    d = new_dispute()
    r = api(users.town_haiyou).post(f"{B}/disputes/{d.pk}/actions/", body, format="json")
    assert r.status_code == 400, r.content
    bilingual(r, "unknown_field")
    d.refresh_from_db()
    assert d.state == "registered" and d.version == 0 and d.timeline.count() == 1


def test_every_action_names_the_fields_it_takes():
    from fengqiao.mediation import transitions
    from fengqiao.mediation.actions.disputes import PARAMETERS

    assert set(PARAMETERS) == set(transitions.ACTIONS)
    for name, t in transitions.TABLE.items():
        assert set(t.required) <= set(PARAMETERS[name]), name


def test_backlog_and_queue_bodies_refuse_unknown_fields(api, users, med, case):
    client = api(users.county_op)
    for url, body in ((f"{B}/backlog/{case.pk}/progress/", {"text": "x", "resolve": True}),
                      (f"{B}/backlog/{case.pk}/close/", {"result": "x", "note": "y"}),
                      (f"{B}/tickets/", {"centre": med.centre.pk, "name": "王五"}),
                      (f"{B}/tickets/call-next/", {"centre": med.centre.pk, "window": "1", "x": 1})):
        r = client.post(url, body, format="json")
        assert r.status_code == 400, (url, r.content)
        bilingual(r, "unknown_field")
    case.refresh_from_db()
    assert case.progress == [] and case.status == "in_charge"


# ---------------------------------------------------------------- 4. NUL and control characters


@pytest.mark.parametrize("body", [
    {"action": "comment", "text": "a\u0000b"}, {"action": "comment", "text": "a\u0007b"},
    {"action": "decline", "reason": "原因\u001b"}, {"action": "accept", "note": "\u0000"},
])
def test_action_text_refuses_nul_and_control_characters(api, users, med, new_dispute, body):
    d = new_dispute()
    r = api(users.town_haiyou).post(f"{B}/disputes/{d.pk}/actions/", body, format="json")
    assert r.status_code == 400, r.content
    bilingual(r, "bad_text")
    d.refresh_from_db()
    assert d.version == 0 and d.timeline.count() == 1


def test_action_text_keeps_tabs_and_line_breaks(api, users, med, new_dispute):
    d = new_dispute()
    r = api(users.town_haiyou).post(f"{B}/disputes/{d.pk}/actions/", {"action": "comment", "text": "一\t二\r\n三"},
                                    format="json")
    assert r.status_code == 200, r.content


def test_backlog_text_and_hearing_participants_refuse_nul(api, users, case):
    r = api(users.county_op).post(f"{B}/backlog/{case.pk}/progress/", {"text": "a\u0000b"}, format="json")
    assert r.status_code == 400
    bilingual(r, "bad_text", "text")
    from fengqiao.core.errors import UserError

    with pytest.raises(UserError):
        actions.schedule_hearing(by=users.county_op, scheduled_at=timezone.now(), place="听证室",
                                 participants=["县\u0000领导"], backlog_case=case)


# ---------------------------------------------------------------- 5. versions


@pytest.mark.parametrize("version", [-5, 2**63, 1.5, True, "abc", "-1", [0]])
def test_an_action_version_out_of_range_is_a_400(api, users, med, new_dispute, version):
    d = new_dispute()
    r = api(users.town_haiyou).post(f"{B}/disputes/{d.pk}/actions/", {"action": "accept", "version": version},
                                    format="json")
    assert r.status_code == 400, (version, r.content)
    bilingual(r, "bad_version", "version")
    d.refresh_from_db()
    assert d.state == "registered"


def test_a_stale_version_is_still_a_409(api, users, med, new_dispute):
    d = new_dispute()
    client = api(users.town_haiyou)
    assert client.post(f"{B}/disputes/{d.pk}/actions/", {"action": "accept", "version": 7},
                       format="json").status_code == 409
    assert client.post(f"{B}/disputes/{d.pk}/actions/", {"action": "accept", "version": "0"},
                       format="json").status_code == 200


def test_console_version_out_of_range_is_a_400(client, users, med, new_dispute):
    d = new_dispute()
    client.force_login(users.town_haiyou)
    r = client.post(f"/mediation/disputes/{d.pk}/act/", {"action": "accept", "version": "-5"})
    assert r.status_code == 400
    d.refresh_from_db()
    assert d.state == "registered"


# ---------------------------------------------------------------- 6. statistics


@pytest.mark.parametrize("params,field", [
    ({"to": "0000-01-01"}, "to"), ({"from": "2026-01-01", "to": "9999-12-31"}, "to"),
    ({"from": "2026-01-01", "to": "2026-13-01"}, "to"), ({"from": "2026-02-30", "to": "2026-03-01"}, "from"),
    ({"from": "0001-01-01", "to": "2026-01-01"}, "from"), ({"from": "x"}, "from"), ({"to": "x"}, "to"),
])
def test_statistics_name_the_date_that_is_wrong(api, users, params, field):
    r = api(users.county_op).get(f"{B}/stats/", params)
    assert r.status_code == 400, r.content
    bilingual(r, field=field)


def test_statistics_refuse_an_unknown_format(api, users):
    client = api(users.county_op)
    r = client.get(f"{B}/stats/", {"as": "pdf"}, **EN)
    assert r.status_code == 400, r.content
    assert "xlsx" in bilingual(r, field="as")["detail_en"]
    assert client.get(f"{B}/stats/", {"as": "xlsx"}).status_code == 200
    assert client.get(f"{B}/stats/").status_code == 200


# ---------------------------------------------------------------- 7. list filters


@pytest.mark.parametrize("params,field", [
    ({"sla_color": "x"}, "sla_color"), ({"type": "bad"}, "type"), ({"source": "fax"}, "source"),
])
def test_the_dispute_list_refuses_filters_it_cannot_read(api, users, med, params, field):
    r = api(users.town_haiyou).get(f"{B}/disputes/", params)
    assert r.status_code == 400, r.content
    body = r.json()
    assert body["error"] == "invalid" and body["detail_zh"] and body["detail_en"] and field in body["fields"]
    message = " ".join(body["fields"][field])
    assert params[field] in message and any("\u4e00" <= ch <= "\u9fff" for ch in message)


def test_the_dispute_list_filters_still_filter(api, users, med, new_dispute):
    d = new_dispute(type_code="neighbour_boundary")
    client = api(users.town_haiyou)
    for params in ({"sla_color": "green"}, {"type": "neighbours"}, {"type": "neighbour_boundary"},
                   {"source": "walk_in"}):
        r = client.get(f"{B}/disputes/", params)
        assert r.status_code == 200 and [x["id"] for x in r.json()["results"]] == [d.pk], params
    assert client.get(f"{B}/disputes/", {"type": "labour"}).json()["count"] == 0


# ---------------------------------------------------------------- 8. local time


def _local(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert value.utcoffset() == dt.timedelta(hours=8), text
    return value


def test_the_screen_and_the_progress_reports_speak_local_time(api, users, med, case):
    actions.take_ticket(centre=med.centre, by=users.town_haiyou)
    client = api(users.town_haiyou)
    r = client.post(f"{B}/tickets/call-next/", {"centre": med.centre.pk, "window": "1"}, format="json")
    called = r.json()["ticket"]["called_at"]
    screen = client.get(f"{B}/tickets/screen/", {"centre": med.centre.pk}).json()
    shown = screen["serving"][0]["called_at"]
    assert _local(shown) == _local(called)

    r = api(users.county_op).post(f"{B}/backlog/{case.pk}/progress/", {"text": "已约谈"}, format="json")
    assert r.status_code == 200
    _local(r.json()["progress"][0]["at"])
    # a report stored before (in UTC) is shown in local time too
    case.refresh_from_db()
    case.progress = [{**case.progress[0], "at": "2026-03-01T01:30:00+00:00"}]
    case.save(update_fields=["progress"])
    at = api(users.county_op).get(f"{B}/backlog/{case.pk}/").json()["progress"][0]["at"]
    assert _local(at) == dt.datetime(2026, 3, 1, 1, 30, tzinfo=dt.UTC)


def test_a_client_cannot_set_the_match_score_of_an_assignment(api, users, med, new_dispute):
    d = new_dispute()
    resp = api(users.town_haiyou).post(f"/api/v1/mediation/disputes/{d.pk}/actions/", {
        "action": "assign", "mediators": [med.wang.pk], "scores": {str(med.wang.pk): 1.0}}, format="json")
    assert resp.status_code == 400 and resp.json()["error"] == "unknown_field"
    assert not d.assignments.exists()


@pytest.mark.parametrize("path, body", [
    ("organisations/", {"name": "新调委会", "kind": "committee", "area": "331022001", "adress": "x"}),
    ("templates/", {"name": "通用", "title": "人民调解协议书", "body": "{parties}", "titel": "x"}),
])
def test_registry_writes_refuse_unknown_keys(api, users, path, body):
    resp = api(users.county_op).post(f"{B}/{path}", body, format="json")
    assert resp.status_code == 400 and resp.json()["error"] == "unknown_field", resp.content
