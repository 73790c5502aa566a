"""Admin: the scan's rules (one row per signal, seeded by migration 0002: edited, never added or
deleted) and the escalation-language list (预警词, added and edited freely). Saves are audited by
the generic record. Alerts themselves are read-only here: people change them only through the
console or the API (``actions.act``), so every step has its timeline entry."""

from __future__ import annotations

from django.contrib import admin

from .models import AlertEntry, RiskAlert, RiskRule, RiskTerm


@admin.register(RiskRule)
class RiskRuleAdmin(admin.ModelAdmin):
    list_display = ("kind", "enabled", "window_days", "threshold", "level", "note")
    list_editable = ("enabled", "window_days", "threshold", "level")
    fields = ("kind", "enabled", "window_days", "threshold", "level", "note")
    readonly_fields = ("kind",)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RiskTerm)
class RiskTermAdmin(admin.ModelAdmin):
    list_display = ("phrase", "kind", "level", "is_active", "note")
    list_editable = ("kind", "level", "is_active")
    list_filter = ("kind", "level", "is_active")
    search_fields = ("phrase", "note")


class AlertEntryInline(admin.TabularInline):
    model = AlertEntry
    extra = 0
    can_delete = False
    fields = ("at", "actor_name", "action", "from_state", "to_state", "text")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(RiskAlert)
class RiskAlertAdmin(admin.ModelAdmin):
    list_display = ("number", "level", "kind", "state", "title", "area", "matter_count", "raised_at")
    list_filter = ("state", "level", "kind")
    search_fields = ("number", "title")
    inlines = [AlertEntryInline]
    exclude = ("matters",)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.concrete_fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False
