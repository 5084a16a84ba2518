"""The departments API: every authenticated user may list the departments tickets can go to."""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins

from apps.accounts.permissions import is_admin, is_agent
from apps.common.api.views import ScopedViewSet

from ..models import Department
from .serializers import DepartmentSerializer


def departments_visible_to(user) -> QuerySet[Department]:
    """Staff see every department; requesters only the active ones."""
    # Proposed to move to apps/departments/selectors.py (a file this change does not own).
    if is_admin(user) or is_agent(user):
        return Department.objects.all()
    if user.is_authenticated and user.is_active:
        return Department.objects.filter(is_active=True)
    return Department.objects.none()


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
