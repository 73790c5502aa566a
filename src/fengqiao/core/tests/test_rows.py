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
