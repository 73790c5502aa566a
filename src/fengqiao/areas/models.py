"""The area tree (县 → 乡镇/街道 → 村/社区 → 网格 → 微网格) and the county's departments."""

from __future__ import annotations

from django.db import connection, models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fengqiao.core import roles
from fengqiao.core.restrict import RestrictedQuerySet
from fengqiao.core.validators import Between, geojson_area, json_without_nul


class Level(models.TextChoices):
    COUNTY = "county", _("County/city/district")
    TOWN = "town", _("Town/street")
    VILLAGE = "village", _("Village/community")
    GRID = "grid", _("Grid")
    MICROGRID = "microgrid", _("Micro-grid")


LEVEL_ORDER = [Level.COUNTY, Level.TOWN, Level.VILLAGE, Level.GRID, Level.MICROGRID]
CHILD_LEVEL = dict(zip(LEVEL_ORDER[:-1], LEVEL_ORDER[1:], strict=True))
PATH_END = "~"  # sorts after every digit and "/": path >= p AND path < p + "~" is the subtree


def subtree_q(path: str, field: str = "path") -> Q:
    """Rows whose ``field`` lies in the subtree rooted at ``path``: one indexed scan.

    PostgreSQL: ``LIKE 'path%'`` served by the ``varchar_pattern_ops`` index Django creates
    for indexed CharFields (a range comparison would follow the locale's collation, which
    ignores "/"). SQLite: a byte-wise range, since its LIKE with ESCAPE cannot use an index.
    """
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__startswith": path})
    return Q(**{f"{field}__gte": path, f"{field}__lt": path + PATH_END})


class KeepsAreaPath:
    """For a model with an ``area`` and its copied ``area_path`` (what the subtree queries of
    ``restrict()`` read, one indexed range): the path follows the area on every save."""

    def save(self, *args, **kwargs):
        self.area_path = self.area.path
        super().save(*args, **kwargs)


class AreaQuerySet(RestrictedQuerySet):
    def subtree(self, area: Area):
        return self.filter(subtree_q(area.path))


class Area(models.Model):
    """One node of the area tree. ``path`` is the materialised path of codes, e.g.
    ``/331022/331022001/331022001001/``; a subtree is a range query on it."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100, db_index=True)
    level = models.CharField(_("level"), max_length=12, choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(_("path"), max_length=255, unique=True)
    depth = models.PositiveSmallIntegerField(_("depth"), default=0)
    aliases = models.JSONField(_("aliases"), default=list, blank=True, help_text=_("Old names, road and estate names"),
                               validators=[json_without_nul])
    boundary = models.JSONField(_("boundary (GeoJSON)"), null=True, blank=True,
                                validators=[json_without_nul, geojson_area])
    center_lng = models.FloatField(_("centre longitude"), null=True, blank=True, validators=[Between(-180, 180)])
    center_lat = models.FloatField(_("centre latitude"), null=True, blank=True, validators=[Between(-90, 90)])
    is_active = models.BooleanField(_("active"), default=True)

    objects = AreaQuerySet.as_manager()

    ACCESS = {"view": roles.WORKING_ROLES, "change": frozenset({roles.ADMIN})}

    class Meta:
        ordering = ["path"]
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        indexes = [models.Index(fields=["level", "path"], name="area_level_path_idx")]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def jurisdiction_q(cls, user, action):
        if user.role in roles.GLOBAL_ROLES:
            return None
        if user.area_id is None:
            return Q(pk__in=[])
        return subtree_q(user.area.path)

    @classmethod
    def in_view(cls, user, code: str) -> bool:
        """Whether ``code`` names an area the user sees (their subtree): what a list's area box
        may narrow to; another area's code is refused, never widened."""
        return cls.objects.restrict(user, "view").filter(code=code).exists()

    def ancestors(self):
        codes = [c for c in self.path.strip("/").split("/")[:-1] if c]
        return Area.objects.filter(code__in=codes).order_by("depth")

    def full_name(self) -> str:
        """The names from the root down, run together as Chinese addresses are; a name that
        repeats its parent's (心湖社区第1网格 under 心湖社区) adds only what follows it."""
        out, last = "", ""
        for name in [a.name for a in self.ancestors()] + [self.name]:
            out += name[len(last):] if last and name.startswith(last) and name != last else name
            last = name
        return out


class Department(models.Model):
    """职能部门: a functional department of the county (公安, 住建, 应急管理 …)."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    short_name = models.CharField(_("short name"), max_length=30, blank=True)
    county = models.ForeignKey(Area, verbose_name=_("county"), on_delete=models.PROTECT, related_name="departments")
    responsibilities = models.TextField(_("responsibilities"), blank=True)
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    feedback_required = models.BooleanField(_("feeds back to an outside channel"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    objects = RestrictedQuerySet.as_manager()

    ACCESS = {"view": roles.WORKING_ROLES, "change": frozenset({roles.ADMIN})}

    class Meta:
        ordering = ["code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def jurisdiction_q(cls, user, action):
        # Departments belong to a county; every user of that county may see them (to route to).
        if user.role in roles.GLOBAL_ROLES:
            return None
        if user.area_id is None:
            return Q(pk=user.department_id) if user.department_id else Q(pk__in=[])
        county_code = user.area.path.strip("/").split("/")[0]
        return Q(county__code=county_code)
