"""Writes to accounts: create/update users, issue tokens."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from fengqiao.areas.models import Area, Department
from fengqiao.core import audit, context
from fengqiao.core.errors import UserError
from fengqiao.core.roles import ALL_ROLES, ROLE_CHOICES

from .models import ApiToken, User


class _Unset:
    """A keyword left out: the field keeps its current value (a new user: the default)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()

#: fields of the user a caller may set, and the keyword that sets them
_FIELDS = {"role": "role", "area": "area", "department": "department", "full_name": "first_name",
           "title": "title", "email": "email"}


@dataclass
class UserChange:
    user: User
    created: bool
    #: names of the fields that changed ("password" included); empty: nothing changed
    changed: list[str] = field(default_factory=list)


def _both_languages(check: Callable[[], None]) -> tuple[list[str], list[str]] | None:
    """Run ``check`` (which raises ValidationError) in Chinese and in English; ``None`` when it
    passes, else its messages in each language, each prefixed with its field's name."""
    out: list[list[str]] = []
    for lang in ("zh-hans", "en"):
        with translation.override(lang):
            try:
                check()
            except ValidationError as exc:
                out.append(_messages(exc))
            else:
                return None
    return out[0], out[1]


#: Chinese for validator messages Django's own catalogue lacks (its zh_Hans file still has the
#: older wording of the minimum-length message, so the Chinese line would be in English)
_ZH_FALLBACK = {"password_too_short": "密码太短，至少需要 %(min_length)d 个字符。"}


def _messages(exc: ValidationError) -> list[str]:
    if not hasattr(exc, "error_dict"):
        zh = translation.get_language().startswith("zh")
        out = []
        for error in exc.error_list:
            if zh and error.code in _ZH_FALLBACK and error.params:
                out.append(_ZH_FALLBACK[error.code] % error.params)
            else:
                out += list(error.messages)
        return out
    lines = []
    for name, errors in exc.message_dict.items():
        try:
            label = str(User._meta.get_field(name).verbose_name)
        except Exception:  # NON_FIELD_ERRORS or a name that is not a field
            label = ""
        lines += [f"{label}: {m}" if label else str(m) for m in errors]
    return lines


def _refuse(code: str, zh_prefix: str, en_prefix: str, messages: tuple[list[str], list[str]]) -> UserError:
    zh, en = messages
    zh_text = "；".join(m.rstrip("。") for m in zh)
    en_text = "; ".join(m.rstrip(".") for m in en)
    return UserError(code, f"{zh_prefix}: {zh_text}", f"{en_prefix}: {en_text}")


def check_role(role: str) -> None:
    if role not in ALL_ROLES:
        valid = ", ".join(code for code, _label in ROLE_CHOICES)
        raise UserError("bad_role", f"未知角色: {role}(可用: {valid})", f"unknown role: {role} (valid: {valid})",
                        field="role")


@transaction.atomic
def save_user(*, username: str, role: str = UNSET, password: str = UNSET, area: Area | None = UNSET,
              department: Department | None = UNSET, full_name: str = UNSET, title: str = UNSET,
              email: str = UNSET, is_demo: bool = UNSET, must_create: bool = False, by=None) -> UserChange:
    """Create a user, or change the fields given of an existing one (those left out keep their
    value). A new user needs a role and a password.

    The result must pass the model's validation (a role's home area level, a department
    handler's department …), and a new password Django's password validators
    (``AUTH_PASSWORD_VALIDATORS``); both are refused with a :class:`UserError` naming the
    problems in Chinese and English, and nothing is written. ``is_demo=True`` keeps the password
    in clear for the demo listing; a password set without it makes the account an ordinary one.
    """
    if role is not UNSET:
        check_role(role)
    with context.explicit_audit():
        user = User.objects.select_for_update().filter(username=username).first()
        created = user is None
        if created:
            if role is UNSET or password is UNSET:
                raise UserError("incomplete_user", f"新用户需要角色和密码: {username}",
                                f"a new user needs a role and a password: {username}")
            user = User(username=username)
        elif must_create:
            raise UserError("user_exists", f"用户已存在: {username}", f"the user already exists: {username}",
                            status=409, field="username")
        before = None if created else audit.snapshot(user)
        given = {"role": role, "area": area, "department": department, "full_name": full_name, "title": title,
                 "email": email}
        for key, value in given.items():
            if value is not UNSET:
                if value is None and key not in {"area", "department"}:
                    value = ""
                setattr(user, _FIELDS[key], value)
        if role is not UNSET:
            user.is_staff = user.is_superuser = role == "admin"
        if is_demo is not UNSET:
            user.is_demo = is_demo
        problems = _both_languages(lambda: user.full_clean(exclude=["password"]))
        if problems:
            raise _refuse("invalid_user", f"用户数据无效，未保存 {username}", f"invalid user, not saved {username}",
                          problems)
        new_password = password is not UNSET and (created or not user.check_password(password))
        if new_password:
            problems = _both_languages(lambda: validate_password(password, user))
            if problems:
                raise _refuse("weak_password", "密码不符合要求，未保存", "password refused, not saved", problems)
            user.set_password(password)
            if is_demo is not True:
                user.is_demo = False  # a password chosen outside the demo loader is never shown in clear
        if user.is_demo and password is not UNSET:
            user.demo_password = password
        elif not user.is_demo:
            user.demo_password = ""
        pending = audit.snapshot(user)
        changed = sorted(k for k in pending if before is None or before.get(k) != pending.get(k))
        if new_password:
            changed.append("password")
        if created or changed:
            try:
                with transaction.atomic():
                    user.save()
            except IntegrityError as exc:  # created by someone else in the meantime
                raise UserError("user_exists", f"用户已存在: {username}", f"the user already exists: {username}",
                                status=409, field="username") from exc
            after = audit.snapshot(user)
            if new_password and not created:
                after = {**after, "password": "changed"}
            audit.record("create_user" if created else "update_user", user, before=before, after=after, actor=by)
    return UserChange(user=user, created=created, changed=[] if created else changed)


def check_token_name(name: str) -> None:
    limit = ApiToken._meta.get_field("name").max_length
    if not name or not name.strip():
        raise UserError("bad_token_name", "令牌名称不能为空", "the token name cannot be empty", field="name")
    if len(name) > limit:
        raise UserError("bad_token_name", f"令牌名称过长: {len(name)} 个字符(最多 {limit})",
                        f"the token name is too long: {len(name)} characters (at most {limit})", field="name")


@transaction.atomic
def revoke_tokens(user: User, *, reason: str, by=None) -> int:
    """Revoke every active API token of ``user``; audited (``revoke_tokens``) when there were any."""
    with context.explicit_audit():
        n = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
        if n:
            audit.record("revoke_tokens", user, after={"count": n, "reason": reason}, actor=by)
    return n


@transaction.atomic
def token_for(user: User, *, name: str = "cli", by=None) -> str:
    """Return the user's active token of that name, issuing one if there is none."""
    check_token_name(name)
    token = ApiToken.objects.filter(user=user, name=name, revoked_at__isnull=True).order_by("-created_at").first()
    if token is not None:
        return token.reveal()
    with context.explicit_audit():
        token, key = ApiToken.issue(user, name)
        audit.record("issue_token", user, after={"token": token.prefix + "…", "name": name}, actor=by)
    return key
