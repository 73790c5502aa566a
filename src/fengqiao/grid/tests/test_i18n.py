"""Every UI string of the key-person registry (its code, its templates, its menu entry, its link on
the grid workers' phone page and the audit page's labels of its actions) has its Chinese in
i18n_zh.ZH, from which the .po file is generated, and none of it changes the wording another app
already has in the shared catalogue."""

from __future__ import annotations

from pathlib import Path

from fengqiao.core.tests.ui_strings import (
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
MENU = {"Key persons"}  # the registry's entry in base.html
PHONE = {"Key persons to visit", "Overdue or due within 3 days: %(n)s"}  # its section of phone.html


AUDIT = audit_labels("key_person_")


def _strings() -> set[str]:
    return code_strings(APP) | templates_strings((APP / "templates").rglob("*.html")) | MENU | PHONE | AUDIT


def test_the_menu_entry_and_the_phone_link_are_in_the_web_templates():
    assert MENU <= template_strings((WEB / "base.html").read_text())
    assert PHONE <= template_strings((WEB / "phone.html").read_text())
    assert len(AUDIT) == 5 and {c for c in ACTION_LABELS if c.startswith("key_person_")} == {
        "key_person_register", "key_person_update", "key_person_remove", "key_person_visit",
        "key_person_register_refused"}


class TestTable(TableChecks):
    TABLE, ZH, LEAST = APP / "i18n_zh.py", ZH, 80

    def strings(self) -> set[str]:
        return _strings()
