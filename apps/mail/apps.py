from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "apps.mail"
    label = "mail"
    verbose_name = _("E-mail")

    def ready(self):
        """Audit mailbox changes, with the password masked."""
        from apps.audit.registry import track

        from .models import Mailbox

        track(Mailbox, exclude=("last_polled_at", "last_error"), secrets=("password",))
