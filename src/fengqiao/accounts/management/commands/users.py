import json

from django.core.management.base import BaseCommand, CommandError

from fengqiao.accounts.actions import upsert_user
from fengqiao.accounts.models import User
from fengqiao.areas.models import Area, Department
from fengqiao.core.errors import UserError


class Command(BaseCommand):
    help = "List users (--json), or add/update one with 'users add'."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print a JSON list")
        sub = parser.add_subparsers(dest="sub")
        add = sub.add_parser("add", help="create or update a user")
        add.add_argument("username")
        add.add_argument("--role", required=True)
        add.add_argument("--password", required=True)
        add.add_argument("--area", help="home area code")
        add.add_argument("--department", help="department code")
        add.add_argument("--name", default="")

    def handle(self, *args, **o):
        if o.get("sub") == "add":
            area = dept = None
            if o.get("area"):
                area = Area.objects.filter(code=o["area"]).first()
                if area is None:
                    raise CommandError(f"区域不存在: {o['area']} (no such area)")
            if o.get("department"):
                dept = Department.objects.filter(code=o["department"]).first()
                if dept is None:
                    raise CommandError(f"部门不存在: {o['department']} (no such department)")
            try:
                user, created = upsert_user(username=o["username"], role=o["role"], password=o["password"],
                                            area=area, department=dept, full_name=o["name"])
            except UserError as exc:
                raise CommandError(str(exc)) from exc
            except Exception as exc:  # ValidationError from full_clean
                raise CommandError(f"用户数据无效 (invalid user): {exc}") from exc
            self.stdout.write(f"{'created' if created else 'updated'} {user.username}")
            return
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
