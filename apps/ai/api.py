"""Serializers of the AI app's API representations (nested in the tickets API)."""

from rest_framework import serializers

from .models import TicketInsight


class TicketInsightSerializer(serializers.ModelSerializer):
    """What the AI triage said about a ticket (read-only; agents apply suggestions through the ticket API)."""

    class Meta:
        model = TicketInsight
        fields = [
            "status",
            "provider",
            "language",
            "sentiment",
            "categories",
            "suggested_priority",
            "suggested_department",
            "analysed_at",
        ]
        read_only_fields = fields


class TranslatedCommentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    is_internal = serializers.BooleanField()
    body = serializers.CharField()


class TicketTranslationSerializer(serializers.Serializer):
    """A ticket's texts machine-translated into `language` (the originals stay on the ticket)."""

    language = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    comments = TranslatedCommentSerializer(many=True)
