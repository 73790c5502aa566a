"""The people's mediation agreement (人民调解协议书) as PDF, from an editable template.

The template body uses ``{{placeholder}}``; :data:`PLACEHOLDERS` lists what is available.
Text is set in reportlab's built-in CJK font (STSong-Light, no font file to ship); a character
it cannot draw (an emoji) is printed as □ (:func:`printable`). The stored copy masks the
parties' names; the copy the parties sign carries them in full and is rendered on request
(``services.agreement_pdf``, audited there).
"""

from __future__ import annotations

import io
import re
import unicodedata
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
FONT = "STSong-Light"  # reportlab's built-in CJK font: no font file to ship
MISSING_GLYPH = "□"  # printed for a character the font cannot draw (an emoji, a rare symbol)


def _drawable(ch: str) -> bool:
    """Whether STSong-Light (Adobe-GB1 through the UniGB-UCS2-H CMap) has the character: the
    CMap is UCS-2, so only the Basic Multilingual Plane; within it GBK (GB 2312 + GBK) and CJK
    Extension A (GB 18030, Adobe-GB1-4)."""
    cp = ord(ch)
    if cp < 0x80:
        return ch.isprintable()
    if cp > 0xFFFF or 0xE000 <= cp <= 0xF8FF:  # beyond UCS-2; private use
        return False
    if 0x3400 <= cp <= 0x4DBF:
        return True
    try:
        ch.encode("gbk")
    except UnicodeEncodeError:
        return False
    return True


def printable(text: str) -> str:
    """``text`` as the PDF font can print it: each character it lacks becomes one
    :data:`MISSING_GLYPH` (an emoji joined by zero-width joiners counts once); invisible
    joiners, variation selectors, skin-tone modifiers and control characters are dropped; tabs
    become spaces."""
    out: list[str] = []
    joined = False  # the last character printed as □ was followed by a zero-width joiner
    for ch in str(text):
        cp = ord(ch)
        if ch == "\n":
            out.append(ch)
        elif ch == "\t":
            out.append(" ")
        elif _drawable(ch):
            out.append(ch)
        elif cp == 0x200D:
            joined = bool(out) and out[-1] == MISSING_GLYPH
            continue
        elif (unicodedata.category(ch) in {"Cc", "Cf", "Mn", "Me", "Sk"} and cp > 0x7F) or cp < 0x20 \
                or 0xFE00 <= cp <= 0xFE0F or 0x1F3FB <= cp <= 0x1F3FF or 0xE0000 <= cp <= 0xE007F:
            pass
        elif not joined:
            out.append(MISSING_GLYPH)
        joined = False
    return "".join(out)


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


def register_font() -> None:
    """Make :data:`FONT` known to reportlab (once per process); the evaluation's PDF uses it too."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    try:
        pdfmetrics.getFont(FONT)
    except KeyError:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def build_pdf(title: str, text: str, values: dict[str, str]) -> bytes:
    """Lay out the filled template text, then the signatures block, on A4."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    register_font()
    body = ParagraphStyle("body", fontName=FONT, fontSize=11.5, leading=19, wordWrap="CJK", firstLineIndent=0)
    head = ParagraphStyle("head", parent=body, fontSize=20, leading=28, alignment=1, spaceAfter=6 * mm)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=25 * mm, rightMargin=25 * mm, topMargin=22 * mm,
                            bottomMargin=20 * mm, title=title, author=values.get("committee", ""),
                            subject=values.get("number", ""))
    title, text = printable(title), printable(text)
    values = {k: printable(v) for k, v in values.items()}
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
