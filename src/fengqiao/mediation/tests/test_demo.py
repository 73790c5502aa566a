"""The generated demo history: realistic mix, consistent timelines, idempotent."""

from __future__ import annotations

import datetime as dt

import pytest

pytestmark = pytest.mark.django_db


def test_demo_history(users):
    from fengqiao.mediation.demo import load_demo_mediation
    from fengqiao.mediation.models import Dispute, Mediator, Organisation, TimelineEntry

    day = dt.date(2026, 6, 30)
    if not Dispute.objects.filter(is_demo=True).exists():  # the project's demo loader may have run already
        assert load_demo_mediation(cases=160, today=day)["cases"] == 160
    n = Dispute.objects.filter(is_demo=True).count()
    assert Organisation.objects.filter(name="老蔡调解工作室", area__code="331022001").exists()
    assert Mediator.objects.count() >= 20 and Mediator.objects.filter(in_expert_pool=True).count() >= 5
    assert Mediator.objects.get(name="蔡文").user == users.mediator
    again = load_demo_mediation(cases=160, today=day)
    assert again["cases"] == 0 and Dispute.objects.filter(is_demo=True).count() == n
    from fengqiao.mediation import kpi, stats

    figures = kpi.summarise(stats.rows(Dispute.objects.filter(is_demo=True))[0])
    assert figures["screened"] == n and figures["success_rate"] >= 0.93
    assert figures["succeeded"] > 0.8 * n
    # Timelines are in order and end in the dispute's state.
    for d in Dispute.objects.filter(is_demo=True)[:60]:
        entries = list(TimelineEntry.objects.filter(dispute=d).order_by("at", "id"))
        assert entries[0].action == "register"
        states = [e.to_state for e in entries if e.to_state]
        assert states[-1] == d.state, d.number
        assert [e.at for e in entries] == sorted(e.at for e in entries)

