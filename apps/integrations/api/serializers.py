"""Serializers of the integrations API: endpoints (secret only in the answer that creates or rotates it),
their delivery log, and API keys (the key only in the answer that creates it)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.accounts.models import User
from apps.common.api.serializers import StrictSerializer
from apps.departments.models import Department
from apps.tickets.api.serializers import EVENT_DATA_SCHEMA

from ..choices import DeliveryStatus, WebhookEvent
from ..models import ApiKey, Webhook, WebhookDelivery


class WebhookSerializer(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(choices=WebhookEvent.choices))

    class Meta:
        model = Webhook
        fields = [
            "id",
            "name",
            "url",
            "events",
            "department",
            "owner",
            "is_active",
            "disabled_reason",
            "failing_since",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class WebhookCreatedSerializer(WebhookSerializer):
    secret = serializers.CharField(help_text=_("The signing secret, shown this once."))

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookInputSerializer(StrictSerializer):
    """A webhook endpoint to register or change: where to send, which events, optionally one department's only."""

    read_only_names = frozenset({"id", "owner", "disabled_reason", "failing_since", "created_at", "updated_at"})

    url = serializers.URLField(max_length=500)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices), allow_empty=False, min_length=1, max_length=20
    )
    department = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all(), allow_null=True, required=False)
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    is_active = serializers.BooleanField(required=False, default=True)


class SecretSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text=_("The new signing secret, shown this once."))


_STR, _INT, _ID = {"type": "string"}, {"type": "integer"}, {"type": "integer", "nullable": True}
_TIME = {"type": "string", "format": "date-time"}
# The body sent to the endpoint (apps/integrations/services.py event_payload), as the delivery log keeps it.
PAYLOAD_SCHEMA = {
    "type": "object",
    "properties": {
        "type": {"type": "string", "enum": WebhookEvent.values},
        "timestamp": _TIME,
        "data": {
            "type": "object",
            "properties": {
                "ticket": {
                    "type": "object",
                    "properties": {
                        "id": _INT,
                        "reference": _STR,
                        "title": _STR,
                        "description": _STR,
                        "status": _STR,
                        "priority": _STR,
                        "category": _STR,
                        "department": _ID,
                        "requester": _ID,
                        "assignee": _ID,
                        "language": _STR,
                        "source": _STR,
                        "created_at": _TIME,
                        "updated_at": _TIME,
                    },
                },
                "event": {"type": "object", "properties": {"id": _INT, "actor": _ID}},
                "comment": {
                    "type": "object",
                    "properties": {
                        "id": _INT,
                        "author": _ID,
                        "body": _STR,
                        "is_internal": {"type": "boolean"},
                        "created_at": _TIME,
                    },
                },
                "attachment": {
                    "type": "object",
                    "properties": {
                        "id": _INT,
                        "name": _STR,
                        "size": _INT,
                        "content_type": _STR,
                        "comment": _ID,
                    },
                },
                "change": {**EVENT_DATA_SCHEMA, "description": "The history event's data (see TicketEvent.data)."},
            },
            "required": ["ticket", "event"],
        },
    },
    "required": ["type", "timestamp", "data"],
}


@extend_schema_field(PAYLOAD_SCHEMA)
class PayloadField(serializers.JSONField):
    """The delivery's JSON body as sent."""


class WebhookDeliverySerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=DeliveryStatus.choices)
    payload = PayloadField(read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "message_id",
            "event_type",
            "ticket",
            "status",
            "attempts",
            "next_attempt_at",
            "last_attempt_at",
            "response_status",
            "response_body",
            "error",
            "duration_ms",
            "created_at",
            "payload",
        ]
        read_only_fields = fields


class ApiKeySerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiKey
        fields = [
            "id",
            "name",
            "owner",
            "prefix",
            "expires_at",
            "last_used_at",
            "last_used_address",
            "revoked_at",
            "created_at",
        ]
        read_only_fields = fields


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(help_text=_("The key, shown this once."))

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]
        read_only_fields = fields


class ApiKeyInputSerializer(StrictSerializer):
    """An API key to create: its name, its expiry (null: none) and, for admins, the account it acts as."""

    read_only_names = frozenset({"id", "prefix", "last_used_at", "last_used_address", "revoked_at", "created_at"})

    name = serializers.CharField(max_length=100)
    expires_at = serializers.DateTimeField(allow_null=True, required=False, default=None)
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        required=False,
        help_text=_("Admins only: the account the key acts as (default: yourself)."),
    )
