from django.core.management.base import BaseCommand, CommandError

from fengqiao.accounts.actions import token_for
from fengqiao.accounts.models import User


class Command(BaseCommand):
    help = "Print a working API token for USERNAME (creates one if needed)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="cli", help="token name (one active token per name)")

    def handle(self, *args, username, name, **o):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"用户不存在: {username} (no such user)")
        if not user.is_active:
            raise CommandError(f"用户已停用: {username} (user is inactive)")
        self.stdout.write(token_for(user, name=name))
