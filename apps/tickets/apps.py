from django.apps import AppConfig
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.common.tasks import task_subjects


def _ticket_words(ticket_id) -> str | None:
    from .models import Ticket

    ticket = Ticket.objects.filter(pk=ticket_id).only("reference", "title").first()
    return (
        gettext("ticket %(reference)s %(title)s") % {"reference": ticket.reference, "title": ticket.title}
        if ticket
        else None
    )


def _event_words(event_id) -> str | None:
    from .models import TicketEvent

    event = TicketEvent.objects.filter(pk=event_id).select_related("ticket").only("kind", "ticket__reference").first()
    if event is None:
        return None
    return gettext("“%(kind)s” on ticket %(reference)s") % {
        "kind": event.get_kind_display(),
        "reference": event.ticket.reference,
    }


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
        # The "Background tasks" pages say which ticket a task was about (apps/common/tasks.py).
        task_subjects["ticket_id"] = _ticket_words
        task_subjects["event_id"] = _event_words
        on_staff_access_ended("tickets", staff_access_end)
        # The audit log keeps deletions of tickets and files (every other ticket write is in the ticket's history).
        track(
            Ticket, fields=("reference", "title", "status", "department", "requester", "assignee"), deletions_only=True
        )
        track(Attachment, fields=("ticket", "original_name", "content_type", "size", "sha256"), deletions_only=True)
