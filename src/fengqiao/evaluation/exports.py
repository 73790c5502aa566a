"""The evaluation as Excel (openpyxl) and PDF (reportlab with its built-in CJK font, as the
mediation agreement): from the same dict the page shows, live or published. Headings follow the
reader's language (Chinese by default)."""

from __future__ import annotations

import datetime as dt
import io
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _

from fengqiao.core.sheets import safe_cell
from fengqiao.workcal.calendar import SHANGHAI

from .formulas import applies, display, with_sign
from .labels import count_name, count_order, definition, group_name, indicators, name

NONE = "—"  # no figure (a rate without a denominator, a change without last year's figure)


def computed_at(value) -> str:
    """When the figures were computed, as ``YYYY-MM-DD HH:MM`` in local time. Newer data holds
    exactly that (printed as given); older publications hold an ISO instant with its offset,
    which is converted to Asia/Shanghai (slicing it would print UTC, or a ``T``)."""
    if not value:
        return ""
    text = str(value)
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    if when.tzinfo is not None:
        when = when.astimezone(SHANGHAI)
    return when.strftime("%Y-%m-%d %H:%M")


def title(data: dict) -> str:
    scope = (data.get("scope") or {}).get("name", "")
    kind = _("Daily figures") if data["period"]["kind"] == "day" else _("Monthly ranking")
    return f"{scope} {data['period']['key']} {kind}".strip()


def _missing_names(data: dict) -> list[str]:
    missing = [name(c, data) for c in data.get("not_measurable", [])]
    if not data.get("hazard_measured", True):
        missing.append(name("hazard_rectification_rate", data))
    return missing


def header_lines(data: dict, publication=None) -> list[str]:
    from django.utils import timezone

    lines = [_("Period: %(start)s to %(last)s; year-on-year against %(prev)s")
             % {"start": data["period"]["start"], "last": data["period"]["last"], "prev": data["previous"]["key"]}]
    if publication is not None:
        lines.append(_("Published %(at)s by %(who)s, revision %(rev)s")
                     % {"at": timezone.localtime(publication.published_at).strftime("%Y-%m-%d %H:%M"),
                        "who": publication.published_by_name, "rev": publication.revision})
    else:
        lines.append(_("Live figures, not published"))
    if not data.get("complete", True):
        lines.append(_("The period was not over yet: figures as of %(at)s")
                     % {"at": computed_at(data.get("computed_at"))})
    weights = "; ".join(f"{name(c, data)} {w}" for c, w in (data.get("weights") or {}).items())
    lines.append(_("Weights: %(w)s") % {"w": weights})
    missing = _missing_names(data)
    if missing:
        lines.append(_("Not measurable yet: %(names)s") % {"names": "、".join(missing)})
    return lines


def _fraction(indicator, row) -> str | None:
    """A rate's numerator/denominator as the page prints them under the rate (4/7); none
    without a denominator."""
    if indicator.kind != "rate" or not indicator.denominator:
        return None
    counts = row.get("counts") or {}
    num, den = counts.get(indicator.numerator), counts.get(indicator.denominator)
    if not den:
        return None
    return f"{NONE if num is None else num}/{den}"


# ---------------------------------------------------------------- Excel

def _sheet_columns(inds, data: dict) -> list[str]:
    out = [str(_("Rank")), str(_("Unit")), str(_("Score")), str(_("Score a year earlier")),
           str(_("Score year on year"))]
    for i in inds:
        n = name(i.code, data)
        out += [n, str(_("%(name)s a year earlier") % {"name": n}), str(_("%(name)s year on year") % {"name": n})]
    return out


def _number(value, fmt: str) -> tuple:
    return (NONE, None) if value is None else (value, fmt)


def _sheet_values(row, inds) -> list[tuple]:
    """One unit's cells as (value, number format): numbers stay numbers (a rate as its fraction
    with a percent format, a change in percentage points or matters), so an office can sum and
    sort; no figure is "—"."""
    pt = str(_("pt")).replace('"', "")
    rate_change = f'+0.0" {pt}";-0.0" {pt}";0" {pt}"'
    out = [_number(row.get("rank"), "0"), (safe_cell(row["unit"]["name"]), None),
           _number(row.get("score"), "0.0"), _number(row.get("previous_score"), "0.0"),
           _number(row.get("score_change"), "+0.0;-0.0;0")]
    values, previous, change = row.get("values") or {}, row.get("previous_values") or {}, row.get("change") or {}
    for i in inds:
        if not applies(i, row["unit"]["kind"]):
            out += [(str(_("n/a")), None)] * 3
        elif i.kind == "rate":
            out += [_number(values.get(i.code), "0.0%"), _number(previous.get(i.code), "0.0%"),
                    _number(change.get(i.code), rate_change)]
        else:
            out += [_number(values.get(i.code), "0"), _number(previous.get(i.code), "0"),
                    _number(change.get(i.code), "+0;-0;0")]
    return out


def _append(ws, cells: list[tuple]) -> None:
    ws.append([v for v, _fmt in cells])
    for cell, (_v, fmt) in zip(ws[ws.max_row], cells, strict=False):
        if fmt:
            cell.number_format = fmt


def _counts_table(ws, heading: str, rows: list[dict], field: str) -> None:
    """The counts behind the rates, for checking: labelled, in a fixed order, as integers."""
    from openpyxl.styles import Font

    ws.append([])
    ws.append([heading])
    ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
    keys = count_order({k for r in rows for k in (r.get(field) or {})})
    ws.append([str(_("Unit"))] + [count_name(k) for k in keys])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for row in rows:
        counts = row.get(field) or {}
        _append(ws, [(safe_cell(row["unit"]["name"]), None)]
                + [_number(counts.get(k), "0") for k in keys])


def workbook(data: dict, publication=None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    inds = indicators(data)
    wb = Workbook()
    wb.remove(wb.active)
    for group in data["groups"]:
        ws = wb.create_sheet(group_name(group["level"])[:31])
        ws.append([safe_cell(title(data))])
        ws["A1"].font = Font(bold=True, size=14)
        for line in header_lines(data, publication):
            ws.append([safe_cell(line)])
        ws.append([])
        head_row = ws.max_row + 1
        ws.append(_sheet_columns(inds, data))
        for cell in ws[head_row]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(horizontal="center", wrap_text=True)
        for row in group["rows"]:
            _append(ws, _sheet_values(row, inds))
        ws.freeze_panes = ws.cell(row=head_row + 1, column=3)
        for i, width in enumerate([6, 16, 8, 10, 10] + [11, 11, 12] * len(inds), start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        _counts_table(ws, str(_("Counts")), group["rows"], "counts")
        _counts_table(ws, str(_("Counts a year earlier")), group["rows"], "previous_counts")
    ws = wb.create_sheet(str(_("Definitions"))[:31])
    ws.append([str(_("Indicator")), str(_("Definition")), str(_("Weight"))])
    weights = data.get("weights") or {}
    for i in inds:
        ws.append([name(i.code, data), definition(i.code, data), weights.get(i.code, "")])
    for code in data.get("not_measurable", []):
        ws.append([name(code, data), definition(code, data), ""])
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 90
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


#: a PDF table cell's left and right padding, in points (reportlab's default is 6: twelve
#: indicator columns on A4 landscape are about 48 points wide, a quarter of it went to padding)
CELL_PADDING = 3


def _pdf_columns(inds, data: dict) -> list[str]:
    return [str(_("Rank")), str(_("Unit")), str(_("Score")), str(_("Score year on year"))] + [
        name(i.code, data) for i in inds]


def _earlier(value: str) -> str:
    return _("A year earlier: %(value)s") % {"value": value}


def _pdf_values(row, inds, fits) -> list[list[str]]:
    """One unit's cells as lines of text: as the page, each indicator's figure with a rate's
    numerator/denominator ("80.0% (4/5)", the fraction on its own line when the column is too
    narrow), the figure a year earlier and the change year on year (同比)."""
    prev_score = row.get("previous_score")
    out = [[NONE if row.get("rank") is None else str(row["rank"])], [str(row["unit"]["name"])],
           [NONE if row.get("score") is None else str(row["score"])]
           + ([_earlier(str(prev_score))] if prev_score is not None else []),
           [with_sign(row.get("score_change"))]]
    values, previous, change = row.get("values") or {}, row.get("previous_values") or {}, row.get("change") or {}
    for i in inds:
        if not applies(i, row["unit"]["kind"]):
            out.append([str(_("n/a"))])
            continue
        figure = display(i, values.get(i.code))
        fraction = _fraction(i, row)
        lines = [figure] if fraction is None else (
            [f"{figure} ({fraction})"] if fits(f"{figure} ({fraction})") else [figure, fraction])
        if previous.get(i.code) is not None:
            earlier = _earlier(display(i, previous[i.code]))
            # too narrow: the words on one line, the figure on the next (never "100.0" and "%")
            lines += [earlier] if fits(earlier) else [_earlier("").strip(), display(i, previous[i.code])]
        if change.get(i.code) is not None:
            lines.append(f"{_('YoY')} {with_sign(change[i.code])}")
        out.append(lines)
    return out


def _printable(text) -> str:
    """Text as the CJK font prints it: the minus sign of a change (−, which the font lacks and
    would print as □) as an ASCII hyphen-minus."""
    from fengqiao.mediation.pdf import printable

    return printable(str(text).replace("\u2212", "-"))


def pdf(data: dict, publication=None) -> bytes:
    """A4 landscape: the title and header lines, per ranking the table (each indicator with its
    numerator/denominator, last year's figure and the change), the definitions."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

    from fengqiao.mediation.pdf import FONT, register_font

    register_font()
    body = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=13, wordWrap="CJK")
    small = ParagraphStyle("small", parent=body, fontSize=7.5, leading=10)
    head = ParagraphStyle("head", parent=body, fontSize=16, leading=22, alignment=1, spaceAfter=4 * mm)
    h2 = ParagraphStyle("h2", parent=body, fontSize=12, leading=18, spaceBefore=4 * mm, spaceAfter=2 * mm)

    def p(text, style=body):
        return Paragraph(escape(_printable(text)), style)

    def lines(texts, style=small):
        return Paragraph("<br/>".join(escape(_printable(t)) for t in texts), style)

    inds = indicators(data)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm,
                            topMargin=12 * mm, bottomMargin=12 * mm, title=_printable(title(data)))
    story = [p(title(data), head)]
    story += [p(line, small) for line in header_lines(data, publication)]
    story.append(p(_("Under each figure: a rate's numerator/denominator, the figure a year earlier and the change "
                     "year on year (rates in percentage points)."), small))
    width = landscape(A4)[0] - 24 * mm
    fixed = [10 * mm, 30 * mm, 16 * mm, 14 * mm]
    rest = (width - sum(fixed)) / max(len(inds), 1)
    padding = 2 * CELL_PADDING  # left and right, as the table's style sets them

    def fits(text: str) -> bool:
        return stringWidth(_printable(text), FONT, small.fontSize) <= rest - padding

    for group in data["groups"]:
        story.append(p(group_name(group["level"]), h2))
        rows = [[p(c, small) for c in _pdf_columns(inds, data)]]
        rows += [[lines(cell) for cell in _pdf_values(r, inds, fits)] for r in group["rows"]]
        table = LongTable(rows, colWidths=fixed + [rest] * len(inds), repeatRows=1)
        table.setStyle(TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
            ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ]))
        story.append(table)
    story.append(Spacer(1, 4 * mm))
    story.append(p(_("Definitions"), h2))
    for i in inds:
        story.append(p(f"{name(i.code, data)}: {definition(i.code, data)}", small))
    for code in data.get("not_measurable", []):
        story.append(p(f"{name(code, data)}: {definition(code, data)}", small))
    doc.build(story)
    return buf.getvalue()
