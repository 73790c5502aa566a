"""Every UI string of the app has its Chinese in i18n_zh.ZH (used to generate the .po)."""

from __future__ import annotations

from pathlib import Path

from fengqiao.core.tests.ui_strings import code_strings, templates_strings
from fengqiao.mediation.i18n_zh import ZH

APP = Path(__file__).resolve().parent.parent


def test_every_ui_string_has_chinese():
    found = code_strings(APP) | templates_strings((APP / "templates").rglob("*.html"))
    assert sorted(found - set(ZH)) == []
