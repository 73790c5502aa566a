"""Cold-start classification, labels, retraining from the database, repeats, triage on intake."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from fengqiao.core.models import AuditRecord
from fengqiao.events.models import Category, Event
from fengqiao.triage import actions, service
from fengqiao.triage.models import CategoryLabel, ModelVersion, TriageResult

from .conftest import XINHU, new_event

pytestmark = pytest.mark.usefixtures("triage_db")


@pytest.mark.parametrize(("text", "code"), [
    ("老板拖欠工资三个月了,工人讨薪无门", "labour.unpaid_wages"),
    ("小区3号楼电梯故障,老人被困电梯里", "property.elevator"),
    ("菜市场门口流动摊贩占道摆摊,行人无法通过", "street_vending.stall"),
    ("楼道里电动车飞线充电,很危险", "hazard.fire.ebike"),
    ("工地夜间施工到凌晨两点,吵得睡不着", "urban.construction.noise"),
])
def test_cold_start_keyword_classifier(text, code):
    c = service.classify(text)
    assert c.classifier == "keyword-rules"
    assert c.categories[0]["code"] == code
    assert 0 < c.categories[0]["confidence"] < 1
    assert len(c.categories) <= 3


def test_unknown_text_has_no_category():
    assert service.classify("你好").categories == []


def test_triage_result_stored_for_a_new_matter(users):
    ev = new_event(users.county_op, title="流动摊贩占道摆摊", content="海游街道心湖社区菜场门口流动摊贩占道摆摊,影响通行",
                   address="海游街道心湖社区")
    r = service.triage_event(ev)
    r.refresh_from_db()
    assert r.error == ""
    assert r.categories[0]["code"] == "street_vending.stall"
    assert r.area.code == XINHU and r.area_evidence["text"] == "心湖社区"
    assert r.route_department.code == "ZF" and "依据规则 #" in r.route_explanation  # stored in the site's language
    assert r.route_facts["kind"] == "rule" and r.route_facts["unit"] == r.route_department.name
    assert set(r.timings) >= {"classify", "place", "route", "duplicates", "total"}
    assert Event.objects.get(pk=ev.pk).state == "received"  # no auto-dispatch by default
    assert not r.auto_dispatched


def test_low_confidence_needs_a_person(users, settings):
    settings.FENGQIAO_TRIAGE_CONFIDENCE = 0.99
    ev = new_event(users.county_op, title="流动摊贩", content="心湖社区流动摊贩占道")
    assert service.triage_event(ev).needs_person


def test_auto_dispatch_above_the_chosen_confidence(users, settings):
    settings.FENGQIAO_AUTO_DISPATCH_CONFIDENCE = 0.3
    ev = new_event(users.county_op, title="流动摊贩占道摆摊", content="海游街道心湖社区菜场门口流动摊贩占道摆摊,小摊贩很多",
                   address="海游街道心湖社区")
    r = service.triage_event(ev)
    ev.refresh_from_db()
    assert r.auto_dispatched and not r.needs_person
    assert ev.state == "dispatched" and ev.handling_department.code == "ZF"
    assert ev.category.code == "street_vending.stall"
    assert ev.timeline.filter(action="dispatch", actor__username="triage_system").exists()


def test_triage_failure_never_loses_the_matter(users, monkeypatch):
    def boom(text, k=3):
        raise RuntimeError("classifier exploded")

    monkeypatch.setattr(service, "classify", boom)
    ev = new_event(users.county_op, title="噪音", content="心湖社区广场舞噪音")
    r = service.triage_event(ev)
    assert Event.objects.filter(pk=ev.pk).exists()
    r = TriageResult.objects.get(event=ev)
    assert r.needs_person
    # operators read a clear message in both languages; the exception stays in the server log
    assert r.error == service.TRIAGE_FAILED and "classifier exploded" not in r.error
    assert "人工" in r.error and "a person decides" in r.error


def test_database_error_inside_triage_rolls_back_only_triage(users, monkeypatch):
    def bad_sql(text, k=3):
        with connection.cursor() as cur:
            cur.execute("SELECT * FROM no_such_table_here")

    monkeypatch.setattr(service, "classify", bad_sql)
    ev = new_event(users.county_op, title="噪音", content="心湖社区广场舞噪音")
    service.triage_event(ev)
    assert Event.objects.filter(pk=ev.pk).exists()  # the connection is still usable
    assert TriageResult.objects.get(event=ev).error


def test_on_intake_hook_can_be_switched_off(users, settings):
    ev = new_event(users.county_op, title="噪音", content="心湖社区广场舞噪音")
    settings.FENGQIAO_TRIAGE_ON_INTAKE = False
    assert service.on_intake(ev, True) is None
    settings.FENGQIAO_TRIAGE_ON_INTAKE = True
    assert service.on_intake(ev, False) is None
    assert service.on_intake(ev, True).event_id == ev.pk


# ---------------------------------------------------------------- repeats


def test_reworded_repeat_about_the_same_estate_is_found(users):
    op = users.county_op
    first = new_event(op, title="金鳌花园地下车库长期积水", content="海游街道心湖社区金鳌花园小区地下车库长期积水发臭,物业一直不处理。",
                      address="海游街道心湖社区")
    other = new_event(op, title="健跳镇工厂拖欠工资", content="健跳镇某工厂拖欠工人工资半年", address="健跳镇")
    service.triage_event(first)
    service.triage_event(other)
    repeat = new_event(op, title="车库积水没人管", content="心湖社区金鳌花园的车库里一直有积水,味道很大,希望物业尽快抽水。",
                       address="心湖社区")
    r = service.triage_event(repeat)
    ids = [pk for pk, _s in r.duplicates]
    assert first.pk in ids and other.pk not in ids and repeat.pk not in ids
    assert 0 < dict(r.duplicates)[first.pk] <= 1


def test_duplicates_are_narrowed_by_town(users):
    op = users.county_op
    a = new_event(op, title="金鳌花园车库积水", content="海游街道金鳌花园车库积水", address="海游街道")
    service.triage_event(a)
    b = new_event(op, title="金鳌花园车库积水", content="健跳镇金鳌花园车库积水", address="健跳镇")
    assert a.pk not in dict(service.triage_event(b).duplicates)


# ---------------------------------------------------------------- labels and retraining


def test_label_accept_and_correct(users):
    op = users.county_op
    ev = new_event(op, title="流动摊贩占道摆摊", content="心湖社区门口流动摊贩占道摆摊")
    service.triage_event(ev)
    stall = Category.objects.get(code="street_vending.stall")
    ev, label = actions.label_event(ev, stall, by=op)
    assert label.source == "operator_accept" and label.suggested == "street_vending.stall"
    assert Event.objects.get(pk=ev.pk).category == stall
    shop = Category.objects.get(code="street_vending.shop")
    ev, label = actions.label_event(ev, shop, by=op)
    assert label.source == "operator_correct"
    assert CategoryLabel.objects.filter(event=ev).count() == 2
    assert ev.timeline.filter(action="categorize").count() == 2
    assert AuditRecord.objects.filter(action="triage_label", object_id=str(ev.pk)).count() == 2


TOPICS = {
    "labour.unpaid_wages": ["包工头欠着我们工钱不给", "干了半年活老板一分钱没结", "年底了工钱还拿不到手", "老板跑路了钱没发"],
    "property.elevator": ["升降梯老是停在半路", "楼里的升降梯门关不上", "升降梯运行时抖得厉害", "升降梯按钮失灵"],
    "environment.smell": ["饭店排烟管对着我家窗户", "烧烤店的烟熏得没法开窗", "隔壁餐馆排风扇对着住户", "餐馆后厨排烟太大"],
}


def test_train_from_db_registers_activates_and_rolls_back(users):
    op = users.county_op
    for code, phrases in TOPICS.items():
        cat = Category.objects.get(code=code)
        for i in range(12):
            p = phrases[i % len(phrases)]
            ev = new_event(op, title=p[:10], content=f"心湖社区{i}号楼住户反映:{p},第{i}次了")
            actions.record_label(ev, cat, by=op, source="import")
    out = StringIO()
    call_command("triage", "train", "--from-db", "--activate", "--json", "--calibration-folds", "2", stdout=out)
    report = json.loads(out.getvalue())
    assert report["version"] == 1 and report["activated"]
    assert report["training"]["rows"] == 36 and report["training"]["heldout_rows"] > 0
    assert report["evaluation"]["macro_f1"] >= 0.9
    assert "keyword_rules" in report["baseline"]
    assert report["training"]["params"]["neighbours"]["k"] == 20  # the neighbour votes' parameters (ADR 0112)
    assert report["unmatched_labels"] == []
    mv = ModelVersion.objects.get(version=1)
    assert mv.is_active and mv.sha256 and mv.path().is_file()
    c = service.classify("包工头欠着工钱不给,老板跑路了")
    assert c.classifier == "model v1" and c.categories[0]["code"] == "labour.unpaid_wages"
    assert c.categories[0]["name"] == "拖欠工资"
    # a second version, then roll back to the first
    call_command("triage", "train", "--from-db", "--activate", "--calibration-folds", "2", stdout=StringIO())
    assert ModelVersion.objects.get(is_active=True).version == 2
    out = StringIO()
    call_command("triage", "models", stdout=out)
    assert "* category v2" in out.getvalue()
    assert "neighbour votes k=20" in out.getvalue()
    call_command("triage", "rollback", stdout=StringIO())
    assert ModelVersion.objects.get(is_active=True).version == 1
    assert service.classify("升降梯按钮失灵").classifier == "model v1"
    call_command("triage", "rollback", stdout=StringIO())
    assert not ModelVersion.objects.filter(is_active=True).exists()
    assert service.classify("老板拖欠工资").classifier == "keyword-rules"
    call_command("triage", "activate", "2", stdout=StringIO())
    assert service.classify("老板拖欠工资").classifier == "model v2"


def test_train_from_db_needs_two_categories():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("triage", "train", "--from-db", stdout=StringIO())


def test_rules_seed_is_idempotent():
    out = StringIO()
    call_command("triage", "rules", "seed", stdout=out)
    assert "created 0 keyword rules, 0 routing rules" in out.getvalue()


def test_naming_the_same_community_alone_is_not_a_repeat(users):
    op = users.county_op
    a = new_event(op, title="广场舞噪音", content="海游街道心湖社区晚上广场舞音响太大", address="海游街道心湖社区")
    service.triage_event(a)
    b = new_event(op, title="楼上漏水", content="海游街道心湖社区楼上卫生间漏水到我家", address="海游街道心湖社区")
    assert a.pk not in dict(service.triage_event(b).duplicates)
