from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "apps.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        """Listen to ticket events (queue their delivery) and add the Notifications page to the portal."""
        from django.db.models.signals import post_delete, post_save

        from apps.tickets import events, extensions
        from apps.tickets.models import Ticket

        from .models import Notification
        from .queue import queue_events
        from .services import unread_forget_all, unread_saved
        from .urls import portal_urlpatterns

        post_save.connect(unread_saved, sender=Notification, dispatch_uid="notifications:unread:saved")
        # A deleted ticket's notifications are deleted with it in bulk (no signal per row): everyone's kept unread
        # state (selectors.unread_state) is read again.
        post_delete.connect(unread_forget_all, sender=Ticket, dispatch_uid="notifications:unread:ticket-deleted")

        events.listen(events.NOTIFICATIONS, queue_events)
        for pattern in portal_urlpatterns:
            extensions.portal_urls.register(pattern)
