"""Bulk import: dry-run row errors, all-or-nothing commit, re-import creates nothing."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from fengqiao.events.models import Event

pytestmark = pytest.mark.django_db

MAPPING = str(Path(__file__).resolve().parent.parent / "import_mappings" / "hotline_12345.json")
HEADERS = ["工单编号", "诉求标题", "诉求内容", "诉求类型", "来源渠道", "发生地址", "联系人", "联系电话", "受理时间", "办理状态"]
GOOD = [
    ["GD2025100100001", "楼下烧烤噪音", "心湖社区楼下烧烤店夜间噪音扰民", "噪音扰民", "12345热线", "海游街道心湖社区", "李四",
     "13900001111", "2025-10-01 21:15:00", "已办结"],
    ["GD2025100100002", "工资被拖欠", "在健跳镇某工地打工,老板拖欠三个月工资", "欠薪", "12345", "健跳镇", "", "",
     "2025/10/02 09:30", "办理中"],
    ["GD2025100100003", "物业不作为", "小区电梯坏了物业不修", "物业纠纷", "微信", "海游街道", "王五", "0576-83312345",
     "2025-10-03", "待受理"],
]


def write_csv(path, rows):
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADERS)
        w.writerows(rows)
    return str(path)


def run(*args):
    from io import StringIO

    out = StringIO()
    try:
        call_command("events", *args, stdout=out)
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


def test_import_and_reimport_csv(tmp_path):
    f = write_csv(tmp_path / "orders.csv", GOOD)
    out, err = run("import", f, "--mapping", MAPPING, "--dry-run")
    assert err is None and "3 new" in out and "dry run" in out
    assert not Event.objects.filter(channel_ref__startswith="GD20251001").exists()
    out, err = run("import", f, "--mapping", MAPPING)
    assert err is None and "3 new" in out, out
    evs = {e.channel_ref: e for e in Event.objects.filter(channel_ref__startswith="GD20251001")}
    assert evs["GD2025100100001"].state == "closed" and evs["GD2025100100001"].category.code == "noise"
    assert evs["GD2025100100002"].state == "accepted" and evs["GD2025100100002"].area.code == "331022105"
    assert evs["GD2025100100003"].channel == "citizen_app" and evs["GD2025100100003"].reporter_phone == "0576-83312345"
    out, err = run("import", f, "--mapping", MAPPING)
    assert err is None and "0 new, 3 already imported" in out
    assert Event.objects.filter(channel_ref__startswith="GD20251001").count() == 3


def test_dry_run_reports_row_errors_and_commit_is_all_or_nothing(tmp_path):
    bad = [
        GOOD[0],
        ["GD2", "标题", "内容", "噪音扰民", "传真", "海游", "", "", "2025-10-01 08:00", "已办结"],
        ["GD3", "标题", "内容", "噪音扰民", "12345", "海游", "", "12345", "2025-10-01 08:00", "已办结"],
        ["GD4", "标题", "内容", "噪音扰民", "12345", "海游", "", "", "昨天", "已办结"],
        ["GD5", "标题", "", "噪音扰民", "12345", "海游", "", "", "2025-10-01 08:00", "已办结"],
        ["", "标题", "内容", "噪音扰民", "12345", "海游", "", "", "2025-10-01 08:00", "已办结"],
        ["GD7", "标题", "内容", "不存在的类型", "12345", "海游", "", "", "2025-10-01 08:00", "挂起"],
    ]
    f = write_csv(tmp_path / "bad.csv", bad)
    out, err = run("import", f, "--mapping", MAPPING, "--dry-run")
    assert err is not None
    lines = out.splitlines()
    assert any(line.startswith("row 3, 来源渠道") for line in lines)
    assert any(line.startswith("row 4, 联系电话") for line in lines)
    assert any(line.startswith("row 5, 受理时间") for line in lines)
    assert any(line.startswith("row 6, 诉求内容") for line in lines)
    assert any(line.startswith("row 7, 工单编号") for line in lines)
    assert any(line.startswith("row 8, 办理状态") for line in lines)
    assert all(" / " in line for line in lines if line.startswith("row"))  # bilingual: 中文 / English
    out, err = run("import", f, "--mapping", MAPPING)
    assert err is not None and "nothing written" in out
    assert not Event.objects.filter(channel_ref=GOOD[0][0]).exists()


def test_excel_file(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADERS)
    for row in GOOD:
        ws.append(row)
    path = tmp_path / "orders.xlsx"
    wb.save(path)
    out, err = run("import", str(path), "--mapping", MAPPING)
    assert err is None and "3 new" in out


def test_missing_columns_and_bad_mapping(tmp_path):
    f = tmp_path / "x.csv"
    f.write_text("编号,内容\n1,2\n", encoding="utf-8")
    out, err = run("import", str(f), "--mapping", MAPPING, "--dry-run")
    assert err is not None and "row 1" in out
    m = tmp_path / "m.json"
    m.write_text("{not json", encoding="utf-8")
    _out, err = run("import", str(f), "--mapping", str(m))
    assert err is not None
