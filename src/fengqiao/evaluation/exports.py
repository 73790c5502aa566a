"""The evaluation as Excel (openpyxl) and PDF (reportlab with its built-in CJK font, as the
mediation agreement): from the same dict the page shows, live or published. Headings follow the
reader's language (Chinese by default)."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _

from fengqiao.core.sheets import safe_cell

from .formulas import INDICATORS, applies, display, with_sign
from .labels import DEFINITIONS, GROUP_NAMES, NAMES


def _cell(indicator, row) -> str:
    if not applies(indicator, row["unit"]["kind"]):
        return str(_("n/a"))
    return display(indicator, row["values"].get(indicator.code))


def title(data: dict) -> str:
    scope = (data.get("scope") or {}).get("name", "")
    kind = _("Daily figures") if data["period"]["kind"] == "day" else _("Monthly ranking")
    return f"{scope} {data['period']['key']} {kind}".strip()


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
        lines.append(_("The period was not over yet: figures as of %(at)s") % {"at": data["computed_at"][:16]})
    weights = "; ".join(f"{NAMES[c]} {w}" for c, w in data["weights"].items())
    lines.append(_("Weights: %(w)s") % {"w": weights})
    missing = [str(NAMES[c]) for c in data.get("not_measurable", [])]
    if not data.get("hazard_measured", True):
        missing.append(str(NAMES["hazard_rectification_rate"]))
    if missing:
        lines.append(_("Not measurable yet: %(names)s") % {"names": "、".join(missing)})
    return lines


def _columns() -> list[str]:
    return [str(_("Rank")), str(_("Unit")), str(_("Score")), str(_("Score year on year"))] + [
        str(NAMES[i.code]) for i in INDICATORS]


def _values(row) -> list:
    out = [row["rank"] if row["rank"] is not None else "—", row["unit"]["name"],
           row["score"] if row["score"] is not None else "—", with_sign(row["score_change"])]
    out += [_cell(i, row) for i in INDICATORS]
    return out


def workbook(data: dict, publication=None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    for group in data["groups"]:
        ws = wb.create_sheet(str(GROUP_NAMES.get(group["level"], group["level"]))[:31])
        ws.append([safe_cell(title(data))])
        ws["A1"].font = Font(bold=True, size=14)
        for line in header_lines(data, publication):
            ws.append([safe_cell(line)])
        ws.append([])
        head_row = ws.max_row + 1
        ws.append(_columns())
        for cell in ws[head_row]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(horizontal="center", wrap_text=True)
        for row in group["rows"]:
            ws.append([safe_cell(v) for v in _values(row)])
        ws.freeze_panes = ws.cell(row=head_row + 1, column=3)
        for i, width in enumerate([6, 16, 8, 10] + [11] * len(INDICATORS), start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        # the counts behind the rates, for checking
        ws.append([])
        ws.append([str(_("Counts"))])
        keys = sorted({k for r in group["rows"] for k in r["counts"]})
        ws.append([str(_("Unit"))] + keys)
        for row in group["rows"]:
            ws.append([safe_cell(row["unit"]["name"])] + [row["counts"].get(k) for k in keys])
    ws = wb.create_sheet(str(_("Definitions"))[:31])
    ws.append([str(_("Indicator")), str(_("Definition")), str(_("Weight"))])
    for i in INDICATORS:
        ws.append([str(NAMES[i.code]), str(DEFINITIONS[i.code]), data["weights"].get(i.code, "")])
    for code in data.get("not_measurable", []):
        ws.append([str(NAMES[code]), str(DEFINITIONS[code]), ""])
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 90
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


_FONT = "STSong-Light"


def _font() -> None:
    """reportlab's built-in CJK font: no font file to ship (as ``mediation.pdf``)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    try:
        pdfmetrics.getFont(_FONT)
    except KeyError:
        pdfmetrics.registerFont(UnicodeCIDFont(_FONT))


def pdf(data: dict, publication=None) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

    from fengqiao.mediation.pdf import printable

    _font()
    body = ParagraphStyle("body", fontName=_FONT, fontSize=9, leading=13, wordWrap="CJK")
    small = ParagraphStyle("small", parent=body, fontSize=7.5, leading=10)
    head = ParagraphStyle("head", parent=body, fontSize=16, leading=22, alignment=1, spaceAfter=4 * mm)
    h2 = ParagraphStyle("h2", parent=body, fontSize=12, leading=18, spaceBefore=4 * mm, spaceAfter=2 * mm)

    def p(text, style=body):
        return Paragraph(escape(printable(str(text))), style)

    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm,
                            topMargin=12 * mm, bottomMargin=12 * mm, title=printable(title(data)))
    story = [p(title(data), head)]
    story += [p(line, small) for line in header_lines(data, publication)]
    width = landscape(A4)[0] - 24 * mm
    fixed = [10 * mm, 30 * mm, 14 * mm, 16 * mm]
    rest = (width - sum(fixed)) / len(INDICATORS)
    for group in data["groups"]:
        story.append(p(GROUP_NAMES.get(group["level"], group["level"]), h2))
        rows = [[p(c, small) for c in _columns()]]
        rows += [[p(v, small) for v in _values(r)] for r in group["rows"]]
        table = LongTable(rows, colWidths=fixed + [rest] * len(INDICATORS), repeatRows=1)
        table.setStyle(TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]))
        story.append(table)
    story.append(Spacer(1, 4 * mm))
    story.append(p(_("Definitions"), h2))
    for i in INDICATORS:
        story.append(p(f"{NAMES[i.code]}: {DEFINITIONS[i.code]}", small))
    for code in data.get("not_measurable", []):
        story.append(p(f"{NAMES[code]}: {DEFINITIONS[code]}", small))
    doc.build(story)
    return buf.getvalue()
