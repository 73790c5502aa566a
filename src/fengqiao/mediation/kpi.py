"""Mediation figures (调解统计) as pure functions over plain rows: no Django imports.

Definitions (docs/mediation.md): every figure counts the disputes *registered* in the period
(one cohort, so rates never exceed 100 %):

- ``screened`` 排查/登记: disputes registered;
- ``accepted`` 受理: of those, accepted at some point;
- ``succeeded`` 调解成功 / ``failed`` 调解不成: their current outcome;
- ``success_rate`` = succeeded / (succeeded + failed) — mediations concluded;
- ``resolution_rate`` = succeeded / screened — the figure news reports quote
  (三门 2023: 5,758 / 5,767 = 99.84 %);
- ``avg_days_to_close``: mean calendar days from registration to the outcome;
- ``money_involved`` (sum of amounts in dispute), ``money_recovered`` (agreed/recovered);
- ``follow_up_rate`` = succeeded and visited / succeeded; ``follow_up_compliance`` = honoured
  in full / succeeded and visited (协议履行率).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Row:
    accepted: bool
    outcome: str  # "", "succeeded", "failed"
    state: str
    registered_at: dt.datetime
    concluded_at: dt.datetime | None
    amount: Decimal
    recovered: Decimal
    followed_up: bool
    honoured: str
    keys: dict  # breakdown keys: month, area, organisation, mediator, type, source


def rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def summarise(rows: Iterable[Row]) -> dict:
    rows = list(rows)
    succeeded = [r for r in rows if r.outcome == "succeeded"]
    failed = [r for r in rows if r.outcome == "failed"]
    closed = [r for r in rows if r.outcome in ("succeeded", "failed") and r.concluded_at is not None]
    visited = [r for r in succeeded if r.followed_up]
    honoured = [r for r in visited if r.honoured == "yes"]
    days = [(r.concluded_at - r.registered_at).total_seconds() / 86400 for r in closed]
    return {
        "screened": len(rows),
        "accepted": sum(1 for r in rows if r.accepted),
        "declined": sum(1 for r in rows if r.state == "declined"),
        "in_progress": sum(1 for r in rows if r.state in ("registered", "accepted", "in_mediation")),
        "succeeded": len(succeeded),
        "failed": len(failed),
        "success_rate": rate(len(succeeded), len(succeeded) + len(failed)),
        "resolution_rate": rate(len(succeeded), len(rows)),
        "avg_days_to_close": round(sum(days) / len(days), 1) if days else None,
        "money_involved": float(sum((r.amount for r in rows), Decimal("0"))),
        "money_recovered": float(sum((r.recovered for r in succeeded), Decimal("0"))),
        "followed_up": len(visited),
        "follow_up_rate": rate(len(visited), len(succeeded)),
        "follow_up_compliance": rate(len(honoured), len(visited)),
    }


def breakdown(rows: Iterable[Row], key: str, label: Callable[[str], str] | None = None) -> list[dict]:
    groups: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        groups[r.keys.get(key) or ""].append(r)
    out = []
    for k in sorted(groups):
        out.append({"key": k, "label": label(k) if label else k, **summarise(groups[k])})
    return out
