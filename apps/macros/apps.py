from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MacrosConfig(AppConfig):
    name = "apps.macros"
    label = "macros"
    verbose_name = _("Canned responses and macros")

    def ready(self):
        """Add the picker to the ticket page's composer, its URLs to the ticket admin and `apply` to the API."""
        from apps.audit.registry import track
        from apps.tickets import extensions

        from . import admin, api
        from .models import Macro

        extensions.admin_ticket_panels.register(admin.PICKER_PANEL)
        extensions.admin_ticket_urls.register(admin.TEXT_URL)
        extensions.admin_ticket_urls.register(admin.APPLY_URL)
        extensions.api_ticket_actions.register(api.APPLY_ACTION)
        track(Macro)
