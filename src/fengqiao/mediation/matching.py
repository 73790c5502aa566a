"""Matching mediators to a dispute (模块+专班): a pure function over plain data, no Django.

Each candidate gets a score in [0, 1] from four parts, each with a reason a person can read:

=============  ======  ==============================================================
part           weight  how
=============  ======  ==============================================================
expertise      0.40    1.0 the exact type, 0.7 its parent type (e.g. "labour" for
                       "unpaid wages"), 0.5 the type's department for a department
                       expert, 0.15 none (a generalist)
place          0.25    1.0 the mediator's area contains the place at village level or
                       below, 0.85 at town level, 0.6 at county level; 0.3 a
                       neighbouring node (same town, not covering); 0 elsewhere
workload       0.20    1 − open/capacity, 0 at or above capacity
track record   0.15    (succeeded + 1) / (succeeded + failed + 2) (Laplace smoothed)
=============  ======  ==============================================================

Excluded, never ranked (回避): a mediator who is a party (same ID number), a declared relative
of a party, in the same household as a party, or who already failed on this dispute.

A task force (专班) for a hard case: the best candidate leads; members are then picked
greedily, each time the one adding the most score plus coverage of what the team still lacks
(type expertise, the type's department, the place, a lawyer), 2–5 people in all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

WEIGHTS = {"expertise": 0.40, "place": 0.25, "workload": 0.20, "record": 0.15}
# A task-force member covering something the team lacks gains this much per gap filled.
GAP_BONUS = 0.5


@dataclass(frozen=True)
class Candidate:
    id: int
    name: str
    expertise: frozenset[str]
    area_path: str
    area_level_depth: int  # 0 county, 1 town, 2 village, 3 grid …
    open_cases: int = 0
    capacity: int = 8
    succeeded: int = 0
    failed: int = 0
    kind: str = "peoples_mediator"
    department_code: str = ""
    in_expert_pool: bool = False
    id_digest: str = ""
    household_code: str = ""
    relative_digests: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Case:
    type_codes: tuple[str, ...]  # root → leaf
    area_path: str
    type_department: str = ""
    party_id_digests: frozenset[str] = frozenset()
    party_households: frozenset[str] = frozenset()
    failed_mediator_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Reason:
    code: str
    zh: str
    en: str
    points: float = 0.0

    def as_dict(self) -> dict:
        return {"code": self.code, "zh": self.zh, "en": self.en, "points": round(self.points, 3)}


@dataclass
class Ranked:
    candidate: Candidate
    score: float
    parts: dict[str, float]
    reasons: list[Reason] = field(default_factory=list)


@dataclass
class Excluded:
    candidate: Candidate
    reasons: list[Reason]


def conflicts(c: Candidate, case: Case) -> list[Reason]:
    """Why ``c`` must not mediate ``case`` (empty when there is no conflict of interest)."""
    out = []
    if c.id_digest and c.id_digest in case.party_id_digests:
        out.append(Reason("is_party", "调解员本人是当事人", "the mediator is a party"))
    if c.relative_digests & case.party_id_digests:
        out.append(Reason("relative_of_party", "调解员是当事人的近亲属(已申报)", "the mediator is a declared relative of a party"))
    if c.household_code and c.household_code in case.party_households:
        out.append(Reason("same_household", "调解员与当事人同一户籍", "the mediator is in the same household as a party"))
    if c.id in case.failed_mediator_ids:
        out.append(Reason("failed_before", "该调解员已调解本纠纷未成功", "the mediator already failed on this dispute"))
    return out


def expertise_score(c: Candidate, case: Case) -> tuple[float, Reason]:
    leaf = case.type_codes[-1] if case.type_codes else ""
    if leaf and leaf in c.expertise:
        return 1.0, Reason("expertise_exact", "擅长该纠纷类型", "expert in this dispute type")
    for code in reversed(case.type_codes[:-1]):
        if code in c.expertise:
            return 0.7, Reason("expertise_parent", "擅长该类纠纷的上级类别", "expert in the parent type")
    if case.type_department and c.department_code == case.type_department:
        return 0.5, Reason("department_expert", "来自该类纠纷的主管部门", "expert from the department in charge of this type")
    return 0.15, Reason("generalist", "无该类型专长", "no expertise in this type")


def place_score(c: Candidate, case: Case) -> tuple[float, Reason]:
    if c.area_path and case.area_path.startswith(c.area_path):
        if c.area_level_depth >= 2:
            return 1.0, Reason("place_local", "就近:负责纠纷所在村(社区)", "local: covers the village of the dispute")
        if c.area_level_depth == 1:
            return 0.85, Reason("place_town", "就近:负责纠纷所在乡镇(街道)", "covers the town of the dispute")
        return 0.6, Reason("place_county", "县级调解力量", "county-level mediator")
    mine = c.area_path.strip("/").split("/")[:2]
    theirs = case.area_path.strip("/").split("/")[:2]
    if len(mine) == 2 and mine == theirs:
        return 0.3, Reason("place_same_town", "同一乡镇的其他村(社区)", "another village of the same town")
    return 0.0, Reason("place_far", "不在纠纷所在地", "outside the place of the dispute")


def workload_score(c: Candidate) -> tuple[float, Reason]:
    cap = max(1, c.capacity)
    s = max(0.0, 1.0 - c.open_cases / cap)
    if c.open_cases >= cap:
        return 0.0, Reason("at_capacity", f"在办案件已满({c.open_cases}/{cap})", f"at capacity ({c.open_cases}/{cap} open cases)")
    return s, Reason("workload", f"在办案件 {c.open_cases}/{cap}", f"{c.open_cases} of {cap} open cases")


def record_score(c: Candidate) -> tuple[float, Reason]:
    s = (c.succeeded + 1) / (c.succeeded + c.failed + 2)
    done = c.succeeded + c.failed
    if done == 0:
        return s, Reason("no_record", "尚无办结记录", "no concluded cases yet")
    rate = c.succeeded / done
    return s, Reason("record", f"成功 {c.succeeded}/{done} 件({rate:.0%})",
                     f"succeeded in {c.succeeded} of {done} cases ({rate:.0%})")


def score(c: Candidate, case: Case) -> Ranked:
    parts, reasons = {}, []
    for name, (value, reason) in (
        ("expertise", expertise_score(c, case)),
        ("place", place_score(c, case)),
        ("workload", workload_score(c)),
        ("record", record_score(c)),
    ):
        parts[name] = round(value, 4)
        reasons.append(Reason(reason.code, reason.zh, reason.en, WEIGHTS[name] * value))
    total = sum(WEIGHTS[k] * v for k, v in parts.items())
    return Ranked(c, round(total, 4), parts, reasons)


def rank(candidates, case: Case, limit: int | None = 10) -> tuple[list[Ranked], list[Excluded]]:
    """Eligible candidates best first (ties: fewer open cases, then id), and the excluded ones."""
    ranked, excluded = [], []
    for c in candidates:
        why = conflicts(c, case)
        if why:
            excluded.append(Excluded(c, why))
            continue
        ranked.append(score(c, case))
    ranked.sort(key=lambda r: (-r.score, r.candidate.open_cases, r.candidate.id))
    return (ranked[:limit] if limit else ranked), excluded


def _covers(r: Ranked, need: str, case: Case) -> bool:
    c = r.candidate
    if need == "expertise":
        return r.parts["expertise"] >= 0.7
    if need == "department":
        return bool(case.type_department) and c.department_code == case.type_department
    if need == "place":
        return r.parts["place"] >= 0.85
    if need == "legal":
        return c.kind == "lawyer"
    return False


def task_force(candidates, case: Case, size: int = 3) -> tuple[list[Ranked], list[Excluded]]:
    """A task force (专班) of ``size`` (2–5): lead first, then members that cover what is missing."""
    size = min(5, max(2, int(size)))
    ranked, excluded = rank(candidates, case, limit=None)
    if not ranked:
        return [], excluded
    team = [ranked[0]]
    needs = ["expertise", "department", "place", "legal"]
    pool = ranked[1:]
    while len(team) < size and pool:
        missing = [n for n in needs if not any(_covers(m, n, case) for m in team)]

        def gain(r: Ranked, missing=missing) -> float:
            return r.score + GAP_BONUS * sum(1 for n in missing if _covers(r, n, case))

        best = max(pool, key=lambda r: (gain(r), -r.candidate.open_cases, -r.candidate.id))
        pool.remove(best)
        added = [n for n in missing if _covers(best, n, case)]
        if added:
            labels = {"expertise": ("类型专长", "type expertise"), "department": ("主管部门", "the department in charge"),
                      "place": ("属地", "local knowledge"), "legal": ("法律专业", "legal expertise")}
            zh = "、".join(labels[a][0] for a in added)
            en = ", ".join(labels[a][1] for a in added)
            best.reasons.append(Reason("fills_gap", f"补充专班所缺:{zh}", f"brings what the task force lacks: {en}"))
        team.append(best)
    return team, excluded
