"""Users (one role, one home area and/or one department) and API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.areas.models import Area, Level, subtree_q
from fengqiao.core import crypto, roles
from fengqiao.core.fields import PersonalDataField, PersonalDigestField
from fengqiao.core.restrict import RestrictedQuerySet

# The area level each role's home node must have (None: any level, or none for global roles).
ROLE_AREA_LEVELS = {
    roles.COUNTY_OPERATOR: {Level.COUNTY},
    roles.TOWN_OPERATOR: {Level.TOWN},
    roles.VILLAGE_CADRE: {Level.VILLAGE},
    roles.GRID_WORKER: {Level.GRID, Level.MICROGRID},
    roles.LEADER: {Level.COUNTY, Level.TOWN},
}


class UserQuerySet(RestrictedQuerySet):
    pass


class FengqiaoUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    """A person using Fengqiao: 坐席, 网格员, 承办人, 调解员, 领导 …"""

    role = models.CharField(_("role"), max_length=24, choices=roles.ROLE_CHOICES, db_index=True)
    area = models.ForeignKey(Area, verbose_name=_("home area"), null=True, blank=True, on_delete=models.PROTECT, related_name="users")
    department = models.ForeignKey(
        "areas.Department", verbose_name=_("department"), null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    mobile = PersonalDataField(_("mobile phone"), kind="phone", blank=True)
    mobile_digest = PersonalDigestField(source="mobile")
    title = models.CharField(_("post"), max_length=60, blank=True)
    is_demo = models.BooleanField(_("demo account"), default=False)
    demo_password = models.CharField(max_length=60, blank=True, editable=False)

    objects = FengqiaoUserManager()

    ACCESS = {
        "view": roles.ALL_ROLES,
        "change": frozenset({roles.ADMIN}),
    }

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def set_password(self, raw_password):
        super().set_password(raw_password)
        self._password_reset = True

    def save(self, *args, **kwargs):
        # A new password (an administrator's reset, ``users``, ``changepassword``) ends the
        # user's API tokens, as Django's session check ends their sessions: a token must not
        # outlive the password it was issued under (ADR 0006).
        # Revoked before the row is saved, whose save clears the tokens this process remembers.
        if getattr(self, "_password_reset", False) and not self._state.adding:
            from .actions import revoke_tokens

            revoke_tokens(self, reason="password_reset")
        super().save(*args, **kwargs)
        self._password_reset = False

    def clean(self):
        super().clean()
        levels = ROLE_AREA_LEVELS.get(self.role)
        if levels and (self.area is None or self.area.level not in levels):
            raise ValidationError({"area": _("This role needs a home area of level: %(levels)s")
                                   % {"levels": ", ".join(sorted(str(lv) for lv in levels))}})
        if self.role == roles.DEPARTMENT_HANDLER and self.department_id is None:
            raise ValidationError({"department": _("A department handler needs a department.")})

    @classmethod
    def jurisdiction_q(cls, user, action):
        if user.role in roles.GLOBAL_ROLES:
            return None
        q = Q(pk=user.pk)
        if user.role in roles.OPERATORS | {roles.LEADER} and user.area_id:
            q |= subtree_q(user.area.path, "area__path")
        if user.department_id:
            q |= Q(department_id=user.department_id)
        return q

    @property
    def area_code(self) -> str | None:
        return self.area.code if self.area_id else None

    @property
    def can_unmask(self) -> bool:
        return self.role in roles.UNMASK_ROLES


def digest_key(key: str) -> str:
    """The stored form of an API token (SHA-256 hex); the key itself is never stored in clear."""
    return hashlib.sha256(key.encode("ascii", "replace")).hexdigest()


class ApiToken(models.Model):
    """API token (``Authorization: Token …``). Stored as a SHA-256 digest for look-up plus an
    encrypted copy so the command line can show it again; revocable; last use recorded."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=60, default="cli")
    digest = models.CharField(max_length=64, unique=True)
    encrypted = models.TextField(blank=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.user.username}:{self.prefix}…"

    @classmethod
    def issue(cls, user: User, name: str = "cli") -> tuple[ApiToken, str]:
        key = secrets.token_hex(20)
        token = cls.objects.create(user=user, name=name, digest=digest_key(key), encrypted=crypto.encrypt(key), prefix=key[:8])
        return token, key

    def reveal(self) -> str:
        return crypto.decrypt(self.encrypted)

    @classmethod
    def lookup(cls, key: str) -> ApiToken | None:
        if not key or len(key) > 128:
            return None
        try:
            key.encode("ascii")
        except UnicodeEncodeError:
            return None
        return cls.objects.select_related("user", "user__area", "user__department").filter(
            digest=digest_key(key), revoked_at__isnull=True
        ).first()
