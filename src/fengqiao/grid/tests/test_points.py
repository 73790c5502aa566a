"""The check-point registry's writes (平安点位): who may, what is refused, how an inspection moves
the next due and reports what it found as a hazard matter."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fengqiao.core.errors import Conflict, Forbidden, NotFound, UserError
from fengqiao.core.models import AuditRecord
from fengqiao.events.models import Event
from fengqiao.grid import points
from fengqiao.grid.choices import DEFAULT_CHECKLISTS
from fengqiao.grid.models import CheckPoint, Inspection

from .conftest import JIANZHONG, XINHU

pytestmark = pytest.mark.django_db


def test_register_with_the_kind_s_interval_and_checklist(point, users):
    p = point()
    assert p.inspect_every_days == 7 and p.next_inspection_due - p.registered_at == dt.timedelta(days=7)
    assert p.checklist == DEFAULT_CHECKLISTS["school"] and p.area_path.endswith("/331022001001/")
    assert AuditRecord.objects.filter(action="check_point_register", object_id=str(p.pk)).exists()
    own = point(name="某出租房", kind="rental", checklist="  租住人员已登记\n\n电动车不在室内充电\n租住人员已登记 ",
                inspect_every_days="14")
    assert own.checklist == ["租住人员已登记", "电动车不在室内充电"] and own.inspect_every_days == 14


@pytest.mark.parametrize("bad", [
    {"name": " "}, {"name": "名" * 101}, {"kind": "bank"}, {"inspect_every_days": "0"}, {"inspect_every_days": "x"},
    {"checklist": "\n \n"}, {"checklist": ["一项"] * 1 + ["项" * 101]}, {"checklist": [f"第{i}项" for i in range(31)]},
    {"checklist": [1, 2]}, {"checklist": {"a": 1}}, {"checklist": ["第一行\n第二行"]}, {"checklist": ["a\u2028b"]},
    {"checklist": ["a\tb"]}, {"caretaker": "county_op"}, {"area": "331022001"},
    {"area": "999"}, {"address": "地" * 201}, {"note": "a\x00b"},
])
def test_bad_input_is_refused_before_anything_is_written(point, bad):
    with pytest.raises(UserError) as exc:
        point(**bad)
    assert exc.value.status == 400 and exc.value.zh and exc.value.en
    assert not CheckPoint.objects.exists()


def test_who_may_register_and_where(point, users):
    with pytest.raises(Forbidden):
        point(by=users.grid_xinhu1)
    with pytest.raises(Forbidden):
        point(by=users.leader)
    with pytest.raises(UserError) as exc:
        point(by=users.cadre_xinhu, area=JIANZHONG, caretaker=None)  # another town's village
    assert exc.value.field == "area"
    assert point(by=users.town_jiantiao, area=JIANZHONG, caretaker=users.grid_jianzhong1).area.code == JIANZHONG


def test_an_inspection_in_order_moves_the_due_and_reports_nothing(point, users):
    p = point()
    before = Event.objects.count()
    when = timezone.now() - dt.timedelta(hours=2)
    i = points.record_inspection(p, by=users.grid_xinhu1, inspected_at=when.isoformat())
    p.refresh_from_db()
    assert i.outcome == "passed" and i.hazard is None and all(r["ok"] for r in i.results)
    assert [r["item"] for r in i.results] == p.checklist
    assert p.last_inspected_at == when and p.next_inspection_due == when + dt.timedelta(days=7)
    assert p.last_outcome == "passed" and p.version == 0 and Event.objects.count() == before
    # an older inspection typed in later does not move the due back
    points.record_inspection(p, by=users.grid_xinhu1, inspected_at=(when - dt.timedelta(days=3)).isoformat())
    p.refresh_from_db()
    assert p.last_inspected_at == when and p.inspections.count() == 2


def test_problems_found_are_reported_as_one_hazard_matter(point, users):
    p = point()
    i = points.record_inspection(p, by=users.grid_xinhu1, note="已当场告知园方",
                                 problems=[{"item": 2, "note": "两具灭火器过期"}, 3])
    assert i.outcome == "problems" and [r["item"] for r in i.problems()] == [p.checklist[2], p.checklist[3]]
    hazard = i.hazard
    assert hazard.channel == "grid_report" and hazard.category.code == "hazard.fire" and hazard.area.code == XINHU
    assert hazard.state == "received" and hazard.created_by == users.grid_xinhu1
    assert f"3. {p.checklist[2]}" not in hazard.content and f"1. {p.checklist[2]}:两具灭火器过期" in hazard.content
    assert f"2. {p.checklist[3]}" in hazard.content and "已当场告知园方" in hazard.content
    p.refresh_from_db()
    assert p.last_outcome == "problems"
    rec = AuditRecord.objects.get(action="check_point_inspect")
    assert rec.after["problems"] == 2 and rec.after["hazard"] == hazard.number
    # put right on the spot: recorded, not reported
    j = points.record_inspection(p, by=users.grid_xinhu1, note="当场整改", problems=[0], report=False)
    assert j.hazard is None and j.outcome == "problems"


def test_a_chemical_store_s_problem_is_reported_under_its_category(point, users):
    p = point(name="某化工仓库", kind="chemicals")
    i = points.record_inspection(p, by=users.cadre_xinhu, note="超量储存", problems=[0])
    assert i.hazard.category.code == "hazard.chemicals"


@pytest.mark.parametrize("problems, note", [
    ([9], "x"), ([-1], "x"), (["a"], "x"), ([0, 0], "x"), ([{"item": 0, "note": "长" * 201}], "x"), ("0", "x"),
    ([{"item": 0, "note": 5}], "x"), ([True], "x"),
    ([0], ""),
])
def test_a_bad_inspection_writes_nothing(point, users, problems, note):
    p = point()
    with pytest.raises(UserError):
        points.record_inspection(p, by=users.grid_xinhu1, problems=problems, note=note)
    assert not Inspection.objects.exists() and not Event.objects.filter(channel="grid_report").exists()
    for when in ("昨天", (timezone.now() + dt.timedelta(hours=1)).isoformat(),
                 (timezone.now() - dt.timedelta(days=31)).isoformat()):
        with pytest.raises(UserError) as exc:
            points.record_inspection(p, by=users.grid_xinhu1, inspected_at=when)
        assert exc.value.field == "inspected_at"


def test_a_failed_hazard_intake_leaves_no_inspection(point, users, monkeypatch):
    from fengqiao.events import actions as event_actions

    def broken(**kw):
        raise UserError("content", "诉求内容不能为空", "the content is required")

    monkeypatch.setattr(event_actions, "create_event", broken)
    p = point()
    with pytest.raises(UserError):
        points.record_inspection(p, by=users.grid_xinhu1, note="x", problems=[0])
    p.refresh_from_db()
    assert not Inspection.objects.exists() and p.last_inspected_at is None


def test_who_may_inspect_what(point, users):
    p = point()
    with pytest.raises(Forbidden):
        points.record_inspection(p, by=users.leader)
    with pytest.raises(NotFound):  # another town's grid worker: the check-point does not exist for them
        points.record_inspection(p, by=users.grid_jianzhong1)
    elsewhere = point(caretaker=None)
    points.record_inspection(elsewhere, by=users.town_haiyou)
    points.record_inspection(elsewhere, by=users.county_op)


def test_edit_changes_only_what_changed_and_checks_the_version(point, users):
    p = point()
    same = points.update_point(p, by=users.cadre_xinhu, version=0, name=p.name, checklist="\n".join(p.checklist),
                               inspect_every_days="7", caretaker="grid_xinhu1", area=XINHU)
    assert same.version == 0 and not AuditRecord.objects.filter(action="check_point_update").exists()
    changed = points.update_point(p, by=users.cadre_xinhu, version=0, inspect_every_days=14,
                                  checklist=["门卫在岗", "消防器材在有效期内"])
    assert changed.version == 1 and changed.checklist == ["门卫在岗", "消防器材在有效期内"]
    assert changed.next_inspection_due == changed.registered_at + dt.timedelta(days=14)
    assert AuditRecord.objects.get(action="check_point_update").after["changed"] == ["checklist", "inspect_every_days"]
    with pytest.raises(Conflict) as exc:
        points.update_point(p, by=users.cadre_xinhu, version=0, name="新名字")
    assert exc.value.code == "stale_version"
    with pytest.raises(UserError) as exc:
        points.update_point(p, by=users.cadre_xinhu, version=1, registered_by="x")
    assert exc.value.code == "unknown_field"
    with pytest.raises(Forbidden):
        points.update_point(p, by=users.grid_xinhu1, name="x")


def test_moving_to_another_town_needs_that_town_s_grid_worker(point, users):
    p = point()
    with pytest.raises(UserError) as exc:
        points.update_point(p, by=users.county_op, area=JIANZHONG)
    assert exc.value.field == "caretaker"
    moved = points.update_point(p, by=users.county_op, area=JIANZHONG, caretaker="")
    assert moved.area.code == JIANZHONG and moved.caretaker is None


def test_a_removed_check_point_is_kept_but_no_longer_due(point, users):
    p = point()
    points.record_inspection(p, by=users.grid_xinhu1)
    with pytest.raises(UserError):
        points.remove_point(p, by=users.cadre_xinhu, reason=" ")
    gone = points.remove_point(p, by=users.cadre_xinhu, reason="幼儿园已撤并")
    assert not gone.is_active and gone.removal_reason == "幼儿园已撤并" and gone.inspections.count() == 1
    assert gone.due_mark(timezone.now() + dt.timedelta(days=365)) == ""
    assert not CheckPoint.objects.due("due", timezone.now() + dt.timedelta(days=365)).filter(pk=p.pk).exists()
    for write in (lambda: points.record_inspection(p, by=users.grid_xinhu1),
                  lambda: points.update_point(p, by=users.cadre_xinhu, name="x"),
                  lambda: points.remove_point(p, by=users.cadre_xinhu, reason="again")):
        with pytest.raises(Conflict):
            write()


def test_due_marks_follow_the_one_rule(point, users):
    p = point()
    now = p.next_inspection_due
    assert p.due_mark(now - dt.timedelta(days=4)) == ""
    assert p.due_mark(now - dt.timedelta(days=1)) == "soon"
    assert p.due_mark(now + dt.timedelta(seconds=1)) == "overdue"
    for which, at, expected in (("overdue", now + dt.timedelta(seconds=1), True), ("soon", now, True), ("soon", now + dt.timedelta(seconds=1), False),
                                ("soon", now - dt.timedelta(days=1), True), ("due", now - dt.timedelta(days=4), False)):
        assert CheckPoint.objects.due(which, at).filter(pk=p.pk).exists() is expected


def test_an_inspection_read_against_a_changed_checklist_is_refused(point, users):
    p = point()
    shown = points.checklist_key(p.checklist)
    points.record_inspection(p, by=users.grid_xinhu1, shown_checklist=shown)
    points.update_point(p, by=users.cadre_xinhu, checklist=["门卫在岗", *p.checklist])
    with pytest.raises(Conflict) as exc:
        points.record_inspection(p, by=users.grid_xinhu1, note="x", problems=[0], shown_checklist=shown)
    assert exc.value.code == "checklist_changed" and exc.value.status == 409
    assert Inspection.objects.count() == 1


def test_the_hazard_matter_is_written_in_chinese_whatever_the_inspector_s_language(point, users):
    from django.utils import translation

    p = point()
    with translation.override("en"):
        i = points.record_inspection(p, by=users.grid_xinhu1, note="x", problems=[0])
    assert "(学校、幼儿园)巡查发现以下问题" in i.hazard.content


def test_a_retired_hazard_category_falls_back_to_the_hazard_category(point, users):
    from fengqiao.events.models import Category

    fire = Category.objects.get(code="hazard.fire")
    fire.is_active = False
    fire.save()  # through save(): the intake's category memo is told
    try:
        i = points.record_inspection(point(), by=users.grid_xinhu1, note="x", problems=[0])
        assert i.hazard.category.code == "hazard"
    finally:  # the memo outlives the test's rollback
        fire.is_active = True
        fire.save()


def test_a_retry_with_the_same_key_records_nothing_twice(point, users):
    p = point()
    first = points.record_inspection(p, by=users.grid_xinhu1, note="x", problems=[0], idempotency_key="k-1")
    again = points.record_inspection(p, by=users.grid_xinhu1, note="x", problems=[0], idempotency_key=" k-1 ")
    assert not first.repeated and again.repeated and again.pk == first.pk and again.hazard_id == first.hazard_id
    assert Inspection.objects.count() == 1 and Event.objects.filter(channel="grid_report").count() == 1
    # the key is the caller's: another inspector's same key is another inspection
    other = points.record_inspection(p, by=users.cadre_xinhu, idempotency_key="k-1")
    assert not other.repeated and Inspection.objects.count() == 2
    with pytest.raises(UserError) as exc:  # the same key for another place: the client's mistake
        points.record_inspection(point(name="另一处"), by=users.grid_xinhu1, idempotency_key="k-1")
    assert exc.value.code == "idempotency_key_reused" and exc.value.status == 422
    with pytest.raises(UserError):
        points.record_inspection(p, by=users.grid_xinhu1, idempotency_key="k" * 101)


def test_two_identical_requests_at_once_leave_one_inspection(point, users, monkeypatch):
    """The second request passes the look-up before the first commits: the key's unique index
    refuses it and it answers the first one."""
    p = point()
    real = points._repeat
    calls = {"n": 0}

    def racing(point_, key):
        calls["n"] += 1
        if calls["n"] == 1:  # the first look-up of the second request: the first is written now
            monkeypatch.setattr(points, "_repeat", real)
            points.record_inspection(p, by=users.grid_xinhu1, note="x", problems=[1], idempotency_key="same")
            return None
        return real(point_, key)

    monkeypatch.setattr(points, "_repeat", racing)
    again = points.record_inspection(p, by=users.grid_xinhu1, note="x", problems=[1], idempotency_key="same")
    assert again.repeated and Inspection.objects.count() == 1
    assert Event.objects.filter(channel="grid_report").count() == 1
