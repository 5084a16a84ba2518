"""`GET /api/audit/` and `GET /api/audit/{id}/`: the audit log, read-only.

`AuditEntryViewSet` refuses everyone until a subclass says who reads (`reader_permission`): roles live above
this app, so apps/accounts/api/views.py subclasses it for admins and config/api_router.py mounts that one.
There are no write methods: POST, PUT, PATCH and DELETE are 405.
"""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.permissions import BasePermission

from apps.common.api.views import ScopedViewSet

from ..models import AuditEntry
from ..selectors import audit_entries
from .filters import AuditEntryFilter
from .serializers import AuditEntrySerializer


class NobodyReads(BasePermission):
    def has_permission(self, request, view):
        return False


@extend_schema_view(
    list=extend_schema(
        tags=["audit"],
        summary="List audit entries",
        description=(
            "Every administrative change, newest first: who, when, from which address, the object and the "
            "fields before → after (secrets masked). Admins only; others get 403."
        ),
    ),
    retrieve=extend_schema(tags=["audit"], summary="One audit entry", description="Admins only; others get 403."),
)
class AuditEntryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    model = AuditEntry
    serializer_class = AuditEntrySerializer
    filterset_class = AuditEntryFilter
    search_fields = ("object_label", "actor_label")
    ordering_fields = {"created_at": "created_at", "id": "id"}
    reader_permission: type[BasePermission] = NobodyReads

    def get_permissions(self):
        return [*super().get_permissions(), self.reader_permission()]

    def get_scoped_queryset(self):
        return audit_entries()
