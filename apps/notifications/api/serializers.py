"""Serializers of the notifications API (read-only: a notification changes only by being marked read)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from ..models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    ticket_reference = serializers.CharField(source="ticket.reference", read_only=True)
    is_read = serializers.BooleanField(read_only=True)
    ticket_url = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "text",
            "ticket",
            "ticket_reference",
            "ticket_url",
            "actor",
            "created_at",
            "read_at",
            "is_read",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField())
    def get_ticket_url(self, obj) -> str:
        return reverse("api:ticket-detail", kwargs={"pk": obj.ticket_id}, request=self.context.get("request"))


class UnreadCountSerializer(serializers.Serializer):
    unread = serializers.IntegerField(read_only=True)


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField(read_only=True, help_text="How many notifications this request marked read.")
