"""Every UI string of the risk early warning (its code, its templates, its menu entry) has its
Chinese in i18n_zh.ZH, from which the .po file is generated, and none of it changes the wording
another app already has in the shared catalogue."""

from __future__ import annotations

from pathlib import Path

from fengqiao.alerts.i18n_zh import ZH
from fengqiao.core.tests.ui_strings import (
    TableChecks,
    code_strings,
    template_strings,
    templates_strings,
)

APP = Path(__file__).resolve().parent.parent
BASE = APP.parent / "web" / "templates" / "web" / "base.html"
MENU = {"Risk alerts", "Open risk alerts in your area"}  # the alerts' entry in base.html


def _strings() -> set[str]:
    return code_strings(APP) | templates_strings((APP / "templates").rglob("*.html")) | MENU


def test_the_menu_entry_is_in_the_base_template():
    assert MENU <= template_strings(BASE.read_text())


class TestTable(TableChecks):
    TABLE, ZH, LEAST = APP / "i18n_zh.py", ZH, 100

    def strings(self) -> set[str]:
        return _strings()
