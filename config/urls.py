"""Project URLs: the back office at /admin/ and the REST API at /api/; the requesters' portal at /; probes."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from apps.common import health
from apps.common.favicon import favicon

urlpatterns = [
    # Probes (apps/common/health.py); SECURE_REDIRECT_EXEMPT names these paths.
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("api/", include("config.api_router")),
    # Single sign-on (OpenID Connect): /oidc/authenticate/ and /oidc/callback/, 404 while OIDC_ENABLED is off.
    path("oidc/", include("apps.accounts.oidc.urls")),
    # Inbound e-mail from e-mail services (django-anymail: /mail/inbound/<service>/inbound/), only with a secret set.
    *([path("mail/inbound/", include("anymail.urls"))] if settings.MAIL_INBOUND_WEBHOOKS else []),
    path("", include("apps.accounts.urls")),
    path("", include("apps.notifications.urls")),
    path("", include("apps.tickets.urls")),
]
