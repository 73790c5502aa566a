"""Every UI string of triage has its Chinese: its newer strings in triage/i18n_zh.ZH, its earlier
ones in locale/zh_extra.py (the shared table of the apps that had none). The triage table is one
``make messages`` reads, holds nothing triage no longer uses, and changes no wording another app
already has in the shared catalogue."""

from __future__ import annotations

from pathlib import Path

from django.utils import translation

from fengqiao.core.tests.ui_strings import (
    TableChecks,
    code_strings,
    other_tables,
    templates_strings,
)
from fengqiao.triage.i18n_zh import ZH

APP = Path(__file__).resolve().parent.parent
TABLE = APP / "i18n_zh.py"


def _strings() -> set[str]:
    return code_strings(APP) | templates_strings(APP.rglob("*.html"))


def test_the_place_level_of_a_routing_rule_reads_as_the_area_tree_does():
    """The level a matter must be placed at is named as the area tree names its levels
    (乡镇/街道, not the command room that handles it)."""
    from fengqiao.areas.models import Level
    from fengqiao.triage.models import RoutingRule

    with translation.override("zh-hans"):
        shown = [str(label) for _value, label in RoutingRule._meta.get_field("area_level").choices]
        tree = [str(Level(v).label) for v in ("town", "village", "grid")]
    assert shown == tree == ["乡镇/街道", "村/社区", "网格"]


class TestTable(TableChecks):
    TABLE, ZH, LEAST = TABLE, ZH, 100

    def strings(self) -> set[str]:
        return _strings()

    def covered(self) -> set[str]:
        # triage's earlier strings are translated in locale/zh_extra.py
        return set(self.ZH) | set(other_tables(TABLE))
