"""Every UI string of the mediation app has its Chinese in i18n_zh.ZH (used to generate the .po),
and none of it changes the wording another app already has (``core.tests.ui_strings.TableChecks``)."""

from __future__ import annotations

from pathlib import Path

from fengqiao.core.tests.ui_strings import TableChecks, code_strings, templates_strings
from fengqiao.mediation.i18n_zh import ZH

APP = Path(__file__).resolve().parent.parent


class TestTable(TableChecks):
    TABLE, ZH, LEAST = APP / "i18n_zh.py", ZH, 100

    def strings(self) -> set[str]:
        return code_strings(APP) | templates_strings((APP / "templates").rglob("*.html"))
