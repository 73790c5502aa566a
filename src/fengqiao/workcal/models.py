"""Working-calendar tables (工作日历): special days and which years' announcements are entered."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from fengqiao.core.validators import calendar_year


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("holiday (day off)")  # 放假
    WORKDAY = "workday", _("make-up working day")  # 调休上班


class Source(models.TextChoices):
    SEED = "seed", _("seeded from the chinese-calendar package")
    MANUAL = "manual", _("entered by hand")


class CalendarDay(models.Model):
    """A special day (节假日/调休日): a holiday that is off, or a weekend day that is worked.

    Days that are not listed follow the weekday rule (Monday–Friday working).
    """

    date = models.DateField(_("date"), unique=True, validators=[calendar_year])
    kind = models.CharField(_("kind"), max_length=16, choices=DayKind.choices)
    name = models.CharField(_("name"), max_length=64, blank=True, help_text=_("e.g. National Day"))
    source = models.CharField(
        _("source"), max_length=16, choices=Source.choices, default=Source.MANUAL
    )
    note = models.TextField(_("note"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.CharField(_("updated by"), max_length=150, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.kind} {self.name}".strip()


class CalendarYear(models.Model):
    """A year of the working calendar (年度节假日安排).

    ``complete`` means the year's official announcement is fully entered; for other years the
    calendar falls back to Monday–Friday (plus any days entered) and warns.
    """

    year = models.PositiveSmallIntegerField(_("year"), unique=True, validators=[calendar_year])
    source = models.CharField(
        _("source"), max_length=16, choices=Source.choices, default=Source.MANUAL
    )
    complete = models.BooleanField(
        _("announcement entered"),
        default=False,
        help_text=_("The official holiday arrangement of this year is completely entered."),
    )
    note = models.TextField(_("note"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")

    def __str__(self) -> str:
        return str(self.year)
