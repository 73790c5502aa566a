"""Publication (日晾晒 / 月比拼): a frozen, audited snapshot per revision; who publishes and who
sees it; exports of a snapshot; weights edited in the admin, audited."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from fengqiao.core.errors import Forbidden
from fengqiao.core.models import AuditRecord
from fengqiao.evaluation import actions
from fengqiao.evaluation.models import IndicatorWeight, Publication
from fengqiao.evaluation.periods import MONTH, Period
from fengqiao.events import sla

from . import scenario
from .scenario import HAIYOU, NOVEMBER, NOW, at

pytestmark = pytest.mark.django_db

PERIOD = Period(MONTH, dt.date(2025, 11, 1))


@pytest.fixture
def built(users):
    return scenario.build(users)


def _haiyou(data):
    towns = next(g for g in data["groups"] if g["kind"] == "area")
    return next(r for r in towns["rows"] if r["unit"]["code"] == HAIYOU)


def test_publish_freezes_the_figures(users, built):
    with sla.frozen_now(NOW):
        pub = actions.publish(PERIOD, by=users.county_op)
    assert (pub.revision, pub.period, pub.kind, pub.scope.code, pub.complete) == (1, NOVEMBER, "month", "331022", True)
    assert pub.published_by == users.county_op and pub.published_by_name
    frozen = _haiyou(Publication.objects.get(pk=pub.pk).data)
    overdue = scenario.EXPECTED[HAIYOU]["overdue"]
    assert frozen["counts"]["valid_resolved"] == 4 and frozen["counts"]["overdue"] == overdue
    record = AuditRecord.objects.filter(action="evaluation_publish", object_type="evaluation.publication",
                                        object_id=str(pub.pk)).get()
    assert record.after["revision"] == 1 and record.after["period"] == NOVEMBER

    # M3 (in progress, overdue) is resolved now: the live figures change, the publication does not
    built.step("M3", "resolve", users.town_haiyou, at("12-01"), result="已修复。")
    from fengqiao.evaluation import query

    live = _haiyou(query.evaluate(users.county_op, PERIOD, now=NOW))
    assert live["counts"]["valid_resolved"] == 5 and live["counts"]["overdue"] == overdue - 1
    assert _haiyou(Publication.objects.get(pk=pub.pk).data) == frozen

    # publishing again makes revision 2 with the new figures; revision 1 stays
    with sla.frozen_now(NOW + dt.timedelta(hours=1)):
        again = actions.publish(PERIOD, by=users.leader)
    assert again.revision == 2 and again.pk != pub.pk
    assert _haiyou(again.data)["counts"]["valid_resolved"] == 5
    assert _haiyou(Publication.objects.get(pk=pub.pk).data) == frozen
    assert Publication.objects.filter(period=NOVEMBER, scope__code="331022").count() == 2


def test_a_publication_keeps_the_definitions_it_was_counted_by(client, users, built, monkeypatch):
    """A later release may reword a definition; what was announced shows the wording of the
    day, in both languages."""
    from fengqiao.evaluation import labels

    with sla.frozen_now(NOW):
        pub = actions.publish(PERIOD, by=users.county_op)
    data = Publication.objects.get(pk=pub.pk).data
    assert set(data["definitions"]["return_rate"]) == {"zh-hans", "en"}
    assert data["names"]["return_rate"]["en"] == "Return rate"
    then = data["definitions"]["return_rate"]["en"]
    monkeypatch.setitem(labels.DEFINITIONS, "return_rate", "A wording of a later release.")
    client.force_login(users.county_op)
    page = client.get(f"/evaluation/published/{pub.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert then in page and "A wording of a later release." not in page
    live = client.get("/evaluation/", {"period": NOVEMBER}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "A wording of a later release." in live


def test_a_running_period_is_marked_incomplete(users, built):
    with sla.frozen_now(at("11-20", "12:00")):
        pub = actions.publish(PERIOD, by=users.county_op)
    assert pub.complete is False


def test_only_county_operators_and_leaders_publish(users, built):
    for who in ("town_haiyou", "cadre_xinhu", "dept_zhujian", "auditor", "admin"):
        with pytest.raises(Forbidden):
            actions.publish(PERIOD, by=getattr(users, who))
    assert not Publication.objects.exists()
    # a town's leader publishes its villages' figures
    with sla.frozen_now(NOW):
        pub = actions.publish(PERIOD, by=users.leader_haiyou)
    assert pub.scope.code == HAIYOU
    assert next(g for g in pub.data["groups"])["level"] == "village"


def test_publish_through_the_page(client, users, built):
    client.force_login(users.county_op)
    with sla.frozen_now(NOW):
        r = client.post("/evaluation/publish/", {"period": NOVEMBER})
    pub = Publication.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/evaluation/published/{pub.pk}/"
    page = client.get(r["Location"])
    assert page.status_code == 200 and 'id="publication-head"' in page.content.decode()
    # a publication's numbers carry no links to the (live) matter list
    assert "/matters/?" not in page.content.decode()
    with sla.frozen_now(NOW):
        listing = client.get("/evaluation/", {"period": NOVEMBER}).content.decode()
    assert f'data-publication="{pub.pk}"' in listing
    client.force_login(users.town_haiyou)
    with sla.frozen_now(NOW):
        assert client.post("/evaluation/publish/", {"period": NOVEMBER}).status_code == 403


def test_who_sees_a_publication(client, users, built):
    with sla.frozen_now(NOW):
        county = actions.publish(PERIOD, by=users.county_op)
        town = actions.publish(PERIOD, by=users.leader_haiyou)
    # the county's publication is for its towns; a town's for the town and those above it
    for who, visible in (("town_haiyou", {county, town}), ("town_jiantiao", {county}), ("leader", {county, town}),
                         ("leader_haiyou", {county, town})):
        client.force_login(getattr(users, who))
        for pub in (county, town):
            expected = 200 if pub in visible else 404
            assert client.get(f"/evaluation/published/{pub.pk}/").status_code == expected, (who, pub.scope.code)
            assert client.get(f"/evaluation/published/{pub.pk}/export.xlsx").status_code == expected
    client.force_login(users.cadre_xinhu)
    assert client.get(f"/evaluation/published/{county.pk}/").status_code == 403
    client.force_login(users.county_op)
    assert client.get("/evaluation/published/999999/").status_code == 404


def test_publication_exports(client, users, built):
    from openpyxl import load_workbook

    with sla.frozen_now(NOW):
        pub = actions.publish(PERIOD, by=users.county_op)
    built.step("M3", "resolve", users.town_haiyou, at("12-01"), result="已修复。")  # changes nothing published
    client.force_login(users.county_op)
    r = client.get(f"/evaluation/published/{pub.pk}/export.xlsx")
    assert r.status_code == 200
    assert f'evaluation-331022-{NOVEMBER}-r1.xlsx' in r["Content-Disposition"]
    ws = load_workbook(io.BytesIO(r.content)).worksheets[0]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    head = next(row for row in rows if row[0] == "排名")
    haiyou = next(row for row in rows if row[1] == "海游街道")
    assert haiyou[head.index("办结率")] == pytest.approx(4 / 7)  # as published, not 5/7 as now
    assert any(pub.published_by_name in str(row[0]) for row in rows[:6] if row[0])  # who published it
    r = client.get(f"/evaluation/published/{pub.pk}/export.pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert client.get(f"/evaluation/published/{pub.pk}/export.doc").status_code == 404


# ---------------------------------------------------------------- weights

def test_default_weights_are_seeded():
    assert dict(IndicatorWeight.objects.values_list("code", "weight")) == {
        "sign_on_time_rate": 10, "resolve_on_time_rate": 20, "resolution_rate": 15, "satisfaction_rate": 20,
        "repeat_rate": 5, "return_rate": 5, "overdue": 10, "mediation_success_rate": 10,
        "hazard_rectification_rate": 5, "key_person_visit_rate": 10, "inspection_rate": 0}


def test_set_weight_is_validated_and_audited(users):
    from fengqiao.core.errors import UserError

    w = actions.set_weight("overdue", 30, by=users.admin)
    assert w.weight == 30 and w.updated_by == users.admin
    rec = AuditRecord.objects.filter(action="evaluation_set_weight", object_type="evaluation.indicatorweight").latest("id")
    assert rec.before["weight"] == 10 and rec.after["weight"] == 30 and rec.actor_username == "admin"
    for code, bad in (("overdue", 101), ("overdue", -1), ("overdue", "abc"), ("overdue", 2.5), ("overdue", True),
                      ("intake", 5), ("nope", 5)):
        with pytest.raises(UserError):
            actions.set_weight(code, bad, by=users.admin)
    assert IndicatorWeight.objects.get(code="overdue").weight == 30


def test_weights_are_edited_in_the_admin_and_audited(client, users):
    client.force_login(users.admin)
    assert client.get("/admin/evaluation/indicatorweight/").status_code == 200
    assert client.get("/admin/evaluation/indicatorweight/add/").status_code == 403
    w = IndicatorWeight.objects.get(code="satisfaction_rate")
    r = client.post(f"/admin/evaluation/indicatorweight/{w.pk}/change/", {"weight": "25"})
    assert r.status_code == 302, r.content.decode()[:2000]
    assert IndicatorWeight.objects.get(pk=w.pk).weight == 25
    rec = AuditRecord.objects.filter(action="evaluation_set_weight", object_type="evaluation.indicatorweight").latest("id")
    assert (rec.before["weight"], rec.after["weight"], rec.actor_username) == (20, 25, "admin")
    # out of range: the form says so, nothing changes
    r = client.post(f"/admin/evaluation/indicatorweight/{w.pk}/change/", {"weight": "500"})
    assert r.status_code == 200 and IndicatorWeight.objects.get(pk=w.pk).weight == 25
    assert client.post(f"/admin/evaluation/indicatorweight/{w.pk}/delete/", {"post": "yes"}).status_code == 403


def test_two_publishers_at_once_is_a_conflict(users, monkeypatch):
    """Two publications of one period taking the same revision number: the unique constraint
    refuses the second, which is told to reload (409), and nothing of it is left."""
    from django.db import IntegrityError

    from fengqiao.core.errors import Conflict

    def clash(**kwargs):
        raise IntegrityError("UNIQUE constraint failed: evaluation_publication_revision_unique")

    monkeypatch.setattr(Publication.objects, "create", clash)
    before = AuditRecord.objects.filter(object_type="evaluation.publication").count()
    with sla.frozen_now(NOW), pytest.raises(Conflict) as exc:
        actions.publish(PERIOD, by=users.county_op)
    assert exc.value.status == 409 and exc.value.code == "publish_conflict"
    assert AuditRecord.objects.filter(object_type="evaluation.publication").count() == before
