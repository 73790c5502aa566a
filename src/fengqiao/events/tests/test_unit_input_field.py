"""A unit an action input names that cannot be read is reported under that input's own name
(``to_unit`` for dispatch, ``unit`` for add_cohandler), so the console puts the error under the
right box and an API client knows which input was wrong."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from fengqiao.core.errors import UserError
from fengqiao.events import actions
from fengqiao.events.api import action_kwargs
from fengqiao.events.models import Cohandler, Event

from .conftest import new_event

pytestmark = pytest.mark.django_db

URL = "/api/v1/events/"


def _accepted(users) -> Event:
    ev = new_event(users.county_op)
    actions.accept_event(ev, by=users.county_op)
    return Event.objects.get(pk=ev.pk)


@pytest.mark.parametrize("action,name", [("dispatch", "to_unit"), ("add_cohandler", "unit")])
@pytest.mark.parametrize("value,code", [("nonsense", "unknown_unit"), ("department:NOPE", "unknown_unit"),
                                        (12, "bad_unit")])
def test_an_unreadable_unit_names_the_input_it_came_in(users, action, name, value, code):
    ev = _accepted(users)
    request = SimpleNamespace(user=users.county_op)
    with pytest.raises(UserError) as caught:
        action_kwargs(action, {name: value}, request, ev)
    assert caught.value.code == code and caught.value.field == name


def test_every_unit_input_of_every_action_is_named_by_itself(users):
    """Whatever action takes a unit input, under whatever name, an error names that input."""
    from fengqiao.events.api import action_input

    ev = _accepted(users)
    request = SimpleNamespace(user=users.county_op)
    seen = set()
    for action in actions.FUNCTIONS:
        for p in actions.action_parameters(action):
            if action_input(p.name).kind != "unit":
                continue
            seen.add(p.name)
            with pytest.raises(UserError) as caught:
                action_kwargs(action, {p.name: "nonsense"}, request, ev)
            assert caught.value.field == p.name, (action, p.name)
    assert {"to_unit", "unit"} <= seen


def test_api_add_cohandler_with_an_unknown_unit_is_400_under_unit(api, users):
    ev = _accepted(users)
    r = api(users.county_op).post(f"{URL}{ev.pk}/actions/", {"action": "add_cohandler", "unit": "nonsense"},
                                  format="json")
    assert r.status_code == 400, r.content
    body = r.json()
    assert body["field"] == "unit" and body["error"] == "unknown_unit"
    assert body["detail_zh"].startswith("找不到协办单位")  # a co-handler, not the handling unit
    assert not Cohandler.objects.filter(event_id=ev.pk).exists()


def test_api_dispatch_with_an_unknown_unit_is_still_400_under_to_unit(api, users):
    ev = _accepted(users)
    r = api(users.county_op).post(f"{URL}{ev.pk}/actions/", {"action": "dispatch", "to_unit": "nonsense"},
                                  format="json")
    assert r.status_code == 400, r.content
    assert r.json()["field"] == "to_unit" and r.json()["detail_zh"].startswith("找不到承办单位")
    assert Event.objects.get(pk=ev.pk).state == "accepted"
