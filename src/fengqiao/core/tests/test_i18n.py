"""The shared table ``locale/zh_extra.py`` holds the Chinese of the apps without a table of their
own: the console (web), matters (events), triage, areas, accounts, the working calendar, the
demo and core. A string of theirs that another app's table translates (a registry's entry in the
console's menu) is that table's; everything else is here, once, and nothing here is dead."""

from __future__ import annotations

import importlib.util

from fengqiao.core.tests.ui_strings import (
    FENGQIAO,
    TableChecks,
    code_strings,
    other_tables,
    templates_strings,
)

APPS = ("core", "web", "events", "triage", "areas", "accounts", "workcal", "demo")
#: apps read here and by their own table: older strings in zh_extra.py, newer ones in theirs
SHARED = {"triage"}
TABLE = FENGQIAO / "locale" / "zh_extra.py"


def _table() -> dict[str, str]:
    spec = importlib.util.spec_from_file_location("zh_extra", TABLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ZH


def _strings() -> set[str]:
    found: set[str] = set()
    for app in APPS:
        found |= code_strings(FENGQIAO / app) | templates_strings((FENGQIAO / app).rglob("*.html"))
    return found


class TestTable(TableChecks):
    TABLE, ZH, LEAST = TABLE, _table(), 400

    def strings(self) -> set[str]:
        return _strings()

    def covered(self) -> set[str]:
        return set(self.ZH) | set(other_tables(TABLE))


def test_the_apps_read_here_are_those_without_a_table_of_their_own():
    """Every app of the project is read by its own table's test or by this one; both only for an
    app whose older strings are here and newer ones in its own table (:data:`SHARED`)."""
    own = {p.parent.name for p in FENGQIAO.glob("*/i18n_zh.py")}
    apps = {p.parent.name for p in FENGQIAO.glob("*/apps.py")}
    assert not (own & set(APPS)) - SHARED and apps == own | set(APPS)
