"""Statistics against a hand-computed example, and the pure formulas."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from fengqiao.mediation import actions, kpi

TZ = timezone.get_fixed_timezone(8 * 60)


def at(day: int, month: int = 3) -> dt.datetime:
    return dt.datetime(2020, month, day, 10, 0, tzinfo=TZ)


def run(d, by, steps):
    for action, params, when in steps:
        d = actions.act(d, action, by=by, params=params, at=when)
    return d


def mediate(d, by, med, start_day, end_day, outcome, recovered="0", honoured=None):
    steps = [("accept", {}, at(start_day)), ("assign", {"mediators": [med.li.pk]}, at(start_day)),
             ("start", {}, at(start_day)), ("record_session", {"place": "调解室", "minutes": "记录"}, at(end_day))]
    if outcome == "succeeded":
        steps.append(("succeed", {"terms": "协议", "amount_recovered": recovered, "_skip_pdf": True}, at(end_day)))
        if honoured:
            steps.append(("follow_up", {"honoured": honoured}, at(end_day) + dt.timedelta(days=7)))
    else:
        steps.append(("fail", {"reason": "不成"}, at(end_day)))
    return run(d, by, steps)


@pytest.mark.django_db
def test_hand_computed_example(api, users, med, new_dispute):
    staff, county = users.town_haiyou, users.county_op
    d1 = new_dispute(amount_in_dispute="10000", at=at(1))
    mediate(d1, staff, med, 1, 11, "succeeded", "8000", "yes")  # 10 days
    d2 = new_dispute(amount_in_dispute="5000", at=at(5))
    mediate(d2, staff, med, 5, 25, "succeeded", "5000", "partly")  # 20 days
    d3 = new_dispute(amount_in_dispute="2000", at=at(10))
    mediate(d3, staff, med, 10, 16, "failed")  # 6 days
    d4 = new_dispute(amount_in_dispute="0", at=at(12))
    run(d4, staff, [("decline", {"reason": "不属于受理范围"}, at(12))])
    d5 = new_dispute(amount_in_dispute="1000", at=at(20))
    run(d5, staff, [("accept", {}, at(20))])
    d6 = new_dispute(amount_in_dispute="0", at=at(2), area=med.jiantiao, by=users.town_jiantiao)
    run(d6, users.town_jiantiao, [("accept", {}, at(2)), ("assign", {"mediators": [med.lin.pk]}, at(2)),
                                  ("start", {}, at(2)), ("record_session", {"place": "健跳", "minutes": "记录"}, at(6)),
                                  ("succeed", {"terms": "协议", "_skip_pdf": True}, at(6))])  # 4 days
    new_dispute(amount_in_dispute="999", at=at(1, 4))  # outside the period

    # 2020: far from the generated demo year, so the figures hold with or without the demo loaded.
    period = {"from": "2020-03-01", "to": "2020-03-31"}
    r = api(county).get("/api/v1/mediation/stats/", period)
    assert r.status_code == 200
    s = r.json()
    expected = {"screened": 6, "accepted": 5, "declined": 1, "in_progress": 1, "succeeded": 3, "failed": 1,
                "success_rate": 0.75, "resolution_rate": 0.5, "avg_days_to_close": 10.0, "money_involved": 18000.0,
                "money_recovered": 13000.0, "followed_up": 2, "follow_up_rate": 0.6667, "follow_up_compliance": 0.5}
    assert {k: s[k] for k in expected} == expected
    by_area = {row["key"]: row for row in s["breakdowns"]["area"]}
    assert by_area["331022001"]["label"] == "海游街道" and by_area["331022001"]["screened"] == 5
    assert by_area["331022105"]["succeeded"] == 1
    by_mediator = {row["key"]: row["succeeded"] for row in s["breakdowns"]["mediator"]}
    assert by_mediator["李调解"] == 2 and by_mediator["林健跳"] == 1
    assert [m["key"] for m in s["breakdowns"]["month"]] == ["2020-03"]
    assert {row["key"] for row in s["breakdowns"]["type"]} == {"neighbours"}

    # The town centre sees its own jurisdiction only.
    t = api(staff).get("/api/v1/mediation/stats/", period).json()
    assert (t["screened"], t["accepted"], t["succeeded"], t["failed"]) == (5, 4, 2, 1)
    assert t["success_rate"] == 0.6667 and t["avg_days_to_close"] == 12.0
    # Narrowed to an area; an area outside the jurisdiction is a 404.
    assert api(county).get("/api/v1/mediation/stats/", {**period, "area": "331022105"}).json()["screened"] == 1
    assert api(staff).get("/api/v1/mediation/stats/", {**period, "area": "331022105"}).status_code == 404
    # Excel with the same numbers.
    x = api(county).get("/api/v1/mediation/stats/", {**period, "as": "xlsx"})
    assert x.status_code == 200 and x.content[:2] == b"PK"
    import io

    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(x.content))
    summary = {row[0]: row[1] for row in wb["汇总"].iter_rows(values_only=True)}
    assert summary["排查登记"] == 6 and summary["调解成功"] == 3 and summary["调解成功率"] == 0.75
    # The register export masks names.
    reg = api(county).get("/api/v1/mediation/disputes/export.xlsx")
    assert reg.status_code == 200
    ws = load_workbook(io.BytesIO(reg.content)).active
    cells = [c for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert "张**" in cells and "张三丰" not in cells
    # Unmasked, it names the parties, and one audit record counts the rows exported.
    from fengqiao.core.models import AuditRecord

    reg = api(county).get("/api/v1/mediation/disputes/export.xlsx", {"unmask": 1})
    rows = list(load_workbook(io.BytesIO(reg.content)).active.iter_rows(values_only=True))[1:]
    assert any("张三丰" in str(c) for row in rows for c in row)
    rec = AuditRecord.objects.filter(action="view_personal", object_repr="dispute register export").last()
    assert rec is not None and rec.after["count"] == len(rows) > 0
    assert rec.after["filters"] == {"unmask": "1"}  # which register: its filters name the rows
    assert api(county).get("/api/v1/mediation/disputes/export.xlsx", {"unmask": 1, "state": "registered"}).status_code == 200
    rec = AuditRecord.objects.filter(action="view_personal", object_repr="dispute register export").last()
    assert rec.after["filters"] == {"unmask": "1", "state": "registered"}


def test_kpi_pure():
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

    def row(outcome, days=None, followed=False, honoured=""):
        return kpi.Row(accepted=True, outcome=outcome, state="archived", registered_at=t0,
                       concluded_at=t0 + dt.timedelta(days=days) if days is not None else None,
                       amount=Decimal("100"), recovered=Decimal("50"), followed_up=followed, honoured=honoured,
                       keys={"area": "a"})
    # 三门 2023: 5,758 of 5,767 resolved = 99.84 %.
    assert kpi.rate(5758, 5767) == 0.9984
    s = kpi.summarise([row("succeeded", 2, True, "yes"), row("succeeded", 4, True, "no"), row("failed", 6), row("")])
    assert s["success_rate"] == 0.6667 and s["avg_days_to_close"] == 4.0 and s["follow_up_compliance"] == 0.5
    assert s["money_recovered"] == 100.0 and s["money_involved"] == 400.0
    empty = kpi.summarise([])
    assert empty["success_rate"] is None and empty["screened"] == 0
