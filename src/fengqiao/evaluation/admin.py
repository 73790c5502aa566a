"""Admin: the indicators' weights (指标权重). One row per scored indicator, seeded by migration
0002; they are changed here (the list edits them in place), never added or deleted (weight 0
leaves an indicator out of the score). Every change goes through ``actions.set_weight``, which
writes its audit record. Publications are not edited anywhere: they are frozen."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from fengqiao.core.errors import UserError

from . import actions
from .labels import DEFINITIONS
from .models import IndicatorWeight


@admin.register(IndicatorWeight)
class IndicatorWeightAdmin(admin.ModelAdmin):
    list_display = ("indicator", "code", "definition", "weight", "updated_by", "updated_at")
    list_display_links = ("indicator",)
    list_editable = ("weight",)
    fields = ("indicator", "code", "definition", "weight", "updated_by", "updated_at")
    readonly_fields = ("indicator", "code", "definition", "updated_by", "updated_at")

    @admin.display(description=_("indicator"))
    def indicator(self, obj: IndicatorWeight) -> str:
        return obj.label

    @admin.display(description=_("definition"))
    def definition(self, obj: IndicatorWeight) -> str:
        return str(DEFINITIONS.get(obj.code, ""))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        try:
            saved = actions.set_weight(obj.code, obj.weight, by=request.user)
        except UserError as exc:
            self.message_user(request, exc.message(), messages.ERROR)
            return
        obj.pk, obj.updated_at, obj.updated_by = saved.pk, saved.updated_at, saved.updated_by
