"""Vocabularies of the knowledge base and of satisfaction ratings."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class Audience(models.TextChoices):
    """Who may read an article: anyone (also anonymous visitors), signed-in requesters, or agents only."""

    PUBLIC = "public", _("Public")
    REQUESTERS = "requesters", _("Signed-in requesters")
    AGENTS = "agents", _("Agents only")


class RatingScale(models.TextChoices):
    """CSAT_SCALE: a 1–5 rating, or good/bad (stored as 5 and 1)."""

    FIVE = "five", _("1 to 5")
    BINARY = "binary", _("Good or bad")


RATING_LABELS = {
    1: _("Very dissatisfied"),
    2: _("Dissatisfied"),
    3: _("Neutral"),
    4: _("Satisfied"),
    5: _("Very satisfied"),
}
BINARY_LABELS = {5: _("Good"), 1: _("Bad")}
# A rating of 4 or 5 counts as satisfied in the CSAT figure (the share of satisfied ratings).
SATISFIED_FROM = 4
