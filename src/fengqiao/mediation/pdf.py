"""The people's mediation agreement (人民调解协议书) as PDF, from an editable template.

The template body uses ``{{placeholder}}``; :data:`PLACEHOLDERS` lists what is available.
Text is set in reportlab's built-in CJK font (STSong-Light, no font file to ship). Parties'
names are masked unless the caller asks for the unmasked copy (audited by the caller).
"""

from __future__ import annotations

import io
import re
from xml.sax.saxutils import escape

from django.utils import timezone

PLACEHOLDERS = {
    "number": "协议编号",
    "committee": "调解委员会/组织名称",
    "type": "纠纷类型",
    "applicants": "申请人",
    "respondents": "被申请人",
    "facts": "纠纷事实",
    "claims": "当事人请求",
    "terms": "协议内容",
    "mediators": "调解员",
    "place": "纠纷发生地",
    "date": "签订日期",
    "sessions": "调解次数",
    "amount": "涉及金额",
}

DEFAULT_TEMPLATE = """编号:{{number}}
申请人:{{applicants}}
被申请人:{{respondents}}
纠纷类型:{{type}}    纠纷发生地:{{place}}
纠纷主要事实、争议事项:
{{facts}}
当事人请求:
{{claims}}
经{{committee}}主持调解(共调解{{sessions}}次,调解员:{{mediators}}),当事人自愿达成如下协议:
{{terms}}
履行方式、时限:按上述协议内容履行。
本协议自各方当事人签名(盖章)、调解员签名并加盖人民调解委员会印章之日起生效。当事人可以自本协议生效之日起三十日内共同向人民法院申请司法确认。
本协议一式三份,当事人各执一份,人民调解委员会留存一份。"""

_PLACEHOLDER_RE = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
_FONT = "STSong-Light"


def unknown_placeholders(body: str) -> list[str]:
    return sorted({m.group(1) for m in _PLACEHOLDER_RE.finditer(body)} - set(PLACEHOLDERS))


def render_text(body: str, values: dict[str, str]) -> str:
    """Fill ``{{name}}`` placeholders; unknown ones are left as they are."""
    return _PLACEHOLDER_RE.sub(lambda m: str(values.get(m.group(1), m.group(0))), body)


def agreement_values(dispute, agreement, *, unmask: bool = False) -> dict[str, str]:
    parties = list(dispute.parties.all())

    def names(side: str) -> str:
        return "、".join(p.display_name(unmask) for p in parties if p.side == side) or "—"

    mediators = [a.mediator.name for a in dispute.assignments.select_related("mediator").all()
                 if a.result in ("", "succeeded")]
    signed = timezone.localtime(agreement.signed_at) if agreement.signed_at else timezone.localtime()
    return {
        "number": agreement.number,
        "committee": dispute.organisation.name if dispute.organisation_id else "人民调解委员会",
        "type": dispute.type.name,
        "applicants": names("applicant"),
        "respondents": names("respondent"),
        "facts": dispute.facts,
        "claims": dispute.claims or "—",
        "terms": agreement.terms,
        "mediators": "、".join(mediators) or "—",
        "place": dispute.area.name,
        "date": f"{signed.year}年{signed.month}月{signed.day}日",
        "sessions": str(dispute.sessions.filter(status="held").count()),
        "amount": f"{dispute.amount_in_dispute:.2f}元",
    }


def _fonts():
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    try:
        pdfmetrics.getFont(_FONT)
    except KeyError:
        pdfmetrics.registerFont(UnicodeCIDFont(_FONT))


def build_pdf(title: str, text: str, values: dict[str, str]) -> bytes:
    """Lay out the filled template text, then the signatures block, on A4."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    _fonts()
    body = ParagraphStyle("body", fontName=_FONT, fontSize=11.5, leading=19, wordWrap="CJK", firstLineIndent=0)
    head = ParagraphStyle("head", parent=body, fontSize=20, leading=28, alignment=1, spaceAfter=6 * mm)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=25 * mm, rightMargin=25 * mm, topMargin=22 * mm,
                            bottomMargin=20 * mm, title=title, author=values.get("committee", ""),
                            subject=values.get("number", ""))
    story = [Paragraph(escape(title), head)]
    for line in text.splitlines():
        story.append(Paragraph(escape(line) if line.strip() else "&nbsp;", body))
    story.append(Spacer(1, 10 * mm))
    sig = [
        [Paragraph("申请人(签名或盖章):", body), Paragraph("被申请人(签名或盖章):", body)],
        [Paragraph(escape(values.get("applicants", "")), body), Paragraph(escape(values.get("respondents", "")), body)],
        [Paragraph("调解员(签名):" + escape(values.get("mediators", "")), body),
         Paragraph(escape(values.get("committee", "")) + "(印章)", body)],
        ["", Paragraph(escape(values.get("date", "")), body)],
    ]
    table = Table(sig, colWidths=[80 * mm, 80 * mm], rowHeights=[9 * mm, 14 * mm, 14 * mm, 9 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LINEABOVE", (0, 0), (-1, 0), 0.5, colors.grey)]))
    story.append(table)
    doc.build(story)
    return buf.getvalue()


def render_agreement(dispute, agreement, template, *, unmask: bool = False) -> bytes:
    from .models import AgreementTemplate

    if template is None:
        template = AgreementTemplate(name="default", body=DEFAULT_TEMPLATE)
    values = agreement_values(dispute, agreement, unmask=unmask)
    return build_pdf(template.title or "人民调解协议书", render_text(template.body, values), values)
