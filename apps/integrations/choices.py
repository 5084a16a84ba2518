"""Vocabularies of integrations: the webhook event types, and where a delivery stands."""

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
    ATTACHMENT_CREATED = "attachment.created", _("Attachment added")
    SLA_WARNING = "ticket.sla_warning", _("SLA about to breach")
    SLA_BREACHED = "ticket.sla_breached", _("SLA breached")


# A ticket history event → the webhook event it is delivered as. Routing is left out: the department is in the
# payload of `ticket.created`, and a later move is `ticket.transferred`.
EVENT_TYPES: dict[str, str] = {
    EventKind.CREATED: WebhookEvent.TICKET_CREATED,
    EventKind.UPDATED: WebhookEvent.TICKET_UPDATED,
    EventKind.PRIORITY_CHANGED: WebhookEvent.TICKET_PRIORITY_CHANGED,
    EventKind.STATUS_CHANGED: WebhookEvent.TICKET_STATUS_CHANGED,
    EventKind.ASSIGNED: WebhookEvent.TICKET_ASSIGNED,
    EventKind.TRANSFERRED: WebhookEvent.TICKET_TRANSFERRED,
    EventKind.COMMENTED: WebhookEvent.COMMENT_CREATED,
    EventKind.NOTE_ADDED: WebhookEvent.COMMENT_CREATED,
    EventKind.ATTACHMENT_ADDED: WebhookEvent.ATTACHMENT_CREATED,
    EventKind.SLA_WARNING: WebhookEvent.SLA_WARNING,
    EventKind.SLA_BREACHED: WebhookEvent.SLA_BREACHED,
}


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RETRYING = "retrying", _("Failed, will retry")
    SUCCEEDED = "succeeded", _("Delivered")
    FAILED = "failed", _("Failed")
