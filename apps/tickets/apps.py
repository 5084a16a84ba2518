from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "apps.tickets"
    label = "tickets"
    verbose_name = _("Tickets")

    def ready(self):
        from apps.accounts.access import on_staff_access_ended
        from apps.accounts.selectors import register_agent_contacts
        from apps.audit.registry import track

        from .models import Attachment, Ticket
        from .selectors import requesters_seen_by
        from .services import staff_access_end

        register_agent_contacts(requesters_seen_by)
        on_staff_access_ended("tickets", staff_access_end)
        # The audit log keeps deletions of tickets and files (every other ticket write is in the ticket's history).
        track(
            Ticket, fields=("reference", "title", "status", "department", "requester", "assignee"), deletions_only=True
        )
        track(Attachment, fields=("ticket", "original_name", "content_type", "size", "sha256"), deletions_only=True)
