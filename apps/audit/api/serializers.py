"""The JSON of an audit entry (read-only: the API writes no entry)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.common.api.schema import JSON_VALUE_SCHEMA

from ..models import AuditEntry

CHANGES_SCHEMA = {
    "type": "object",
    "additionalProperties": {"type": "array", "items": JSON_VALUE_SCHEMA, "minItems": 2, "maxItems": 2},
}


@extend_schema_field(CHANGES_SCHEMA)
class ChangesField(serializers.JSONField):
    """{field: [before, after]} as stored."""


class AuditEntrySerializer(serializers.ModelSerializer):
    object_type = serializers.SerializerMethodField(help_text='The object\'s type, "app_label.model".')
    changes = ChangesField(
        read_only=True, help_text="{field: [before, after]}; secrets are replaced by a mask, never shown."
    )

    class Meta:
        model = AuditEntry
        fields = (
            "id",
            "created_at",
            "actor",
            "actor_label",
            "address",
            "action",
            "object_type",
            "object_id",
            "object_label",
            "changes",
        )
        read_only_fields = fields
        extra_kwargs = {
            "actor": {"help_text": "The acting account's id; null for the system or a deleted account."},
            "actor_label": {"help_text": "The acting account's user name at the time; empty: the system."},
            "address": {"help_text": "The client's address; empty outside a request (commands, workers)."},
        }

    @extend_schema_field(OpenApiTypes.STR)
    def get_object_type(self, obj) -> str:
        return f"{obj.content_type.app_label}.{obj.content_type.model}"
