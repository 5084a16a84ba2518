"""The REST API, mounted at /api/ (namespace `api`). Every view here stands on apps/common/api/."""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.urls import path, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from apps.accounts.api.views import (
    AdminAuditEntryViewSet,
    TokenBlacklistView,
    TokenObtainPairView,
    TokenRefreshView,
    TokenVerifyView,
    UserViewSet,
)
from apps.ai.api import TriageQualityView
from apps.common.api.errors import PROBLEM_MEDIA_TYPE, problem
from apps.departments.api.views import DepartmentViewSet
from apps.integrations.api.views import ApiKeyViewSet, WebhookDeliveryViewSet, WebhookViewSet
from apps.knowledge.api.views import ArticleViewSet, SatisfactionViewSet
from apps.macros.api import MacroViewSet
from apps.notifications.api.views import NotificationViewSet
from apps.reports.api.views import ReportView
from apps.tickets.api.conversation import (
    AttachmentDownloadView,
    TicketAttachmentViewSet,
    TicketCommentViewSet,
    TicketEventViewSet,
)
from apps.tickets.api.stats import StatsView
from apps.tickets.api.views import TicketViewSet

app_name = "api"

router = SimpleRouter(use_regex_path=False)
router.register("tickets", TicketViewSet.with_extensions(), basename="ticket")
router.register("tickets/<int:ticket_pk>/comments", TicketCommentViewSet, basename="ticket-comment")
router.register("tickets/<int:ticket_pk>/attachments", TicketAttachmentViewSet, basename="ticket-attachment")
router.register("tickets/<int:ticket_pk>/events", TicketEventViewSet, basename="ticket-event")
router.register("users", UserViewSet, basename="user")
router.register("departments", DepartmentViewSet, basename="department")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("audit", AdminAuditEntryViewSet, basename="audit-entry")
router.register("webhooks", WebhookViewSet, basename="webhook")
router.register("webhooks/<int:webhook_pk>/deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")
router.register("keys", ApiKeyViewSet, basename="api-key")
router.register("macros", MacroViewSet, basename="macro")
router.register("articles", ArticleViewSet, basename="article")
router.register("satisfaction", SatisfactionViewSet, basename="satisfaction")


@csrf_exempt  # it changes nothing, and a CSRF page in HTML would be the wrong answer to a wrong path
def api_not_found(request, *args, **kwargs):
    """Unknown paths under /api/ answer with a problem document like the rest of the API, whatever the method."""
    body = problem(status=404, detail=_("Not found."), code="not_found")
    return JsonResponse(body, status=404, content_type=PROBLEM_MEDIA_TYPE)


_swagger_ui = SpectacularSwaggerSplitView.as_view(url_name="api:schema")


def docs_view(request, *args, **kwargs):
    """Swagger UI; a browser that is not logged in is sent to the log-in page (and back) instead of a 401 in JSON,
    unless API_DOCS_PUBLIC opens the docs to everyone. A program that sends credentials (Authorization: a token
    or an API key) is authenticated by the API as for any endpoint."""
    browser = "HTTP_AUTHORIZATION" not in request.META
    if browser and not request.user.is_authenticated and not settings.API_DOCS_PUBLIC:
        return redirect_to_login(request.get_full_path())
    return _swagger_ui(request, *args, **kwargs)


urlpatterns = [
    path("token/", TokenObtainPairView.as_view(), name="token-obtain"),
    path("token/refresh/", TokenRefreshView.as_view(), name="token-refresh"),
    path("token/blacklist/", TokenBlacklistView.as_view(), name="token-blacklist"),
    path("token/verify/", TokenVerifyView.as_view(), name="token-verify"),
    path("attachments/<int:pk>/download/", AttachmentDownloadView.as_view(), name="attachment-download"),
    path("stats/", StatsView.as_view(), name="stats"),
    path("stats/reports/<str:kind>/", ReportView.as_view(), name="stats-report"),
    path("ai/quality/", TriageQualityView.as_view(), name="ai-quality"),
    *router.urls,
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's init script from "?script" instead of inline, so the page runs under
    # the Content-Security-Policy (apps/common/security.py), which refuses inline scripts.
    path("docs/", docs_view, name="docs"),
    re_path(r"^.*$", api_not_found),
]
