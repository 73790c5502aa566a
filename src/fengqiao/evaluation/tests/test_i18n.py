"""Every UI string of the evaluation (its code and its templates) has its Chinese in
i18n_zh.ZH, from which the .po file is generated."""

from __future__ import annotations

from pathlib import Path

from fengqiao.core.tests.ui_strings import code_strings, stale_or_broken, templates_strings
from fengqiao.evaluation.i18n_zh import ZH

APP = Path(__file__).resolve().parent.parent
TEMPLATES = APP.parent / "web" / "templates" / "web" / "evaluation"


def _strings() -> set[str]:
    return code_strings(APP) | templates_strings(TEMPLATES.glob("*.html"))


def test_every_ui_string_has_chinese():
    found = _strings()
    assert len(found) > 80
    assert sorted(found - set(ZH)) == []


def test_no_stale_entries_and_placeholders_kept():
    assert stale_or_broken(ZH, _strings()) == ([], [])
