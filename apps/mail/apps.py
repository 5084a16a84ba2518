from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "apps.mail"
    label = "mail"
    verbose_name = _("E-mail")

    def ready(self):
        """Audit mailbox changes (the password masked); the watchers panel on the back office's ticket page; thread
        the notifications' e-mails; send public replies to watchers and let them reply; take mail from e-mail
        services' webhooks."""
        from apps.audit.registry import track
        from apps.tickets import events, extensions

        from . import inbound
        from .admin import WATCHERS_PANEL, WATCHERS_URL
        from .models import Mailbox
        from .outgoing import NOTIFICATION_HOOK, queue_events
        from .permissions import is_watcher

        track(Mailbox, exclude=("last_polled_at", "last_error"), secrets=("password",))
        extensions.admin_ticket_panels.register(WATCHERS_PANEL)
        extensions.admin_ticket_urls.register(WATCHERS_URL)
        extensions.outgoing_ticket_mail.register(NOTIFICATION_HOOK)
        extensions.ticket_reply_rights.register(extensions.ReplyRight("mail-watchers", is_watcher))
        events.listen(events.MAIL, queue_events)
        inbound.connect()
