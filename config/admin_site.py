"""The back office's admin site: unfold's, with the work every page repeats made cheaper.

- The sidebar is rendered once per language, permitted items and saved views and kept (config/unfold.py,
  `sidebar`), instead of unfold building, permission-checking and rendering every item on every request.
- Django's `available_apps` (every registered model's permissions and URLs) is computed only when a template
  reads it: unfold shows our own sidebar (NAVIGATION) instead, so most pages never do.
- What unfold's `each_context` reads from the UNFOLD setting (titles, colours, fonts, scripts, styles: some thirty
  readings of the merged setting, the colours converted each time) is kept per language; the user's account
  links, the tabs and the sidebar are still made per request (`PER_REQUEST`).

INSTALLED_APPS names `BackOfficeAdminConfig` in place of django.contrib.admin (and unfold's plain app config, which
leaves `admin.site` alone), so `admin.site` is a `BackOfficeSite`.
"""

from functools import partial

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language
from unfold.settings import get_config
from unfold.sites import UnfoldAdminSite

from config.unfold import sidebar

# The keys of unfold's `each_context` made per request: Django's own (permission, app list, log) and unfold's that
# read the request (the account links name the user's pages, the tabs and sidebar mark the current one). Every
# other key comes from the UNFOLD setting, whose callbacks (the scripts' and styles' addresses) do not depend on it.
PER_REQUEST = frozenset(
    {
        "has_permission",
        "available_apps",
        "log_entries",
        "is_popup",
        "is_nav_sidebar_enabled",
        "account_links",
        "tab_list",
        "sidebar_navigation",
    }
)


class BackOfficeSite(UnfoldAdminSite):
    """unfold's admin site with a kept sidebar, its settings' part of the page context kept, a lazy app list."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._kept_context: dict[str, dict] = {}

    def each_context(self, request):
        kept = self._kept_context.get(get_language())
        if kept is None or get_config(self.settings_name)["GLOBAL_CALLBACK"]:
            context = super().each_context(request)
            self._kept_context[get_language()] = {k: v for k, v in context.items() if k not in PER_REQUEST}
            return context
        context = AdminSite.each_context(self, request)
        context.update(kept)
        context["account_links"] = self._get_account_links(request)
        context["tab_list"] = self.get_tabs_list(request)
        context["sidebar_navigation"] = self.get_sidebar_list(request) if context["has_permission"] else []
        return context

    def get_app_list(self, request, app_label=None):
        return SimpleLazyObject(partial(super().get_app_list, request, app_label))

    def get_sidebar_list(self, request):
        return sidebar(request)


class BackOfficeAdminConfig(AdminConfig):
    """django.contrib.admin with `BackOfficeSite` as `admin.site`."""

    default_site = "config.admin_site.BackOfficeSite"
