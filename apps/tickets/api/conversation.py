"""A ticket's conversation, files and history: /api/tickets/{id}/comments|attachments|events/ and downloads.

Every nested route first fetches the ticket with `ticket_get_for_user`: a ticket outside the caller's scope
is a 404 for GET and POST alike, before the body is looked at. Requesters never see internal notes, their
files or internal events, and cannot write internal notes (400, nothing saved).

A comment has its own URL: its author may edit or delete it within COMMENT_EDIT_WINDOW (the history keeps the old
text); staff who may change the ticket delete files (recorded). Comments and events take `updated_after` and
`cursor=` (keyset pages in the order updated_at/created_at, id) for sync.
"""

from functools import cached_property

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from apps.common.api.errors import validation_detail
from apps.common.api.views import SafeAPIView, ScopedViewSet

from ..downloads import attachment_response
from ..filters import CommentFilter, TicketEventFilter
from ..models import Attachment, Comment, Ticket, TicketEvent
from ..permissions import write_role
from ..selectors import (
    attachment_get_for_user,
    attachments_visible_to,
    comment_get_for_user,
    comments_visible_to,
    events_visible_to,
    ticket_get_for_user,
)
from ..services import attachment_add, attachment_delete, comment_add, comment_delete, comment_edit
from . import examples
from .serializers import (
    AttachmentCreateSerializer,
    AttachmentSerializer,
    CommentCreateSerializer,
    CommentEditSerializer,
    CommentSerializer,
    TicketEventSerializer,
)


class TicketChildViewSet(ScopedViewSet):
    """Base of the routes below /api/tickets/{ticket_pk}/: the ticket is fetched (or 404) first."""

    @cached_property
    def ticket(self) -> Ticket:
        return ticket_get_for_user(user=self.request.user, pk=self.kwargs["ticket_pk"])


@extend_schema_view(
    list=extend_schema(
        summary="A ticket's conversation",
        description="Replies and internal notes, oldest first. Requesters see replies only.",
    ),
    create=extend_schema(
        summary="Reply or add an internal note",
        description=(
            "Staff who may change the ticket can reply or add an internal note; the requester can reply. "
            "`is_internal: true` from a requester is a 400 and nothing is saved."
        ),
        request=CommentCreateSerializer,
        responses={201: CommentSerializer},
        examples=examples.COMMENT_CREATE_EXAMPLES,
    ),
    retrieve=extend_schema(summary="Read a comment"),
    update=extend_schema(
        summary="Rewrite your comment",
        description=(
            "The author only, within the edit window (COMMENT_EDIT_WINDOW, 15 minutes by default): others get "
            "403. The old text is kept in the ticket's history (comment_edited)."
        ),
        request=CommentEditSerializer,
        responses={200: CommentSerializer},
    ),
    partial_update=extend_schema(
        summary="Rewrite your comment",
        description="As PUT: `body` is the only field.",
        request=CommentEditSerializer,
        responses={200: CommentSerializer},
    ),
    destroy=extend_schema(
        summary="Delete your comment",
        description=(
            "The author only, within the edit window; its files go with it. The text stays in the ticket's "
            "history (comment_deleted), which staff and, for a reply, the requester can read."
        ),
    ),
)
class TicketCommentViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    TicketChildViewSet,
):
    model = Comment
    serializer_class = CommentSerializer
    filterset_class = CommentFilter
    cursor_field = "updated_at"
    throttle_scopes = {"create": "comment_create"}

    def get_scoped_queryset(self):
        return comments_visible_to(self.request.user, ticket=self.ticket)

    def get_object(self) -> Comment:
        return comment_get_for_user(user=self.request.user, ticket=self.ticket, pk=self.kwargs["pk"])

    def update(self, request, *args, **kwargs):
        comment = self.get_object()
        serializer = CommentEditSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = comment_edit(comment=comment, actor=request.user, body=serializer.validated_data["body"])
        return Response(CommentSerializer(comment, context=self.get_serializer_context()).data)

    def destroy(self, request, *args, **kwargs):
        comment_delete(comment=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def create(self, request, *args, **kwargs):
        ticket = self.ticket
        serializer = CommentCreateSerializer(data=request.data, role=write_role(request.user))
        serializer.is_valid(raise_exception=True)
        comment = comment_add(ticket=ticket, actor=request.user, **serializer.validated_data)
        data = CommentSerializer(comment, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        summary="A ticket's files",
        description="Files of the ticket and its comments; requesters do not see files of internal notes.",
    ),
    create=extend_schema(
        summary="Upload a file",
        description=(
            "Multipart upload of one file (field `file`), optionally on one of your own comments of the ticket "
            "(another's comment is a 400). The type is read from the file's bytes, never from its name or header; "
            "the stored name is generated."
        ),
        request={"multipart/form-data": AttachmentCreateSerializer},
        responses={201: AttachmentSerializer},
    ),
    retrieve=extend_schema(summary="A file's details"),
    destroy=extend_schema(
        summary="Delete a file",
        description="Agents and admins who may change the ticket; recorded in its history (attachment_deleted).",
    ),
)
class TicketAttachmentViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    TicketChildViewSet,
):
    model = Attachment
    serializer_class = AttachmentSerializer
    parser_classes = [MultiPartParser]
    throttle_scopes = {"create": "comment_create"}

    def max_body_bytes(self) -> int:
        # One file plus the multipart framing and the small form fields.
        return settings.ATTACHMENT_MAX_BYTES + settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    def get_scoped_queryset(self):
        return attachments_visible_to(self.request.user, ticket=self.ticket)

    def get_object(self) -> Attachment:
        return attachment_get_for_user(user=self.request.user, pk=self.kwargs["pk"], ticket=self.ticket)

    def destroy(self, request, *args, **kwargs):
        attachment_delete(attachment=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def create(self, request, *args, **kwargs):
        ticket = self.ticket
        comments = comments_visible_to(request.user, ticket=ticket).prefetch_related(None)
        serializer = AttachmentCreateSerializer(data=request.data, comments=comments)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            attachment = attachment_add(
                ticket=ticket, actor=request.user, upload=data["file"], comment=data.get("comment")
            )
        except DjangoValidationError as exc:
            raise ValidationError(validation_detail(exc, field="file")) from exc
        return Response(
            AttachmentSerializer(attachment, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )


@extend_schema_view(
    list=extend_schema(
        summary="A ticket's history",
        description="Every change, oldest first. Requesters do not see internal events (notes and their files).",
    )
)
class TicketEventViewSet(mixins.ListModelMixin, TicketChildViewSet):
    model = TicketEvent
    serializer_class = TicketEventSerializer
    filterset_class = TicketEventFilter
    cursor_field = "created_at"

    def get_scoped_queryset(self):
        return events_visible_to(self.request.user, ticket=self.ticket)


class AttachmentDownloadView(SafeAPIView):
    """The bytes of one file, as a download that browsers never render inline or sniff."""

    def perform_content_negotiation(self, request, force=False):
        # Any Accept header is fine for a download; errors are JSON.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        summary="Download a file",
        description=(
            "Permission-checked through the ticket: outside your scope, or a file of an internal note for a "
            "requester, is a 404. Sent with Content-Disposition: attachment and X-Content-Type-Options: nosniff."
        ),
        responses={(200, "*/*"): OpenApiResponse(OpenApiTypes.BINARY, description="The file's bytes.")},
        parameters=[
            OpenApiParameter(
                "Content-Disposition",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                response=[200],
                description='attachment; filename="<the file\'s original name>"',
            ),
            OpenApiParameter(
                "X-Content-Type-Options",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                response=[200],
                enum=["nosniff"],
                description="nosniff",
            ),
        ],
    )
    def get(self, request, pk):
        return attachment_response(attachment_get_for_user(user=request.user, pk=pk))
