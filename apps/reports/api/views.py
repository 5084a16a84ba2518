"""`GET /api/stats/reports/<kind>/`: the back office's reports as JSON, for the caller's departments (admins: all)."""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from apps.common.api.views import SafeAPIView
from apps.tickets.api.stats import IsBackOfficeUser

from ..forms import ReportForm
from ..selectors import REPORT_KINDS, report_build


class ReportView(SafeAPIView):
    permission_classes = [IsAuthenticated, IsBackOfficeUser]
    # The parameters this view reads (apps/common/api/filters.py refuses every other one with a 400).
    action_query_parameters = {None: {"from", "to", "group", "department"}}

    @extend_schema(
        tags=["stats"],
        summary="A ticket report",
        description=(
            "One of the reports of the back office (`kind`: " + ", ".join(REPORT_KINDS) + ") for the tickets of "
            "your departments (an admin: all), over `from`..`to` (site's calendar days, default: the last 30), "
            "grouped by `group` (day, week, month; at most 366 rows), optionally narrowed to `department` ids. "
            "Each row has its values and, per count, the back-office ticket list showing exactly those tickets. "
            "Durations are seconds: percentiles from fixed histograms, exact to within their bucket; means exact. "
            "Any other parameter, or a bad value, is a 400 naming it. Requesters get 403."
        ),
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE),
            OpenApiParameter("to", OpenApiTypes.DATE),
            OpenApiParameter("group", OpenApiTypes.STR, enum=["day", "week", "month"]),
            OpenApiParameter("department", OpenApiTypes.INT, many=True),
        ],
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="The report.")},
    )
    def get(self, request, kind: str):
        if kind not in REPORT_KINDS:
            raise Http404
        data = request.query_params.copy()
        data.pop("format", None)  # DRF's choice of renderer
        form = ReportForm(data, user=request.user, kind=kind)
        if not form.is_valid():
            raise ValidationError(form.errors)
        return Response(report_build(user=request.user, query=form.report_query()))
