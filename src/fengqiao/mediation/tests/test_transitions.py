"""Every transition of the table, allowed and forbidden; concurrency; the SLA sweep."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fengqiao.core.errors import Conflict, UserError
from fengqiao.mediation import actions, transitions
from fengqiao.mediation.choices import State

pytestmark = pytest.mark.django_db

MINUTES = {"minutes": "记录", "place": "调解室"}


def drive(d, by, med, upto: str):
    """Bring a dispute to a state through the actions."""
    path = {
        "accepted": [("accept", {})],
        "in_mediation": [("accept", {}), ("assign", {"mediators": [med.li.pk]}), ("start", {})],
        "succeeded": [("accept", {}), ("assign", {"mediators": [med.li.pk]}), ("start", {}), ("record_session", MINUTES),
                      ("succeed", {"terms": "条款", "_skip_pdf": True})],
        "failed": [("accept", {}), ("assign", {"mediators": [med.li.pk]}), ("start", {}), ("record_session", MINUTES),
                   ("fail", {"reason": "不成"})],
        "followed_up": [("accept", {}), ("assign", {"mediators": [med.li.pk]}), ("start", {}),
                        ("record_session", MINUTES), ("succeed", {"terms": "条款", "_skip_pdf": True}),
                        ("follow_up", {"honoured": "yes"})],
        "archived": [("accept", {}), ("assign", {"mediators": [med.li.pk]}), ("start", {}), ("record_session", MINUTES),
                     ("succeed", {"terms": "条款", "_skip_pdf": True}), ("follow_up", {"honoured": "yes"}),
                     ("archive", {})],
        "declined": [("decline", {"reason": "不属于受理范围"})],
        "withdrawn": [("withdraw", {"reason": "撤回"})],
        "registered": [],
    }[upto]
    for action, params in path:
        d = actions.act(d, action, by=by, params=params)
    assert d.state == upto
    return d


EXPECTED = {
    "registered": {"accept", "decline", "assign", "withdraw", "escalate", "supervise", "mark_backlog", "comment"},
    "accepted": {"assign", "schedule_session", "withdraw", "escalate", "supervise", "mark_backlog", "comment"},
    "in_mediation": {"assign", "schedule_session", "record_session", "withdraw", "escalate", "supervise",
                     "mark_backlog", "comment"},
    "succeeded": {"follow_up", "apply_confirmation", "regenerate_agreement", "comment"},
    "failed": {"refer", "retry", "supervise", "mark_backlog", "comment"},
    "followed_up": {"archive", "apply_confirmation", "regenerate_agreement", "comment"},
    "archived": {"apply_confirmation", "regenerate_agreement", "comment"},
    "declined": {"comment"},
    "withdrawn": {"comment"},
}


@pytest.mark.parametrize("state", list(EXPECTED))
def test_allowed_actions_per_state(state, users, med, new_dispute):
    d = drive(new_dispute(), users.town_haiyou, med, state)
    assert set(transitions.allowed_actions(d, users.town_haiyou)) == EXPECTED[state]
    # Every action outside the allowed set is refused with a 4xx and changes nothing.
    for action in set(transitions.ACTIONS) - EXPECTED[state]:
        version = d.version
        with pytest.raises(UserError) as exc:
            actions.act(d, action, by=users.town_haiyou, params={"reason": "x", "text": "x", "terms": "x"})
        assert 400 <= exc.value.status < 500
        d.refresh_from_db()
        assert d.version == version and d.state == state


def test_guards(users, med, new_dispute):
    staff = users.town_haiyou
    d = drive(new_dispute(), staff, med, "accepted")
    with pytest.raises(Conflict, match="lead mediator"):
        actions.act(d, "start", by=staff)
    d = drive(new_dispute(), staff, med, "in_mediation")
    with pytest.raises(Conflict) as exc:
        actions.act(d, "succeed", by=staff, params={"terms": "x"})
    assert exc.value.code == "no_session"
    d = drive(new_dispute(), staff, med, "failed")
    d = actions.act(d, "retry", by=staff, params={"reason": "换调解员再调"})
    assert d.state == State.ACCEPTED and d.due_at
    d = actions.act(d, "assign", by=staff, params={"mediators": [med.wang.pk]})
    with pytest.raises(Conflict) as exc:
        actions.act(d, "assign", by=staff, params={"mediators": [med.li.pk]})  # failed on it before
    assert exc.value.code == "conflict_of_interest"


def test_roles_and_relations(users, med, new_dispute):
    d = new_dispute()
    with pytest.raises(Conflict) as exc:
        actions.act(d, "accept", by=users.town_jiantiao)  # another town's centre
    assert exc.value.code == "not_in_charge"
    with pytest.raises(Conflict) as exc:
        actions.act(d, "accept", by=users.grid_xinhu1)
    assert exc.value.code == "role_not_allowed"
    d = actions.act(d, "accept", by=users.county_op)  # the county centre covers every town
    # 蔡文 (老蔡调解工作室) is not on this case: not in charge until assigned.
    with pytest.raises(Conflict):
        actions.act(d, "start", by=users.mediator)
    d = actions.act(d, "assign", by=users.county_op, params={"mediators": [med.cai.pk]})
    d = actions.act(d, "start", by=users.mediator)
    assert d.state == State.IN_MEDIATION
    d = actions.act(d, "supervise", by=users.leader, params={"reason": "请加快"})
    assert d.supervised


def test_stale_version_loses(users, med, new_dispute):
    d = new_dispute()
    v = d.version
    actions.act(d, "accept", by=users.town_haiyou, expected_version=v)
    with pytest.raises(Conflict) as exc:
        actions.act(d, "decline", by=users.county_op, params={"reason": "x"}, expected_version=v)
    assert exc.value.code == "stale_version"
    with pytest.raises(Conflict) as exc:  # without a version the state check refuses the second actor
        actions.act(d, "accept", by=users.county_op)
    assert exc.value.code == "transition_not_allowed"


def test_confirmation_window(users, med, new_dispute):
    d = drive(new_dispute(), users.town_haiyou, med, "succeeded")
    assert d.confirmation_deadline - d.concluded_at == dt.timedelta(days=30)
    type(d).objects.filter(pk=d.pk).update(confirmation_deadline=timezone.now() - dt.timedelta(minutes=1))
    with pytest.raises(Conflict) as exc:
        actions.act(d, "apply_confirmation", by=users.town_haiyou, params={"court": "三门县人民法院"})
    assert exc.value.code == "confirmation_window_closed"


def test_sweep_yellow_red_escalation_and_backlog(users, med, new_dispute):
    from fengqiao.mediation.models import BacklogCase

    d = drive(new_dispute(), users.town_haiyou, med, "in_mediation")
    actions.sweep(d.warn_at + dt.timedelta(seconds=1))
    d.refresh_from_db()
    assert d.sla_color == "yellow"
    actions.sweep(d.due_at + dt.timedelta(seconds=1))
    d.refresh_from_db()
    assert d.sla_color == "red" and d.overdue and d.escalated_to.code == "331022"
    assert [e.action for e in d.timeline.all()][-2:] == ["warning", "overdue"]
    actions.sweep(d.due_at + dt.timedelta(seconds=2))
    assert [e.action for e in d.timeline.all()].count("overdue") == 1  # once
    # Open longer than the threshold → a backlog case awaiting a leader.
    actions.sweep(d.registered_at + dt.timedelta(days=61))
    case = BacklogCase.objects.get(dispute=d)
    assert case.reason == "open_too_long" and case.status == "open"
    actions.sweep(d.registered_at + dt.timedelta(days=62))
    assert BacklogCase.objects.filter(dispute=d).count() == 1


def test_failed_twice_becomes_backlog_with_leader_and_hearing(api, users, med, new_dispute):
    from fengqiao.mediation.models import BacklogCase

    staff = users.town_haiyou
    d = drive(new_dispute(), staff, med, "failed")
    d = actions.act(d, "retry", by=staff, params={"reason": "再调"})
    for a, p in [("assign", {"mediators": [med.wang.pk]}), ("start", {}), ("record_session", MINUTES),
                 ("fail", {"reason": "仍不成"})]:
        d = actions.act(d, a, by=staff, params=p)
    assert d.failed_count == 2
    actions.sweep()
    case = BacklogCase.objects.get(dispute=d)
    assert case.reason == "failed_twice"
    client = api(users.county_op)
    r = client.post(f"/api/v1/mediation/backlog/{case.pk}/assign-leader/",
                    {"leader": users.leader.pk, "plan": "领导包案,召开听证"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "in_charge" and r.json()["leader_name"] == "李建国"
    lc = api(users.leader)
    assert lc.get(f"/api/v1/mediation/backlog/{case.pk}/").status_code == 200
    r = lc.post(f"/api/v1/mediation/backlog/{case.pk}/progress/", {"text": "已约谈双方"}, format="json")
    assert r.status_code == 200 and len(r.json()["progress"]) == 1
    r = lc.post("/api/v1/mediation/hearings/", {"backlog_case": case.pk, "scheduled_at": timezone.now().isoformat(),
                                                "place": "县矛调中心听证室", "participants": ["县领导", "法官", "律师", "群众代表"]},
                format="json")
    assert r.status_code == 201, r.content
    hid = r.json()["id"]
    r = lc.post(f"/api/v1/mediation/hearings/{hid}/record/", {"outcome": "settled", "summary": "当场停访息诉"},
                format="json")
    assert r.status_code == 200 and r.json()["outcome"] == "settled"
    assert lc.post(f"/api/v1/mediation/hearings/{hid}/record/", {"outcome": "settled"}, format="json").status_code == 409
    r = lc.post(f"/api/v1/mediation/backlog/{case.pk}/close/", {"result": "已化解"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "closed"
    # The jiantiao town centre does not see it.
    assert api(users.town_jiantiao).get(f"/api/v1/mediation/backlog/{case.pk}/").status_code == 404
