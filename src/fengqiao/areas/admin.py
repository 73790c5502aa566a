from django.contrib import admin

from .models import Area, Department


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent", "is_active"]
    list_filter = ["level", "is_active"]
    search_fields = ["code", "name"]
    readonly_fields = ["path", "depth"]
    raw_id_fields = ["parent"]
    list_select_related = ["parent"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "short_name", "county", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name", "short_name", "responsibilities"]
