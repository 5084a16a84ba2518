"""Serializers of the departments API (read-only)."""

from rest_framework import serializers

from ..models import Department


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "name", "slug", "description", "is_default", "is_active"]
        read_only_fields = fields
