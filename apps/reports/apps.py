from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "apps.reports"
    label = "reports"
    verbose_name = _("Reports")

    def ready(self):
        """The reports page lives beside the ticket list in the back office (admin:tickets_reports)."""
        from apps.tickets import extensions

        from . import admin

        extensions.admin_ticket_urls.register(admin.REPORTS_URL)
