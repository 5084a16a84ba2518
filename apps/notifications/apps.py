from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "apps.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        """Listen to ticket events (queue their delivery) and add the Notifications page to the portal."""
        from apps.tickets import events, extensions

        from .queue import queue_events
        from .urls import portal_urlpatterns

        events.listen(events.NOTIFICATIONS, queue_events)
        for pattern in portal_urlpatterns:
            extensions.portal_urls.register(pattern)
