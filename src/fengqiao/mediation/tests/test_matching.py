"""Matching: pure scoring, conflicts of interest, workload balance, task forces."""

from __future__ import annotations

import pytest

from fengqiao.mediation import matching as mt

CASE = mt.Case(type_codes=("neighbours", "neighbour_boundary"), area_path="/331022/331022001/331022001001/",
               type_department="SF", party_id_digests=frozenset({"P1", "P2"}), party_households=frozenset({"H-1"}))


def cand(i, **kw):
    base = {"id": i, "name": f"m{i}", "expertise": frozenset({"neighbour_boundary"}),
            "area_path": "/331022/331022001/", "area_level_depth": 1}
    base.update(kw)
    return mt.Candidate(**base)


def test_conflicts_of_interest_are_excluded_with_reasons():
    ranked, excluded = mt.rank([
        cand(1), cand(2, relative_digests=frozenset({"P2"})), cand(3, household_code="H-1"), cand(4, id_digest="P1"),
    ], CASE)
    assert [r.candidate.id for r in ranked] == [1]
    why = {e.candidate.id: [r.code for r in e.reasons] for e in excluded}
    assert why == {2: ["relative_of_party"], 3: ["same_household"], 4: ["is_party"]}


def test_failed_before_is_excluded():
    case = mt.Case(**{**CASE.__dict__, "failed_mediator_ids": frozenset({1})})
    ranked, excluded = mt.rank([cand(1), cand(2)], case)
    assert [r.candidate.id for r in ranked] == [2]
    assert excluded[0].reasons[0].code == "failed_before"


def test_workload_balance_prefers_the_less_busy():
    ranked, _ = mt.rank([cand(1, open_cases=6), cand(2, open_cases=1), cand(3, open_cases=8)], CASE)
    assert [r.candidate.id for r in ranked] == [2, 1, 3]
    assert ranked[-1].reasons[2].code == "at_capacity"


def test_expertise_place_and_record_each_count():
    exact_far = cand(1, area_path="/331022/331022105/", area_level_depth=1)
    parent_local = cand(2, expertise=frozenset({"neighbours"}), area_path="/331022/331022001/331022001001/",
                        area_level_depth=2)
    generalist_local = cand(3, expertise=frozenset(), area_path="/331022/331022001/331022001001/", area_level_depth=2)
    ranked, _ = mt.rank([exact_far, parent_local, generalist_local], CASE)
    # parent-type expertise on the spot > exact expertise far away > a local generalist
    assert [r.candidate.id for r in ranked] == [2, 1, 3]
    r = {x.candidate.id: x for x in ranked}
    assert r[2].parts["expertise"] == 0.7 and r[2].parts["place"] == 1.0
    assert r[1].parts["place"] == 0.0
    # A proven record lifts an otherwise equal candidate.
    ranked, _ = mt.rank([cand(1, succeeded=2, failed=3), cand(2, succeeded=30, failed=0)], CASE)
    assert ranked[0].candidate.id == 2
    assert ranked[0].score == pytest.approx(0.4 + 0.25 * 0.85 + 0.2 + 0.15 * 31 / 32, abs=1e-4)


def test_task_force_fills_gaps():
    pool = [cand(1), cand(2), cand(3, expertise=frozenset(), department_code="SF", kind="department_expert",
                                   area_path="/331022/", area_level_depth=0),
            cand(4, expertise=frozenset(), kind="lawyer", area_path="/331022/", area_level_depth=0)]
    team, _ = mt.task_force(pool, CASE, size=3)
    ids = [r.candidate.id for r in team]
    assert ids[0] == 1 and len(ids) == 3 and {3, 4} <= set(ids)
    assert any(x.code == "fills_gap" for x in team[1].reasons)
    assert len(mt.task_force(pool, CASE, size=9)[0]) == 4  # capped at 5, limited by the pool


@pytest.mark.django_db
def test_assign_refuses_conflicted_mediator(api, users, med, new_dispute, ids):
    from fengqiao.mediation import actions

    actions.declare_relative(med.wang, id_number=ids["respondent"], relation="sibling")
    d = new_dispute()
    desk = api(users.town_haiyou)
    m = desk.get(f"/api/v1/mediation/disputes/{d.pk}/match/").json()
    excluded = {e["mediator"]: e["reasons"][0]["code"] for e in m["excluded"]}
    assert excluded.get(med.wang.pk) == "relative_of_party"
    assert med.wang.pk not in [r["mediator"] for r in m["results"]]
    r = desk.post(f"/api/v1/mediation/disputes/{d.pk}/actions/", {"action": "assign", "mediators": [med.wang.pk]},
                  format="json")
    assert r.status_code == 409 and r.json()["error"] == "conflict_of_interest"
    # Same household as a party.
    actions.upsert_mediator(name="李调解", area=med.haiyou, organisation=med.town, expertise=["neighbour_boundary"],
                            household_code="H-001")
    m = desk.get(f"/api/v1/mediation/disputes/{d.pk}/match/").json()
    assert {e["mediator"]: e["reasons"][0]["code"] for e in m["excluded"]}.get(med.li.pk) == "same_household"


@pytest.mark.django_db
def test_workload_from_open_cases(api, users, med, new_dispute):
    from fengqiao.mediation import actions

    for _ in range(3):
        d = new_dispute()
        actions.act(d, "assign", by=users.town_haiyou, params={"mediators": [med.li.pk]})
    d = new_dispute()
    m = api(users.town_haiyou).get(f"/api/v1/mediation/disputes/{d.pk}/match/").json()
    li = next(r for r in m["results"] if r["mediator"] == med.li.pk)
    assert li["open_cases"] == 3 and li["parts"]["workload"] == pytest.approx(1 - 3 / 8)
    tf = api(users.town_haiyou).get(f"/api/v1/mediation/disputes/{d.pk}/match/", {"task_force": 1, "size": 3}).json()
    assert len(tf["results"]) == 3 and tf["results"][0]["role"] == "lead"
    r = api(users.town_haiyou).post(f"/api/v1/mediation/disputes/{d.pk}/actions/",
                                    {"action": "assign", "mediators": [x["mediator"] for x in tf["results"]]}, format="json")
    assert r.status_code == 200 and [a["role"] for a in r.json()["assignments"]] == ["lead", "member", "member"]
    assert r.json()["is_hard"] is True
