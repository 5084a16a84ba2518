"""The vocabularies of the e-mail channel: what became of a message, and why one was refused."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Security(models.TextChoices):
    SSL = "ssl", _("TLS from the start (IMAPS, port 993)")
    STARTTLS = "starttls", _("STARTTLS (port 143)")
    NONE = "none", _("None (local test servers only)")


class Status(models.TextChoices):
    RECEIVED = "received", _("Received")
    PROCESSED = "processed", _("Processed")
    REJECTED = "rejected", _("Rejected")
    FAILED = "failed", _("Failed")


class Outcome(models.TextChoices):
    TICKET = "ticket", _("New ticket")
    REPLY = "reply", _("Reply")
    NONE = "", _("None")


class Reason(models.TextChoices):
    """Why a message was recorded and not turned into a ticket or a reply."""

    NO_SENDER = "no_sender", _("No valid sender address")
    BLOCKED = "blocked", _("Blocked sender or domain")
    AUTO_REPLY = "auto_reply", _("Automatic reply or bulk mail")
    BOUNCE = "bounce", _("Delivery failure report")
    LOOP = "loop", _("Sent from one of our own addresses")
    RATE = "rate", _("Too many messages from this sender within an hour")
    TOO_LARGE = "too_large", _("Larger than the size limit")
    UNKNOWN_SENDER = "unknown_sender", _("Sender has no account (new accounts are turned off)")
    NOT_ALLOWED = "not_allowed", _("Sender may not write on the ticket the message answers")
    INACTIVE = "inactive", _("The sender's account is not active")
    INVALID = "invalid", _("Refused by the ticket rules")
