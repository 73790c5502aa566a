from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from .models import (
    CategoryLabel,
    KeywordRule,
    ModelActivation,
    ModelVersion,
    PlaceName,
    RoutingRule,
    TriageResult,
)


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


def _replaced(activation: ModelActivation | None) -> str:
    """What an activation replaced: ``v3`` or the keyword rules."""
    if activation is None:
        return "-"
    previous = activation.previous
    return f"v{previous.version.version}" if previous is not None else str(_("keyword rules"))


class _ReadOnly:
    """The activation history is written by the activate and rollback actions only."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ModelActivationInline(_ReadOnly, admin.TabularInline):
    model = ModelActivation
    fk_name = "version"
    fields = readonly_fields = ["at", "by", "replaced", "undone_at", "undone_by", "source"]
    ordering = ["-id"]
    extra = 0
    verbose_name_plural = _("activations of this version")

    @admin.display(description=_("replaced"))
    def replaced(self, obj):
        return _replaced(obj)


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ["kind", "version", "is_active", "created_at", "activated_at", "replaced", "note"]
    list_filter = ["kind", "is_active"]
    readonly_fields = ["kind", "version", "file", "file_status", "sha256", "labels", "parameters", "training",
                       "evaluation", "created_at", "created_by", "is_active", "activated_at", "replaced"]
    inlines = [ModelActivationInline]
    actions = ["activate", "roll_back"]

    @admin.display(description=_("replaced"))
    def replaced(self, obj):
        """What this version replaced when it was last activated (from the activation history)."""
        last = (ModelActivation.objects.filter(version=obj).select_related("previous__version")
                .order_by("-id").first())
        return _replaced(last)

    @admin.display(description=_("parameters"))
    def parameters(self, obj):
        from .service import describe_params

        return describe_params(obj.params)

    @admin.display(description=_("file status"))
    def file_status(self, obj):
        """Present and the registered sha256 (not loaded: that is checked on activation)."""
        from fengqiao.core.errors import UserError

        from .service import verify_file

        try:
            verify_file(obj)
        except UserError as exc:
            return exc.message()
        return _("present, checksum as registered")

    @admin.action(description=_("Activate the selected model version"), permissions=["change"])
    def activate(self, request, queryset):
        from fengqiao.core.errors import UserError

        from .actions import activate_version, unmatched_labels

        selected = list(queryset[:2])
        if len(selected) != 1:
            self.message_user(request, _("Select exactly one model version to activate."), messages.ERROR)
            return
        mv = selected[0]
        try:
            activate_version(mv, by=request.user)
        except UserError as exc:
            self.message_user(request, _("Model version v%(version)s was not activated: %(error)s")
                              % {"version": mv.version, "error": exc.message()}, messages.ERROR)
            return
        self.message_user(request, _("Model version v%(version)s is now active.") % {"version": mv.version},
                          messages.SUCCESS)
        unmatched = unmatched_labels(mv.labels)
        if unmatched:
            self.message_user(request, _("These labels of the model match no active category and will never be "
                                         "suggested: %(labels)s") % {"labels": "、".join(unmatched)},
                              messages.WARNING)

    @admin.action(description=_("Roll back the active model version (undo its activation)"), permissions=["change"])
    def roll_back(self, request, queryset):
        """回退 from the admin, as `fengqiao triage rollback`: the active version is selected, so
        the admin says which activation is undone."""
        from fengqiao.core.errors import UserError

        from .actions import rollback

        selected = list(queryset[:2])
        if len(selected) != 1 or not selected[0].is_active:
            self.message_user(request, _("Select the active model version to roll back."), messages.ERROR)
            return
        try:
            back_to = rollback(kind=selected[0].kind, by=request.user)
        except UserError as exc:
            self.message_user(request, _("Nothing was rolled back: %(error)s") % {"error": exc.message()},
                              messages.ERROR)
            return
        if back_to is None:
            self.message_user(request, _("Rolled back: the keyword rules classify now."), messages.SUCCESS)
        else:
            self.message_user(request, _("Rolled back: model version v%(version)s is active now.")
                              % {"version": back_to.version}, messages.SUCCESS)

    def has_add_permission(self, request):
        return False


@admin.register(ModelActivation)
class ModelActivationAdmin(_ReadOnly, admin.ModelAdmin):
    """模型启用记录, read-only: newest first; a rollback undoes the newest one in effect."""

    list_display = ["id", "kind", "version", "at", "by", "replaced", "state", "undone_at", "undone_by", "source"]
    list_filter = ["kind", "source"]
    list_select_related = ["version", "by", "undone_by", "previous__version"]
    fields = readonly_fields = ["kind", "version", "at", "by", "previous", "replaced", "state", "undone_at",
                                "undone_by", "source"]
    ordering = ["-id"]

    @admin.display(description=_("replaced"))
    def replaced(self, obj):
        return _replaced(obj)

    @admin.display(description=_("state"))
    def state(self, obj):
        if obj.undone_at is not None:
            return _("rolled back")
        from .actions import in_effect

        top = in_effect(obj.kind)
        if top is not None and top.pk == obj.pk:
            return _("in effect: a rollback undoes this one")
        return _("earlier: a rollback returns here in turn")


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
