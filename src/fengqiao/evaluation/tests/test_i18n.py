"""Every UI string of the evaluation (its code and its templates) has its Chinese in
i18n_zh.ZH, from which the .po file is generated, and none of it changes the wording another
app already has (``core.tests.ui_strings.TableChecks``)."""

from __future__ import annotations

from pathlib import Path

from fengqiao.core.tests.ui_strings import TableChecks, code_strings, templates_strings
from fengqiao.evaluation.i18n_zh import ZH

APP = Path(__file__).resolve().parent.parent
TEMPLATES = APP.parent / "web" / "templates" / "web" / "evaluation"


def _strings() -> set[str]:
    return code_strings(APP) | templates_strings(TEMPLATES.glob("*.html"))


class TestTable(TableChecks):
    TABLE, ZH, LEAST = APP / "i18n_zh.py", ZH, 80

    def strings(self) -> set[str]:
        return _strings()
