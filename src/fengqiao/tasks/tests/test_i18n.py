"""Every UI string of top-down publishing (its code, its templates, its menu entry and its line on
the phone page) has its Chinese in i18n_zh.ZH, from which the .po file is generated, the table is
one that ``make messages`` reads, and none of it changes the wording another app already has in
the shared catalogue."""

from __future__ import annotations

from pathlib import Path

from django.utils import translation

from fengqiao.core.tests.ui_strings import (
    TableChecks,
    code_strings,
    template_strings,
    templates_strings,
)
from fengqiao.tasks.i18n_zh import ZH

APP = Path(__file__).resolve().parent.parent
WEB = APP.parent / "web" / "templates" / "web"
FILL = APP.parent.parent.parent / "scripts" / "fill_translations.py"
MENU = {"Tasks and notices", "Still to acknowledge or report on"}  # the entry in base.html
PHONE = {"Tasks and notices", "Still to acknowledge or report on: %(n)s"}  # its section of phone.html


def _strings() -> set[str]:
    return code_strings(APP) | templates_strings((APP / "templates").rglob("*.html")) | MENU | PHONE


def test_the_menu_entry_and_the_phone_link_are_in_the_web_templates():
    assert MENU <= template_strings((WEB / "base.html").read_text())
    assert PHONE <= template_strings((WEB / "phone.html").read_text())


def test_a_tasks_own_words_are_not_the_matters_words():
    from fengqiao.tasks.choices import State
    from fengqiao.tasks.models import Receipt, Task
    from fengqiao.tasks.transitions import TASK_TABLE

    with translation.override("zh-hans"):
        shown = {"state closed": str(State.CLOSED.label), "action close": str(TASK_TABLE["close"].label),
                 "body": str(Task._meta.get_field("body").verbose_name),
                 "accepted at": str(Receipt._meta.get_field("accepted_at").verbose_name)}
    assert shown == {"state closed": "已结束", "action close": "结束", "body": "正文", "accepted at": "确认完成时间"}


class TestTable(TableChecks):
    TABLE, ZH, LEAST = APP / "i18n_zh.py", ZH, 100

    def strings(self) -> set[str]:
        return _strings()
