"""The departments API (GET /api/departments/): agents and admins list every department, requesters the active
ones (departments_visible_to); searchable by name, ordered by name or id."""

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
    )
)
class DepartmentViewSet(mixins.ListModelMixin, ScopedViewSet):
    model = Department
    serializer_class = DepartmentSerializer
    search_fields = ("name",)
    ordering_fields = {"name": "name", "id": "id"}

    def get_scoped_queryset(self):
        return departments_visible_to(self.request.user)
