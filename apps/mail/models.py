"""Mailboxes polled over IMAP, the mail log (every message in, and what became of it), and ticket watchers."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import Outcome, Reason, Security, Status


class Mailbox(models.Model):
    """An IMAP mailbox the workers poll; its messages become tickets of `department` (None: routed)."""

    name = models.SlugField(_("name"), max_length=60, unique=True)
    address = models.EmailField(
        _("address"), help_text=_("The address people write to; replies go out with it as Reply-To.")
    )
    host = models.CharField(_("IMAP host"), max_length=255)
    port = models.PositiveIntegerField(_("port"), default=993)
    security = models.CharField(_("security"), max_length=16, choices=Security.choices, default=Security.SSL)
    username = models.CharField(_("user name"), max_length=255)
    # Fernet token (apps/mail/vault.py); never shown, never logged, masked in the audit log.
    password = models.TextField(_("password"), blank=True, editable=False)
    folder = models.CharField(_("folder"), max_length=255, default="INBOX")
    processed_folder = models.CharField(_("folder for processed mail"), max_length=255, default="Processed")
    failed_folder = models.CharField(_("folder for failed mail"), max_length=255, default="Failed")
    department = models.ForeignKey(
        "departments.Department",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("department"),
        help_text=_("Empty: new tickets are routed like any other."),
    )
    is_enabled = models.BooleanField(_("enabled"), default=True)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"


class MailMessage(models.Model):
    """One message through the channel, in or out: the mail log.

    `key` makes ingestion idempotent: the Message-ID, or the SHA-256 of the bytes when there is none, so the same
    message fetched twice is found, not processed again. `raw` keeps the whole message for the record and for a
    resubmit (empty for a message over MAIL_MAX_BYTES, of which only the headers are kept).
    """

    class Direction(models.TextChoices):
        IN = "in", _("In")
        OUT = "out", _("Out")

    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices, default=Direction.IN)
    key = models.CharField(_("idempotency key"), max_length=255, unique=True, editable=False)
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True, db_index=True)
    mailbox = models.ForeignKey(
        Mailbox, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages", verbose_name=_("mailbox")
    )
    sender = models.CharField(_("from"), max_length=254, blank=True, db_index=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    headers = models.TextField(_("headers"), blank=True)
    raw = models.BinaryField(_("message"), blank=True, editable=False)
    size = models.PositiveIntegerField(_("size"), default=0)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.RECEIVED)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True, default="")
    reason = models.CharField(_("reason"), max_length=32, choices=Reason.choices, blank=True)
    detail = models.TextField(_("detail"), blank=True, help_text=_("The reason in full, or the error."))
    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="mail_messages",
        verbose_name=_("ticket"),
    )
    comment = models.ForeignKey(
        "tickets.Comment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("reply")
    )
    # Out: an e-mail about an internal note (to staff). A staff member's answer to it stays an internal note.
    is_internal = models.BooleanField(_("about an internal note"), default=False)
    received_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)

    class Meta:
        verbose_name = _("mail log entry")
        verbose_name_plural = _("mail log")
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["sender", "received_at"], name="mail_sender_received")]

    def __str__(self) -> str:
        return f"{self.sender or '?'}: {self.subject or '-'}"


class Watcher(models.Model):
    """Someone who follows a ticket by e-mail: an account (with a view grant) or an address only."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="watchers", verbose_name=_("ticket")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="watching",
        verbose_name=_("user"),
    )
    email = models.EmailField(_("e-mail address"))
    added_at = models.DateTimeField(_("added"), default=timezone.now, editable=False)
    # True when watching gave the account its view of the ticket: removing the watcher takes that view back.
    grants_view = models.BooleanField(_("view granted by watching"), default=False, editable=False)

    class Meta:
        verbose_name = _("watcher")
        verbose_name_plural = _("watchers")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "email"], name="mail_watcher_unique_email"),
            models.UniqueConstraint(
                fields=["ticket", "user"], condition=Q(user__isnull=False), name="mail_watcher_unique_user"
            ),
        ]

    def __str__(self) -> str:
        return self.email
