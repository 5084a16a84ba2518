"""The macros API: `GET /api/macros/` (the canned responses and macros the caller may use; staff only) and
`POST /api/tickets/{id}/macros/{macro_id}/apply/` (a detail action of the tickets API, registered in apps.py
through apps/tickets/extensions.py), which applies a macro through the ticket services and answers with the
ticket. A ticket or macro outside the caller's scope is a 404; a ticket they may see but not change, a 403.
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated

from apps.common.api.views import ScopedViewSet
from apps.tickets.api.serializers import TicketSerializer
from apps.tickets.extensions import ApiAction

from .models import Macro
from .permissions import can_use_macros
from .selectors import macro_get_for_ticket, macros_visible_to
from .services import macro_apply


class UsesMacros(BasePermission):
    message = _("Only agents and admins use canned responses and macros.")

    def has_permission(self, request, view):
        return can_use_macros(request.user)


class MacroSerializer(serializers.ModelSerializer):
    """A canned response or macro: its texts (placeholders unfilled) and what applying it does."""

    has_actions = serializers.BooleanField(read_only=True)
    translations = serializers.DictField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Macro
        fields = [
            "id",
            "title",
            "scope",
            "department",
            "body",
            "translations",
            "note",
            "set_status",
            "set_priority",
            "assign",
            "assignee",
            "has_actions",
            "updated_at",
        ]
        read_only_fields = fields


@extend_schema_view(list=extend_schema(summary="Canned responses and macros you may use"))
class MacroViewSet(mixins.ListModelMixin, ScopedViewSet):
    model = Macro
    serializer_class = MacroSerializer
    permission_classes = [IsAuthenticated, UsesMacros]
    search_fields = ("title",)
    ordering_fields = {"title": "title", "updated_at": "updated_at", "id": "id"}

    def get_scoped_queryset(self):
        return macros_visible_to(self.request.user)


@extend_schema(
    summary="Apply a canned response or macro to a ticket",
    description=(
        "Sends its reply text (the requester's language, placeholders filled) as a public reply, adds its internal "
        "note, and sets its priority, assignee and status, through the ticket services in one transaction: any "
        "refusal (400, 403) leaves the ticket unchanged. Answers with the ticket. A macro outside your scope for "
        "this ticket is a 404."
    ),
    request=None,
    responses={200: TicketSerializer},
)
@action(detail=True, methods=["post"], url_path="macros/<int:macro_id>/apply", url_name="macro-apply")
def macro_apply_action(self, request, pk=None, macro_id=None):
    # A method of the tickets' viewset (`self`, see TicketViewSet.with_extensions).
    ticket = self.get_object()
    macro = macro_get_for_ticket(user=request.user, ticket=ticket, pk=macro_id)
    ticket = macro_apply(macro=macro, ticket=ticket, actor=request.user)
    return self.ticket_response(ticket)


APPLY_ACTION = ApiAction(name="macro_apply_action", view=macro_apply_action)
