"""Every UI string of the key-person registry (its code, its templates, its menu entry, its link on
the grid workers' phone page and the audit page's labels of its actions) has its Chinese in
i18n_zh.ZH, from which the .po file is generated, and none of it changes the wording another app
already has in the shared catalogue."""

from __future__ import annotations

from pathlib import Path

from fengqiao.core.tests.ui_strings import (
    audit_labels,
    catalogue_changes,
    code_strings,
    stale_or_broken,
    template_strings,
    templates_strings,
)
from fengqiao.grid.i18n_zh import ZH
from fengqiao.web.audit import ACTION_LABELS

APP = Path(__file__).resolve().parent.parent
WEB = APP.parent / "web" / "templates" / "web"
MENU = {"Key persons"}  # the registry's entry in base.html
PHONE = {"Key persons to visit", "Overdue or due within 3 days: %(n)s"}  # its section of phone.html


AUDIT = audit_labels("key_person_")


def _strings() -> set[str]:
    return code_strings(APP) | templates_strings((APP / "templates").rglob("*.html")) | MENU | PHONE | AUDIT


def test_every_ui_string_has_chinese():
    found = _strings()
    assert len(found) > 80
    assert sorted(found - set(ZH)) == []


def test_the_menu_entry_and_the_phone_link_are_in_the_web_templates():
    assert MENU <= template_strings((WEB / "base.html").read_text())
    assert PHONE <= template_strings((WEB / "phone.html").read_text())
    assert len(AUDIT) == 5 and {c for c in ACTION_LABELS if c.startswith("key_person_")} == {
        "key_person_register", "key_person_update", "key_person_remove", "key_person_visit",
        "key_person_register_refused"}


def test_no_stale_entries_and_placeholders_kept():
    assert stale_or_broken(ZH, _strings()) == ([], [])


def test_the_catalogue_keeps_its_wording():
    """The catalogue holds one Chinese per msgid for every app: a msgid it already translates
    keeps that translation here, so filling it from this table changes no other page."""
    assert catalogue_changes(ZH) == {}
