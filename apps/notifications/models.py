"""Notifications (in-app rows that may also be e-mailed) and the per-person preferences that decide them."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import EmailStatus, NotificationKind


class Notification(models.Model):
    """Something a person is told about a ticket: listed in-app, and e-mailed when their preferences say so.

    `key` is the idempotency key of the fan-out (event, recipient, kind): running a delivery task twice finds
    the row instead of adding one. `email_status` makes sending happen once: a task claims the row
    (pending → sending) with one UPDATE before it sends, and a second run finds nothing to claim.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="notifications", verbose_name=_("ticket")
    )
    kind = models.CharField(_("kind"), max_length=32, choices=NotificationKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    # The reply or note the notification is about, for the e-mail's excerpt (never an internal one for requesters).
    comment = models.ForeignKey(
        "tickets.Comment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("comment")
    )
    text = models.CharField(_("text"), max_length=500)
    key = models.CharField(_("idempotency key"), max_length=120, unique=True, editable=False)
    in_app = models.BooleanField(_("in the notification list"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    email_status = models.CharField(
        _("e-mail"), max_length=16, choices=EmailStatus.choices, default=EmailStatus.SKIPPED
    )
    email_claimed_at = models.DateTimeField(_("e-mail attempt started"), null=True, blank=True, editable=False)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(_("e-mail attempts"), default=0)
    email_error = models.TextField(_("e-mail error"), blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_recipient_created"),
            # The unread counter, polled every few seconds: one index range per person.
            models.Index(
                fields=["recipient"], condition=Q(read_at__isnull=True, in_app=True), name="notification_unread"
            ),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(models.Model):
    """One person's channels for one kind of notification. No row: both channels on."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=32, choices=NotificationKind.choices)
    in_app = models.BooleanField(_("in the notification list"), default=True)
    email = models.BooleanField(_("by e-mail"), default=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notificationpreference_user_kind")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: in-app {self.in_app}, e-mail {self.email}"
