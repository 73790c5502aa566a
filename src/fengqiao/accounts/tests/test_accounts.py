import json

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from fengqiao.accounts.actions import save_user, token_for
from fengqiao.accounts.models import ApiToken, User
from fengqiao.core.errors import UserError

pytestmark = pytest.mark.django_db


def test_every_domain_role_has_a_demo_user():
    from fengqiao.core.roles import ALL_ROLES

    assert set(User.objects.filter(is_demo=True).values_list("role", flat=True)) == set(ALL_ROLES)
    towns = User.objects.filter(role="town_operator").values_list("area__code", flat=True)
    assert len(set(towns)) >= 2


def test_users_json_command(capsys):
    call_command("users", "--json")
    rows = json.loads(capsys.readouterr().out)
    by_name = {r["username"]: r for r in rows}
    assert by_name["town_haiyou"]["role"] == "town_operator"
    assert by_name["town_haiyou"]["area_code"] == "331022001"
    assert by_name["dept_zhifa"]["department"] == "ZF"
    assert by_name["auditor"]["area_code"] is None
    assert by_name["county_op"]["password"] == "Fengqiao-2026"


def test_token_command_gives_a_working_token(capsys, client):
    call_command("token", "county_op")
    key = capsys.readouterr().out.strip()
    resp = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}")
    assert resp.status_code == 200 and resp.json()["username"] == "county_op"
    call_command("token", "county_op")
    assert capsys.readouterr().out.strip() == key  # the same active token, shown again


def test_tokens_are_stored_hashed(users):
    key = token_for(users.leader)
    token = ApiToken.objects.get(user=users.leader)
    assert key not in (token.digest, token.encrypted)
    token.revoked_at = token.created_at
    token.save()
    assert ApiToken.lookup(key) is None


def test_role_needs_the_right_home_area(users):
    from fengqiao.areas.models import Area

    village = Area.objects.get(code="331022001001")
    with pytest.raises(Exception, match="area"):
        save_user(username="bad_town_op", role="town_operator", password="x-long-password", area=village)
    with pytest.raises(UserError):
        save_user(username="bad_role", role="king", password="x-long-password")
    assert not User.objects.filter(username__in=["bad_town_op", "bad_role"]).exists()


def test_passwords_use_argon2_in_production_settings():
    from fengqiao.settings import base

    assert base.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert settings.SESSION_COOKIE_AGE <= 8 * 3600


def test_login_lockout_after_repeated_failures(client):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "cadre_xinhu", "password": "wrong-password"})
    resp = client.post("/accounts/login/", {"username": "cadre_xinhu", "password": "Fengqiao-2026"})
    assert resp.status_code == 429
    assert "_auth_user_id" not in client.session


def test_login_with_the_demo_password(client):
    page = client.get("/accounts/login/")
    assert page.status_code == 200 and b"csrfmiddlewaretoken" in page.content
    resp = client.post("/accounts/login/", {"username": "town_haiyou", "password": "Fengqiao-2026"})
    assert resp.status_code == 302
    home = client.get("/")
    assert home.status_code == 200 and "海游街道".encode() in home.content


def test_console_area_page_is_404_outside_jurisdiction(client, users):
    client.force_login(users.town_jiantiao)
    assert client.get("/areas/331022001001/").status_code == 404
    assert client.get("/areas/331022105001/").status_code == 200


def test_chinese_is_the_default_and_english_is_available(client):
    zh = client.get("/accounts/login/")
    assert "登录社会治理中心" in zh.content.decode()
    en = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Sign in to the social governance centre" in en.content.decode()


def test_a_revoked_token_or_deactivated_user_is_refused_at_once_in_this_process(users, client, settings):
    """Tokens are remembered per process for FENGQIAO_TOKEN_CACHE_SECONDS; a change made
    through the models in this process forgets them at once."""
    settings.FENGQIAO_TOKEN_CACHE_SECONDS = 300
    key = token_for(users.leader)
    auth = {"HTTP_AUTHORIZATION": f"Token {key}"}
    assert client.get("/api/v1/me/", **auth).status_code == 200
    assert client.get("/api/v1/me/", **auth).status_code == 200  # served from the memo
    token = ApiToken.objects.get(user=users.leader)
    token.revoked_at = token.created_at
    token.save()
    assert client.get("/api/v1/me/", **auth).status_code == 401
    key2 = token_for(users.leader, name="second")
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key2}").status_code == 200
    leader = users.leader
    leader.is_active = False
    leader.save()
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key2}").status_code == 401


def test_requests_do_not_share_user_objects(users, client):
    from django.test import RequestFactory

    from fengqiao.accounts.authentication import TokenAuthentication

    key = token_for(users.county_op)
    rf = RequestFactory()
    a = TokenAuthentication().authenticate(rf.get("/", HTTP_AUTHORIZATION=f"Token {key}"))
    b = TokenAuthentication().authenticate(rf.get("/", HTTP_AUTHORIZATION=f"Token {key}"))
    assert a[0] == b[0] and a[0] is not b[0]
    a[0].note = "set by one request"
    assert not hasattr(b[0], "note")
    # nor their caches: a prefetch or a related object set in one request stays in it
    from fengqiao.accounts.authentication import _clone

    cached = b[0]
    cached._prefetched_objects_cache = {"groups": ["from an earlier request"]}
    c = _clone(cached)
    c._prefetched_objects_cache["groups"] = ["this request"]
    c._prefetched_objects_cache["user_permissions"] = []
    assert cached._prefetched_objects_cache == {"groups": ["from an earlier request"]}
    c._state.fields_cache["only_here"] = None
    assert "only_here" not in cached._state.fields_cache


@pytest.mark.parametrize("how", ["save_user", "admin"])
def test_a_password_reset_ends_the_users_api_tokens(users, client, settings, how):
    """A reset password (a leaver, a leaked one) ends the user's API tokens as it ends their
    sessions; the revocation is in the audit trail. Keeping the same password changes nothing."""
    from fengqiao.core.models import AuditRecord

    settings.FENGQIAO_TOKEN_CACHE_SECONDS = 300
    key, other = token_for(users.dept_zhifa), token_for(users.dept_police)
    auth = {"HTTP_AUTHORIZATION": f"Token {key}"}
    assert client.get("/api/v1/me/", **auth).status_code == 200  # now remembered by this process
    save_user(username="dept_zhifa", password="Fengqiao-2026")  # the demo password again: unchanged
    assert client.get("/api/v1/me/", **auth).status_code == 200

    if how == "save_user":
        save_user(username="dept_zhifa", password="Another-Pass-2026!")
    else:
        admin = Client()
        admin.force_login(users.admin)
        pk = users.dept_zhifa.pk
        resp = admin.post(f"/admin/accounts/user/{pk}/password/",
                          {"password1": "Another-Pass-2026!", "password2": "Another-Pass-2026!"})
        assert resp.status_code == 302, resp.content.decode()[:2000]
    assert client.get("/api/v1/me/", **auth).status_code == 401
    assert not ApiToken.objects.filter(user=users.dept_zhifa, revoked_at__isnull=True).exists()
    rec = AuditRecord.objects.filter(action="revoke_tokens").order_by("-id").first()
    assert rec.object_id == str(users.dept_zhifa.pk) and rec.after == {"count": 1, "reason": "password_reset"}
    # another user's token is untouched, and a new token works
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {other}").status_code == 200
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token_for(users.dept_zhifa)}").status_code == 200
