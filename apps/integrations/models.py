"""Webhooks (endpoints that receive signed ticket events), their deliveries, and API keys for programs."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import DeliveryStatus


class Webhook(models.Model):
    """An endpoint that receives the events it subscribes to, for the tickets its owner may see.

    `secret` holds the signing secret encrypted (apps/integrations/signing.py): it must be readable to sign,
    so it cannot be only a hash. `failing_since` is the first failure of an unbroken run of failures; an
    endpoint failing for WEBHOOK_DISABLE_AFTER is disabled.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhooks", verbose_name=_("owner")
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    department = models.ForeignKey(
        "departments.Department",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="webhooks",
        verbose_name=_("department"),
        help_text=_("Only tickets of this department (empty: every ticket the owner may see)."),
    )
    secret = models.TextField(_("secret (encrypted)"), editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    disabled_reason = models.CharField(_("why disabled"), max_length=200, blank=True)
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["-created_at", "-id"]
        permissions = [("manage_department_webhooks", _("Can manage the webhooks of their own departments"))]

    def __str__(self):
        return self.name or self.url


class WebhookDelivery(models.Model):
    """One message to one endpoint: its payload, kept for retries and redelivery under the same `message_id`,
    and what the last attempt got back (the delivery log)."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("webhook"))
    message_id = models.CharField(_("webhook-id"), max_length=40, unique=True)
    event_type = models.CharField(_("event"), max_length=40)
    # The ticket history event it was made from: a fan-out that runs twice finds the row instead of adding one.
    source_event_id = models.BigIntegerField(_("history event"), null=True, blank=True, editable=False)
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("ticket")
    )
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    response_body = models.TextField(_("response (start)"), blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["webhook", "source_event_id"],
                condition=models.Q(source_event_id__isnull=False),
                name="integrations_one_delivery_per_event",
            )
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="integrations_delivery_due"),
            models.Index(fields=["webhook", "-created_at"], name="integrations_delivery_log"),
        ]

    def __str__(self):
        return f"{self.event_type} {self.message_id}"


class ApiKey(models.Model):
    """A named credential of a program acting as `owner`. Only the SHA-256 of the key is stored; `prefix` (the
    key's first characters) tells keys apart in lists."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys", verbose_name=_("owner")
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, editable=False)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    last_used_address = models.GenericIPAddressField(_("last used from"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
