"""Facts stated once and derived elsewhere: putting a team on a case (registering mediator and
``assign``), the actions' parameter table (error messages and console forms), and who
produces the agreement (the transition table's ``writes_agreement``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import translation

from fengqiao.core.errors import UserError
from fengqiao.core.models import AuditRecord
from fengqiao.mediation import actions, services, transitions, views
from fengqiao.mediation.actions import _common
from fengqiao.mediation.models import Assignment, Dispute

pytestmark = pytest.mark.django_db

MINUTES = {"minutes": "记录", "place": "调解室"}


# ---------------------------------------------------------------- the team on a case

def test_registering_mediator_takes_the_case_as_before(users, med):
    """The registration keeps its own timeline entry and audit record (no before, the team after)."""
    from fengqiao.mediation.models import DisputeType

    d = actions.register_dispute(by=users.mediator, type=DisputeType.objects.get(code="neighbours"), title="t",
                                 facts="f", area=med.xinhu, parties=[{"side": "applicant", "name": "赵六"}])
    a = d.assignments.get()
    assert (a.mediator, a.role, a.result, a.match_score) == (med.cai, "lead", "", None)
    entry = d.timeline.get(action="assign")
    assert entry.reason == med.cai.name and (entry.from_state, entry.to_state) == ("", "")
    assert entry.data == {"mediators": [med.cai.pk], "lead": med.cai.pk, "registered_by_mediator": True}
    rec = AuditRecord.objects.get(action="dispute_assign", object_id=str(d.pk))
    assert rec.before is None and rec.after == {"mediators": [med.cai.pk], "lead": med.cai.pk}


def test_assign_replaces_the_team_with_the_proposals_scores(users, med, new_dispute):
    from fengqiao.mediation.services import match

    d = new_dispute()
    actions.act(d, "assign", by=users.town_haiyou, params={"mediators": [med.li.pk]})
    proposed = {r["mediator"]: r["score"] for r in match(d, limit=50)["results"]}
    actions.act(d, "assign", by=users.town_haiyou, params={"mediators": [med.wang.pk, med.li.pk]})
    old, *new = Assignment.objects.filter(dispute=d).order_by("id")
    assert old.mediator == med.li and old.result == "released" and old.ended_at is not None
    # each keeps the score the proposal gave it (computed by the server, never sent by a client)
    assert [(a.mediator, a.role, a.result, a.match_score) for a in new] == [
        (med.wang, "lead", "", proposed[med.wang.pk]), (med.li, "member", "", proposed[med.li.pk])]
    entry = d.timeline.filter(action="assign").order_by("-id").first()
    assert entry.data == {"mediators": [med.wang.pk, med.li.pk], "lead": med.wang.pk}
    assert entry.reason == f"{med.wang.name}、{med.li.name}"
    d.refresh_from_db()
    assert d.organisation == med.town and d.is_hard


# ---------------------------------------------------------------- the parameter table

def test_every_field_an_action_asks_for_is_in_the_table():
    for t in transitions.TABLE.values():
        for name in t.required:
            assert _common.FIELDS[name].widget, f"{t.action}: {name} has no console widget"


def test_console_labels_are_marked_for_the_catalogue():
    """The forms translate a field's English at run time; makemessages only keeps a msgid it
    finds marked in the source (``--no-obsolete``), so each one is in a gettext_noop(…)."""
    source = Path(_common.__file__).read_text()
    marked = set(re.findall(r'gettext_noop\("([^"]*)"\)', source))
    shown = {f.en for f in _common.FIELDS.values() if f.widget}
    assert sorted(shown - marked) == []


def test_every_form_field_has_a_translated_label(users, med, new_dispute):
    d = new_dispute()
    forms = views._action_forms(d, list(transitions.ACTIONS))
    assert {f["action"] for f in forms} == set(transitions.ACTIONS)
    for form in forms:
        for field in form["fields"]:
            with translation.override("en"):
                en = str(field["label"])
            with translation.override("zh-hans"):
                zh = str(field["label"])
            assert en != field["name"] and zh != en, (form["action"], field["name"], en, zh)


def test_error_messages_name_fields_from_the_table(users, med, new_dispute):
    d = new_dispute()
    with pytest.raises(UserError) as exc:
        actions.act(d, "decline", by=users.town_haiyou, params={})
    zh, en = _common.label("reason")
    assert (zh, en) == (_common.FIELDS["reason"].zh, _common.FIELDS["reason"].en) == ("原因", "Reason")
    assert exc.value.zh == "请填写原因" and exc.value.en == "Reason is required"
    assert _common.label("no_such_parameter") == ("no_such_parameter", "no_such_parameter")


# ---------------------------------------------------------------- who produces the agreement

def test_the_actions_that_write_the_agreement():
    """``succeed`` creates the agreement and ``regenerate_agreement`` writes it again."""
    flagged = {name for name, t in transitions.TABLE.items() if t.writes_agreement}
    assert flagged == {"succeed", "regenerate_agreement"}


def _to(d, by, med, state, team):
    path = {
        "in_mediation": [("accept", {}), ("assign", {"mediators": team}), ("start", {}), ("record_session", MINUTES)],
        "succeeded": [("succeed", {"terms": "条款", "_skip_pdf": True})],
        "followed_up": [("follow_up", {"honoured": "yes"})],
        "archived": [("archive", {})],
    }[state]
    for action, params in path:
        d = actions.act(d, action, by=by, params=params)
    assert d.state == state
    return d


def _may(d, action, user) -> bool:
    try:
        transitions.check(d, action, user)
    except UserError:
        return False
    return True


def test_may_produce_agreement_agrees_with_the_table(users, med, new_dispute):
    """In every state where an agreement-writing action can be taken, those who may take it
    (asked through ``transitions.check``) and can see personal data are the producers."""
    people = [users.town_haiyou, users.county_op, users.town_jiantiao, users.mediator, users.leader,
              users.leader_haiyou, users.dept_police, users.grid_xinhu1, users.cadre_xinhu, users.auditor, users.admin]
    writers = [t for t in transitions.TABLE.values() if t.writes_agreement]
    # A department handler on the team may take the agreement actions but not see personal data.
    expert = actions.upsert_mediator(name="公安专家", area=med.county, kind="department_expert", in_expert_pool=True,
                                     department=users.dept_police.department, user=users.dept_police)
    d = new_dispute()
    seen = set()
    for state in ("in_mediation", "succeeded", "followed_up", "archived"):
        d = _to(Dispute.objects.get(pk=d.pk), users.town_haiyou, med, state, [med.cai.pk, expert.pk])
        d = Dispute.objects.get(pk=d.pk)
        assert any(state in t.sources for t in writers)
        for u in people:
            expected = u.can_unmask and any(_may(d, t.action, u) for t in writers if state in t.sources)
            assert services.may_produce_agreement(u, d) == expected, (state, u.username)
            seen.add(expected)
        if state == "in_mediation":
            assert _may(d, "succeed", users.dept_police) and not services.may_produce_agreement(users.dept_police, d)
    assert seen == {True, False}
