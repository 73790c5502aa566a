"""People's steps on an alert, through the one transition table."""

from __future__ import annotations

import pytest

from fengqiao.alerts import actions, transitions
from fengqiao.alerts.actions import Signal, raise_or_grow
from fengqiao.alerts.models import RiskAlert
from fengqiao.areas.models import Area
from fengqiao.core.errors import Conflict, UserError
from fengqiao.core.models import AuditRecord

from .conftest import JIANZHONG, XINHU

pytestmark = pytest.mark.django_db


@pytest.fixture
def alert():
    def make(area=XINHU, signature="test:1", level="yellow"):
        a, what = raise_or_grow(Signal(kind="language", signature=signature, level=level, title="测试预警",
                                       summary="测试", area=Area.objects.get(code=area), evidence={"terms": []}))
        assert what == "raised"
        return a

    return make


def test_the_loop_take_on_then_defuse(alert, users):
    a = alert()
    town = users.town_haiyou
    assert transitions.allowed_actions(a, town) == ["take_on", "defuse", "dismiss", "supervise", "comment"]
    a = actions.act(a, "take_on", by=town, version=a.version)
    assert a.state == "handling" and a.acknowledged_by == town
    assert "take_on" not in transitions.allowed_actions(a, town)
    a = actions.act(a, "defuse", by=town, text="  已上门调解,双方达成谅解。 ", version=a.version)
    assert a.state == "resolved" and a.outcome == "已上门调解,双方达成谅解。" and a.closed_by == town
    assert [e.action for e in a.entries.all()] == ["raised", "take_on", "defuse"]
    assert AuditRecord.objects.filter(action="alert_defuse", object_id=str(a.pk)).exists()
    assert transitions.allowed_actions(a, town) == ["comment"]
    with pytest.raises(Conflict) as exc:
        actions.act(a, "dismiss", by=town, text="误报")
    assert exc.value.code == "transition_not_allowed" and "已化解" in exc.value.zh


def test_dismiss_needs_a_reason_and_writes_nothing_without_one(alert, users):
    a = alert()
    with pytest.raises(UserError) as exc:
        actions.act(a, "dismiss", by=users.county_op, text="   ")
    assert exc.value.status == 400 and exc.value.field == "text" and "排除理由" in exc.value.zh
    a.refresh_from_db()
    assert a.state == "open" and a.entries.count() == 1
    a = actions.act(a, "dismiss", by=users.county_op, text="当事人已和解,系气话。")
    assert a.state == "dismissed" and a.acknowledged_at is not None


def test_who_may_act(alert, users):
    a = alert()
    with pytest.raises(Conflict) as exc:
        actions.act(a, "take_on", by=users.town_jiantiao)
    assert exc.value.code == "not_in_charge"
    with pytest.raises(Conflict) as exc:
        actions.act(a, "take_on", by=users.leader)
    assert exc.value.code == "role_not_allowed"
    with pytest.raises(Conflict):
        actions.act(a, "take_on", by=users.cadre_xinhu)
    actions.act(a, "comment", by=users.cadre_xinhu, text="村里已关注。")
    a = actions.act(a, "supervise", by=users.leader, text="请海游街道24小时内化解。")
    assert a.supervised and a.state == "open"
    with pytest.raises(Conflict):
        actions.act(a, "supervise", by=users.town_jiantiao, text="x")


def test_unknown_action_and_bad_version(alert, users):
    a = alert()
    with pytest.raises(UserError) as exc:
        actions.act(a, "delete", by=users.county_op)
    assert exc.value.code == "unknown_action"
    with pytest.raises(UserError) as exc:
        actions.act(a, "take_on", by=users.county_op, version="²")
    assert exc.value.status == 400
    with pytest.raises(Conflict) as exc:
        actions.act(a, "take_on", by=users.county_op, version=a.version + 1)
    assert exc.value.code == "stale_version"
    with pytest.raises(UserError):
        actions.act(a, "comment", by=users.county_op, text="长" * (actions.MAX_TEXT + 1))


def test_the_scan_grows_an_alert_being_handled_without_touching_its_state(alert, users):
    a = alert(area=JIANZHONG)
    a = actions.act(a, "take_on", by=users.town_jiantiao)
    grown, what = raise_or_grow(Signal(kind="language", signature="test:1", level="red", title="测试预警",
                                       summary="升级", area=Area.objects.get(code=JIANZHONG), evidence={"terms": [1]}))
    assert what == "grown" and grown.pk == a.pk and grown.state == "handling" and grown.level == "red"
    lower, what = raise_or_grow(Signal(kind="language", signature="test:1", level="yellow", title="测试预警",
                                       summary="升级", area=Area.objects.get(code=JIANZHONG), evidence={"terms": [1]}))
    assert what == "unchanged" and lower.level == "red"


def test_one_open_alert_per_signature(alert):
    from django.db import IntegrityError, transaction

    alert(signature="same")
    with pytest.raises(IntegrityError):
        with transaction.atomic():
            RiskAlert.objects.create(number="x", kind="language", level="red", signature="same", title="t",
                                     area=Area.objects.get(code=XINHU))


def test_restrict_is_the_area_subtree(alert, users):
    a = alert(area=JIANZHONG)
    assert list(RiskAlert.objects.restrict(users.town_jiantiao)) == [a]
    assert list(RiskAlert.objects.restrict(users.cadre_jianzhong)) == [a]
    assert list(RiskAlert.objects.restrict(users.county_op)) == [a]
    assert list(RiskAlert.objects.restrict(users.town_haiyou)) == []
    assert list(RiskAlert.objects.restrict(users.cadre_xinhu)) == []
    assert list(RiskAlert.objects.restrict(users.dept_police)) == []
    assert list(RiskAlert.objects.restrict(users.auditor)) == []
