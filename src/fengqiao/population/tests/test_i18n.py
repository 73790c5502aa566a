"""Every UI string of the population registry (its code, its templates, its menu entries, its section
of the grid workers' phone page and the audit page's labels of its actions) has its Chinese in
i18n_zh.ZH, from which the .po file is generated, and none of it changes the wording another app
already has, in the shared catalogue or in another app's table."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext

from fengqiao.core.tests.ui_strings import (
    CATALOGUE,
    audit_labels,
    catalogue_changes,
    code_strings,
    other_tables,
    stale_or_broken,
    template_strings,
    templates_strings,
)
from fengqiao.population.i18n_zh import ZH
from fengqiao.web.audit import ACTION_LABELS, action_label

APP = Path(__file__).resolve().parent.parent
WEB = APP.parent / "web" / "templates" / "web"
MENU = {"Residents", "Rental houses"}  # the registry's entries in base.html
PHONE = {"Residents and rental housing", "Register a floating resident", "Rental houses"}  # its section of phone.html
PREFIXES = ("rental_house_", "resident_")
CODES = {"rental_house_register", "rental_house_update", "rental_house_remove", "resident_register",
         "resident_update", "resident_move_out"}


AUDIT = audit_labels(PREFIXES)


def _strings() -> set[str]:
    return code_strings(APP) | templates_strings((APP / "templates").rglob("*.html")) | MENU | PHONE | AUDIT


def test_every_ui_string_has_chinese():
    found = _strings()
    assert len(found) > 120
    assert sorted(found - set(ZH)) == []


def test_the_menu_entries_the_phone_link_and_the_audit_labels_are_there():
    assert MENU <= template_strings((WEB / "base.html").read_text())
    assert PHONE <= template_strings((WEB / "phone.html").read_text())
    assert len(AUDIT) == 6 and {c for c in ACTION_LABELS if c.startswith(PREFIXES)} == CODES


def test_the_actions_write_only_labelled_codes():
    from fengqiao.web.tests.test_audit_labels import written_codes

    written = set().union(*(w.codes for w in written_codes() if w.where.startswith("population/")))
    assert written == CODES


def test_no_stale_entries_and_placeholders_kept():
    assert stale_or_broken(ZH, _strings()) == ([], [])


def test_the_catalogue_keeps_its_wording():
    """The catalogue holds one Chinese per msgid for every app: a msgid it already translates
    keeps that translation here, so filling it from this table changes no other page."""
    assert catalogue_changes(ZH) == {}


def test_no_other_app_s_table_says_it_otherwise():
    others = other_tables(APP / "i18n_zh.py")
    assert {en: (others[en], zh) for en, zh in ZH.items() if en in others and others[en] != zh} == {}


def _in_catalogue() -> bool:
    """Whether ``make messages`` has filled the catalogue with this table since it last changed."""
    import polib

    translated = {e.msgid: e.msgstr for e in polib.pofile(str(CATALOGUE)) if not e.obsolete and e.msgstr}
    return all(en in translated for en in ZH)


@pytest.mark.skipif(not _in_catalogue(), reason="the catalogue is not filled from this table yet: make messages")
def test_the_pages_speak_chinese_once_the_catalogue_is_filled():
    with translation.override("zh-hans"):
        assert {en: gettext(en) for en in ZH if gettext(en) != ZH[en]} == {}
        for code in CODES:
            assert action_label(code) == ZH[_english(code)], code


def _english(code: str) -> str:
    with translation.override("en"):
        return str(ACTION_LABELS[code])
