"""Every UI string of the app has its Chinese in i18n_zh.ZH (used to generate the .po)."""

from __future__ import annotations

import re
from pathlib import Path

from fengqiao.mediation.i18n_zh import ZH

APP = Path(__file__).resolve().parent.parent


def test_every_ui_string_has_chinese():
    found = set()
    for f in APP.rglob("*.py"):
        if "tests" in f.parts or "migrations" in f.parts:
            continue
        # _("…") and gettext_noop("…") (the console labels of actions._common.FIELDS)
        found |= {m.group(1).replace('\\"', '"')
                  for m in re.finditer(r'\b(?:_|gettext_noop)\(\s*"((?:[^"\\]|\\.)*)"', f.read_text())}
    for f in (APP / "templates").rglob("*.html"):
        text = f.read_text()
        found |= set(re.findall(r'\{% translate "([^"]*)"', text)) | set(re.findall(r"\{% translate '([^']*)'", text))
        for m in re.findall(r"\{% blocktranslate[^%]*%\}(.*?)\{% endblocktranslate %\}", text):
            found.add(re.sub(r"\{\{ (\w+) \}\}", r"%(\1)s", m))
    assert sorted(found - set(ZH)) == []
