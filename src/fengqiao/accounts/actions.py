"""Writes to accounts: create/update users, issue tokens."""

from __future__ import annotations

from django.db import transaction

from fengqiao.areas.models import Area, Department
from fengqiao.core import audit, context
from fengqiao.core.errors import UserError
from fengqiao.core.roles import ALL_ROLES

from .models import ApiToken, User


@transaction.atomic
def upsert_user(*, username: str, role: str, password: str, area: Area | None = None,
                department: Department | None = None, full_name: str = "", title: str = "",
                is_demo: bool = False, by=None) -> tuple[User, bool]:
    """Create a user, or bring an existing one in line (role, area, department). Idempotent."""
    if role not in ALL_ROLES:
        raise UserError("bad_role", f"未知角色: {role}", f"unknown role: {role}")
    with context.explicit_audit():
        user = User.objects.filter(username=username).first()
        created = user is None
        if created:
            user = User(username=username)
        before = None if created else audit.snapshot(user)
        user.role = role
        user.area = area
        user.department = department
        user.first_name = full_name
        user.title = title
        user.is_demo = is_demo
        user.is_staff = role == "admin"
        user.is_superuser = role == "admin"
        if is_demo:
            user.demo_password = password
        user.full_clean(exclude=["password"])
        if created or not user.check_password(password):
            user.set_password(password)
        user.save()
        after = audit.snapshot(user)
        if created or before != after:
            audit.record("create_user" if created else "update_user", user, before=before, after=after, actor=by)
    return user, created


@transaction.atomic
def token_for(user: User, *, name: str = "cli", by=None) -> str:
    """Return the user's active token of that name, issuing one if there is none."""
    token = ApiToken.objects.filter(user=user, name=name, revoked_at__isnull=True).order_by("-created_at").first()
    if token is not None:
        return token.reveal()
    with context.explicit_audit():
        token, key = ApiToken.issue(user, name)
        audit.record("issue_token", user, after={"token": token.prefix + "…", "name": name}, actor=by)
    return key
