"""Every UI string of the population registry (its code, its templates, its menu entries, its section
of the grid workers' phone page and the audit page's labels of its actions) has its Chinese in
i18n_zh.ZH, from which the .po file is generated, and none of it changes the wording another app
already has, in the shared catalogue or in another app's table."""

from __future__ import annotations

from pathlib import Path

from fengqiao.core.tests.ui_strings import (
    AuditLabelChecks,
    TableChecks,
    audit_labels,
    code_strings,
    template_strings,
    templates_strings,
)
from fengqiao.population.i18n_zh import ZH
from fengqiao.web.audit import ACTION_LABELS

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


def test_the_menu_entries_the_phone_link_and_the_audit_labels_are_there():
    assert MENU <= template_strings((WEB / "base.html").read_text())
    assert PHONE <= template_strings((WEB / "phone.html").read_text())
    assert len(AUDIT) == 6 and {c for c in ACTION_LABELS if c.startswith(PREFIXES)} == CODES


def test_the_actions_write_only_labelled_codes():
    from fengqiao.web.tests.test_audit_labels import written_codes

    written = set().union(*(w.codes for w in written_codes() if w.where.startswith("population/")))
    assert written == CODES



class TestTable(TableChecks, AuditLabelChecks):
    TABLE, ZH, LEAST, AUDIT_CODES = APP / "i18n_zh.py", ZH, 120, CODES

    def strings(self) -> set[str]:
        return _strings()

