"""Vocabularies of notifications: what happened, and how a person hears about it."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    TICKET_CREATED = "ticket_created", _("New ticket in my department")
    ASSIGNED = "assigned", _("Ticket assigned to me")
    REPLY = "reply", _("Reply on a ticket")
    MENTION = "mention", _("Mentioned in an internal note")
    STATUS_CHANGED = "status_changed", _("Status of my ticket changed")
    SLA_WARNING = "sla_warning", _("SLA about to breach")
    SLA_BREACHED = "sla_breached", _("SLA breached")


# What a requester can ever be told: about public replies and the status of their own tickets. Nothing else
# (internal notes, mentions, routing, SLAs) reaches them, whatever the fan-out computes.
REQUESTER_KINDS = (NotificationKind.REPLY, NotificationKind.STATUS_CHANGED)
STAFF_KINDS = tuple(NotificationKind.values)


class EmailStatus(models.TextChoices):
    SKIPPED = "skipped", _("Not wanted")
    PENDING = "pending", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
