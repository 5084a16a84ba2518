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


def _saved_views_changed(sender, **kwargs) -> None:
    from .services import saved_views_changed

    if kwargs.get("action", "post_").startswith("post_"):
        saved_views_changed()


class TicketsConfig(AppConfig):
    name = "apps.tickets"
    label = "tickets"
    verbose_name = _("Tickets")

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from apps.accounts.access import on_staff_access_ended
        from apps.accounts.selectors import register_agent_contacts
        from apps.audit.registry import track

        from .models import Attachment, SavedView, Ticket
        from .selectors import requesters_seen_by
        from .services import staff_access_end

        register_agent_contacts(requesters_seen_by)
        # The sidebar's kept saved views (selectors.sidebar_saved_views) change with any view written or deleted
        # (cascades from an owner or department included) and with any department membership (groups).
        for signal in (post_save, post_delete):
            signal.connect(_saved_views_changed, sender=SavedView, dispatch_uid=f"tickets:saved-views:{signal}")
        m2m_changed.connect(
            _saved_views_changed, sender=get_user_model().groups.through, dispatch_uid="tickets:saved-views:groups"
        )
        # The "Background tasks" pages say which ticket a task was about (apps/common/tasks.py).
        task_subjects["ticket_id"] = _ticket_words
        task_subjects["event_id"] = _event_words
        on_staff_access_ended("tickets", staff_access_end)
        # The audit log keeps deletions of tickets and files (every other ticket write is in the ticket's history).
        track(
            Ticket, fields=("reference", "title", "status", "department", "requester", "assignee"), deletions_only=True
        )
        track(Attachment, fields=("ticket", "original_name", "content_type", "size", "sha256"), deletions_only=True)
