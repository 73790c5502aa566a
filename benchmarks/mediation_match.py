"""Mediation: matching and statistics formulas at county scale (pure functions, no database).

Ranks 2,000 candidate mediators for 500 disputes (a county's mediators plus the expert pool are
a few hundred; 2,000 is a province-sized pool), forms 200 task forces, and summarises 100,000
dispute rows (a large county's five years) with every breakdown. Prints a Markdown table;
with ``--write`` it also records it in docs/benchmarks.md (section ``mediation_match``).

    python benchmarks/mediation_match.py [--write]
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))
from benchmarks._report import write_section  # noqa: E402
from fengqiao.mediation import kpi, matching  # noqa: E402

TYPES = [("neighbours", "neighbour_boundary"), ("labour", "unpaid_wages"), ("marriage_family", "divorce"),
         ("traffic",), ("property_mgmt",), ("contract", "loan")]
TOWNS = [f"3310221{i:02d}" for i in range(20)]


def candidates(rng: random.Random, n: int) -> list[matching.Candidate]:
    out = []
    for i in range(n):
        town = rng.choice(TOWNS)
        depth = rng.choice([0, 1, 1, 2])
        path = "/331022/" if depth == 0 else f"/331022/{town}/" if depth == 1 else f"/331022/{town}/{town}001/"
        out.append(matching.Candidate(
            id=i, name=f"m{i}", expertise=frozenset(rng.sample([c for t in TYPES for c in t], 2)), area_path=path,
            area_level_depth=depth, open_cases=rng.randint(0, 10), capacity=8, succeeded=rng.randint(0, 200),
            failed=rng.randint(0, 5), relative_digests=frozenset({f"p{rng.randint(0, 5000)}"}),
            household_code=f"h{rng.randint(0, 5000)}", kind=rng.choice(["peoples_mediator", "lawyer",
                                                                       "department_expert"])))
    return out


def case(rng: random.Random) -> matching.Case:
    town = rng.choice(TOWNS)
    return matching.Case(type_codes=rng.choice(TYPES), area_path=f"/331022/{town}/{town}003/",
                         party_id_digests=frozenset({f"p{rng.randint(0, 5000)}", f"p{rng.randint(0, 5000)}"}),
                         party_households=frozenset({f"h{rng.randint(0, 5000)}"}))


def main() -> None:
    rng = random.Random(6)
    pool = candidates(rng, 2000)
    cases = [case(rng) for _ in range(500)]
    t = time.perf_counter()
    excluded = 0
    for c in cases:
        _ranked, ex = matching.rank(pool, c, limit=10)
        excluded += len(ex)
    rank_ms = (time.perf_counter() - t) * 1000 / len(cases)
    t = time.perf_counter()
    for c in cases[:200]:
        matching.task_force(pool, c, size=5)
    tf_ms = (time.perf_counter() - t) * 1000 / 200
    t0 = dt.datetime(2021, 1, 1, tzinfo=dt.UTC)
    rows = []
    for _ in range(100_000):
        reg = t0 + dt.timedelta(days=rng.uniform(0, 1800))
        outcome = rng.choices(["succeeded", "failed", ""], weights=[95, 2, 3])[0]
        rows.append(kpi.Row(accepted=True, outcome=outcome, state="archived", registered_at=reg,
                            concluded_at=reg + dt.timedelta(days=rng.uniform(1, 30)) if outcome else None,
                            amount=Decimal(rng.randint(0, 50000)), recovered=Decimal(rng.randint(0, 30000)),
                            followed_up=rng.random() < 0.9, honoured="yes",
                            keys={"month": reg.strftime("%Y-%m"), "area": rng.choice(TOWNS), "type": "t",
                                  "mediator": f"m{rng.randint(0, 300)}", "organisation": "o", "source": "s"}))
    t = time.perf_counter()
    kpi.summarise(rows)
    for key in ("month", "area", "mediator", "organisation", "type", "source"):
        kpi.breakdown(rows, key)
    stats_ms = (time.perf_counter() - t) * 1000
    body = "\n".join([
        "| what | figure |", "|---|---|",
        f"| rank 2,000 mediators for one dispute (conflicts checked, top 10 with reasons) | {rank_ms:.1f} ms |",
        f"| form a task force of 5 from 2,000 | {tf_ms:.1f} ms |",
        f"| conflicts of interest excluded (500 disputes, synthetic) | {excluded} |",
        f"| summarise 100,000 disputes with six breakdowns | {stats_ms:.0f} ms |",
    ])
    print(body)
    if "--write" in sys.argv[1:]:
        write_section("mediation_match", "Mediation matching and statistics (pure functions)", body,
                      "python benchmarks/mediation_match.py --write")


if __name__ == "__main__":
    main()
