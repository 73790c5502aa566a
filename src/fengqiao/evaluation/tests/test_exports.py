"""The Excel and PDF exports carry what the page shows (each indicator's year-on-year change and
last year's figure, a rate's numerator/denominator), as numbers an office can sum and sort, with
labelled counts; published snapshots render and export whatever codes they froze; the publish
button says "again" only when the user's own scope has published."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess

import pytest
from django.utils import translation

from fengqiao.evaluation import actions, exports
from fengqiao.evaluation.labels import COUNT_NAMES, count_name, count_order
from fengqiao.evaluation.models import Publication
from fengqiao.evaluation.periods import MONTH, Period
from fengqiao.events import sla

from . import scenario
from .scenario import HAIYOU, NOVEMBER, NOW

pytestmark = pytest.mark.django_db

PERIOD = Period(MONTH, dt.date(2025, 11, 1))


_get = scenario.get


def _sheet(content: bytes):
    from openpyxl import load_workbook

    return load_workbook(io.BytesIO(content)).worksheets[0]


def _table(ws) -> tuple[list, dict[str, list]]:
    """The ranking's header and its rows by unit name (cells, not values)."""
    rows = list(ws.iter_rows())
    at = next(i for i, r in enumerate(rows) if r[0].value == "排名")
    head = [c.value for c in rows[at]]
    body = {}
    for r in rows[at + 1:]:
        if r[0].value is None and r[1].value is None:
            break
        body[r[1].value] = r
    return head, body


def _pdf_text(content: bytes) -> str:
    if shutil.which("pdftotext"):
        return subprocess.run(["pdftotext", "-layout", "-", "-"], input=content, capture_output=True,
                              check=True).stdout.decode()
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def _haiyou(data):
    towns = next(g for g in data["groups"] if g["kind"] == "area")
    return next(r for r in towns["rows"] if r["unit"]["code"] == HAIYOU)


# ---------------------------------------------------------------- Excel: numbers, changes, counts

def test_excel_numbers_are_numbers_with_formats(client, users, built):
    client.force_login(users.county_op)
    head, body = _table(_sheet(_get(client, "/evaluation/export.xlsx", {"period": NOVEMBER}).content))
    haiyou = body["海游街道"]
    intake = haiyou[head.index("受理量")]
    assert intake.value == scenario.EXPECTED[HAIYOU]["intake"] and isinstance(intake.value, int)
    rate = haiyou[head.index("办结率")]
    assert isinstance(rate.value, float) and rate.value == pytest.approx(4 / 7) and rate.number_format == "0.0%"
    assert isinstance(haiyou[head.index("得分")].value, (int, float))  # 59.0 reads back as 59
    assert isinstance(haiyou[head.index("排名")].value, int)
    assert haiyou[head.index("超期件数")].value == scenario.EXPECTED[HAIYOU]["overdue"]


def test_excel_has_each_indicators_change_and_last_years_figure(client, users, built):
    client.force_login(users.county_op)
    with sla.frozen_now(NOW):
        page = client.get("/evaluation/", {"period": NOVEMBER}).context["tables"]
    cells = {c["code"]: c for c in next(r for r in page[0]["rows"] if r["code"] == HAIYOU)["cells"]}
    head, body = _table(_sheet(_get(client, "/evaluation/export.xlsx", {"period": NOVEMBER}).content))
    haiyou = body["海游街道"]
    for name in ("受理量", "办结率", "满意率", "超期件数"):
        assert f"{name} year on year" in head or f"{name}同比" in head, name
    col = head.index("办结率")
    prev, change = haiyou[col + 1], haiyou[col + 2]
    assert prev.value == pytest.approx(1.0) and prev.number_format == "0.0%"  # 1/1 in November 2024
    assert isinstance(change.value, float) and change.value == pytest.approx(-42.9)  # percentage points
    assert cells["resolution_rate"]["change"].startswith("−42.9")  # as the page shows it
    col = head.index("受理量")
    assert (haiyou[col + 1].value, haiyou[col + 2].value) == (1, scenario.EXPECTED[HAIYOU]["intake"] - 1)
    assert haiyou[col + 2].number_format == "+0;-0;0"
    # a figure without a denominator is "—", never 0
    assert body["海润街道"][head.index("办结率")].value == "—"


def test_excel_counts_are_labelled_in_a_fixed_order_as_integers(client, users, built):
    client.force_login(users.county_op)
    ws = _sheet(_get(client, "/evaluation/export.xlsx", {"period": NOVEMBER}).content)
    rows = [[c for c in r] for r in ws.iter_rows()]
    at = next(i for i, r in enumerate(rows) if r[0].value == "计数")
    head = [c.value for c in rows[at + 1] if c.value is not None]
    with translation.override("zh-hans"):
        expected = [str(COUNT_NAMES[k]) for k in ("intake", "signed", "signed_on_time", "resolved")]
    assert head[1:5] == expected  # intake first, then each rate's denominator and numerator
    raw = {"decisions", "hazard_resolved", "mediation_concluded", "signed_on_time", "valid_resolved"}
    assert not raw & set(head)  # no raw codes
    haiyou = next(r for r in rows[at + 2:] if r[0].value == "海游街道")
    assert haiyou[1].value == 9 and isinstance(haiyou[1].value, int) and haiyou[1].number_format == "0"
    assert any(r[0].value == "Counts a year earlier" or r[0].value == "去年同期计数" for r in rows)


def test_count_labels_tolerate_unknown_keys():
    keys = {"returns", "intake", "decisions", "brand_new_count", "signed", "signed_on_time", "a_new_one"}
    order = count_order(keys)
    assert order[0] == "intake" and order.index("signed") < order.index("signed_on_time")
    assert order.index("decisions") < order.index("returns")
    assert order[-2:] == ["a_new_one", "brand_new_count"]  # unknown keys last, alphabetically
    assert count_name("brand_new_count") == "brand_new_count"
    with translation.override("en"):
        assert count_name("hazard_resolved") == "Safety-hazard matters rectified"


# ---------------------------------------------------------------- PDF: fraction, change, last year

def test_pdf_has_fractions_changes_and_last_years_figures(client, users, built):
    client.force_login(users.county_op)
    text = _pdf_text(_get(client, "/evaluation/export.pdf", {"period": NOVEMBER}).content)
    assert "57.1% (4/7)" in text  # the resolution rate with its numerator/denominator
    assert "66.7% (2/3)" in text
    assert "同比 -42.9" in text or "YoY -42.9" in text  # the change, with a minus the font has
    assert "□" not in text
    assert "A year earlier:" in text or "去年 100.0%" in text  # (English wraps in the narrow column)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_pdf_cells_break_only_between_their_lines(users, built, monkeypatch, language):
    """Each line of an indicator's cell (the figure with its fraction, the figure a year earlier,
    the change) fits its column whole at the padding the table has: a line measured as fitting
    with less padding than the table's wrapped, and printed "去年 100.0" with "%" under it."""
    from reportlab import platypus

    from fengqiao.evaluation import query

    tables = []

    class Recording(platypus.LongTable):
        def __init__(self, data, colWidths=None, **kwargs):
            if all(isinstance(c, platypus.Paragraph) for r in data for c in r):  # not a page's split part
                tables.append(([list(r) for r in data], colWidths))  # the table rewrites its rows
            super().__init__(data, colWidths=colWidths, **kwargs)

    monkeypatch.setattr(platypus, "LongTable", Recording)
    with translation.override(language):
        data = query.evaluate(users.county_op, PERIOD, now=NOW)
        assert len(data["indicators"]) >= 12 and exports.pdf(data).startswith(b"%PDF")
    checked = 0
    for rows, widths in tables:
        for row in rows[1:]:
            for cell, width in list(zip(row, widths, strict=True))[4:]:  # the indicators' columns
                texts = cell.text.split("<br/>")
                cell.wrap(width - 2 * exports.CELL_PADDING, 10_000)
                assert len(cell.blPara.lines) == len(texts), texts
                checked += len(texts) > 1
    assert checked  # cells of several lines were there (figure, a year earlier, change)


# ---------------------------------------------------------------- computed_at

@pytest.mark.parametrize(("stored", "shown"), [
    ("2025-11-20 12:00", "2025-11-20 12:00"),  # the new local form, as given
    ("2025-11-20T04:00:00+00:00", "2025-11-20 12:00"),  # an old ISO instant in UTC, to Shanghai
    ("2025-11-20T12:00:00.123456+08:00", "2025-11-20 12:00"),
    ("", ""),
])
def test_computed_at_is_local_minutes(stored, shown):
    assert exports.computed_at(stored) == shown


def test_an_old_publication_prints_its_computed_at_in_local_time(client, users, built):
    with sla.frozen_now(NOW):
        pub = actions.publish(PERIOD, by=users.county_op)
    data = dict(pub.data, complete=False, computed_at="2025-11-20T04:00:00+00:00")
    Publication.objects.filter(pk=pub.pk).update(data=data)
    client.force_login(users.county_op)
    r = client.get(f"/evaluation/published/{pub.pk}/export.xlsx")
    lines = [str(row[0].value) for row in _sheet(r.content).iter_rows(max_row=8) if row[0].value]
    assert any("2025-11-20 12:00" in line for line in lines), lines
    assert not any("T04:00" in line for line in lines)
    assert "2025-11-20 12:00" in _pdf_text(client.get(f"/evaluation/published/{pub.pk}/export.pdf").content)


# ---------------------------------------------------------------- frozen codes

def _rename(data: dict, old: str, new: str) -> dict:
    data["indicators"] = [new if c == old else c for c in data["indicators"]]
    data["weights"] = {(new if c == old else c): w for c, w in data["weights"].items()}
    for g in data["groups"]:
        for r in g["rows"]:
            for part in ("values", "previous_values", "change"):
                r[part][new] = r[part].pop(old)
    return data


def test_a_publication_with_an_unknown_indicator_code_renders_and_exports(client, users, built):
    """A code renamed or removed since publication: the page and both files show the frozen
    figures under the code (no KeyError, no 500)."""
    with sla.frozen_now(NOW):
        pub = actions.publish(PERIOD, by=users.county_op)
    data = _rename(pub.data, "satisfaction_rate", "contentment_rate")
    data["not_measurable"] = ["key_person_visit_rate", "ghost_visit_rate"]
    _haiyou(data)["counts"]["mystery_count"] = 7
    Publication.objects.filter(pk=pub.pk).update(data=data)

    client.force_login(users.county_op)
    page = client.get(f"/evaluation/published/{pub.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "contentment_rate" in text and "ghost_visit_rate" in text
    cells = {c["code"]: c for c in next(r for r in page.context["tables"][0]["rows"] if r["code"] == HAIYOU)["cells"]}
    assert cells["contentment_rate"]["value"] == "66.7%"  # the frozen figure, shown as a rate

    r = client.get(f"/evaluation/published/{pub.pk}/export.xlsx")
    assert r.status_code == 200
    ws = _sheet(r.content)
    head, body = _table(ws)
    assert "contentment_rate" in head
    assert body["海游街道"][head.index("contentment_rate")].value == pytest.approx(2 / 3)
    assert any(c.value == "mystery_count" for row in ws.iter_rows() for c in row)  # an unknown count: its key
    r = client.get(f"/evaluation/published/{pub.pk}/export.pdf")
    assert r.status_code == 200 and "contentment_rate" in _pdf_text(r.content)


def test_frozen_names_and_definitions_are_used_when_present(client, users, built):
    with sla.frozen_now(NOW):
        pub = actions.publish(PERIOD, by=users.county_op)
    data = _rename(pub.data, "satisfaction_rate", "contentment_rate")
    data["names"] = {"contentment_rate": {"zh-hans": "群众满足率", "en": "Contentment rate"}}
    data["definitions"] = {"contentment_rate": {"zh-hans": "冻结的口径文字。", "en": "The frozen definition."},
                           "intake": "发布时的受理量口径。"}
    Publication.objects.filter(pk=pub.pk).update(data=data)
    client.force_login(users.county_op)
    text = client.get(f"/evaluation/published/{pub.pk}/").content.decode()
    assert "群众满足率" in text and "冻结的口径文字。" in text and "发布时的受理量口径。" in text
    from openpyxl import load_workbook

    r = client.get(f"/evaluation/published/{pub.pk}/export.xlsx")
    definitions = load_workbook(io.BytesIO(r.content)).worksheets[-1]
    assert ["群众满足率", "冻结的口径文字。", 20] in [[c.value for c in row] for row in definitions.iter_rows()]


# ---------------------------------------------------------------- the publish button

def _label(client) -> tuple[bool, str]:
    with sla.frozen_now(NOW):
        r = client.get("/evaluation/", {"period": NOVEMBER})
    text = r.content.decode()
    form = text[text.index('id="publish-form"'):]
    return r.context.get("republish"), form[:form.index("</button>")]


def test_publish_button_says_again_only_for_the_users_own_scope(client, users, built):
    with translation.override("zh-hans"):
        again, first = translation.gettext("Publish again (new revision)"), translation.gettext("Publish these figures")
    with sla.frozen_now(NOW):
        actions.publish(PERIOD, by=users.county_op)
    client.force_login(users.leader_haiyou)
    republish, button = _label(client)
    # the county's publication is visible to the town, but pressing the button makes the town's first
    assert first in button and again not in button and republish is False
    with sla.frozen_now(NOW):
        assert actions.publish(PERIOD, by=users.leader_haiyou).revision == 1
    republish, button = _label(client)
    assert again in button and republish is True
    client.force_login(users.county_op)
    republish, button = _label(client)
    assert again in button and republish is True
