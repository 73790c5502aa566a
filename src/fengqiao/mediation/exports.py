"""Excel files: the dispute register (矛盾纠纷调处台账) and the statistics workbook."""

from __future__ import annotations

import io

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from fengqiao.core.sheets import safe_cell

from .choices import Source, State

REGISTER_COLUMNS = [
    ("编号", 16), ("登记日期", 12), ("来源", 14), ("纠纷类型", 16), ("地点", 14), ("申请人", 18), ("被申请人", 18),
    ("事由", 30), ("涉及金额(元)", 14), ("调解组织", 20), ("主调解员", 10), ("状态", 10), ("结果", 10),
    ("办结日期", 12), ("用时(天)", 8), ("协议/挽回金额(元)", 14), ("转处去向", 12), ("回访履行", 10),
    ("司法确认", 10), ("时限", 8),
]


def _sheet_header(ws, columns):
    for i, (title, width) in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=i, value=title)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"


def register_workbook(qs, *, unmask: bool = False) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "调解台账"
    _sheet_header(ws, REGISTER_COLUMNS)
    qs = qs.select_related("type", "area", "organisation").prefetch_related("parties", "assignments__mediator")
    sources = dict(Source.choices)
    states = {State.REGISTERED: "已登记", State.ACCEPTED: "已受理", State.DECLINED: "不予受理",
              State.IN_MEDIATION: "调解中", State.SUCCEEDED: "调解成功", State.FAILED: "调解不成",
              State.FOLLOWED_UP: "已回访", State.ARCHIVED: "已归档", State.WITHDRAWN: "已撤回"}
    referrals = {"litigation": "诉讼", "arbitration": "仲裁", "administrative": "行政处理"}
    honoured = {"yes": "已履行", "partly": "部分履行", "no": "未履行", "na": "不适用"}
    confirmation = {"applied": "已申请", "confirmed": "已确认", "rejected": "驳回"}
    colors = {"green": "正常", "yellow": "预警", "red": "超期"}
    for row, d in enumerate(qs, start=2):
        parties = list(d.parties.all())
        lead = next((a.mediator.name for a in d.assignments.all() if a.role == "lead" and a.result != "released"), "")
        days = round((d.concluded_at - d.registered_at).total_seconds() / 86400, 1) if d.concluded_at else ""
        values = [
            d.number, timezone.localtime(d.registered_at).date(), str(sources.get(d.source, d.source)), d.type.name,
            d.area.name, "、".join(p.display_name(unmask) for p in parties if p.side == "applicant"),
            "、".join(p.display_name(unmask) for p in parties if p.side == "respondent"),
            d.title if unmask else d.masked_title,
            float(d.amount_in_dispute), d.organisation.name if d.organisation_id else "", lead,
            states.get(d.state, d.state), {"succeeded": "成功", "failed": "不成"}.get(d.outcome, ""),
            timezone.localtime(d.concluded_at).date() if d.concluded_at else "", days, float(d.amount_recovered),
            referrals.get(d.referral, ""), honoured.get(d.honoured, ""), confirmation.get(d.confirmation_status, ""),
            colors.get(d.sla_color, ""),
        ]
        for col, value in enumerate(values, start=1):
            ws.cell(row=row, column=col, value=safe_cell(value))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


STAT_COLUMNS = [
    ("screened", "排查登记"), ("accepted", "受理"), ("succeeded", "调解成功"), ("failed", "调解不成"),
    ("success_rate", "调解成功率"), ("resolution_rate", "化解率"), ("avg_days_to_close", "平均办结天数"),
    ("money_involved", "涉及金额(元)"), ("money_recovered", "协议/挽回金额(元)"), ("follow_up_rate", "回访率"),
    ("follow_up_compliance", "协议履行率"),
]
BREAKDOWN_TITLES = {"month": "按月", "area": "按乡镇", "organisation": "按调解组织", "mediator": "按调解员",
                    "type": "按纠纷类型", "source": "按来源"}


def stats_workbook(result: dict) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "汇总"
    ws.append(["统计期间", f"{result['period']['from']} 至 {result['period']['to']}"])
    for key, title in STAT_COLUMNS:
        ws.append([title, result.get(key)])
    ws.column_dimensions["A"].width = 20
    ws.column_dimensions["B"].width = 24
    for key, title in BREAKDOWN_TITLES.items():
        sheet = wb.create_sheet(title)
        _sheet_header(sheet, [("分组", 22)] + [(t, 12) for _k, t in STAT_COLUMNS])
        for item in result["breakdowns"].get(key, []):
            sheet.append([safe_cell(str(item["label"]) or "—")] + [item.get(k) for k, _t in STAT_COLUMNS])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
