"""``/api/v1/me/``: who the caller is and what it may see."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from fengqiao.core.roles import UNMASK_ROLES
from fengqiao.core.serializers import ModelSerializer

from .models import User


class MeSerializer(ModelSerializer):
    area_code = serializers.CharField(source="area.code", default=None, read_only=True, allow_null=True)
    area_name = serializers.CharField(source="area.name", default=None, read_only=True, allow_null=True)
    area_level = serializers.CharField(source="area.level", default=None, read_only=True, allow_null=True)
    department = serializers.CharField(source="department.code", default=None, read_only=True, allow_null=True)
    department_name = serializers.CharField(source="department.name", default=None, read_only=True, allow_null=True)
    role_label = serializers.CharField(source="get_role_display", read_only=True)
    can_unmask = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "first_name", "last_name", "role", "role_label", "area_code", "area_name",
                  "area_level", "department", "department_name", "title", "can_unmask"]

    def get_can_unmask(self, obj) -> bool:
        return obj.role in UNMASK_ROLES


class MeView(APIView):
    access_model = None

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.user).data)
