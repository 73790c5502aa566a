from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import CategoryLabel, KeywordRule, ModelVersion, PlaceName, RoutingRule, TriageResult


@admin.register(KeywordRule)
class KeywordRuleAdmin(admin.ModelAdmin):
    list_display = ["category", "keywords", "weight", "is_active", "note"]
    list_filter = ["is_active"]
    search_fields = ["category__name", "category__code", "note"]
    raw_id_fields = ["category"]


@admin.register(PlaceName)
class PlaceNameAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "area", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "area__name"]
    raw_id_fields = ["area"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "category", "area_level", "area", "target_level", "department", "priority",
                    "is_active"]
    list_filter = ["is_active", "area_level", "target_level"]
    search_fields = ["name", "category__name"]
    raw_id_fields = ["category", "area"]
    filter_horizontal = ["cohandlers"]


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ["kind", "version", "is_active", "created_at", "activated_at", "note"]
    list_filter = ["kind", "is_active"]
    readonly_fields = ["kind", "version", "file", "sha256", "labels", "training", "evaluation", "created_at",
                       "created_by", "is_active", "activated_at"]
    actions = ["activate"]

    @admin.action(description=_("Activate the selected model version"))
    def activate(self, request, queryset):
        from .actions import activate_version

        for mv in queryset[:1]:
            activate_version(mv, by=request.user)

    def has_add_permission(self, request):
        return False


@admin.register(CategoryLabel)
class CategoryLabelAdmin(admin.ModelAdmin):
    list_display = ["event", "category", "suggested", "source", "by", "at"]
    list_filter = ["source"]
    raw_id_fields = ["event", "category", "by"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TriageResult)
class TriageResultAdmin(admin.ModelAdmin):
    list_display = ["event", "classifier", "top_confidence", "area", "place_conflict", "route_source",
                    "needs_person", "auto_dispatched", "created_at"]
    list_filter = ["needs_person", "place_conflict", "route_source", "auto_dispatched"]
    raw_id_fields = ["event", "area", "text_area", "coordinate_area", "route_area", "route_department", "route_rule",
                     "model_version"]

    def has_change_permission(self, request, obj=None):
        return False
