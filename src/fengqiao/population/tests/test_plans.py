"""A county's resident list counts its hundreds of thousands of entries from one covering index,
not from the rows with their encrypted fields (SQLite's plans; PostgreSQL chooses by its
statistics, which a test database does not have). ``benchmarks/population.py`` measures it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fengqiao.population import views
from fengqiao.population.models import Resident

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query plans"),
]


def _plans(run) -> list[str]:
    """The plan of each query ``run`` makes on the resident table."""
    with CaptureQueriesContext(connection) as ctx:
        run()
    plans = []
    with connection.cursor() as cur:
        for q in ctx.captured_queries:
            if "population_resident" in q["sql"]:
                cur.execute(f"EXPLAIN QUERY PLAN {q['sql']}")
                plans.append("\n".join(str(row[-1]) for row in cur.fetchall()))
    return plans


@pytest.mark.parametrize("who", ["county_op", "town_haiyou", "cadre_xinhu"])
def test_the_counts_of_an_area_read_the_covering_index(users, who):
    user = getattr(users, who)
    today = views._today()
    plans = _plans(lambda: (views._resident_counts(user, today),
                            Resident.objects.restrict(user, "view").filter(is_active=True).count()))
    assert len(plans) == 2
    for plan in plans:
        assert "COVERING INDEX resident_registry_idx" in plan, plan


def test_the_first_page_is_read_in_index_order(users):
    """The list's order (place, then id) is an index's: the first page reads 30 entries, with no
    sort of the whole area."""
    qs = Resident.objects.restrict(users.county_op, "view").filter(is_active=True).order_by("area_path", "id")
    plan = _plans(lambda: list(qs[:30]))[0]
    assert "USE TEMP B-TREE" not in plan, plan
