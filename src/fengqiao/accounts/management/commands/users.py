"""``fengqiao users [--json]`` lists users; ``fengqiao users add`` creates or updates one."""

import argparse
import json

from django.core.management.base import BaseCommand

from fengqiao.accounts.actions import UNSET, save_user
from fengqiao.accounts.models import ROLE_AREA_LEVELS, User
from fengqiao.areas.models import Area, Department
from fengqiao.core import context, roles
from fengqiao.core.cli import command_error, from_user_error
from fengqiao.core.errors import UserError

#: what clears --area or --department
CLEAR = "-"

#: the user's fields as the options name them, for the "updated …" line
_OPTION_NAMES = {"first_name": "name", "is_staff": None, "is_superuser": None, "demo_password": None,
                 "is_demo": "demo account"}


def _role_lines() -> str:
    lines = []
    for code, label in roles.ROLE_CHOICES:
        levels = ROLE_AREA_LEVELS.get(code)
        if levels:
            need = "--area of level " + " or ".join(sorted(str(lv) for lv in levels))
        elif code == roles.DEPARTMENT_HANDLER:
            need = "--department (and optionally --area)"
        else:
            need = "no area needed"
        lines.append(f"  {code:<20} {label}: {need}")
    return "\n".join(lines)


def _add_description() -> str:
    return f"""\
Create a user, or change an existing one. For an existing user only the options given are
changed; the others keep their value (--area {CLEAR} / --department {CLEAR} clear them). A new user
needs --role and --password. Passwords must pass the password rules (at least 10 characters,
not common, not all digits, not like the user's name). The result must suit the role:

roles:
{_role_lines()}

Prints "created", "updated" (with what changed) or "unchanged".
"""


class Command(BaseCommand):
    help = "List users (--json), or create/update one with 'users add'."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print a JSON list")
        sub = parser.add_subparsers(dest="sub", metavar="SUBCOMMAND")
        add = sub.add_parser("add", help="create or update a user", description=_add_description(),
                             formatter_class=argparse.RawDescriptionHelpFormatter)
        add.add_argument("username", metavar="USERNAME")
        valid = ", ".join(code for code, _label in roles.ROLE_CHOICES)
        add.add_argument("--role", metavar="ROLE", help=f"one of: {valid} (required for a new user)")
        add.add_argument("--password", metavar="PASSWORD", help="the password (required for a new user)")
        add.add_argument("--area", metavar="CODE", help=f"home area code; {CLEAR} clears it")
        add.add_argument("--department", metavar="CODE", help=f"department code, e.g. ZF; {CLEAR} clears it")
        add.add_argument("--name", metavar="NAME", help="full name shown in the console")
        add.add_argument("--title", metavar="POST", help="post (职务), e.g. 县社会治理中心坐席")
        add.add_argument("--email", metavar="EMAIL", help="e-mail address")

    def handle(self, *args, **o):
        if o.get("sub") == "add":
            return self.add(o)
        return self.list(o)

    def add(self, o):
        fields = {}
        if o.get("area") is not None:
            fields["area"] = self._lookup(Area, o["area"], "区域", "area")
        if o.get("department") is not None:
            fields["department"] = self._lookup(Department, o["department"], "部门", "department")
        for option, keyword in (("role", "role"), ("password", "password"), ("name", "full_name"),
                                ("title", "title"), ("email", "email")):
            fields[keyword] = o[option] if o.get(option) is not None else UNSET
        try:
            with context.acting(None, channel="cli"):
                result = save_user(username=o["username"], **fields)
        except UserError as exc:
            raise from_user_error(exc) from None
        u = result.user
        state = (f"role {u.role}, area {u.area.code if u.area_id else '-'}, "
                 f"department {u.department.code if u.department_id else '-'}")
        if result.created:
            self.stdout.write(f"created {u.username} ({state})")
        elif result.changed:
            names = [_OPTION_NAMES.get(c, c) for c in result.changed]
            self.stdout.write(f"updated {u.username}: {', '.join(n for n in names if n)} ({state})")
        else:
            self.stdout.write(f"unchanged {u.username} ({state})")

    @staticmethod
    def _lookup(model, code: str, what_zh: str, what_en: str):
        if code.strip() in {CLEAR, ""}:
            return None
        obj = model.objects.filter(code=code).first()
        if obj is None:
            raise command_error(f"{what_zh}不存在: {code}", f"no such {what_en}: {code}")
        return obj

    def list(self, o):
        rows = []
        for u in User.objects.select_related("area", "department").order_by("username"):
            row = {
                "username": u.username,
                "name": u.get_full_name(),
                "role": u.role,
                "area_code": u.area.code if u.area_id else None,
                "area_name": u.area.name if u.area_id else None,
                "department": u.department.code if u.department_id else None,
                "department_name": u.department.name if u.department_id else None,
                "is_active": u.is_active,
            }
            if u.is_demo:
                row["password"] = u.demo_password
            rows.append(row)
        if o["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
        else:
            for r in rows:
                self.stdout.write(f"{r['username']:<22} {r['role']:<20} {r['area_code'] or '-':<16} {r['department'] or '-':<10} {r.get('password', '')}")
