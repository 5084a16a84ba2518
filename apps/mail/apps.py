from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "apps.mail"
    label = "mail"
    verbose_name = _("E-mail")

    def ready(self):
        """Audit mailbox changes (the password masked); the watchers panel on the back office's ticket page."""
        from apps.audit.registry import track
        from apps.tickets import extensions

        from .admin import WATCHERS_PANEL
        from .models import Mailbox

        track(Mailbox, exclude=("last_polled_at", "last_error"), secrets=("password",))
        extensions.admin_ticket_panels.register(WATCHERS_PANEL)
