from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "apps.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        """Listen to ticket events (queue their delivery)."""
        from apps.tickets import events

        from .queue import queue_events

        events.listen(events.NOTIFICATIONS, queue_events)
