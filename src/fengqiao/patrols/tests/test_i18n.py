"""Every UI string of the patrols (巡逻: its code, its templates, its menu entry, its card on the
phone page and the audit page's labels of its actions) has its Chinese in i18n_zh.ZH, from which
the .po file is generated, and none of it changes the wording another app already has, in the
shared catalogue or in another app's table."""

from __future__ import annotations

import re
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
from fengqiao.patrols.i18n_zh import ZH
from fengqiao.web.audit import ACTION_LABELS, action_label

APP = Path(__file__).resolve().parent.parent
WEB = APP.parent / "web" / "templates" / "web"
MENU = {"Patrols"}  # the patrols' entry in base.html
PREFIX = "patrol_"
CODES = {"patrol_start", "patrol_end", "patrol_timeout"}


def _phone_card() -> set[str]:
    """The msgids of the patrol card of phone.html (from its section to the end of its block),
    and the report form's note that a report goes with the patrol."""
    text = (WEB / "phone.html").read_text()
    card = re.search(r'\{% if patrol %\}.*?\{% endwith %\}\{% endif %\}', text, re.S)
    assert card is not None, "the patrol card of phone.html"
    note = re.search(r'<p class="hint" id="report-on-patrol".*?</p>', text, re.S)
    return template_strings(card.group(0)) | template_strings(note.group(0) if note else "")


PHONE = _phone_card()


AUDIT = audit_labels(PREFIX)


def _strings() -> set[str]:
    return code_strings(APP) | templates_strings((APP / "templates").rglob("*.html")) | MENU | PHONE | AUDIT


def test_every_ui_string_has_chinese():
    found = _strings()
    assert len(found) > 60
    assert sorted(found - set(ZH)) == []


def test_the_menu_entry_and_the_phone_card_are_there():
    assert MENU <= template_strings((WEB / "base.html").read_text())
    assert {"Patrol", "Start a patrol", "End the patrol", "My patrol records"} <= PHONE


def test_the_actions_write_only_labelled_codes():
    """The audit page names the patrols' actions (web/audit.py's ACTION_LABELS)."""
    from fengqiao.web.tests.test_audit_labels import written_codes

    written = set().union(*(w.codes for w in written_codes() if w.where.startswith("patrols/")))
    assert written == CODES
    assert {c for c in ACTION_LABELS if c.startswith(PREFIX)} == CODES and len(AUDIT) == 3


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

    # a template's ``{% translate %}`` writes a literal % as %% in the msgid
    translated = {e.msgid.replace("%%", "%"): e.msgstr for e in polib.pofile(str(CATALOGUE))
                  if not e.obsolete and e.msgstr}
    return all(en in translated for en in ZH)


def test_the_pages_speak_chinese_once_the_catalogue_is_filled():
    """Fails until ``make messages`` has filled the catalogue from this table (then the patrol
    pages, the menu entry and the phone card speak Chinese)."""
    if not _in_catalogue():
        pytest.fail("the catalogue is not filled from patrols/i18n_zh.py yet: run make messages")
    with translation.override("zh-hans"):
        assert {en: _page(en) for en in ZH if _page(en) != ZH[en]} == {}
        for code in CODES & set(ACTION_LABELS):
            assert action_label(code) == ZH[_english(code)], code


def _page(en: str) -> str:
    """What a page shows for ``en``: a template's ``{% translate %}`` of a text with a bare ``%s``
    (filled in by the phone's script) looks it up with the % doubled."""
    if "%s" in en:
        return gettext(en.replace("%", "%%")).replace("%%", "%")
    return gettext(en)


def _english(code: str) -> str:
    with translation.override("en"):
        return str(ACTION_LABELS[code])
