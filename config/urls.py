"""Project URLs: the back office at /admin/ and the REST API at /api/; the requesters' portal at /."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("config.api_router")),
    path("", include("apps.accounts.urls")),
    path("", include("apps.tickets.urls")),
]
