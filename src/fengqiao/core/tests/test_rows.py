"""``rows.insert`` writes what ``save()`` would: digests, encryption, JSON, the new id."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from fengqiao.core import rows
from fengqiao.events.models import Event, TimelineEntry

pytestmark = pytest.mark.django_db


def test_insert_matches_save(users):
    now = timezone.now()
    common = dict(channel="walk_in", title="路灯不亮", content="心湖社区路灯不亮", created_by=users.county_op,
                  received_at=now, updated_at=now, reporter_name="张三", reporter_phone="13812345678")
    a = Event(**common)
    a.save()
    b = rows.insert(Event(**common))
    assert b.pk and b.pk != a.pk and not b._state.adding
    fa, fb = Event.objects.get(pk=a.pk), Event.objects.get(pk=b.pk)
    for f in Event._meta.concrete_fields:
        if f.name not in {"id"}:
            assert getattr(fa, f.attname) == getattr(fb, f.attname), f.name
    assert fb.reporter_phone == "13812345678" and fb.reporter_phone_digest == fa.reporter_phone_digest != ""
    entry = rows.insert(TimelineEntry(event=fb, at=now, action="create", to_state="received", data={"地址": "心湖"}))
    assert TimelineEntry.objects.get(pk=entry.pk).data == {"地址": "心湖"}


def test_insert_with_a_given_id_and_constraints(users):
    now = timezone.now()
    ev = rows.insert(Event(channel="walk_in", title="t", content="c", received_at=now, updated_at=now,
                           channel_ref="R-1"))
    with pytest.raises(IntegrityError), transaction.atomic():
        rows.insert(Event(channel="walk_in", title="t", content="c", received_at=now, updated_at=now,
                          channel_ref="R-1"))
    given = Event(channel="walk_in", title="t", content="c", received_at=now, updated_at=now)
    given.pk = ev.pk + 1000
    rows.insert(given)
    assert Event.objects.filter(pk=ev.pk + 1000).exists()


def _matter(**kw) -> Event:
    now = timezone.now()
    return Event(**{"channel": "walk_in", "title": "t", "content": "c", "received_at": now, "updated_at": now, **kw})


def test_together_writes_all_or_nothing(users):
    from fengqiao.core import audit
    from fengqiao.core.models import AuditRecord

    before = (Event.objects.count(), TimelineEntry.objects.count(), AuditRecord.objects.count())
    with pytest.raises(RuntimeError), rows.together():
        ev = rows.insert(_matter(channel_ref="T-1"))
        audit.record("test", object_type="t", object_id="1")
        raise RuntimeError("an error in the block")
    assert (Event.objects.count(), TimelineEntry.objects.count(), AuditRecord.objects.count()) == before

    with rows.together():
        ev = _matter(channel_ref="T-1")
        ev.pk = Event.objects.allocate_id()
        rows.insert(ev)
        entry = rows.insert(TimelineEntry(event=ev, at=ev.received_at, action="create", to_state="received",
                                          data={"地址": "心湖"}))
        rec = audit.record("test", object_type="events.event", object_id=str(ev.pk) if ev.pk else "")
    assert ev.pk and entry.pk and rec.pk and not entry._state.adding
    assert TimelineEntry.objects.get(pk=entry.pk).data == {"地址": "心湖"} and entry.event_id == ev.pk
    assert AuditRecord.objects.get(pk=rec.pk).action == "test"

    # a unique key broken by the statement: raised from the block, nothing of it written, and
    # the surrounding transaction still usable
    count = Event.objects.count()
    with pytest.raises(IntegrityError), rows.together():
        rows.insert(_matter(channel_ref="T-2"))
        rows.insert(_matter(channel_ref="T-1"))
    assert Event.objects.count() == count and not Event.objects.filter(channel_ref="T-2").exists()


@pytest.mark.django_db(transaction=True)
def test_an_ordinary_intake_is_one_statement_on_postgresql(demo_county):
    """Outside a transaction the matter, its timeline entry and its audit record go to
    PostgreSQL as one statement (no BEGIN/COMMIT round trips); elsewhere as three inserts in
    one transaction. Either way all three are there and the record is sealed."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from fengqiao.accounts.models import User
    from fengqiao.core.models import AuditRecord
    from fengqiao.events import actions

    op = User.objects.select_related("area").get(username="county_op")
    with CaptureQueriesContext(connection) as queries:
        ev, created = actions.create_event(by=op, channel="walk_in", title="路灯不亮", content="心湖社区路灯不亮",
                                           reporter_phone="13812345678")
    tables = (Event._meta.db_table, TimelineEntry._meta.db_table, AuditRecord._meta.db_table)
    inserts = [q["sql"] for q in queries if any(f'INSERT INTO "{t}"' in q["sql"] for t in tables)]
    assert created and len(inserts) == (1 if connection.vendor == "postgresql" else 3), inserts
    assert Event.objects.get(pk=ev.pk).reporter_phone == "13812345678"
    assert TimelineEntry.objects.filter(event=ev, action="create").count() == 1
    assert AuditRecord.objects.get(action="event_create", object_id=str(ev.pk)).seq is not None  # sealed
    # a repeat of the channel reference breaks the unique key inside the one statement
    first, _ = actions.create_event(by=op, channel="walk_in", title="x", content="y", channel_ref="R-9")
    again, created = actions.create_event(by=op, channel="walk_in", title="x", content="y", channel_ref="R-9")
    assert (again.pk, created) == (first.pk, False)
    assert AuditRecord.objects.filter(action="event_create", object_id=str(first.pk)).count() == 1


def test_together_does_not_nest_and_a_failing_hook_does_not_undo_the_write(users, caplog):
    from django.db import connection

    with pytest.raises(RuntimeError, match="do not nest"), rows.together(), rows.together():
        pass
    if connection.vendor != "postgresql":
        return  # elsewhere the block is transaction.atomic(), with on_commit hooks
    calls = []

    def boom():
        calls.append(1)
        raise ValueError("hook failed")

    with rows.together():
        ev = rows.insert(_matter(channel_ref="T-hook"))
        rows.after_written(boom)
        rows.after_written(boom)  # once per block
    assert Event.objects.filter(pk=ev.pk).exists() and calls == [1]
    assert "work after the write failed" in caplog.text
