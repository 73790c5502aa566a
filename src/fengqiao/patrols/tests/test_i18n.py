"""Every UI string of the patrols (巡逻: its code, its templates, its menu entry, its card on the
phone page and the audit page's labels of its actions) has its Chinese in i18n_zh.ZH, from which
the .po file is generated, and none of it changes the wording another app already has, in the
shared catalogue or in another app's table."""

from __future__ import annotations

import re
from pathlib import Path

from fengqiao.core.tests.ui_strings import (
    AuditLabelChecks,
    TableChecks,
    audit_labels,
    code_strings,
    template_strings,
    templates_strings,
)
from fengqiao.patrols.i18n_zh import ZH
from fengqiao.web.audit import ACTION_LABELS

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


def test_the_menu_entry_and_the_phone_card_are_there():
    assert MENU <= template_strings((WEB / "base.html").read_text())
    assert {"Patrol", "Start a patrol", "End the patrol", "My patrol records"} <= PHONE


def test_the_actions_write_only_labelled_codes():
    """The audit page names the patrols' actions (web/audit.py's ACTION_LABELS)."""
    from fengqiao.web.tests.test_audit_labels import written_codes

    written = set().union(*(w.codes for w in written_codes() if w.where.startswith("patrols/")))
    assert written == CODES
    assert {c for c in ACTION_LABELS if c.startswith(PREFIX)} == CODES and len(AUDIT) == 3



class TestTable(TableChecks, AuditLabelChecks):
    TABLE, ZH, LEAST, AUDIT_CODES = APP / "i18n_zh.py", ZH, 60, CODES

    def strings(self) -> set[str]:
        return _strings()

