"""The inputs of the actions, one source: the caller's ``version`` is checked by the actions
(``perform``), not by a view; the API's action body (and its schema) is built from the
parameters the action functions declare."""

from __future__ import annotations

import pytest
from rest_framework import serializers

from fengqiao.core.errors import Conflict, UserError
from fengqiao.events import actions
from fengqiao.events.api import ACTION_INPUTS, EventActionSerializer, action_input_fields
from fengqiao.events.models import Cohandler, Event, TimelineEntry

from .conftest import dept, new_event

pytestmark = pytest.mark.django_db


def _accepted(users) -> Event:
    ev = new_event(users.county_op)
    actions.accept_event(ev, by=users.county_op)
    return Event.objects.get(pk=ev.pk)


# ---------------------------------------------------------------- the caller's version


def test_perform_refuses_a_version_the_caller_did_not_see(users):
    ev = _accepted(users)
    seen = ev.version - 1
    with pytest.raises(Conflict) as caught:
        actions.perform(ev, "comment", by=users.county_op, version=seen, text="旧版本")
    err = caught.value
    assert err.code == "stale" and err.status == 409
    assert err.zh == "事件已被他人处理,请刷新后重试"
    assert err.en == "someone else acted on this matter first; reload and try again"
    assert not TimelineEntry.objects.filter(event=ev, reason="旧版本").exists()
    assert Event.objects.get(pk=ev.pk).version == seen + 1  # untouched


def test_perform_runs_on_the_version_the_caller_saw(users):
    ev = _accepted(users)
    seen = ev.version
    actions.perform(ev, "comment", by=users.county_op, version=seen, text="当前版本")
    assert Event.objects.get(pk=ev.pk).version == seen + 1
    assert TimelineEntry.objects.filter(event=ev, reason="当前版本").exists()


def test_stale_comes_before_the_actions_own_checks(users):
    """A stale caller is told to reload, not that its (old) form lacks a field."""
    ev = _accepted(users)
    with pytest.raises(Conflict) as caught:
        actions.perform(ev, "reject", by=users.county_op, version=ev.version + 1, reason="")
    assert caught.value.code == "stale"


def test_a_write_between_the_check_and_the_update_is_still_stale(users):
    """The caller saw version v and the matter was loaded at v, but another operator writes
    before this action's UPDATE: the conditional UPDATE (on the loaded = the caller's version)
    refuses it, and what the action wrote before it (the co-handler row) is rolled back."""
    ev = _accepted(users)
    seen = ev.version
    other = Event.objects.get(pk=ev.pk)
    actions.perform(other, "comment", by=users.county_op2, text="别人先处理")  # lands after our load
    with pytest.raises(Conflict) as caught:
        actions.perform(ev, "add_cohandler", by=users.county_op, version=seen, unit=dept("ZF"))
    assert caught.value.code == "stale"
    assert not Cohandler.objects.filter(event_id=ev.pk).exists()
    assert not TimelineEntry.objects.filter(event_id=ev.pk, action="add_cohandler").exists()


def test_a_stale_merge_does_not_claim_its_target(users):
    ev = _accepted(users)
    target = new_event(users.county_op, title="主件")
    target_version = Event.objects.get(pk=target.pk).version
    with pytest.raises(Conflict):
        actions.perform(ev, "merge", by=users.county_op, version=ev.version - 1, into=target)
    assert Event.objects.get(pk=target.pk).version == target_version
    assert Event.objects.get(pk=ev.pk).state == "accepted"


@pytest.mark.parametrize("version", ["3", 2.0, True])
def test_a_version_that_is_no_whole_number_is_400(users, version):
    ev = _accepted(users)
    with pytest.raises(UserError) as caught:
        actions.perform(ev, "comment", by=users.county_op, version=version, text="x")
    assert caught.value.status == 400 and caught.value.field == "version"


def test_the_api_passes_the_version_to_the_action(api, users, monkeypatch):
    ev = _accepted(users)
    seen = []
    real = actions.perform

    def spy(event, action, *, by, version=None, **data):
        seen.append(version)
        return real(event, action, by=by, version=version, **data)

    monkeypatch.setattr(actions, "perform", spy)
    url = f"/api/v1/events/{ev.pk}/actions/"
    resp = api(users.county_op).post(url, {"action": "comment", "text": "x", "version": ev.version - 1}, format="json")
    assert resp.status_code == 409 and resp.json()["error"] == "stale"
    assert seen == [ev.version - 1]


# ---------------------------------------------------------------- the action body's fields


def _parameters():
    return [(name, p.name) for name in actions.FUNCTIONS for p in actions.action_parameters(name)]


@pytest.mark.parametrize("action,parameter", _parameters(), ids=[f"{a}.{p}" for a, p in _parameters()])
def test_every_parameter_of_every_action_is_in_the_body_schema(action, parameter):
    field = EventActionSerializer().fields.get(parameter)
    assert field is not None, f"{action}'s parameter {parameter} is missing from EventActionSerializer"
    assert not field.required
    takers = field.help_text.split(":")[0].split(", ")
    assert action in takers, (parameter, field.help_text)
    assert parameter in ACTION_INPUTS, f"say in events.api.ACTION_INPUTS how {parameter} is written in a body"


def test_the_body_schema_has_nothing_no_action_takes():
    params = {p for _, p in _parameters()}
    assert set(EventActionSerializer().fields) == {"action", "version"} | params
    assert set(ACTION_INPUTS) == params  # no entry left over from a parameter that went


def test_no_action_takes_a_name_the_body_or_perform_already_uses():
    assert not {p for _, p in _parameters()} & actions.RESERVED_PARAMETERS


def test_a_new_parameter_shows_in_the_schema_without_being_listed(monkeypatch):
    def survey_event(event, *, by, weather, note: str = ""):
        """A made-up action."""

    monkeypatch.setitem(actions.FUNCTIONS, "survey", survey_event)
    fields = action_input_fields()
    assert isinstance(fields["weather"], serializers.JSONField) and fields["weather"].help_text == "survey"
    assert fields["note"].help_text.endswith(", survey")


def test_help_texts_name_the_actions_and_what_the_input_is():
    fields = EventActionSerializer().fields
    assert fields["evidence"].help_text == "resolve, delist: attachment ids"
    assert fields["unit"].help_text == "add_cohandler: as to_unit"
    assert fields["result"].help_text == "resolve"
