"""The notifications API: your own notifications, marked read one by one or all at once.

`GET /api/notifications/` (filter `unread=true|false`, `kind`; ordering `created_at`), `GET /api/notifications/{id}/`,
`POST /api/notifications/{id}/read/`, `POST /api/notifications/read-all/`, `GET /api/notifications/unread-count/`.
Everyone, whatever their role, sees only the notifications addressed to them; anyone else's is a 404.
"""

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.common.api.views import ScopedViewSet

from ..choices import NotificationKind
from ..models import Notification
from ..selectors import notifications_for, unread_state
from ..services import notification_mark_read, notifications_mark_all_read
from .serializers import MarkedSerializer, NotificationSerializer, UnreadCountSerializer


class NotificationFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(
        field_name="read_at", lookup_expr="isnull", label="Unread only (true) or read only (false)"
    )
    kind = django_filters.ChoiceFilter(choices=NotificationKind.choices)

    class Meta:
        model = Notification
        fields = ["unread", "kind"]


@extend_schema_view(
    list=extend_schema(summary="Your notifications", description="Newest first. `unread=true` lists the unread ones."),
    retrieve=extend_schema(summary="One of your notifications"),
    read=extend_schema(summary="Mark a notification read", request=None, responses={200: NotificationSerializer}),
    read_all=extend_schema(summary="Mark all your notifications read", request=None, responses={200: MarkedSerializer}),
    unread_count=extend_schema(
        summary="How many unread notifications you have", responses={200: UnreadCountSerializer}
    ),
)
class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    model = Notification
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    ordering_fields = {"created_at": "created_at", "id": "id"}

    def get_scoped_queryset(self):
        return notifications_for(self.request.user).select_related("ticket")

    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = self.get_object()
        notification_mark_read(user=request.user, notification_id=notification.pk)
        notification.refresh_from_db()
        return Response(self.get_serializer(notification).data)

    @action(detail=False, methods=["post"], url_path="read-all", filter_backends=[], pagination_class=None)
    def read_all(self, request):
        return Response({"marked": notifications_mark_all_read(user=request.user)})

    @action(detail=False, methods=["get"], url_path="unread-count", filter_backends=[], pagination_class=None)
    def unread_count(self, request):
        count, _newest = unread_state(request.user)
        return Response({"unread": count}, headers={"Cache-Control": "private, no-cache"})
