from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AiConfig(AppConfig):
    name = "apps.ai"
    label = "ai"
    verbose_name = _("AI")

    def ready(self):
        """Listen to ticket events (triage new tickets) and add the AI's pieces to the tickets' pages and API."""
        from apps.tickets import events, extensions

        from . import admin, api, views
        from .queue import queue_new_tickets

        events.listen(events.TRIAGE, queue_new_tickets)
        extensions.portal_ticket_context.register(views.REPLIES_TRANSLATION)
        extensions.admin_ticket_panels.register(admin.INSIGHT_PANEL)
        extensions.admin_ticket_panels.register(admin.TRANSLATION_PANEL)
        extensions.admin_ticket_urls.register(admin.INSIGHT_APPLY_URL)
        extensions.admin_ticket_urls.register(admin.BACKFILL_PROGRESS_URL)
        extensions.admin_ticket_actions.register(admin.TRIAGE_ACTION)
        extensions.api_ticket_fields.register(api.INSIGHT_FIELD)
        extensions.api_ticket_actions.register(api.TRANSLATION_ACTION)
        extensions.ticket_language_lookups.register(extensions.LanguageLookup("insight", "insight__language"))
