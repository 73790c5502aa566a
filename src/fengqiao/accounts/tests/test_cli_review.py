"""``fengqiao users add``, ``token``, ``createsuperuser`` and ``audit tail`` from a review:
password rules, updates that touch only what was given, bilingual one-line errors."""

import json
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from fengqiao.accounts.actions import save_user
from fengqiao.accounts.models import ApiToken, User
from fengqiao.core.errors import UserError
from fengqiao.core.roles import ALL_ROLES

pytestmark = pytest.mark.django_db

PASSWORD = "Lantern-river-2031"


def run(*args, command="users") -> str:
    out = StringIO()
    call_command(command, *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def refused(*args, command="users") -> str:
    with pytest.raises(CommandError) as exc:
        run(*args, command=command)
    return one_bilingual_line(str(exc.value))


def one_bilingual_line(message: str) -> str:
    assert "\n" not in message and " / " in message, message
    zh, en = message.split(" / ", 1)
    assert re.search(r"[\u4e00-\u9fff]", zh) and re.search(r"[A-Za-z]{3}", en), message
    assert "{'" not in message and "['" not in message, message  # no Python dict or list
    return message


# ---------------------------------------------------------------------------- users add


@pytest.mark.parametrize("password", ["1", "x", "short-pw", "1234567890123", "password123"])
def test_users_add_refuses_weak_passwords(password):
    message = refused("add", "newcomer", "--role", "county_operator", "--area", "331022", "--password", password)
    assert "password" in message and "密码" in message
    assert not User.objects.filter(username="newcomer").exists()


def test_the_too_short_message_is_chinese_in_the_chinese_half():
    message = refused("add", "newcomer", "--role", "mediator", "--password", "Ab-3")
    assert "至少需要 10 个字符" in message and "at least 10 characters" in message


def test_save_user_checks_the_password_rules():
    with pytest.raises(UserError) as exc:
        save_user(username="weak", role="mediator", password="1")
    assert exc.value.code == "weak_password"


def test_rerunning_users_add_changes_only_what_was_given():
    out = run("add", "handler_a", "--role", "department_handler", "--department", "ZF", "--area", "331022",
              "--name", "韩梅", "--password", PASSWORD)
    assert out.startswith("created handler_a")
    out = run("add", "handler_a", "--role", "department_handler")
    assert out.startswith("unchanged handler_a")
    user = User.objects.get(username="handler_a")
    assert user.first_name == "韩梅" and user.department.code == "ZF" and user.check_password(PASSWORD)
    out = run("add", "handler_a", "--role", "county_operator")
    assert out.startswith("updated handler_a: role") and "department ZF" in out
    user.refresh_from_db()
    assert user.role == "county_operator" and user.department.code == "ZF" and user.first_name == "韩梅"
    out = run("add", "handler_a", "--department", "-")
    assert out.startswith("updated handler_a: department")
    user.refresh_from_db()
    assert user.department is None and user.area.code == "331022"


def test_unchanged_when_everything_given_is_already_so():
    run("add", "same_again", "--role", "mediator", "--name", "同一", "--password", PASSWORD)
    out = run("add", "same_again", "--role", "mediator", "--name", "同一", "--password", PASSWORD)
    assert out.startswith("unchanged same_again")
    assert save_user(username="same_again", role="mediator").changed == []


def test_a_role_the_area_does_not_suit_is_one_readable_line():
    run("add", "op_b", "--role", "county_operator", "--area", "331022", "--password", PASSWORD)
    message = refused("add", "op_b", "--role", "town_operator")
    assert "town" in message and "home area" in message and "所属区域" in message
    assert User.objects.get(username="op_b").role == "county_operator"
    message = refused("add", "op_b", "--role", "department_handler")
    assert "department" in message


def test_a_new_user_needs_role_and_password_and_a_known_role():
    refused("add", "nobody", "--role", "mediator")
    refused("add", "nobody", "--password", PASSWORD)
    message = refused("add", "nobody", "--role", "king", "--password", PASSWORD)
    assert all(role in message for role in ALL_ROLES)
    refused("add", "nobody", "--role", "county_operator", "--area", "999999", "--password", PASSWORD)
    assert not User.objects.filter(username="nobody").exists()


def test_a_new_password_for_a_demo_user_is_no_longer_listed():
    run("add", "county_op2", "--password", PASSWORD)
    rows = {r["username"]: r for r in json.loads(run("--json"))}
    assert "password" not in rows["county_op2"] and rows["county_op"]["password"] == "Fengqiao-2026"
    assert User.objects.get(username="county_op2").role == "county_operator"


def test_users_add_help_lists_the_roles(capsys):
    text = _help(capsys, "users", ["add", "--help"])
    assert all(role in text for role in ALL_ROLES)
    assert "--password" in text and "unchanged" in text and "10 characters" in text


# ---------------------------------------------------------------------------- token


def test_token_name_longer_than_the_field_is_refused(users):
    limit = ApiToken._meta.get_field("name").max_length
    message = refused("county_op", "--name", "n" * (limit + 1), command="token")
    assert str(limit) in message
    refused("county_op", "--name", " ", command="token")
    assert not ApiToken.objects.filter(user=users.county_op).exists()
    assert len(run("county_op", "--name", "n" * limit, command="token").strip()) == 40


# ---------------------------------------------------------------------------- createsuperuser


def _createsuperuser(monkeypatch, *args, password=None, **kwargs):
    from fengqiao.accounts.management.commands.createsuperuser import Command as CreateSuperuser

    if password is None:
        monkeypatch.delenv("DJANGO_SUPERUSER_PASSWORD", raising=False)
    else:
        monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", password)
    out = StringIO()
    call_command(CreateSuperuser(), *args, stdout=out, stderr=StringIO(), **kwargs)
    return out.getvalue()


def test_createsuperuser_makes_an_admin_and_checks_the_password(monkeypatch):
    with pytest.raises(CommandError) as exc:
        _createsuperuser(monkeypatch, "--noinput", "--username", "chief", password="x")
    one_bilingual_line(str(exc.value))
    assert not User.objects.filter(username="chief").exists()
    _createsuperuser(monkeypatch, "--noinput", "--username", "chief", "--email", "chief@example.org", password=PASSWORD)
    chief = User.objects.get(username="chief")
    assert chief.role == "admin" and chief.is_superuser and chief.is_staff and chief.check_password(PASSWORD)
    with pytest.raises(CommandError) as exc:  # never changes an existing user
        _createsuperuser(monkeypatch, "--noinput", "--username", "chief", password=PASSWORD + "!")
    assert "users add" in one_bilingual_line(str(exc.value))
    with pytest.raises(CommandError) as exc:
        _createsuperuser(monkeypatch, "--noinput", "--username", "chief2")
    assert "DJANGO_SUPERUSER_PASSWORD" in one_bilingual_line(str(exc.value))


def test_createsuperuser_prompts_again_after_a_weak_password(monkeypatch):
    answers = iter(["x", "x", PASSWORD, PASSWORD])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))

    class Tty(StringIO):
        def isatty(self):
            return True

    _createsuperuser(monkeypatch, "--username", "chief3", "--email", "", stdin=Tty())
    assert User.objects.get(username="chief3").role == "admin"


def test_fengqiao_createsuperuser_is_this_command():
    """fengqiao.accounts is listed before django.contrib.auth, so its command wins."""
    from django.core.management import get_commands

    assert get_commands()["createsuperuser"] == "fengqiao.accounts"


# ---------------------------------------------------------------------------- audit tail


@pytest.mark.parametrize("n", ["-5", "0", "x"])
def test_audit_tail_refuses_n_below_one(n):
    message = refused("tail", "-n", n, command="audit")
    assert "-n" in message


def test_audit_tail_prints_local_time_and_who_acted():
    from fengqiao.core import audit, context
    from fengqiao.core.models import AuditRecord

    with context.acting(None, channel="cli"):
        audit.record("review_probe", object_type="core.probe", object_id="1", object_repr="probe")
    rec = AuditRecord.objects.order_by("-id").first()
    line = run("tail", "-n", "1", command="audit").strip()
    local = timezone.localtime(rec.at)
    assert local.strftime("%Y-%m-%d %H:%M:%S") in line and local.strftime("%z")[:3] in line
    assert "+08:00" in line  # TIME_ZONE Asia/Shanghai
    assert "(command line)" in line and "review_probe" in line


def test_audit_tail_stops_quietly_on_a_broken_pipe():
    class ClosedPipe(StringIO):
        def write(self, text):
            raise BrokenPipeError

    call_command("audit", "tail", "-n", "3", stdout=ClosedPipe())


def _help(capsys, command: str, argv: list[str]) -> str:
    from django.core.management import get_commands, load_command_class

    parser = load_command_class(get_commands()[command], command).create_parser("fengqiao", command)
    with pytest.raises(SystemExit):
        parser.parse_args(argv)
    return capsys.readouterr().out
