"""Every UI string of the evaluation (its code and its templates) has its Chinese in
i18n_zh.ZH, from which the .po file is generated."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from fengqiao.evaluation.i18n_zh import ZH

APP = Path(__file__).resolve().parent.parent
TEMPLATES = APP.parent / "web" / "templates" / "web" / "evaluation"


def _strings() -> set[str]:
    found = set()
    for f in APP.rglob("*.py"):
        if "tests" in f.parts or "migrations" in f.parts or f.name == "i18n_zh.py":
            continue
        for node in ast.walk(ast.parse(f.read_text())):  # implicit concatenation joined, as gettext sees it
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "gettext_noop")
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                found.add(node.args[0].value)
    for f in TEMPLATES.glob("*.html"):
        text = f.read_text()
        found |= set(re.findall(r'\{% translate "([^"]*)"', text)) | set(re.findall(r"\{% translate '([^']*)'", text))
        for m in re.findall(r"\{% blocktranslate[^%]*%\}(.*?)\{% endblocktranslate %\}", text, re.S):
            found.add(re.sub(r"\{\{ (\w+) \}\}", r"%(\1)s", m))
    return found


def test_every_ui_string_has_chinese():
    found = _strings()
    assert len(found) > 80
    assert sorted(found - set(ZH)) == []


def test_no_stale_entries_and_placeholders_kept():
    found = _strings()
    assert sorted(set(ZH) - found) == []
    for en, zh in ZH.items():
        assert sorted(re.findall(r"%\(\w+\)s", en)) == sorted(re.findall(r"%\(\w+\)s", zh)), en
