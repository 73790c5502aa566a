"""Admin pages for configuring matters: the category tree and the time-limit policies.

Matters themselves are not edited here: every change to a matter goes through its actions
(console or API) so that the timeline and the audit trail stay complete.
"""

from django.contrib import admin

from .models import Category, Outbox, SlaPolicy


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "parent", "depth", "default_department", "is_active"]
    list_filter = ["depth", "is_active"]
    search_fields = ["code", "name", "description"]
    readonly_fields = ["path", "depth"]
    raw_id_fields = ["parent"]
    ordering = ["path"]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "channel", "category", "urgency", "sign_amount", "sign_unit", "handle_amount",
                    "handle_unit", "is_active"]
    list_filter = ["channel", "urgency", "is_active"]
    search_fields = ["name"]
    raw_id_fields = ["category"]


@admin.register(Outbox)
class OutboxAdmin(admin.ModelAdmin):
    list_display = ["id", "status", "attempts", "next_attempt_at"]
    list_filter = ["status"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
