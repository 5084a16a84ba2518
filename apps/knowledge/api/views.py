"""The knowledge API: `GET /api/articles/` (+ `?search=`, `?language=`, `?category=`) and `/api/articles/{id}/`,
audience-scoped like the portal (an article a caller may not read is a 404); ratings for agents and admins:
`GET /api/tickets/{id}/satisfaction/` (a detail action of the tickets API, registered through
apps/tickets/extensions.py) and `GET /api/satisfaction/` (the ratings of the tickets the caller sees, with
filters). Requesters are refused the ratings (403)."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from apps.common.api.schema import link
from apps.common.api.views import ScopedViewSet
from apps.tickets.extensions import ApiAction

from ..filters import ArticleFilter, SatisfactionFilter
from ..models import Article, Satisfaction
from ..permissions import may_read_ratings
from ..selectors import articles_visible_to, ratings_visible_to
from .serializers import ArticleSerializer, SatisfactionSerializer


@extend_schema_view(
    list=extend_schema(
        tags=["knowledge"],
        summary="List and search published articles",
        description="The published articles the caller may read (requesters: public and signed-in audiences; "
        "agents and admins: also agents-only), every language unless `language` is given. With `search`, the "
        "articles matching every word, best first.",
    ),
    retrieve=extend_schema(tags=["knowledge"], summary="Read one published article"),
)
class ArticleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    model = Article
    serializer_class = ArticleSerializer
    filterset_class = ArticleFilter

    def get_scoped_queryset(self):
        return articles_visible_to(self.request.user).select_related("category").order_by("title", "pk")


class MayReadRatings(BasePermission):
    message = _("Only agents and admins read satisfaction ratings.")

    def has_permission(self, request, view):
        return may_read_ratings(request.user)


@extend_schema_view(
    list=extend_schema(
        tags=["knowledge"],
        summary="List satisfaction ratings",
        description="The satisfaction requests of the tickets the caller sees (agents and admins), newest first.",
    )
)
class SatisfactionViewSet(mixins.ListModelMixin, ScopedViewSet):
    model = Satisfaction
    serializer_class = SatisfactionSerializer
    filterset_class = SatisfactionFilter
    permission_classes = [IsAuthenticated, MayReadRatings]

    def get_scoped_queryset(self):
        return ratings_visible_to(self.request.user).select_related("ticket").order_by("-requested_at", "-pk")


@extend_schema(
    tags=["knowledge"],
    summary="Read a ticket's satisfaction rating",
    responses={
        200: SatisfactionSerializer,
        404: OpenApiResponse(description="No such ticket for the caller, or no rating was requested for it."),
    },
)
@action(detail=True, methods=["get"])
def satisfaction(self, request, pk=None):
    # A method of the tickets' viewset (`self`); agents and admins only.
    ticket = self.get_object()
    if not may_read_ratings(request.user):
        raise PermissionDenied(_("Only agents and admins read satisfaction ratings."))
    found = Satisfaction.objects.filter(ticket=ticket).first()
    if found is None:
        raise NotFound(_("No rating was requested for this ticket."))
    return Response(SatisfactionSerializer(found).data)


SATISFACTION_ACTION = ApiAction(name="satisfaction", view=satisfaction)


# The links of the knowledge API (apps/common/api/schema.py): a ticket leads to its rating, a page of articles or
# ratings to the first one's article or ticket.
for _source in (("/api/tickets/", "post", "201"), ("/api/tickets/{id}/", "get", "200")):
    link(_source, "ReadRating", ("/api/tickets/{id}/satisfaction/", "get"), {"id": "$response.body#/id"})
link(
    ("/api/articles/", "get", "200"),
    "ReadArticle",
    ("/api/articles/{id}/", "get"),
    {"id": "$response.body#/results/0/id"},
)
link(
    ("/api/satisfaction/", "get", "200"),
    "ReadRating",
    ("/api/tickets/{id}/satisfaction/", "get"),
    {"id": "$response.body#/results/0/ticket"},
)
