"""The departments API (GET /api/departments/ and /api/departments/{id}/): agents and admins see every department,
requesters the active ones (departments_visible_to; any other is a 404); searchable by name, ordered by name or id."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins

from apps.common.api.views import ScopedViewSet

from ..models import Department
from ..selectors import departments_visible_to
from .serializers import DepartmentSerializer


@extend_schema_view(
    list=extend_schema(
        summary="List departments",
        description="Agents and admins see every department; requesters only the active ones.",
    ),
    retrieve=extend_schema(
        summary="Read a department", description="A department you may see (requesters: active ones), else 404."
    ),
)
class DepartmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    model = Department
    serializer_class = DepartmentSerializer
    search_fields = ("name",)
    ordering_fields = {"name": "name", "id": "id"}

    def get_scoped_queryset(self):
        return departments_visible_to(self.request.user)
