"""Shared test fixtures: the demo county is loaded once per test session, through the same
loader ``fengqiao demo load`` uses; each test runs in a transaction that is rolled back."""

from __future__ import annotations

from pathlib import Path

import pytest

# the checks the apps' tests share report their failing values, as a test module's own asserts do
pytest.register_assert_rewrite("fengqiao.core.tests.ui_strings", "fengqiao.core.tests.api_checks",
                               "fengqiao.core.tests.schema_runs")

SHARED_DATA = Path(__file__).resolve().parent.parent / "shared" / "data"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from fengqiao.demo.loader import load_demo

    with django_db_blocker.unblock():
        load_demo(history=False)


@pytest.fixture(autouse=True)
def _fresh_memos():
    """Per-process memos (tokens, centre staff, areas) must not carry rows of a rolled-back
    test into the next one."""
    from fengqiao.core.memo import clear_all

    clear_all()
    yield
    clear_all()


@pytest.fixture
def demo_county(db):
    """For tests with ``transaction=True`` (their flush empties the database): reload if needed."""
    from fengqiao.accounts.models import User
    from fengqiao.demo.loader import load_demo

    if not User.objects.filter(username="county_op").exists():
        load_demo(history=False)


@pytest.fixture
def users(db):
    from fengqiao.accounts.models import User

    class _Users:
        def __getattr__(self, name):
            return User.objects.select_related("area", "department").get(username=name)

    return _Users()


@pytest.fixture
def api():
    """A DRF test client factory: ``api(user)`` is authenticated with a real API token."""
    from rest_framework.test import APIClient

    from fengqiao.accounts.actions import token_for

    def make(user=None):
        client = APIClient()
        if user is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
        return client

    return make


@pytest.fixture
def shared_data():
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED_DATA
