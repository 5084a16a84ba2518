"""Vocabularies of integrations: the webhook event types, and where a delivery stands.

Which ticket history events (apps/tickets/choices.py EventKind) a webhook can receive, and why the others not:
- every change of the ticket's properties, the conversation (added, edited, deleted) and its files (added,
  deleted), the SLA alerts, and the watchers (people who see the ticket because they were in the Cc of an
  e-mail; internal, so staff owners only);
- not ROUTED: it is written with the ticket, in the same transaction, and `ticket.created` already carries the
  department the routing chose; a later move is `ticket.transferred`;
- not ACCESS_CHANGED: an admin's share of one ticket with a person or a group is a security decision, recorded
  in the history and the audit log; its data (permission codenames, group names) is the desk's machinery, and
  it changes who may see the ticket without changing the ticket. An integrator that mirrors access should read
  the users API, not follow grants;
- satisfaction ratings (apps.knowledge) are not ticket history events, and integrations may not import a
  sibling app, so no webhook sends them; there is no merge of tickets.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.tickets.choices import EventKind


class WebhookEvent(models.TextChoices):
    """The dotted event types a webhook subscribes to (the `type` of each payload)."""

    TICKET_CREATED = "ticket.created", _("Ticket created")
    TICKET_UPDATED = "ticket.updated", _("Ticket details edited")
    TICKET_PRIORITY_CHANGED = "ticket.priority_changed", _("Ticket priority changed")
    TICKET_STATUS_CHANGED = "ticket.status_changed", _("Ticket status changed")
    TICKET_ASSIGNED = "ticket.assigned", _("Ticket assigned")
    TICKET_TRANSFERRED = "ticket.transferred", _("Ticket transferred")
    COMMENT_CREATED = "comment.created", _("Comment added")
    COMMENT_UPDATED = "comment.updated", _("Comment edited")
    COMMENT_DELETED = "comment.deleted", _("Comment deleted")
    ATTACHMENT_CREATED = "attachment.created", _("Attachment added")
    ATTACHMENT_DELETED = "attachment.deleted", _("Attachment deleted")
    SLA_WARNING = "ticket.sla_warning", _("SLA about to breach")
    SLA_BREACHED = "ticket.sla_breached", _("SLA breached")
    WATCHER_ADDED = "ticket.watcher_added", _("Watcher added")
    WATCHER_REMOVED = "ticket.watcher_removed", _("Watcher removed")


# A ticket history event → the webhook event it is delivered as (the kinds left out: see the module docstring).
EVENT_TYPES: dict[str, str] = {
    EventKind.CREATED: WebhookEvent.TICKET_CREATED,
    EventKind.UPDATED: WebhookEvent.TICKET_UPDATED,
    EventKind.PRIORITY_CHANGED: WebhookEvent.TICKET_PRIORITY_CHANGED,
    EventKind.STATUS_CHANGED: WebhookEvent.TICKET_STATUS_CHANGED,
    EventKind.ASSIGNED: WebhookEvent.TICKET_ASSIGNED,
    EventKind.TRANSFERRED: WebhookEvent.TICKET_TRANSFERRED,
    EventKind.COMMENTED: WebhookEvent.COMMENT_CREATED,
    EventKind.NOTE_ADDED: WebhookEvent.COMMENT_CREATED,
    EventKind.COMMENT_EDITED: WebhookEvent.COMMENT_UPDATED,
    EventKind.COMMENT_DELETED: WebhookEvent.COMMENT_DELETED,
    EventKind.ATTACHMENT_ADDED: WebhookEvent.ATTACHMENT_CREATED,
    EventKind.ATTACHMENT_DELETED: WebhookEvent.ATTACHMENT_DELETED,
    EventKind.SLA_WARNING: WebhookEvent.SLA_WARNING,
    EventKind.SLA_BREACHED: WebhookEvent.SLA_BREACHED,
    EventKind.WATCHER_ADDED: WebhookEvent.WATCHER_ADDED,
    EventKind.WATCHER_REMOVED: WebhookEvent.WATCHER_REMOVED,
}
# The history events deliberately not sent (tests/integrations check that every kind is either mapped or here).
NOT_DELIVERED = frozenset({EventKind.ROUTED, EventKind.ACCESS_CHANGED})


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RETRYING = "retrying", _("Failed, will retry")
    SUCCEEDED = "succeeded", _("Delivered")
    FAILED = "failed", _("Failed")
