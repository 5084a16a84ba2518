"""The tickets API: list, create, read, edit (with optimistic locking), transfer, delete.

Reads come from `tickets_visible_to` / `ticket_get_for_user` (404 outside the caller's scope); writes go
through the services only. An edit is one ticket_change (edits, assignee, status in one transaction), so a
refused status change leaves the edits of the same request unsaved too.

Conditional requests: the detail and every write answer with a strong `ETag: "<version>.<digest>"`, the digest
being of the representation, so it changes with anything the caller reads (a reply, an insight, a first
response), not only with the version. `If-None-Match` with the current tag gets 304. A PUT, PATCH or transfer
with `If-Match` (strong comparison, RFC 9110: weak tags never match; `*` matches anything; the version alone,
`"3"`, locks on the version only) or with a `version` field that is not the current version gets 412 with the
current state, and nothing is saved.

Other apps add detail actions (the AI app's `translation`) through apps/tickets/extensions.py: the router
mounts `TicketViewSet.with_extensions()`, the viewset with those actions.
"""

import hashlib

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404
from django.utils.http import parse_etags
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from apps.accounts.choices import Role
from apps.common.api.filters import AllowListOrderingFilter, GivenFiltersBackend, TermSearchFilter
from apps.common.api.schema import link
from apps.common.api.views import ScopedViewSet

from .. import extensions
from ..choices import PRIORITY_RANK, STATUS_RANK, Source
from ..filters import TicketFilter, TombstoneFilter
from ..models import Ticket, TicketTombstone
from ..permissions import write_role
from ..search import tickets_search
from ..selectors import FIRST_ROWS, ticket_get_for_user, tickets_visible_to, tombstones_visible_to
from ..services import (
    StaleTicketError,
    ticket_change,
    ticket_create,
    ticket_delete,
    ticket_transfer,
)
from . import examples
from .serializers import (
    StaleTicketSerializer,
    TicketBulkResponseSerializer,
    TicketBulkSerializer,
    TicketCreateSerializer,
    TicketSerializer,
    TicketTombstoneSerializer,
    TicketTransferSerializer,
    TicketUpdateSerializer,
)

# Orderings that an index of the tickets table keeps (with the id as the last key).
INDEXED_ORDERINGS = frozenset({"created_at", "updated_at", "reference", "id", "priority"})


class TicketSearchFilter(TermSearchFilter):
    """`?search=`: the one ticket search (apps/tickets/search.py) on the caller's scoped tickets; internal notes
    count for staff only. Results come by relevance, then newest first, unless `ordering` is given."""

    def filter_queryset(self, request, queryset, view):
        text = request.query_params.get(self.search_param, "")
        return tickets_search(queryset, user=request.user, text=text)

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.search_param,
                "required": False,
                "in": "query",
                "description": str(
                    _(
                        "Words to look for (all must match; the last may be the start of a word) in the "
                        "reference, title, description and conversation (internal notes for staff only), or a "
                        "whole reference. Results come by relevance unless `ordering` is given."
                    )
                ),
                "schema": {"type": "string"},
            }
        ]


def ticket_etag(ticket: Ticket, data) -> str:
    """A strong entity tag of the ticket's representation: its version, then a digest of what the caller reads,
    so that it changes with anything the representation shows (a reply, an insight, a first response)."""
    digest = hashlib.sha256(JSONRenderer().render(data)).hexdigest()[:16]
    return f'"{ticket.version}.{digest}"'


def version_etag(ticket: Ticket) -> str:
    """The version alone as an entity tag ("3"): If-Match accepts it to lock on the version only."""
    return f'"{ticket.version}"'


def expected_version(request, ticket: Ticket, body_version: int | None, current_etag) -> int | None:
    """The version the client says it has read (If-Match and/or `version`), or None if it said nothing.

    Raises StaleTicketError when either does not match the ticket as read in this request. `current_etag()`
    gives the ETag of the representation (computed only when If-Match names neither * nor the version).
    """
    header = request.headers.get("If-Match")
    sent = header is not None or body_version is not None
    if header is not None and header.strip() != "*":
        tags = parse_etags(header)
        if version_etag(ticket) not in tags and current_etag() not in tags:
            raise StaleTicketError(expected=0, current=ticket.version)
    if body_version is not None and body_version != ticket.version:
        raise StaleTicketError(expected=body_version, current=ticket.version)
    return ticket.version if sent else None


ETAG_HEADER = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200, 201],
    description=(
        'A strong entity tag of the representation, e.g. "3.5f1c0a9b2e7d4c61": the version, then a digest that '
        "changes with anything the representation shows. Send it back in If-None-Match (304 while unchanged) "
        'or If-Match (412 if it changed); If-Match also accepts the version alone, e.g. "3".'
    ),
)
IF_NONE_MATCH_HEADER = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Optional: the ETag you read. While the ticket's representation is unchanged the answer is 304.",
)
IF_MATCH_HEADER = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        'Optional: the ETag you read (or the version alone, e.g. "3", or *). A stale one gets 412 and nothing is saved.'
    ),
)
STALE_RESPONSE = OpenApiResponse(
    StaleTicketSerializer, description="The ticket changed since the version you sent; nothing was saved."
)


@extend_schema_view(
    list=extend_schema(
        summary="List tickets",
        description=(
            "The tickets you can see, newest first. Filters, `search` (reference, title, description and "
            "conversation; by relevance) and `ordering` are "
            "allow-lists: any other query parameter is a 400. Pages carry `next` and `previous` links; the "
            "total (`count`) only with `count=true`, as counting costs in proportion to what you can see."
        ),
        examples=examples.TICKET_LIST_EXAMPLES,
    ),
    retrieve=extend_schema(
        summary="Read a ticket",
        parameters=[ETAG_HEADER, IF_NONE_MATCH_HEADER],
        responses={
            200: TicketSerializer,
            304: OpenApiResponse(description="Not modified: the ETag in If-None-Match is still current."),
        },
        examples=examples.TICKET_RETRIEVE_EXAMPLES,
    ),
    create=extend_schema(
        summary="Open a ticket",
        description=(
            "Requesters send title, description and category (files: the attachments endpoint). Agents and "
            "admins may also send priority, language, department, requester and assignee. Any other field "
            "is a 400."
        ),
        request=TicketCreateSerializer,
        responses={201: TicketSerializer},
        parameters=[ETAG_HEADER],
        examples=examples.TICKET_CREATE_EXAMPLES,
    ),
    update=extend_schema(
        summary="Replace a ticket's editable fields",
        description=(
            "Agents and admins send every editable field (title, description, category, priority, language, "
            "status, assignee); requesters send status only. Department changes go through transfer."
        ),
        request=TicketUpdateSerializer,
        responses={200: TicketSerializer, 412: STALE_RESPONSE},
        parameters=[IF_MATCH_HEADER, ETAG_HEADER],
    ),
    partial_update=extend_schema(
        summary="Edit a ticket",
        description=(
            "Agents and admins: title, description, category, priority, language, status (along the "
            "lifecycle; an illegal move is a 400 naming both statuses), assignee. Requesters: status "
            "`closed`, or `open` to reopen a resolved ticket. Any other field is a 400."
        ),
        request=TicketUpdateSerializer,
        responses={200: TicketSerializer, 412: STALE_RESPONSE},
        parameters=[IF_MATCH_HEADER, ETAG_HEADER],
        examples=examples.TICKET_PARTIAL_UPDATE_EXAMPLES,
    ),
    destroy=extend_schema(
        summary="Delete a ticket",
        description="Admins only; others get 403. The ticket leaves a tombstone in GET /api/tickets/deleted/.",
    ),
    deleted=extend_schema(
        summary="Deleted tickets (tombstones)",
        description=(
            "Tickets deleted since `since` that you could see when they went (admins: all; agents: their "
            "departments' and those assigned to them; requesters: their own), oldest first. With `cursor=` "
            "the pages are keyset pages in the order deleted_at, id."
        ),
        operation_id="tickets_deleted_list",
        responses={200: TicketTombstoneSerializer(many=True)},
    ),
    bulk=extend_schema(
        summary="Change the status and/or assignee of several tickets",
        description=(
            "Agents and admins. Each ticket is changed on its own, as one PATCH would change it, and reported: "
            "`ok`, the status a single change would answer (404 outside your scope, 403, 400 with the reason), "
            "and the new version. One ticket's refusal does not stop the others."
        ),
        request=TicketBulkSerializer,
        responses={200: TicketBulkResponseSerializer},
    ),
    transfer=extend_schema(
        summary="Move a ticket to another department",
        description=(
            "Agents and admins who may change the ticket. The department's grants move with it; an assignee "
            "who is not a member of the new department is unassigned."
        ),
        request=TicketTransferSerializer,
        responses={200: TicketSerializer, 412: STALE_RESPONSE},
        parameters=[IF_MATCH_HEADER, ETAG_HEADER],
    ),
)
class TicketViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    ScopedViewSet,
):
    model = Ticket
    serializer_class = TicketSerializer
    filterset_class = TicketFilter
    filter_backends = [GivenFiltersBackend, TicketSearchFilter, AllowListOrderingFilter]
    # What `search` reads is TicketSearchFilter's; naming the fields here admits the parameter.
    search_fields = ("reference", "title", "description", "comments__body")
    ordering_fields = {
        "created_at": "created_at",
        "updated_at": "updated_at",
        "priority": PRIORITY_RANK,
        "status": STATUS_RANK,
        "reference": "reference",
        "id": "id",
    }
    throttle_scopes = {"create": "ticket_create"}
    list_actions = frozenset({"list", "deleted"})
    # `cursor=` pages through the tickets in the order (updated_at, id): the sync's order.
    cursor_field = "updated_at"
    #: detail action → the query parameters it accepts (filled by with_extensions()).
    action_query_parameters: dict[str, frozenset[str]] = {}

    @classmethod
    def with_extensions(cls) -> type["TicketViewSet"]:
        """This viewset with the detail actions other apps registered (extensions.api_ticket_actions), for the
        router; built after the apps are ready, when every app has registered its actions."""
        added = {extra.name: extra.view for extra in extensions.api_ticket_actions}
        parameters = {extra.name: extra.query_parameters for extra in extensions.api_ticket_actions}
        namespace = {
            "__module__": cls.__module__,
            "__doc__": cls.__doc__,
            "__qualname__": cls.__qualname__,
            "action_query_parameters": {**cls.action_query_parameters, **parameters},
            **added,
        }
        return type(cls.__name__, (cls,), namespace)

    def get_scoped_queryset(self):
        # The first rows in an index's order are found row by row, an agent's page further down in that order in
        # the department form; a total (count=true) or an order that no index keeps (status) reads the
        # whole visible set, which is then cheaper: see tickets_visible_to.
        request = self.request
        ordering = {term.removeprefix("-") for term in AllowListOrderingFilter.requested_terms(request)}
        # A search with no ordering is by relevance: the grants of each match are looked up by its id (matches
        # are few next to an agent's grants); with an ordering, as for any list.
        indexed = ordering <= INDEXED_ORDERINGS and not self.paginator.count_requested(request)
        if indexed and self.paginator.rows_through_page(request) > FIRST_ROWS:
            # A page further down in an indexed order: an agent's grants are looked up only for the rows of the walk
            # in their reach (the department form; the reach is kept in the cache), so that the page costs the same
            # whatever the size of the table; others' as for any list.
            queryset = tickets_visible_to(request.user, by_department=True)
        else:
            queryset = tickets_visible_to(request.user, first_rows=indexed)
        related = [name for extra in extensions.api_ticket_fields for name in extra.select_related]
        return queryset.select_related(*related) if related else queryset

    def get_queryset(self):
        if getattr(self, "action", None) == "deleted":  # the tombstones, not the tickets
            if getattr(self, "swagger_fake_view", False):
                return TicketTombstone.objects.none()
            return tombstones_visible_to(self.request.user)
        return super().get_queryset()

    def get_object(self) -> Ticket:
        return ticket_get_for_user(user=self.request.user, pk=self.kwargs["pk"])

    def representation(self, ticket: Ticket) -> tuple[dict, str]:
        """The ticket as the caller reads it, and its ETag."""
        data = TicketSerializer(ticket, context=self.get_serializer_context()).data
        return data, ticket_etag(ticket, data)

    def ticket_response(self, ticket: Ticket, *, status_code=status.HTTP_200_OK, headers=None) -> Response:
        data, etag = self.representation(ticket)
        return Response(data, status=status_code, headers={"ETag": etag, **(headers or {})})

    def current_etag(self, ticket: Ticket):
        return lambda: self.representation(ticket)[1]

    def stale_response(self, exc: StaleTicketError) -> Response:
        """412 with the ticket as it is now (called by the exception handler)."""
        try:
            current = ticket_get_for_user(user=self.request.user, pk=self.kwargs["pk"])
        except Http404:
            return Response({"detail": _("Not found.")}, status=status.HTTP_404_NOT_FOUND)
        body = {
            "detail": _(
                "The ticket has changed since you read it: it is at version %(current)s. Nothing was saved; "
                "here is its current state."
            )
            % {"current": current.version},
            "current_version": current.version,
        }
        body["current"], etag = self.representation(current)
        return Response(body, status=status.HTTP_412_PRECONDITION_FAILED, headers={"ETag": etag})

    def retrieve(self, request, *args, **kwargs):
        data, etag = self.representation(self.get_object())
        if_none_match = request.headers.get("If-None-Match")
        # Weak comparison (RFC 9110 13.1.2): W/"x" matches "x".
        if if_none_match is not None and (
            if_none_match.strip() == "*" or etag in {tag.removeprefix("W/") for tag in parse_etags(if_none_match)}
        ):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        return Response(data, headers={"ETag": etag})

    def create(self, request, *args, **kwargs):
        user = request.user
        serializer = TicketCreateSerializer(data=request.data, role=write_role(user), actor=user)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        department = data.get("department")  # None: routed (routing rules, else the default department)
        options = {f: data[f] for f in ("category", "priority", "language", "assignee") if f in data}
        ticket = ticket_create(
            actor=user,
            requester=data.get("requester", user),
            title=data["title"],
            description=data["description"],
            department=department,
            source=Source.API,
            **options,
        )
        response = self.ticket_response(ticket, status_code=status.HTTP_201_CREATED)
        response["Location"] = str(response.data["url"])  # a Hyperlink (str subclass): WSGI wants str
        return response

    def update(self, request, *args, partial=False, **kwargs):
        ticket = self.get_object()
        serializer = TicketUpdateSerializer(data=request.data, role=write_role(request.user), partial=partial)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        version = expected_version(request, ticket, changes.pop("version", None), self.current_etag(ticket))
        ticket = ticket_change(ticket=ticket, actor=request.user, expected_version=version, **changes)
        return self.ticket_response(ticket)

    def destroy(self, request, *args, **kwargs):
        ticket_delete(ticket=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"])
    def transfer(self, request, pk=None):
        ticket = self.get_object()
        serializer = TicketTransferSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        version = expected_version(request, ticket, data.get("version"), self.current_etag(ticket))
        ticket = ticket_transfer(
            ticket=ticket, actor=request.user, department=data["department"], expected_version=version
        )
        return self.ticket_response(ticket)

    @action(
        detail=False,
        methods=["get"],
        serializer_class=TicketTombstoneSerializer,
        filterset_class=TombstoneFilter,
        filter_backends=[GivenFiltersBackend],
        search_fields=(),
        ordering_fields={},
    )
    def deleted(self, request):
        self.cursor_field = "deleted_at"
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @action(detail=False, methods=["post"])
    def bulk(self, request):
        if write_role(request.user) == Role.REQUESTER:
            raise PermissionDenied(_("Only agents and admins change tickets in bulk."))
        serializer = TicketBulkSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        changes = {name: data[name] for name in ("status", "assignee") if name in data}
        results = [self._bulk_change(pk, changes) for pk in data["tickets"]]
        changed = sum(1 for result in results if result["ok"])
        return Response({"changed": changed, "failed": len(results) - changed, "results": results})

    def _bulk_change(self, pk: int, changes: dict) -> dict:
        """One ticket of a bulk change, in its own transaction: changed, or the reason why not."""
        result = {"id": pk, "ok": False, "status_code": 200, "detail": None, "version": None}
        try:
            with transaction.atomic():
                ticket = ticket_get_for_user(user=self.request.user, pk=pk)
                ticket = ticket_change(ticket=ticket, actor=self.request.user, **changes)
        except Http404:
            return result | {"status_code": 404, "detail": _("Not found.")}
        except PermissionDenied as exc:
            return result | {"status_code": 403, "detail": str(exc) or _("You may not change this ticket.")}
        except DjangoValidationError as exc:
            return result | {"status_code": 400, "detail": " ".join(exc.messages)}
        return result | {"ok": True, "version": ticket.version}


# The links of the tickets API (apps/common/api/schema.py): what a new ticket or comment leads to.
_TICKET = {"id": "$response.body#/id"}
_TICKET_PK = {"ticket_pk": "$response.body#/id"}
_COMMENT = {"ticket_pk": "$response.body#/ticket", "id": "$response.body#/id"}
for _source in (("/api/tickets/", "post", "201"), ("/api/tickets/{id}/", "get", "200")):
    link(_source, "ReadTicket", ("/api/tickets/{id}/", "get"), _TICKET)
    link(_source, "EditTicket", ("/api/tickets/{id}/", "patch"), _TICKET)
    link(_source, "TransferTicket", ("/api/tickets/{id}/transfer/", "post"), _TICKET)
    link(_source, "ListComments", ("/api/tickets/{ticket_pk}/comments/", "get"), _TICKET_PK)
    link(_source, "Reply", ("/api/tickets/{ticket_pk}/comments/", "post"), _TICKET_PK)
    link(_source, "ListFiles", ("/api/tickets/{ticket_pk}/attachments/", "get"), _TICKET_PK)
    link(_source, "History", ("/api/tickets/{ticket_pk}/events/", "get"), _TICKET_PK)
link(("/api/tickets/", "post", "201"), "DeleteTicket", ("/api/tickets/{id}/", "delete"), _TICKET)
for _source in (("/api/tickets/{ticket_pk}/comments/", "post", "201"),):
    link(_source, "ReadComment", ("/api/tickets/{ticket_pk}/comments/{id}/", "get"), _COMMENT)
    link(_source, "EditComment", ("/api/tickets/{ticket_pk}/comments/{id}/", "patch"), _COMMENT)
    link(_source, "ReplaceComment", ("/api/tickets/{ticket_pk}/comments/{id}/", "put"), _COMMENT)
    link(_source, "DeleteComment", ("/api/tickets/{ticket_pk}/comments/{id}/", "delete"), _COMMENT)
