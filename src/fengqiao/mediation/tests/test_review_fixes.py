"""Regressions from the code review: ids from other jurisdictions, tampered form fields."""

import pytest

from fengqiao.core.errors import UserError
from fengqiao.mediation.actions._common import lock
from fengqiao.mediation.views import _id

pytestmark = pytest.mark.django_db


def test_form_ids_never_raise():
    assert _id("12") == 12
    assert _id("abc") == 0 and _id("²") == 0 and _id("") == 0 and _id(None) == 0
    assert _id("9" * 40) == 0


def test_tampered_version_is_a_user_error():
    with pytest.raises(UserError) as exc:
        lock(10**9, expected_version="x")
    assert exc.value.code == "invalid" and exc.value.status == 400
