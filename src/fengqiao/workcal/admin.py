"""Admin pages for the working calendar (工作日历), e.g. to enter next year's announcement."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models.functions import ExtractYear
from django.utils.translation import gettext_lazy as _

from fengqiao.core.errors import UserError

from . import actions
from .models import CalendarDay, CalendarYear

_WEEKDAYS = ("一", "二", "三", "四", "五", "六", "日")


class YearFilter(admin.SimpleListFilter):
    title = _("year")
    parameter_name = "year"

    def lookups(self, request, model_admin):
        years = (
            CalendarDay.objects.annotate(y=ExtractYear("date"))
            .values_list("y", flat=True)
            .distinct()
            .order_by("-y")
        )
        return [(str(y), str(y)) for y in years]

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(date__year=int(value))
        return queryset


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "weekday", "kind", "name", "source", "updated_by", "updated_at")
    list_filter = (YearFilter, "kind", "source")
    search_fields = ("name", "note")
    date_hierarchy = "date"
    ordering = ("-date",)
    fields = ("date", "kind", "name", "note", "source", "updated_by", "updated_at")
    readonly_fields = ("source", "updated_by", "updated_at")

    @admin.display(description=_("weekday"))
    def weekday(self, obj: CalendarDay) -> str:
        return f"{obj.date:%a} / 周{_WEEKDAYS[obj.date.weekday()]}"

    def get_readonly_fields(self, request, obj=None):
        # Changing the date of an entry would silently move it: remove and add instead.
        if obj is not None:
            return ("date", *self.readonly_fields)
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        saved = actions.set_day(obj.date, obj.kind, obj.name, obj.note, by=request.user)
        obj.pk = saved.pk
        obj.source = saved.source

    def delete_model(self, request, obj):
        try:
            actions.remove_day(obj.date, by=request.user)
        except UserError as exc:
            self.message_user(request, exc.message(), messages.WARNING)

    def delete_queryset(self, request, queryset):
        for day in list(queryset.values_list("date", flat=True)):
            actions.remove_day(day, by=request.user)


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ("year", "complete", "source", "holidays", "workdays", "updated_at")
    list_filter = ("complete", "source")
    search_fields = ("year", "note")
    fields = ("year", "complete", "note", "source", "updated_at")
    readonly_fields = ("source", "updated_at")
    actions_on_top = True
    actions = ["mark_complete", "mark_incomplete"]

    @admin.display(description=_("holidays"))
    def holidays(self, obj: CalendarYear) -> int:
        return CalendarDay.objects.filter(date__year=obj.year, kind="holiday").count()

    @admin.display(description=_("make-up working days"))
    def workdays(self, obj: CalendarYear) -> int:
        return CalendarDay.objects.filter(date__year=obj.year, kind="workday").count()

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return ("year", *self.readonly_fields)
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        saved = actions.mark_year_complete(obj.year, obj.complete, obj.note, by=request.user)
        obj.pk = saved.pk
        obj.source = saved.source

    @admin.action(description=_("Mark the announcement as entered"))
    def mark_complete(self, request, queryset):
        for year in list(queryset.values_list("year", flat=True)):
            actions.mark_year_complete(year, True, by=request.user)

    @admin.action(description=_("Mark the announcement as not entered"))
    def mark_incomplete(self, request, queryset):
        for year in list(queryset.values_list("year", flat=True)):
            actions.mark_year_complete(year, False, by=request.user)
