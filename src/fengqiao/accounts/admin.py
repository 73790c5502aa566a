from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import ApiToken, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "first_name", "role", "area", "department", "is_active", "last_login"]
    list_filter = ["role", "is_active", "is_demo"]
    search_fields = ["username", "first_name", "area__name", "department__name"]
    raw_id_fields = ["area"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        ("Fengqiao", {"fields": ["role", "area", "department", "title"]}),
    ]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["user", "name", "prefix", "digest", "created_at", "last_used_at"]
    exclude = ["encrypted"]

    def has_add_permission(self, request):
        return False
