"""Every action of the table, in every state: allowed where the table says, 409 elsewhere."""

from __future__ import annotations

import pytest
from django.utils import timezone

from fengqiao.core.errors import Conflict, UserError
from fengqiao.events import actions, transitions
from fengqiao.events.choices import State
from fengqiao.events.models import Event

from .conftest import HAIYOU, JIANTIAO, XINHU, area, dept, new_event, photo

pytestmark = pytest.mark.django_db

ALL_STATES = list(State.values)
CASES = [(a, s) for a in transitions.ACTIONS for s in ALL_STATES]


def actor_and_kwargs(action: str, ev: Event, users) -> tuple:
    """Who performs ``action`` in the matrix, with valid arguments (after any preparation)."""
    county, town, leader = users.county_op, users.town_haiyou, users.leader
    state = ev.state
    if action in {"accept"}:
        return county, {}
    if action in {"reject", "cancel", "reopen", "close"}:
        return county, {"reason": "测试理由"}
    if action == "merge":
        return county, {"into": new_event(county, title="主件")}
    if action == "relocate":
        return county, {"place": area(JIANTIAO)}
    if action == "dispatch":
        if state == State.SIGNED:
            return town, {"to_unit": area(XINHU)}
        return county, {"to_unit": area(HAIYOU)}
    if action in {"sign", "start"}:
        return town, {}
    if action == "return":
        return town, {"reason": "不属于本单位职责"}
    if action == "resolve":
        return town, {"result": "已处理"}
    if action == "verify":
        return county, {"feedback": "unsatisfied"}
    if action == "escalate":
        if state in transitions.WORKING:
            return town, {"reason": "需要县级协调"}
        return county, {"reason": "需要县级协调"}
    if action == "request_extension":
        return town, {"days": 3, "reason": "需协调多个部门"}
    if action == "approve_extension":
        if state in transitions.WORKING:
            actions.request_extension(ev, by=town, days=3, reason="需协调")
        return county, {"approve": True}
    if action == "pause":
        return town, {"reason": "等待群众补充材料"}
    if action == "resume":
        if state in transitions.WORKING:
            actions.pause_event(ev, by=town, reason="等待群众补充材料")
        return town, {}
    if action in {"supervise", "list"}:
        return leader, {"reason": "请加快办理"}
    if action == "delist":
        if state in transitions.TABLE["delist"].sources:
            Event.objects.filter(pk=ev.pk).update(listed=True, listed_at=timezone.now())
            ev.refresh_from_db()
        return leader, {"evidence": [photo(ev, county).pk]}
    if action == "add_cohandler":
        return county, {"unit": dept("ZF")}
    if action == "comment":
        return county, {"text": "已电话联系群众"}
    raise AssertionError(action)


@pytest.mark.parametrize("action,state", CASES, ids=[f"{a}-{s}" for a, s in CASES])
def test_table(action, state, make, users):
    t = transitions.TABLE[action]
    creator = "town_haiyou" if action == "escalate" else "county_op"
    ev = make(state, feedback="unsatisfied", creator=creator)
    assert ev.state == state
    by, kwargs = actor_and_kwargs(action, ev, users)
    before = ev.version
    if state in t.sources:
        result = actions.perform(ev, action, by=by, **kwargs)
        assert result.state == (t.target or state)
        stored = Event.objects.get(pk=ev.pk)
        assert stored.state == result.state and stored.version > before
        last = stored.timeline.order_by("-id").first()
        assert last.action == action and last.from_state == state and last.to_state == stored.state
    else:
        with pytest.raises(Conflict) as exc:
            actions.perform(ev, action, by=by, **kwargs)
        assert exc.value.code == "transition_not_allowed"
        assert Event.objects.get(pk=ev.pk).state == state


def test_every_action_of_domain_is_in_the_table():
    names = {"accept", "reject", "merge", "cancel", "dispatch", "sign", "return", "start", "resolve", "verify",
             "reopen", "close", "escalate", "request_extension", "approve_extension", "supervise", "list", "delist",
             "add_cohandler", "comment"}
    assert names <= set(transitions.TABLE)
    assert set(transitions.TABLE) == set(actions.FUNCTIONS)


@pytest.mark.parametrize("action,username", [
    ("accept", "grid_xinhu1"), ("accept", "dept_zhifa"), ("accept", "leader"), ("accept", "town_jiantiao"),
])
def test_role_or_relation_refused_with_409(action, username, make, users):
    ev = make("received")
    with pytest.raises(Conflict) as exc:
        actions.perform(ev, action, by=getattr(users, username))
    assert exc.value.code in {"role_not_allowed", "not_in_charge"}


def test_only_the_handling_unit_signs(make, users):
    ev = make("dispatched")
    for name in ("town_jiantiao", "dept_zhifa", "cadre_xinhu"):
        with pytest.raises(Conflict) as exc:
            actions.sign_event(ev, by=getattr(users, name))
        assert exc.value.code in {"not_in_charge", "role_not_allowed"}
    actions.sign_event(ev, by=users.town_haiyou)


def test_reopen_needs_unsatisfied_and_close_unsatisfied_needs_reason(make, users):
    ev = make("verified", feedback="satisfied")
    with pytest.raises(Conflict) as exc:
        actions.reopen_event(ev, by=users.county_op, reason="x")
    assert exc.value.code == "reopen_needs_unsatisfied"
    ev2 = make("verified", feedback="unsatisfied")
    with pytest.raises(UserError) as exc2:
        actions.close_event(ev2, by=users.county_op)
    assert exc2.value.code == "reason_required"


def test_delist_needs_evidence(make, users):
    ev = make("in_progress")
    actions.list_event(ev, by=users.leader, reason="重大隐患挂牌")
    with pytest.raises(UserError) as exc:
        actions.delist_event(ev, by=users.leader, evidence=[])
    assert exc.value.code == "required"
    actions.delist_event(ev, by=users.leader, evidence=[photo(ev, users.town_haiyou).pk], reason="已整改")
    assert Event.objects.get(pk=ev.pk).listed is False


def test_redispatch_by_the_town_and_return(make, users):
    ev = make("signed")
    actions.dispatch_event(ev, to_unit=area(XINHU), by=users.town_haiyou)
    assert ev.handling_area.code == XINHU
    actions.sign_event(ev, by=users.cadre_xinhu)
    actions.return_event(ev, by=users.cadre_xinhu, reason="不属于本社区")
    ev.refresh_from_db()
    assert ev.state == "accepted" and ev.handling_area_id is None and ev.return_count == 1


def test_town_cannot_dispatch_outside_its_town(make, users):
    ev = make("signed")
    with pytest.raises(UserError) as exc:
        actions.dispatch_event(ev, to_unit=area("331022105001"), by=users.town_haiyou)
    assert exc.value.code == "unit_outside"


def test_allowed_actions_follow_the_table(make, users):
    ev = make("received")
    assert "accept" in transitions.allowed_actions(ev, users.county_op)
    assert "sign" not in transitions.allowed_actions(ev, users.county_op)
    assert transitions.allowed_actions(ev, users.grid_xinhu1) == ["comment"]
    ev = make("dispatched")
    assert {"sign", "return", "comment"} <= set(transitions.allowed_actions(ev, users.town_haiyou))
