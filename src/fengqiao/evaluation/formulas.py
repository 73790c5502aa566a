"""The evaluation's formulas (考评指标, 综合得分, 排名) as pure functions over counts: no Django
imports, so they are tested without a database. docs/evaluation.md defines every figure.

A *count* is a number of matters (or of actions, disputes) the query layer
(:mod:`fengqiao.evaluation.query`) found for one unit in one period; an *indicator* is either
such a count or a rate of two of them. A rate with nothing to divide by is ``None`` ("—"), never
0 % (the dashboard's rule, :func:`fengqiao.web.kpi.rate`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from fengqiao.web.kpi import percent, rate

AREA, DEPARTMENT = "area", "department"
BOTH = frozenset({AREA, DEPARTMENT})


@dataclass(frozen=True)
class Indicator:
    code: str
    kind: str  # "count" | "rate"
    better: str  # "higher" | "lower" | "" (shown, not scored)
    numerator: str  # the count it is (a count), or the rate's numerator
    denominator: str = ""  # the rate's denominator
    groups: frozenset = BOTH  # the kinds of unit it applies to

    @property
    def scored(self) -> bool:
        return bool(self.better)


#: Every indicator of the table, in its order (docs/evaluation.md §Indicators).
INDICATORS: tuple[Indicator, ...] = (
    Indicator("intake", "count", "", "intake"),  # 受理量
    Indicator("sign_on_time_rate", "rate", "higher", "signed_on_time", "signed"),  # 按时签收率
    Indicator("resolve_on_time_rate", "rate", "higher", "resolved_on_time", "resolved"),  # 按期办结率
    Indicator("resolution_rate", "rate", "higher", "valid_resolved", "valid"),  # 办结率
    Indicator("satisfaction_rate", "rate", "higher", "satisfied", "visited"),  # 满意率
    Indicator("repeat_rate", "rate", "lower", "merged", "intake", frozenset({AREA})),  # 重复率
    # 退回率: of the matters the unit signed for or returned in P, those it returned
    Indicator("return_rate", "rate", "lower", "returns", "decisions"),
    # 超期件数: late sign-fors + matters resolved late or whose limit ran out (query._merge)
    Indicator("overdue", "count", "lower", "overdue"),
    Indicator("mediation_success_rate", "rate", "higher", "mediation_succeeded", "mediation_concluded",
              frozenset({AREA})),  # 调解成功率
    Indicator("hazard_rectification_rate", "rate", "higher", "hazard_resolved", "hazard"),  # 隐患整改率
    # 重点人员走访完成率: of the key persons due a visit at the end of P, those visited within
    # their interval (query.KEY_PERSON_ROUNDS)
    Indicator("key_person_visit_rate", "rate", "higher", "key_persons_visited", "key_persons_due",
              frozenset({AREA})),
    # 平安点位巡查完成率: of the check-points due an inspection at the end of P, those inspected
    # within their interval (the same rule, query.CHECK_POINT_ROUNDS)
    Indicator("inspection_rate", "rate", "higher", "points_inspected", "points_due", frozenset({AREA})),
)
BY_CODE = {i.code: i for i in INDICATORS}
SCORED = tuple(i.code for i in INDICATORS if i.scored)

#: What DOMAIN.md asks for and the platform holds no data for yet (docs/evaluation.md): nothing
#: now that the key-person registry keeps visits; the page and the exports still name any code
#: listed here (and a publication frozen while one was listed).
NOT_MEASURABLE: tuple[str, ...] = ()

#: Default weights (they need not add up to 100: the score divides by the weights used).
DEFAULT_WEIGHTS = {
    "sign_on_time_rate": 10,
    "resolve_on_time_rate": 20,
    "resolution_rate": 15,
    "satisfaction_rate": 20,
    "repeat_rate": 5,
    "return_rate": 5,
    "overdue": 10,
    "mediation_success_rate": 10,
    "hazard_rectification_rate": 5,
    "key_person_visit_rate": 10,
    # not in DOMAIN.md's list: shown and compared year on year, scored once the centre weights it
    # (a ranking's formula does not change under a running year by itself; ADR 0401)
    "inspection_rate": 0,
}
MAX_WEIGHT = 100


def applies(indicator: Indicator, group: str) -> bool:
    return group in indicator.groups


def indicator_values(counts: Mapping[str, int | None], group: str) -> dict[str, float | int | None]:
    """Every indicator of one unit from its counts; ``None`` where it does not apply to the
    unit's kind, where a count is unknown (``None``: not measurable here) or a rate has no
    denominator."""
    out: dict[str, float | int | None] = {}
    for ind in INDICATORS:
        num = counts.get(ind.numerator)
        if not applies(ind, group) or num is None:
            out[ind.code] = None
        elif ind.kind == "count":
            out[ind.code] = num
        else:
            den = counts.get(ind.denominator)
            out[ind.code] = None if den is None else rate(num, den)
    return out


def normalised(indicator: Indicator, value: float | int | None, worst: float | int | None = None) -> float | None:
    """An indicator on 0–100 (100 best) for the score.

    - a rate where higher is better: the rate in per cent (85 % → 85);
    - a rate where lower is better: 100 minus the rate in per cent (repeat 5 % → 95);
    - a count where lower is better (overdue): 100 × (1 − count / the worst unit's count in the
      same ranking), so no overdue matter is 100 and the worst unit 0; 100 for all when no unit
      has any.
    """
    if value is None or not indicator.scored:
        return None
    if indicator.kind == "rate":
        value = min(max(float(value), 0.0), 1.0)
        return 100 * value if indicator.better == "higher" else 100 * (1 - value)
    if not worst:
        return 100.0
    share = min(max(float(value) / float(worst), 0.0), 1.0)
    return 100 * (1 - share) if indicator.better == "lower" else 100 * share


def worst_counts(rows: Sequence[Mapping[str, float | int | None]]) -> dict[str, float | int | None]:
    """The largest value of each scored count indicator among the rows of one ranking."""
    out: dict[str, float | int | None] = {}
    for ind in INDICATORS:
        if ind.scored and ind.kind == "count":
            seen = [r[ind.code] for r in rows if r.get(ind.code) is not None]
            out[ind.code] = max(seen) if seen else None
    return out


def score(values: Mapping[str, float | int | None], weights: Mapping[str, float], group: str,
          worst: Mapping[str, float | int | None]) -> float | None:
    """综合得分: the weighted mean of the unit's normalised indicators, 0–100, one decimal.

    Only indicators that apply to the unit's kind, have a positive weight and have a value
    take part; the weights of those are what the sum is divided by.

    A unit without a single weighted rate with figures did nothing that a rate measures in the
    period (nothing signed for, resolved, visited …). If it has no weighted overdue count above
    0 either, it had nothing to evaluate: no score (``None``; an overdue count of 0 alone would
    give it full marks). If it has, its limits ran out and nothing else was done: it scores 0,
    the lowest score there is, so it ranks last rather than dropping out of the ranking (scored
    relative to the worst unit, one overdue matter of an idle unit would beat a working unit)."""
    total = used = 0.0
    rated = failed = False
    for ind in INDICATORS:
        w = float(weights.get(ind.code, 0) or 0)
        if w <= 0 or not ind.scored or not applies(ind, group):
            continue
        value = values.get(ind.code)
        s = normalised(ind, value, worst.get(ind.code))
        if s is None:
            continue
        total += w * s
        used += w
        rated = rated or ind.kind == "rate"
        failed = failed or (ind.kind == "count" and ind.better == "lower" and bool(value))
    if used and rated:
        return round(total / used, 1)
    return 0.0 if failed else None


def ranks(scores: Sequence[float | None]) -> list[int | None]:
    """Rank by score, highest first; equal scores share a rank (1, 2, 2, 4); no score, no rank."""
    known = sorted((s for s in scores if s is not None), reverse=True)
    first = {}
    for i, s in enumerate(known, start=1):
        first.setdefault(s, i)
    return [None if s is None else first[s] for s in scores]


def change(indicator: Indicator, current, previous) -> float | int | None:
    """Year-on-year change (同比): a rate's in percentage points (one decimal), a count's as the
    difference of the two counts; ``None`` when either side has no value."""
    if current is None or previous is None:
        return None
    if indicator.kind == "rate":
        return round((current - previous) * 100, 1)
    return current - previous


def score_change(current: float | None, previous: float | None) -> float | None:
    """The score's year-on-year change in points."""
    if current is None or previous is None:
        return None
    return round(current - previous, 1)


def display(indicator: Indicator, value) -> str:
    """A value as the table, Excel and PDF print it: 85.0% for a rate, the count, — for none."""
    if value is None:
        return "—"
    if indicator.kind == "rate":
        return f"{percent(value)}%"
    return str(value)


def with_sign(value, unit: str = "") -> str:
    """A change with its sign (+3.2, −1, 0); — for none."""
    if value is None:
        return "—"
    if value == 0:
        return f"0{unit}"
    text = f"{value:+}" if isinstance(value, int) else f"{value:+.1f}"
    return text.replace("-", "−") + unit


def rank_rows(rows: list[dict], weights: Mapping[str, float], group: str) -> None:
    """Score and rank the rows of one ranking in place: each row has ``values`` and
    ``previous_values``; adds ``score``, ``previous_score``, ``score_change``, ``change`` and
    ``rank``. The overdue count is normalised against the worst unit of the same period."""
    worst = worst_counts([r["values"] for r in rows])
    worst_prev = worst_counts([r["previous_values"] for r in rows])
    for r in rows:
        r["score"] = score(r["values"], weights, group, worst)
        r["previous_score"] = score(r["previous_values"], weights, group, worst_prev)
        r["score_change"] = score_change(r["score"], r["previous_score"])
        r["change"] = {i.code: change(i, r["values"].get(i.code), r["previous_values"].get(i.code))
                       for i in INDICATORS}
    for r, rk in zip(rows, ranks([r["score"] for r in rows]), strict=True):
        r["rank"] = rk
    rows.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, r["unit"]["code"]))
