"""AI vocabularies."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class InsightStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class TranslatedField(models.TextChoices):
    TITLE = "title", _("Title")
    DESCRIPTION = "description", _("Description")
    BODY = "body", _("Reply")


class LearnTarget(models.TextChoices):
    """What the learning triage predicts: one model per target."""

    DEPARTMENT = "department", _("Department")
    CATEGORY = "category", _("Category")
    PRIORITY = "priority", _("Priority")


class ModelStatus(models.TextChoices):
    ACTIVE = "active", _("In use")
    RETIRED = "retired", _("Replaced by a better model")
    REJECTED = "rejected", _("Not better than the model in use")
