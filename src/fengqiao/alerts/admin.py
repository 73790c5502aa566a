"""Admin: the scan's rules (one row per signal, seeded by migrations 0002–0004: edited, never added
or deleted) and the escalation-language list (预警词, added and edited freely). Saves are audited
by the generic record. Alerts themselves have no admin page: they quote matters and name people
(a person's signature holds their keyed digest), which the admin may not read (DOMAIN.md), and
people change them only through the console or the API (``actions.act``)."""

from __future__ import annotations

from django.contrib import admin

from .models import RiskRule, RiskTerm


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
