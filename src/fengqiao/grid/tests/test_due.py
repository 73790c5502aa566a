"""The one rule of when a key person's visit is due (走访提醒), which the console's list, marks and
counters, the menu's count and the API's filter and fields all read: overdue once the next visit
due has passed, due soon within three days of it, and neither for a person removed from the
registry."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fengqiao.grid import actions
from fengqiao.grid.models import KeyPerson

pytestmark = pytest.mark.django_db


def _due_at(register, users, name: str, due: dt.datetime, now: dt.datetime) -> KeyPerson:
    """A person registered and visited so that their next visit falls due at ``due`` (a weekly
    visit made a week before it)."""
    person = register(name, visit_every_days=7)
    actions.record_visit(person, by=users.county_op, visited_at=due - dt.timedelta(days=7))
    person.refresh_from_db()
    assert person.next_visit_due == due
    return person


def test_overdue_and_due_soon_at_their_edges(register, users):
    now = timezone.now().replace(microsecond=0)
    late = _due_at(register, users, "赵一", now - dt.timedelta(seconds=1), now)
    today = _due_at(register, users, "钱二", now, now)  # due this moment: not yet overdue
    soon = _due_at(register, users, "孙三", now + dt.timedelta(days=3) - dt.timedelta(seconds=1), now)
    later = _due_at(register, users, "李四", now + dt.timedelta(days=3), now)  # three days on: not soon
    people = KeyPerson.objects.filter(pk__in=[late.pk, today.pk, soon.pk, later.pk])

    assert set(people.overdue(now)) == {late}
    assert set(people.due_soon(now)) == {today, soon}
    assert set(people.due(now)) == {late, today, soon}
    assert [p.due_mark(now) for p in (late, today, soon, later)] == ["overdue", "soon", "soon", ""]
    assert [p.days_overdue(now) for p in (late, today, soon, later)] == [0, 0, 0, 0]
    assert late.days_overdue(now + dt.timedelta(days=2)) == 2


def test_a_removed_person_is_never_due(register, users):
    now = timezone.now()
    person = _due_at(register, users, "赵一", now - dt.timedelta(days=5), now)
    assert person.due_mark(now) == "overdue" and person.days_overdue(now) == 5
    gone = actions.remove_key_person(person, by=users.county_op, reason="迁出本县")
    people = KeyPerson.objects.filter(pk=person.pk)
    assert not people.overdue(now).exists() and not people.due(now).exists()
    assert not people.due_soon(now - dt.timedelta(days=6)).exists()
    assert gone.due_mark(now) == "" and gone.days_overdue(now) == 0
