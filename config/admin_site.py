"""The back office's admin site: unfold's, with the work every page repeats made cheaper.

- The sidebar is rendered once per language, permitted items and saved views and kept (config/unfold.py,
  `sidebar`), instead of unfold building, permission-checking and rendering every item on every request.
- Django's `available_apps` (every registered model's permissions and URLs) is computed only when a template
  reads it: unfold shows our own sidebar (NAVIGATION) instead, so most pages never do.

INSTALLED_APPS names `BackOfficeAdminConfig` in place of django.contrib.admin (and unfold's plain app config, which
leaves `admin.site` alone), so `admin.site` is a `BackOfficeSite`.
"""

from functools import partial

from django.contrib.admin.apps import AdminConfig
from django.utils.functional import SimpleLazyObject
from unfold.sites import UnfoldAdminSite

from config.unfold import sidebar


class BackOfficeSite(UnfoldAdminSite):
    """unfold's admin site with a kept sidebar and a lazily built app list."""

    def get_app_list(self, request, app_label=None):
        return SimpleLazyObject(partial(super().get_app_list, request, app_label))

    def get_sidebar_list(self, request):
        return sidebar(request)


class BackOfficeAdminConfig(AdminConfig):
    """django.contrib.admin with `BackOfficeSite` as `admin.site`."""

    default_site = "config.admin_site.BackOfficeSite"
