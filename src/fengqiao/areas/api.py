"""``/api/v1/areas/`` and ``/api/v1/departments/``."""

from __future__ import annotations

import django_filters
from rest_framework import serializers

from fengqiao.core.filters import FilterSet
from fengqiao.core.serializers import ModelSerializer
from fengqiao.core.viewsets import RestrictedReadOnlyViewSet

from .models import Area, Department, Level


class AreaSerializer(ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Area
        fields = ["code", "name", "level", "parent", "path", "depth", "aliases", "center_lng", "center_lat", "is_active"]


class AreaDetailSerializer(AreaSerializer):
    class Meta(AreaSerializer.Meta):
        fields = [*AreaSerializer.Meta.fields, "boundary"]


class AreaFilter(FilterSet):
    parent = django_filters.CharFilter(field_name="parent__code", label="parent code")
    level = django_filters.ChoiceFilter(choices=Level.choices)
    code_prefix = django_filters.CharFilter(field_name="code", lookup_expr="startswith", label="code prefix")
    name = django_filters.CharFilter(field_name="name", lookup_expr="contains")
    within = django_filters.CharFilter(method="filter_within", label="subtree of this area code")

    class Meta:
        model = Area
        fields = ["parent", "level", "code_prefix", "name", "within"]

    def filter_within(self, queryset, name, value):
        root = Area.objects.filter(code=value).only("path").first()
        if root is None:
            return queryset.none()
        return queryset.subtree(root)


class AreaViewSet(RestrictedReadOnlyViewSet):
    """区域树: the caller's jurisdiction only. ``?parent=CODE&level=village&code_prefix=331022001``."""

    queryset = Area.objects.select_related("parent")
    lookup_field = "code"
    lookup_value_regex = r"[0-9A-Za-z_-]+"
    filterset_class = AreaFilter
    ordering_fields = ["code", "name", "path"]
    ordering = ["path"]

    def get_serializer_class(self):
        return AreaDetailSerializer if self.action == "retrieve" else AreaSerializer


class DepartmentSerializer(ModelSerializer):
    county = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Department
        fields = ["code", "name", "short_name", "county", "responsibilities", "keywords", "is_active"]


class DepartmentViewSet(RestrictedReadOnlyViewSet):
    """职能部门 of the caller's county."""

    queryset = Department.objects.select_related("county")
    lookup_field = "code"
    serializer_class = DepartmentSerializer
    filterset_fields = ["is_active"]
    ordering = ["code"]
