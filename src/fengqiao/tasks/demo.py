"""Demo tasks and notices (统一发布演示): what a county centre and a town command room sent in the
last weeks, at every stage — acknowledged, reported, sent back, accepted, overdue, closed — so
the lists, the progress figures and the phone page have something to show (the county-wide
sweep carries its checklist as an Excel file, and 海游街道's report its filled copy). Published through
the app's own actions at past instants; skipped when the demo already holds tasks."""

from __future__ import annotations

import datetime as dt
import io

from django.core.files.uploadedfile import SimpleUploadedFile

from fengqiao.accounts.models import User
from fengqiao.events import sla

from . import actions
from .models import Receipt, Task

D = dt.timedelta


def _at(now, days: float):
    return sla.frozen_now(now - D(days=days))


def _sheet(name: str, header: list[str], rows: list[list]) -> SimpleUploadedFile:
    """A small Excel file, as a county office would attach one (排查表)."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile(name, out.getvalue(),
                              content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


FIRE_HEADER = ["单位", "排查户数", "发现隐患(处)", "已整改(处)", "备注"]


def _answer(task: Task, code: str, steps, now) -> None:
    """``steps``: (action, days ago, text[, files]) taken on ``code``'s receipt, by its unit or
    the publisher."""
    receipt = Receipt.objects.select_related("task", "area").filter(task=task, area__code=code).first()
    if receipt is None:
        return
    unit = User.objects.filter(area__code=code, is_active=True,
                               role=("town_operator" if len(code) == 9 else "village_cadre" if len(code) == 12
                                     else "grid_worker")).first()
    publisher = task.published_by
    for action, days_ago, text, *files in steps:
        by = publisher if action in ("accept", "return") else unit
        if by is None:
            return
        with _at(now, days_ago):
            receipt = actions.act_on_receipt(receipt, action, by=by, text=text, files=files)


def load_demo_tasks() -> int:
    """Publish the demo tasks and their answers; return how many were published."""
    county_op = User.objects.filter(username="county_op").first()
    town_op = User.objects.filter(username="town_haiyou").first()
    if Task.objects.exists() or county_op is None or town_op is None:
        return 0
    now = sla.now()
    made = 0
    with _at(now, 3):
        fire = actions.publish_task(
            by=county_op, kind="task", title="开展冬季消防安全隐患大排查",
            body="各乡镇(街道)组织网格员对辖区出租房、群租房、沿街店铺开展消防安全隐患排查,"
                 "重点检查电动自行车违规停放充电、消防通道堵塞、违规用火用电,建立隐患清单并限期整改,"
                 "排查情况(排查户数、发现隐患数、已整改数)按时反馈。",
            to_level="town", due_at=now + D(days=4),
            files=[_sheet("消防安全隐患排查表.xlsx", FIRE_HEADER, [["(乡镇)", "", "", "", ""]])])
    made += 1
    _answer(fire, "331022001", [("acknowledge", 2.9, ""), ("report", 1.2, "共排查出租房 412 户、沿街店铺 236 家,"
            "发现隐患 57 处,已整改 49 处,余 8 处限期 7 日内整改。",
            _sheet("海游街道消防安全隐患排查表.xlsx", FIRE_HEADER, [["海游街道", 648, 57, 49, "余 8 处限期 7 日内整改"]])),
            ("accept", 1.0, "")], now)
    _answer(fire, "331022105", [("acknowledge", 2.5, ""), ("report", 0.4, "排查 318 户,发现隐患 21 处,已全部整改。")],
            now)
    _answer(fire, "331022002", [("report", 1.5, "已排查。"), ("return", 1.3, "请补充排查户数、隐患数和整改数。")], now)
    _answer(fire, "331022003", [("acknowledge", 2.0, "")], now)
    with _at(now, 1):
        notice = actions.publish_task(
            by=county_op, kind="notice", title="关于做好元旦期间矛盾纠纷排查化解工作的通知",
            body="元旦将至,请各乡镇(街道)落实24小时值班制度,加强矛盾纠纷排查,"
                 "涉稳重大情况第一时间上报县社会治理中心。", to_level="town")
    made += 1
    for code, days in (("331022001", 0.9), ("331022107", 0.8), ("331022102", 0.5), ("331022106", 0.2)):
        _answer(notice, code, [("acknowledge", days, "")], now)
    with _at(now, 9):
        visits = actions.publish_task(
            by=town_op, kind="task", title="核查重点人员走访落实情况",
            body="请各村(社区)核对辖区重点人员台账,逐人落实走访,反馈走访人数与发现的问题。",
            to_level="village", due_at=now - D(days=2))
    made += 1
    _answer(visits, "331022001001", [("acknowledge", 8, ""), ("report", 1.5, "辖区重点人员 4 人已全部走访,"
            "1 人情绪异常已通报社区民警。")], now)
    with _at(now, 2):
        ebike = actions.publish_task(
            by=town_op, kind="task", title="电动自行车违规充电入户宣传",
            body="请各网格员入户发放《电动自行车安全充电告知书》,并拍照反馈。",
            recipients=["331022001001"], to_level="grid", due_at=now + D(hours=20))
    made += 1
    _answer(ebike, "331022001001001", [("acknowledge", 1.8, "")], now)
    jiantiao = User.objects.filter(username="town_jiantiao").first()
    if jiantiao is not None:
        with _at(now, 1.5):
            actions.publish_task(
                by=jiantiao, kind="task", title="农村交通安全劝导站节前值守检查",
                body="请各村(居)检查劝导站值守人员、台账和劝导设施,反馈检查情况。", to_level="village",
                due_at=now + D(days=5))
        made += 1
    with _at(now, 40):
        flood = actions.publish_task(
            by=county_op, kind="task", title="汛后地质灾害隐患点复查", body="请对辖区地质灾害隐患点逐一复查并反馈。",
            recipients=["331022001", "331022105"], due_at=now - D(days=33))
    made += 1
    for code in ("331022001", "331022105"):
        _answer(flood, code, [("report", 37, "隐患点已复查,无新增险情。"), ("accept", 36, "")], now)
    with _at(now, 35):
        actions.act_on_task(flood, "close", by=county_op, text="各乡镇均已完成复查。")
    return made
