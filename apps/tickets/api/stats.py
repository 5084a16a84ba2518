"""`GET /api/stats/`: the back-office dashboard's figures, for the caller's scope (apps/tickets/stats.py)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from apps.common.api.views import SafeAPIView

from ..stats import ticket_stats


class IsBackOfficeUser(BasePermission):
    message = _("Only agents and admins can read the ticket figures.")

    def has_permission(self, request, view):
        return bool(request.user.is_active and request.user.is_staff)


class StatsView(SafeAPIView):
    permission_classes = [IsAuthenticated, IsBackOfficeUser]

    @extend_schema(
        tags=["stats"],
        summary="Ticket figures",
        description=(
            "The dashboard's figures for the tickets of your departments (an admin: all; `departments` lists "
            "them, null for all): open tickets by status, priority and department, unassigned, created and "
            "resolved per day over the last 30 days (the site's calendar days), median first-response and "
            "resolution times in seconds (from histograms: exact to within their bucket), SLA targets met and "
            "breached, agents' open workload and the oldest open tickets. Reports: /api/stats/reports/{kind}/. "
            "Requesters get 403."
        ),
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="The figures.")},
    )
    def get(self, request):
        return Response(ticket_stats(request.user))
