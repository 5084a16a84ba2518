"""What the AI provider said about a ticket (TicketInsight) and the translations it made (Translation)."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.tickets.choices import Priority

from .choices import InsightStatus, TranslatedField


class TicketInsight(models.Model):
    """The triage of one ticket: language, sentiment, categories and suggestions; agents decide what to apply."""

    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, related_name="insight")
    status = models.CharField(_("status"), max_length=16, choices=InsightStatus.choices, default=InsightStatus.PENDING)
    provider = models.CharField(_("provider"), max_length=16, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True, db_index=True)
    sentiment = models.FloatField(_("sentiment"), null=True, blank=True)
    categories = models.JSONField(_("categories"), default=list, blank=True)
    suggested_priority = models.CharField(_("suggested priority"), max_length=16, choices=Priority.choices, blank=True)
    suggested_department = models.ForeignKey(
        "departments.Department",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("suggested department"),
    )
    error = models.TextField(_("error"), blank=True)
    analysed_at = models.DateTimeField(_("analysed at"), null=True, blank=True)
    # Calls of the provider made for this insight; a failed one is retried until AI_TRIAGE_MAX_ATTEMPTS.
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)

    class Meta:
        verbose_name = _("ticket insight")
        verbose_name_plural = _("ticket insights")

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.status}"


class Translation(models.Model):
    """A cached machine translation of a ticket's field or a comment's body into one language."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="translations")
    comment = models.ForeignKey(
        "tickets.Comment", on_delete=models.CASCADE, null=True, blank=True, related_name="translations"
    )
    field = models.CharField(_("field"), max_length=16, choices=TranslatedField.choices)
    language = models.CharField(_("language"), max_length=8)
    source_language = models.CharField(_("source language"), max_length=8, blank=True)
    # The hash of the text that was translated: an edited original is translated again.
    source_hash = models.CharField(max_length=64)
    text = models.TextField(_("text"))
    provider = models.CharField(_("provider"), max_length=16)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("translation")
        verbose_name_plural = _("translations")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "field", "language"],
                condition=Q(comment__isnull=True),
                name="ai_translation_unique_ticket_field",
            ),
            models.UniqueConstraint(
                fields=["comment", "field", "language"],
                condition=Q(comment__isnull=False),
                name="ai_translation_unique_comment_field",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}/{self.comment_id or '-'}/{self.field} → {self.language}"
