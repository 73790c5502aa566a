"""Every UI string of the risk early warning (its code, its templates, its menu entry) has its
Chinese in i18n_zh.ZH, from which the .po file is generated, and none of it changes the wording
another app already has in the shared catalogue."""

from __future__ import annotations

from pathlib import Path

from fengqiao.alerts.i18n_zh import ZH
from fengqiao.core.tests.ui_strings import (
    catalogue_changes,
    code_strings,
    stale_or_broken,
    template_strings,
    templates_strings,
)

APP = Path(__file__).resolve().parent.parent
BASE = APP.parent / "web" / "templates" / "web" / "base.html"
MENU = {"Risk alerts", "Open risk alerts in your area"}  # the alerts' entry in base.html


def _strings() -> set[str]:
    return code_strings(APP) | templates_strings((APP / "templates").rglob("*.html")) | MENU


def test_every_ui_string_has_chinese():
    found = _strings()
    assert len(found) > 100
    assert sorted(found - set(ZH)) == []


def test_the_menu_entry_is_in_the_base_template():
    assert MENU <= template_strings(BASE.read_text())


def test_no_stale_entries_and_placeholders_kept():
    assert stale_or_broken(ZH, _strings()) == ([], [])


def test_the_catalogue_keeps_its_wording():
    """The catalogue holds one Chinese per msgid for every app: a msgid it already translates
    keeps that translation here, so filling it from this table changes no other page."""
    assert catalogue_changes(ZH) == {}
