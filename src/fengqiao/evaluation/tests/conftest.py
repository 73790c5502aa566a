"""Shared by the evaluation tests: the hand-built scenario with its disputes."""

from __future__ import annotations

import pytest

from . import scenario


@pytest.fixture
def built(users):
    """The scenario's matters (``scenario.build``) and disputes; a test file may override it."""
    s = scenario.build(users)
    scenario.disputes(users)
    return s
