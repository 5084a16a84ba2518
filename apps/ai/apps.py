from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AiConfig(AppConfig):
    name = "apps.ai"
    label = "ai"
    verbose_name = _("AI")

    def ready(self):
        """Listen to ticket events (triage new tickets)."""
        from apps.tickets import events

        from .queue import queue_new_tickets

        events.listen(events.TRIAGE, queue_new_tickets)
