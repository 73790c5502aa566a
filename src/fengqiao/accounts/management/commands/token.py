from django.core.management.base import BaseCommand

from fengqiao.accounts.actions import token_for
from fengqiao.accounts.models import ApiToken, User
from fengqiao.core import context
from fengqiao.core.cli import command_error, from_user_error
from fengqiao.core.errors import UserError


class Command(BaseCommand):
    help = "Print a working API token for USERNAME (creates one if needed)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        limit = ApiToken._meta.get_field("name").max_length
        parser.add_argument("--name", default="cli",
                            help=f"token name, at most {limit} characters (one active token per name; default cli)")

    def handle(self, *args, username, name, **o):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise command_error(f"用户不存在: {username}", f"no such user: {username}")
        if not user.is_active:
            raise command_error(f"用户已停用: {username}", f"the user is inactive: {username}")
        try:
            with context.acting(None, channel="cli"):
                key = token_for(user, name=name)
        except UserError as exc:
            raise from_user_error(exc) from None
        self.stdout.write(key)
