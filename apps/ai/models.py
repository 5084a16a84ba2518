"""What the AI said about a ticket (TicketInsight), the translations it made (Translation) and the models the
learning triage trained on the site's own tickets (TriageModel)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.tickets.choices import Category, Priority

from .choices import InsightStatus, LearnTarget, ModelStatus, TranslatedField


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
    suggested_category = models.CharField(_("suggested category"), max_length=16, choices=Category.choices, blank=True)
    # Per target ("department", "category", "priority"): the probability of the suggestion, in [0, 1], and what
    # made it ("model v3", "keywords", "rules", "provider").
    confidence = models.JSONField(_("confidence"), default=dict, blank=True)
    suggested_by = models.JSONField(_("suggested by"), default=dict, blank=True)
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


class TriageModel(models.Model):
    """One trained version of the learning triage for one target, with its held-out figures.

    `payload` is the fitted scikit-learn pipeline, pickled (joblib) and compressed. Unpickling runs code, so it
    is read only from this table: the database is trusted, nothing from outside is ever loaded into it.
    A rejected candidate keeps its figures but not its payload.
    """

    target = models.CharField(_("target"), max_length=16, choices=LearnTarget.choices)
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=16, choices=ModelStatus.choices)
    trained_at = models.DateTimeField(_("trained at"))
    training_size = models.PositiveIntegerField(_("training tickets"))
    heldout_size = models.PositiveIntegerField(_("held-out tickets"))
    accuracy = models.FloatField(_("held-out accuracy"))
    baseline_accuracy = models.FloatField(_("majority-class accuracy"))
    # The accuracy of the model in use (or of the provider's categories) on the same held-out tickets.
    compared_accuracy = models.FloatField(_("accuracy of the model it was compared with"), null=True, blank=True)
    # Classes, majority class, accuracy per language, most-confused pairs, seconds the training took.
    metrics = models.JSONField(_("figures"), default=dict)
    payload = models.BinaryField(_("model"), blank=True, default=b"")

    class Meta:
        verbose_name = _("triage model")
        verbose_name_plural = _("triage models")
        ordering = ("target", "-version")
        constraints = [
            models.UniqueConstraint(fields=["target", "version"], name="ai_triagemodel_unique_version"),
            models.UniqueConstraint(
                fields=["target"], condition=Q(status="active"), name="ai_triagemodel_one_active_per_target"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.target} v{self.version} ({self.status})"


class TriageBackfill(models.Model):
    """One run of "Triage with AI" on the ticket list: how far it got (the progress page reads it)."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("requested by")
    )
    total = models.PositiveIntegerField(_("tickets"), default=0)
    done = models.PositiveIntegerField(_("done"), default=0)
    triaged = models.PositiveIntegerField(_("triaged"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("AI triage backfill")
        verbose_name_plural = _("AI triage backfills")

    def __str__(self) -> str:
        return f"{self.done}/{self.total}"
