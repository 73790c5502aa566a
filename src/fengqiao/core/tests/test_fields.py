import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from fengqiao.accounts.models import User
from fengqiao.core.fields import PersonalDataField, digest_for

pytestmark = pytest.mark.django_db


def test_phone_is_encrypted_at_rest_and_round_trips(users):
    u = users.county_op
    u.mobile = "+86 138 1234 5678"
    u.save()
    with connection.cursor() as cur:
        cur.execute("SELECT mobile, mobile_digest FROM accounts_user WHERE id = %s", [u.pk])
        raw, digest = cur.fetchone()
    assert "13812345678" not in raw and raw.startswith("gAAAA")  # a Fernet token
    assert digest == digest_for("phone", "13812345678")
    assert User.objects.get(pk=u.pk).mobile == "13812345678"


def test_exact_lookup_through_the_digest(users):
    u = users.town_haiyou
    u.mobile = "13900001111"
    u.save()
    found = User.objects.filter(mobile_digest=digest_for("phone", "139 0000 1111"))
    assert list(found) == [u]
    assert not User.objects.filter(mobile_digest=digest_for("phone", "13900001112")).exists()


def test_same_value_encrypts_differently_but_digests_equally(users):
    a, b = users.county_op, users.county_op2
    for u in (a, b):
        u.mobile = "13700001234"
        u.save()
    with connection.cursor() as cur:
        cur.execute("SELECT mobile FROM accounts_user WHERE id IN (%s, %s)", [a.pk, b.pk])
        c1, c2 = (r[0] for r in cur.fetchall())
    assert c1 != c2
    assert User.objects.filter(mobile_digest=digest_for("phone", "13700001234")).count() == 2


def test_invalid_value_is_a_validation_error():
    field = PersonalDataField(kind="id_number")
    with pytest.raises(ValidationError):
        field.clean("110105194912310021", None)
    assert field.clean("11010519491231002x", None) == "11010519491231002X"
    assert field.mask("11010519491231002X") == "110105********002X"
