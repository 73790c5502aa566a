"""The console page /evaluation/: who opens it, bad input (4xx, bilingual), every linked count
opens a list of exactly that many matters, exports."""

from __future__ import annotations

import io
import re

import pytest

from fengqiao.events import sla

from . import scenario
from .scenario import HAIYOU, NOVEMBER, NOW

pytestmark = pytest.mark.django_db


_get = scenario.get


@pytest.mark.parametrize("who", ["county_op", "town_haiyou", "leader", "leader_haiyou"])
def test_roles_that_evaluate_open_the_page(client, users, who):
    client.force_login(getattr(users, who))
    r = _get(client, "/evaluation/", {"period": NOVEMBER})
    assert r.status_code == 200
    assert r.context["tables"] and 'href="/evaluation/"' in r.content.decode()  # the menu entry


@pytest.mark.parametrize("who", ["cadre_xinhu", "grid_xinhu1", "dept_zhujian", "mediator", "auditor", "admin"])
def test_other_roles_may_not(client, users, who):
    client.force_login(getattr(users, who))
    assert _get(client, "/evaluation/").status_code == 403
    assert _get(client, "/evaluation/export.xlsx", {"period": NOVEMBER}).status_code == 403
    assert 'href="/evaluation/"' not in _get(client, "/").content.decode()


def test_anonymous_is_sent_to_sign_in(client):
    for url in ("/evaluation/", "/evaluation/export.pdf", "/evaluation/published/1/"):
        r = client.get(url)
        assert r.status_code == 302 and "/accounts/login/" in r["Location"]


@pytest.mark.parametrize("value", ["2025-13", "2025-02-30", "last month", "1899-12", "2099-01", "2025/11", "x" * 300,
                                   "0000-00-00"])
def test_bad_period_is_a_bilingual_400(client, users, value):
    client.force_login(users.county_op)
    r = _get(client, "/evaluation/", {"period": value})
    assert r.status_code == 400
    err = r.context["error"]
    text = r.content.decode()
    assert err.zh in text and err.en in text and 'id="period-error"' in text
    for url in ("/evaluation/export.xlsx", "/evaluation/export.pdf"):
        assert _get(client, url, {"period": value}).status_code == 400
    with sla.frozen_now(NOW):
        assert client.post("/evaluation/publish/", {"period": value}).status_code == 400


def test_unknown_export_format_is_404(client, users):
    client.force_login(users.county_op)
    assert _get(client, "/evaluation/export.csv", {"period": NOVEMBER}).status_code == 404


def _count(client, url) -> int:
    r = client.get(url)
    assert r.status_code == 200, url
    assert not r.context["errors"], (url, r.context["errors"])
    return r.context["page"].paginator.count


def _busy(row) -> bool:
    return any(c.get("num") or c.get("den") or (c.get("url") and c["value"] != "0") for c in row["cells"])


def _check_links(client, tables) -> int:
    """Every link of every unit with figures, and of the first unit without (a list of none)."""
    checked = 0
    for t in tables:
        quiet = [r for r in t["rows"] if not _busy(r)][:1]
        for row in [r for r in t["rows"] if _busy(r)] + quiet:
            for c in row["cells"]:
                if c.get("na"):
                    continue
                if c.get("url"):
                    assert _count(client, c["url"]) == int(c["value"]), (row["name"], c)
                    checked += 1
                for n, u in (("num", "num_url"), ("den", "den_url")):
                    if c.get(u):
                        assert _count(client, c[u]) == c[n], (row["name"], c["code"], n, c[u])
                        checked += 1
    return checked


@pytest.mark.parametrize("who", ["county_op", "town_haiyou", "leader"])
def test_every_linked_count_opens_a_list_of_that_many(client, users, built, who):
    client.force_login(getattr(users, who))
    for period in (NOVEMBER, "2025-11-03"):
        r = _get(client, "/evaluation/", {"period": period})
        assert r.status_code == 200
        checked = _check_links(client, r.context["tables"])
        assert checked > 10, period


def test_linked_counts_are_the_scenario_counts(client, users, built):
    client.force_login(users.county_op)
    tables = _get(client, "/evaluation/", {"period": NOVEMBER}).context["tables"]
    towns = next(t for t in tables if t["kind"] == "area")
    haiyou = next(r for r in towns["rows"] if r["code"] == HAIYOU)
    cells = {c["code"]: c for c in haiyou["cells"]}
    assert cells["intake"]["value"] == "9" and cells["intake"]["url"]
    assert (cells["resolution_rate"]["num"], cells["resolution_rate"]["den"]) == (4, 7)
    assert (cells["satisfaction_rate"]["num"], cells["satisfaction_rate"]["den"]) == (2, 3)
    assert cells["satisfaction_rate"]["den_url"] and not cells["satisfaction_rate"]["num_url"]
    assert cells["repeat_rate"]["num_url"] and cells["hazard_rectification_rate"]["num_url"]
    overdue = str(scenario.EXPECTED[HAIYOU]["overdue"])
    assert cells["overdue"]["value"] == overdue and not cells["overdue"].get("url")  # the list cannot select them
    depts = next(t for t in tables if t["kind"] == "department")
    zj = next(r for r in depts["rows"] if r["code"] == "ZJ")
    assert next(c for c in zj["cells"] if c["code"] == "repeat_rate")["na"]


def test_page_shows_the_chart_and_definitions(client, users, built):
    client.force_login(users.county_op)
    text = _get(client, "/evaluation/", {"period": NOVEMBER}).content.decode()
    assert 'id="c-score-area"' in text and 'id="chart-area"' in text and 'id="chart-department"' in text
    assert "vendor/echarts.min.js" in text
    # every script and stylesheet is served from here (a random CSRF token may spell "cdn")
    assert all(ref.startswith("/") for ref in re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', text))
    assert 'id="definitions"' in text and 'id="not-measurable"' not in text  # every indicator is measured
    assert 'id="publish-form"' in text  # a county operator publishes


def test_town_operator_has_no_publish_button(client, users, built):
    client.force_login(users.town_haiyou)
    assert 'id="publish-form"' not in _get(client, "/evaluation/", {"period": NOVEMBER}).content.decode()


def test_excel_export_of_live_figures(client, users, built):
    from openpyxl import load_workbook

    client.force_login(users.county_op)
    r = _get(client, "/evaluation/export.xlsx", {"period": NOVEMBER})
    assert r.status_code == 200 and "spreadsheetml" in r["Content-Type"]
    assert 'filename="evaluation-331022-2025-11.xlsx"' in r["Content-Disposition"]
    wb = load_workbook(io.BytesIO(r.content))
    assert len(wb.sheetnames) == 3  # towns, departments, definitions
    ws = wb[wb.sheetnames[0]]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    head = next(row for row in rows if row[0] == "排名")
    haiyou = next(row for row in rows if row[1] == "海游街道")
    assert haiyou[0] == 2 and haiyou[head.index("受理量")] == 9  # rank, intake: numbers, not text
    assert haiyou[head.index("办结率")] == pytest.approx(4 / 7)  # resolution rate 4/7


def test_pdf_export_of_live_figures(client, users, built):
    from pypdf import PdfReader

    client.force_login(users.county_op)
    r = _get(client, "/evaluation/export.pdf", {"period": NOVEMBER})
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    assert len(PdfReader(io.BytesIO(r.content)).pages) >= 1


def test_exports_are_audited(client, users, built):
    from fengqiao.core.models import AuditRecord

    client.force_login(users.county_op)
    before = AuditRecord.objects.filter(action="export").count()
    _get(client, "/evaluation/export.pdf", {"period": NOVEMBER})
    assert AuditRecord.objects.filter(action="export").count() == before + 1
