"""The demo's population registry: every permit state, an over-crowded house, tenants counted,
and a second load adds nothing."""

from __future__ import annotations

import pytest
from django.utils import timezone

from fengqiao.core.fields import digest_for
from fengqiao.population.demo import HOUSES, PEOPLE, load_demo_population
from fengqiao.population.models import RentalHouse, Resident

pytestmark = pytest.mark.django_db


def test_the_demo_registry_shows_every_state(users):
    assert load_demo_population() == len(HOUSES)
    assert load_demo_population() == 0
    assert Resident.objects.filter(is_active=True).count() == len(PEOPLE)
    today = timezone.localdate()
    marks = {r.name: r.permit_mark(today) for r in Resident.objects.all()}
    assert marks["刘芳"] == "soon" and marks["杨丽"] == "expired" and marks["张伟"] == "missing"
    assert marks["王建军"] == "" and marks["赵强"] == "" and marks["陈国平"] == ""
    crowded = RentalHouse.objects.crowded().get()
    assert crowded.tenants_count == 3 and crowded.max_occupants == 2
    for house in RentalHouse.objects.all():
        assert house.tenants_count == house.residents.filter(is_active=True).count()
    # the grid worker reaches the tenants of the houses in their care
    assert Resident.objects.restrict(users.grid_xinhu1).filter(house__isnull=False).count() == 10
    foreign = Resident.objects.get(name_digest=digest_for("name", "阮文雄"))  # names are encrypted
    assert foreign.kind == "foreign" and foreign.id_number == ""
