"""``fengqiao createsuperuser``: an administrator account (role ``admin``).

Replaces Django's command of that name, which knows nothing of roles (it made a superuser with
an empty role, who could open the admin site but had no place in the product's roles and
jurisdictions) and, with ``--noinput``, took any password. This one creates the user through
the same action as ``users add --role admin``: role admin, the password rules checked, an audit
record. It never changes an existing user (use ``users add`` for that).
"""

import getpass
import os
import sys

from django.contrib.auth.management import get_default_username
from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS, connections

from fengqiao.accounts.actions import UNSET, save_user
from fengqiao.accounts.models import User
from fengqiao.core import context, roles
from fengqiao.core.cli import bilingual, command_error, from_user_error
from fengqiao.core.errors import UserError

#: wrong passwords allowed at the prompt before giving up
PASSWORD_TRIES = 3


class Command(BaseCommand):
    help = ("Create an administrator account (role admin; the password rules apply). Same as "
            "'users add USERNAME --role admin --password …', with a prompt for the password.")
    requires_migrations_checks = True
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("--username", help="the new administrator's user name")
        parser.add_argument("--email", help="e-mail address (optional)")
        parser.add_argument(
            "--noinput", "--no-input", action="store_false", dest="interactive",
            help="do not prompt: needs --username (or DJANGO_SUPERUSER_USERNAME) and the password in "
                 "DJANGO_SUPERUSER_PASSWORD; the e-mail may come from DJANGO_SUPERUSER_EMAIL",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, choices=tuple(connections),
                            help="the database to use (default: default)")

    def execute(self, *args, **options):
        self.stdin = options.get("stdin", sys.stdin)  # tests pass their own
        return super().execute(*args, **options)

    def handle(self, *args, username=None, email=None, interactive=True, database=DEFAULT_DB_ALIAS, **o):
        if database != DEFAULT_DB_ALIAS:
            raise command_error("只支持默认数据库", "only the default database is supported")
        username = username or os.environ.get("DJANGO_SUPERUSER_USERNAME") or ""
        email = email if email is not None else os.environ.get("DJANGO_SUPERUSER_EMAIL")
        if interactive:
            self.create_interactively(username, email)
            return
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD")
        if not username:
            raise command_error("--noinput 需要 --username 或环境变量 DJANGO_SUPERUSER_USERNAME",
                                "--noinput needs --username or DJANGO_SUPERUSER_USERNAME")
        if not password:
            raise command_error("--noinput 需要在环境变量 DJANGO_SUPERUSER_PASSWORD 中给出密码",
                                "--noinput needs the password in DJANGO_SUPERUSER_PASSWORD")
        self.create(username, password, email)

    def create(self, username: str, password: str, email: str | None) -> None:
        try:
            self.save(username, password, email)
        except UserError as exc:
            if exc.code == "user_exists":
                raise command_error(f"{exc.zh}(修改请用 users add)", f"{exc.en} (use 'users add' to change it)") from None
            raise from_user_error(exc) from None

    def save(self, username: str, password: str, email: str | None) -> None:
        with context.acting(None, channel="cli"):
            result = save_user(username=username, role=roles.ADMIN, password=password,
                               email=email if email else UNSET, must_create=True)
        self.stdout.write(f"已创建系统管理员 {result.user.username} / created administrator "
                          f"{result.user.username} (role admin)")

    def create_interactively(self, username: str, email: str | None) -> None:
        if not (hasattr(self.stdin, "isatty") and self.stdin.isatty()):
            raise command_error("不在终端中运行，无法输入密码: 请用 --noinput 并设置 DJANGO_SUPERUSER_PASSWORD",
                                "not running in a terminal, cannot prompt: use --noinput with DJANGO_SUPERUSER_PASSWORD")
        try:
            while not username:
                default = get_default_username(check_db=False) or ""
                answer = input(f"用户名 / Username [{default}]: " if default else "用户名 / Username: ").strip()
                username = answer or default
            if User.objects.filter(username=username).exists():
                raise command_error(f"用户已存在: {username}(修改请用 users add)",
                                    f"the user already exists: {username} (use 'users add' to change it)")
            if email is None:
                email = input("电子邮件(可留空) / Email (optional): ").strip()
            for attempt in range(1, PASSWORD_TRIES + 1):
                password = getpass.getpass("密码 / Password: ")
                again = getpass.getpass("再次输入密码 / Password (again): ")
                if password != again:
                    self.stderr.write("两次输入的密码不一致 / the passwords do not match")
                    continue
                try:
                    self.save(username, password, email)
                    return
                except UserError as exc:
                    if exc.code != "weak_password" or attempt == PASSWORD_TRIES:
                        raise from_user_error(exc) from None
                    self.stderr.write(bilingual(exc.zh, exc.en))
        except (KeyboardInterrupt, EOFError):
            self.stderr.write("")
            raise command_error("已取消", "cancelled") from None
        raise command_error("密码未确认，未创建用户", "the password was not confirmed; no user created")
