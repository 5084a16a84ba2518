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
