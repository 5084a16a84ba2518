"""The AI app's part of the API: the `insight` field of a ticket's representation and the `translation` action at
GET /api/tickets/{id}/translation/ (registered in apps.py through apps/tickets/extensions.py), and the learning
triage's figures at GET /api/ai/quality/ (admins only; mounted in config/api_router.py)."""

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from apps.accounts.choices import Role
from apps.accounts.permissions import is_admin
from apps.common.api.serializers import NullableChoiceField
from apps.common.api.views import SafeAPIView
from apps.tickets.choices import Category, Priority
from apps.tickets.extensions import ApiAction, ApiField
from apps.tickets.permissions import write_role

from .choices import LearnTarget
from .models import TicketInsight
from .providers import CircuitOpen, ProviderError, TranslationUnavailable
from .selectors import triage_quality
from .services import ticket_translation


def _per_target(value_schema: dict, description: str) -> dict:
    """An object with one optional member per target of the triage (department, category, priority)."""
    return {
        "type": "object",
        "properties": dict.fromkeys(LearnTarget.values, value_schema),
        "additionalProperties": False,
        "description": description,
    }


@extend_schema_field(
    _per_target({"type": "number", "minimum": 0, "maximum": 1}, "Per target: the probability of the suggestion.")
)
class ConfidenceField(serializers.JSONField):
    pass


@extend_schema_field(
    _per_target(
        {"type": "string"}, 'Per target: what made the suggestion ("model v3", "keywords", "rules", "provider").'
    )
)
class SuggestedByField(serializers.JSONField):
    pass


class TicketInsightSerializer(serializers.ModelSerializer):
    """What the AI triage said about a ticket (read-only; agents apply suggestions through the ticket API).
    A suggestion not made is null, never ""."""

    suggested_priority = NullableChoiceField(choices=Priority.choices)
    suggested_category = NullableChoiceField(choices=Category.choices)
    categories = serializers.ListField(
        child=serializers.ChoiceField(choices=Category.choices),
        read_only=True,
        help_text="The ticket categories the provider found in the text, most likely first.",
    )
    confidence = ConfidenceField(read_only=True)
    suggested_by = SuggestedByField(read_only=True)

    class Meta:
        model = TicketInsight
        fields = [
            "status",
            "provider",
            "language",
            "sentiment",
            "categories",
            "suggested_priority",
            "suggested_category",
            "suggested_department",
            "confidence",
            "suggested_by",
            "analysed_at",
        ]
        read_only_fields = fields


@extend_schema_field(TicketInsightSerializer(allow_null=True))
class TicketInsightField(serializers.Field):
    """A ticket's AI triage, for staff only (null for requesters and before triage). Given the whole ticket."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)
        self.insight_serializer = TicketInsightSerializer()

    def to_representation(self, ticket):
        request = self.context.get("request")
        if request is None or write_role(request.user) == Role.REQUESTER:
            return None
        insight = getattr(ticket, "insight", None)  # select_related by the ticket list: no query per row
        return None if insight is None else self.insight_serializer.to_representation(insight)


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


@extend_schema(
    summary="Read a ticket's title, description and visible comments machine-translated",
    parameters=[
        OpenApiParameter(
            "lang",
            OpenApiTypes.STR,
            enum=[code for code, _name in settings.LANGUAGES],
            description="Target language (one of the site's languages); default: the caller's language.",
        )
    ],
    responses={
        200: TicketTranslationSerializer,
        409: OpenApiResponse(description="The configured AI provider does not translate (AI_PROVIDER=local)."),
        503: OpenApiResponse(
            description="The translation provider failed or timed out, or its circuit breaker is open (then with "
            "Retry-After); try again later."
        ),
    },
)
@action(detail=True, methods=["get"])
def translation(self, request, pk=None):
    # A method of the tickets' viewset (`self`, see TicketViewSet.with_extensions); no docstring, which the
    # schema would show as the operation's description.
    ticket = self.get_object()
    languages = dict(settings.LANGUAGES)
    language = request.query_params.get("lang") or request.user.language or settings.LANGUAGE_CODE
    if language not in languages:
        raise ValidationError({"lang": [_("Choose one of: %(languages)s.") % {"languages": ", ".join(languages)}]})
    try:
        data = ticket_translation(user=request.user, ticket=ticket, language=language)
    except TranslationUnavailable:
        # Not a server fault: this installation's provider does not translate (409, as for a state conflict).
        return Response(
            {"detail": _("Translation is unavailable with the configured AI provider.")},
            status=status.HTTP_409_CONFLICT,
        )
    except ProviderError as exc:
        # The circuit breaker is open (the provider was not called): say when to come back.
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, CircuitOpen) else None
        return Response(
            {"detail": _("The translation service failed; try again later.")},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers=headers,
        )
    return Response(TicketTranslationSerializer(data).data)


INSIGHT_FIELD = ApiField(name="insight", field=TicketInsightField, select_related=("insight",))
TRANSLATION_ACTION = ApiAction(name="translation", view=translation, query_parameters=frozenset({"lang"}))


class IsAdminRole(BasePermission):
    message = _("Only admins can read the AI quality figures.")

    def has_permission(self, request, view):
        return is_admin(request.user)


class TriageQualityView(SafeAPIView):
    permission_classes = [IsAuthenticated, IsAdminRole]

    @extend_schema(
        tags=["ai"],
        summary="Quality of the learning triage",
        description=(
            "Per target (department, category, priority): the model in use with its held-out accuracy beside "
            "the majority-class baseline and the keyword/rule suggestions, accuracy per language, the most "
            "confused classes, training size and date; and the latest training when it was not promoted. "
            "`model` is null while no model is in use. Admins only (others get 403)."
        ),
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="The figures.")},
    )
    def get(self, request):
        return Response(triage_quality())
