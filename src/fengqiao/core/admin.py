"""Admin: the audit trail is read-only for everyone (auditors read it, nobody edits it)."""

from django.contrib import admin

from .models import AuditRecord


@admin.register(AuditRecord)
class AuditRecordAdmin(admin.ModelAdmin):
    list_display = ["seq", "at", "actor_username", "action", "object_type", "object_id", "object_repr", "ip"]
    list_filter = ["action", "object_type", "channel"]
    search_fields = ["actor_username", "object_id", "object_repr", "request_id"]
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditRecord._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return getattr(request.user, "role", None) == "auditor"  # the administrator configures; it does not audit

    def has_module_permission(self, request):
        return self.has_view_permission(request)
