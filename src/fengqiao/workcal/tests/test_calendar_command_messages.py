"""``fengqiao calendar`` says what it did as its errors do: one line, ``中文 / English``
(fengqiao.core.cli.bilingual). Its informational lines used to be ``中文 (English)`` or English
first; the day rows of ``show`` are data and stay as they are."""

from __future__ import annotations

import re

import pytest

from .test_workcal_db import _fresh_cache, run  # noqa: F401 (the runner, and its cache fixture, autouse)

pytestmark = pytest.mark.django_db

DAY_ROW = re.compile(r"^  \d{4}-\d{2}-\d{2}  ")


def assert_bilingual(line: str) -> tuple[str, str]:
    assert line.count(" / ") == 1, line
    zh, en = line.strip().split(" / ")
    assert re.search(r"[\u4e00-\u9fff]", zh), line  # Chinese first
    assert not re.search(r"[\u4e00-\u9fff]", en), line  # then English alone
    assert re.search(r"[A-Za-z]{3}", en), line
    assert not re.search(r"\([^)]*[\u4e00-\u9fff][^)]*\)$", line), line  # no trailing "(中文)"
    return zh, en


def messages(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip() and not DAY_ROW.match(line)]


def test_every_informational_line_is_chinese_then_english(tmp_path):
    out, _ = run("seed")
    assert_bilingual(out.strip())
    assert "seeded" in out and "已导入" in out
    out, _ = run("seed")
    assert assert_bilingual(out.strip())[1].startswith("seeded 0 days")

    out, _ = run("show", "2025")
    lines = messages(out)
    assert len(lines) == 2, out
    zh, en = assert_bilingual(lines[0])
    assert zh.startswith("2025 年节假日安排已录入") and en.startswith("2025: holiday arrangement entered")
    assert "由 chinese-calendar 导入" in zh and "seeded from chinese-calendar" in en
    assert_bilingual(lines[1])
    assert "  2025-10-01  周三 Wed  放假 holiday  国庆节" in out.splitlines()

    out, _ = run("show", "2031")
    lines = messages(out)
    assert len(lines) == 3, out
    for line in lines:
        assert_bilingual(line)
    assert "无节假日或调休记录" in out and "NOT entered" in out

    _, err = run("add-working-days", "2031-01-03", "1")
    zh, en = assert_bilingual(err.strip())
    assert "2031" in zh and "周一至周五" in zh and "Monday–Friday" in en

    run("set", "2025-10-09", "holiday")
    out, _ = run("remove", "2025-10-09")
    assert assert_bilingual(out.strip()) == ("已删除 2025-10-09", "removed 2025-10-09")

    out, _ = run("complete", "2031")
    assert assert_bilingual(out.strip()) == ("2031 年节假日安排已录入", "2031: announcement entered")
    out, _ = run("complete", "2031", "--undo")
    assert assert_bilingual(out.strip()) == ("2031 年节假日安排未录入", "2031: announcement not entered")

    path = tmp_path / "2032.csv"
    path.write_text("date,kind,name\n2032-10-01,holiday,国庆节\n", encoding="utf-8")
    out, _ = run("import", str(path), "--complete")
    zh, en = assert_bilingual(out.strip())
    assert "新增 1 天" in zh and "已标记录入完整: 2032" in zh
    assert en == "imported 1 new, 0 changed, 0 unchanged days for 2032; marked complete: 2032"
