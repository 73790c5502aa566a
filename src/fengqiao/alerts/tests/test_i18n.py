"""Every UI string of the risk early warning (its code, its templates, its menu entry) has its
Chinese in i18n_zh.ZH, from which the .po file is generated, and none of it changes the wording
another app already has in the shared catalogue."""

from __future__ import annotations

import re
from pathlib import Path

import polib

from fengqiao.alerts.i18n_zh import ZH
from fengqiao.core.tests.ui_strings import code_strings, template_strings, templates_strings

APP = Path(__file__).resolve().parent.parent
BASE = APP.parent / "web" / "templates" / "web" / "base.html"
PO = APP.parent / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
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
    found = _strings()
    assert sorted(set(ZH) - found) == []
    for en, zh in ZH.items():
        assert sorted(re.findall(r"%\(\w+\)s", en)) == sorted(re.findall(r"%\(\w+\)s", zh)), en


def test_the_catalogue_keeps_its_wording():
    """The catalogue holds one Chinese per msgid for every app: a msgid it already translates
    keeps that translation here, so filling it from this table changes no other page."""
    catalogue = {e.msgid: e.msgstr for e in polib.pofile(str(PO)) if not e.obsolete and e.msgstr}
    changed = {en: (catalogue[en], zh) for en, zh in ZH.items() if en in catalogue and catalogue[en] != zh}
    assert changed == {}
