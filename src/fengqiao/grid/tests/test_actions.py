"""The key-person registry's writes: who may, what is refused, how visits move the due date."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError
from django.utils import timezone

from fengqiao.core.errors import Conflict, Forbidden, NotFound, UserError
from fengqiao.core.fields import digest_for
from fengqiao.core.models import AuditRecord
from fengqiao.grid import actions
from fengqiao.grid.models import KeyPerson, Visit

from .conftest import JIANZHONG, XINHU, make_id, race_past_the_check

pytestmark = pytest.mark.django_db


def test_register_with_the_category_s_interval_and_masked_audit(person, users):
    p = person()
    assert p.visit_every_days == 7 and p.next_visit_due - p.registered_at == dt.timedelta(days=7)
    assert p.id_number_digest == digest_for("id_number", p.id_number) and p.area_path.endswith("/331022001001/")
    rec = AuditRecord.objects.get(action="key_person_register", object_id=str(p.pk))
    assert "陈建国" not in str(rec.after) and p.id_number not in str(rec.after) and "13911112222" not in str(rec.after)
    other = person(name="李四", id_number=make_id("33102219800101002"), category="released_prisoner", phone="")
    assert other.visit_every_days == 30


def test_bad_input_is_refused_before_anything_is_written(person, users):
    before = KeyPerson.objects.count()
    with pytest.raises(UserError) as exc:
        person(id_number="331022197001010000")
    assert exc.value.field == "id_number" and exc.value.status == 400
    for bad in ({"name": "  "}, {"category": "vip"}, {"visit_every_days": "0"}, {"visit_every_days": "²"},
                {"phone": "12"}, {"caretaker": "county_op"}, {"area": "999"}):
        with pytest.raises(UserError):
            person(**bad)
    assert KeyPerson.objects.count() == before


def test_the_same_id_number_is_registered_once(person):
    person()
    with pytest.raises(Conflict) as exc:
        person(name="陈建国二")
    assert exc.value.code == "already_registered"


def test_who_may_register_and_where(person, users):
    with pytest.raises(Forbidden):
        person(by=users.grid_xinhu1)
    with pytest.raises(Forbidden):
        person(by=users.leader)
    with pytest.raises(UserError) as exc:
        person(by=users.cadre_xinhu, area=JIANZHONG, caretaker=None)  # another town's village
    assert exc.value.field == "area"
    assert person(by=users.town_jiantiao, area=JIANZHONG, caretaker=users.grid_jianzhong1).caretaker.username == \
        "grid_jianzhong1"


def test_a_visit_moves_the_next_due_and_an_older_one_does_not(person, users):
    p = person()
    now = timezone.now()
    v = actions.record_visit(p, by=users.grid_xinhu1, method="home", condition="stable",
                             visited_at=now - dt.timedelta(hours=2))
    p.refresh_from_db()
    assert p.last_visit_at == v.visited_at and p.next_visit_due == v.visited_at + dt.timedelta(days=7)
    actions.record_visit(p, by=users.cadre_xinhu, method="phone", visited_at=now - dt.timedelta(days=3))
    p.refresh_from_db()
    assert p.last_visit_at == v.visited_at and p.visits.count() == 2


def test_visit_input(person, users):
    p = person()
    with pytest.raises(UserError) as exc:
        actions.record_visit(p, by=users.grid_xinhu1, condition="abnormal", note=" ")
    assert exc.value.field == "note"
    for when in ("yesterday", timezone.now() + dt.timedelta(hours=1), timezone.now() - dt.timedelta(days=40)):
        with pytest.raises(UserError):
            actions.record_visit(p, by=users.grid_xinhu1, visited_at=when)
    with pytest.raises(Forbidden):
        actions.record_visit(p, by=users.leader)
    with pytest.raises(NotFound):
        actions.record_visit(p, by=users.grid_jianzhong1)  # another town's grid worker
    assert Visit.objects.count() == 0


def test_change_and_remove(person, users):
    p = person()
    p2 = actions.update_key_person(p, by=users.town_haiyou, version=p.version, visit_every_days="14", note="已就业")
    assert p2.visit_every_days == 14 and p2.next_visit_due == p2.registered_at + dt.timedelta(days=14)
    with pytest.raises(Conflict):
        actions.update_key_person(p, by=users.town_haiyou, version=p.version, note="x")  # stale
    with pytest.raises(UserError):
        actions.update_key_person(p2, by=users.town_haiyou, name="别人")
    with pytest.raises(UserError):
        actions.remove_key_person(p2, by=users.town_haiyou, reason="")
    gone = actions.remove_key_person(p2, by=users.town_haiyou, reason="矫正期满")
    assert not gone.is_active and gone.removal_reason == "矫正期满"
    with pytest.raises(Conflict):
        actions.record_visit(gone, by=users.grid_xinhu1)
    person()  # the same ID may come back into the registry once removed


def test_restrict(person, users):
    p = person()
    assert list(KeyPerson.objects.restrict(users.cadre_xinhu)) == [p]
    assert list(KeyPerson.objects.restrict(users.grid_xinhu1)) == [p]
    assert list(KeyPerson.objects.restrict(users.town_jiantiao)) == []
    assert list(KeyPerson.objects.restrict(users.dept_police)) == []
    assert list(KeyPerson.objects.restrict(users.mediator)) == []
    assert list(KeyPerson.objects.restrict(users.admin)) == []
    far = person(by=users.town_jiantiao, area=JIANZHONG, caretaker=users.grid_jianzhong1,
                 id_number=make_id("33102219900101004"))
    actions.update_key_person(far, by=users.town_jiantiao, caretaker=users.grid_jianzhong1)
    assert far not in KeyPerson.objects.restrict(users.grid_xinhu1)


def test_another_town_s_registrar_learns_nothing_and_the_attempt_is_recorded(person, users):
    p = person()
    with pytest.raises(Conflict) as exc:
        person(by=users.town_jiantiao, area=JIANZHONG, caretaker=users.grid_jianzhong1)
    assert exc.value.code == "cannot_register" and "已在" not in exc.value.zh
    assert AuditRecord.objects.filter(action="key_person_register_refused", object_id=str(p.pk)).exists()


def test_audit_records_hold_no_personal_values(person, users):
    p = person(address="海游街道心湖路1号", note="家属配合")
    actions.update_key_person(p, by=users.town_haiyou, note="已就业")
    actions.record_visit(p, by=users.grid_xinhu1, condition="abnormal", note="情绪激动")
    for rec in AuditRecord.objects.filter(action__startswith="key_person_"):
        text = f"{rec.object_repr} {rec.before} {rec.after}"
        for secret in ("陈", "community_correction", "社区矫正", "心湖路", "家属", "就业", "情绪", "abnormal"):
            assert secret not in text, (rec.action, secret)


def test_odd_names_and_codes_are_refused(person, users):
    for name in ("长" * 51, "a\x00b"):
        with pytest.raises(UserError):
            person(name=name, id_number=make_id("33102219900101004"))
    for code in ("3310\x00", "grid\x00"):
        with pytest.raises(UserError):
            person(area=code if code.startswith("3") else XINHU, caretaker=code if code.startswith("g") else None,
                   id_number=make_id("33102219900101004"))


def test_a_grid_worker_who_moved_leaves_the_old_town_s_people(person, users):
    from fengqiao.areas.models import Area

    p = person()
    worker = users.grid_xinhu1
    assert p in KeyPerson.objects.restrict(worker)
    worker.area = Area.objects.get(code="331022105001001")  # now a grid of 健跳镇
    worker.save()
    assert p not in KeyPerson.objects.restrict(worker)


def test_edits_that_change_nothing_write_nothing_and_versions_are_numbers(person, users):
    from fengqiao.areas.models import Area

    p = person(note="家属配合")
    records = AuditRecord.objects.filter(action="key_person_update").count()
    same = actions.update_key_person(p, by=users.town_haiyou, version="0" + str(p.version), note="家属配合")
    assert same.version == p.version and AuditRecord.objects.filter(action="key_person_update").count() == records
    with pytest.raises(UserError) as exc:
        actions.update_key_person(p, by=users.town_haiyou, version="1.0", note="x")
    assert exc.value.code == "bad_version"
    with pytest.raises(UserError) as exc:
        actions.update_key_person(p, by=users.town_haiyou, category="x" * 5000)
    assert len(exc.value.zh) < 100
    Area.objects.filter(code="331022001002").update(is_active=False)
    with pytest.raises(UserError) as exc:
        actions.update_key_person(p, by=users.town_haiyou, area="331022001002")
    assert exc.value.code == "inactive_area"


@pytest.mark.parametrize("first_by,first_area,code", [
    ("county_op", XINHU, "already_registered"),  # in the registrar's own registry: they are told
    ("town_jiantiao", JIANZHONG, "cannot_register"),  # in another town's: nothing is named
])
def test_the_unique_index_refuses_a_second_entry_registered_meanwhile(person, users, monkeypatch, first_by,
                                                                        first_area, code):
    """The entry of another registrar lands between the check for a second entry and the insert:
    the unique index refuses the insert, and the registrar gets the same 409 as if the check had
    found it; nothing of the refused registration stays (no row), and a refusal outside the
    registrar's jurisdiction is audited as when the check finds it."""
    number = make_id("33102219900101004")
    race = race_past_the_check(monkeypatch, lambda: person(
        by=getattr(users, first_by), area=first_area, id_number=number, name="王小明",
        caretaker=None if first_area == XINHU else users.grid_jianzhong1))
    last = AuditRecord.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with pytest.raises(Conflict) as exc:
        person(id_number=number, name="李四")
    assert (exc.value.code, exc.value.status, exc.value.field) == (code, 409, "id_number")
    assert race.clashes == 1
    assert list(KeyPerson.objects.filter(id_number_digest=digest_for("id_number", number))) == [race.person]
    assert KeyPerson.objects.count() == 1
    # the first registration's own record, and for a refusal that names nothing its audit record
    refused = [("key_person_register_refused", users.cadre_xinhu.pk)] if code == "cannot_register" else []
    assert list(AuditRecord.objects.filter(id__gt=last).values_list("action", "actor_id")) == [
        ("key_person_register", getattr(users, first_by).pk), *refused]


def test_an_unchanged_value_is_no_change_and_not_checked_again(person, users):
    """The action decides what changed: a value given as the entry has it is no change, so a
    responsible grid worker (or an area) that would no longer be accepted stays as it is while
    the rest changes; an edit of nothing but such values writes nothing."""
    from fengqiao.accounts.actions import save_user
    from fengqiao.areas.models import Area

    p = person(note="家属配合", address="心湖路1号")
    save_user(username="grid_xinhu1", area=Area.objects.get(code="331022105001001"))  # now in 健跳镇
    records = AuditRecord.objects.filter(action="key_person_update").count()
    same = actions.update_key_person(p, by=users.cadre_xinhu, version=p.version, caretaker="grid_xinhu1",
                                     category=p.category, area=XINHU, visit_every_days="07", note=" 家属配合 ",
                                     address="心湖路1号", phone="13911112222")
    assert same.version == p.version and AuditRecord.objects.filter(action="key_person_update").count() == records
    changed = actions.update_key_person(p, by=users.cadre_xinhu, caretaker=users.grid_xinhu1, note="已就业")
    assert (changed.note, changed.caretaker_id, changed.version) == ("已就业", users.grid_xinhu1.pk, p.version + 1)
    rec = AuditRecord.objects.filter(action="key_person_update").latest("id")
    assert rec.after["changed"] == ["note"]
    actions.update_key_person(p, by=users.cadre_xinhu, caretaker=None)
    with pytest.raises(UserError) as exc:  # chosen again once gone: refused
        actions.update_key_person(p, by=users.cadre_xinhu, caretaker="grid_xinhu1")
    assert exc.value.code == "bad_caretaker"


def test_two_visits_racing_with_one_key_record_one(person, users, monkeypatch):
    """The second of two identical requests passes the first-time look-up before the first has
    written; the key's unique index refuses its write, and it answers the first visit."""
    p = person()
    first = actions.record_visit(p, by=users.grid_xinhu1, idempotency_key="phone-9")
    seen = actions._repeat
    calls = []

    def late(person_, key):  # the look-up before the write finds nothing yet
        calls.append(key)
        return None if len(calls) == 1 else seen(person_, key)

    monkeypatch.setattr(actions, "_repeat", late)
    again = actions.record_visit(p, by=users.grid_xinhu1, idempotency_key="phone-9")
    assert len(calls) == 2 and again.pk == first.pk and again.repeated
    assert Visit.objects.filter(person=p).count() == 1
    # a refused write with no earlier visit to answer for it is raised, never swallowed
    monkeypatch.setattr(actions, "_repeat", lambda person_, key: None)
    with pytest.raises(IntegrityError):
        actions.record_visit(p, by=users.grid_xinhu1, idempotency_key="phone-9")
