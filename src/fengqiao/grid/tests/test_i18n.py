"""Every UI string of the grid registries, key persons and check-points (their code, their
templates, their menu entries, their sections of the grid workers' phone page and the audit
page's labels of their actions) has its Chinese in i18n_zh.ZH, from which the .po file is
generated, and none of it changes the wording another app already has."""

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
from fengqiao.grid.i18n_zh import ZH
from fengqiao.web.audit import ACTION_LABELS

APP = Path(__file__).resolve().parent.parent
WEB = APP.parent / "web" / "templates" / "web"
#: the registries' entries in base.html (the check-points' with its count)
MENU = {"Key persons", "Check-points", "Inspections overdue or due within 3 days"}
#: their sections of phone.html
PHONE = {"Key persons to visit", "Overdue or due within 3 days: %(n)s", "Check-points to inspect",
         "Inspections overdue or due within 3 days: %(n)s"}


PREFIXES = ("key_person_", "check_point_")
CODES = frozenset({"key_person_register", "key_person_update", "key_person_remove", "key_person_visit",
                   "key_person_register_refused", "check_point_register", "check_point_update", "check_point_remove",
                   "check_point_inspect"})
AUDIT = audit_labels(PREFIXES)


def _strings() -> set[str]:
    return code_strings(APP) | templates_strings((APP / "templates").rglob("*.html")) | MENU | PHONE | AUDIT


def test_the_menu_entry_and_the_phone_link_are_in_the_web_templates():
    assert MENU <= template_strings((WEB / "base.html").read_text())
    assert PHONE <= template_strings((WEB / "phone.html").read_text())
    assert len(AUDIT) == 9 and {c for c in ACTION_LABELS if c.startswith(PREFIXES)} == CODES


class TestTable(TableChecks, AuditLabelChecks):
    TABLE, ZH, LEAST, AUDIT_CODES = APP / "i18n_zh.py", ZH, 80, CODES

    def strings(self) -> set[str]:
        return _strings()
