"""Vocabularies of departments: how tickets are assigned, what a routing rule looks at, and the ticket
priorities and categories that SLA policies and routing rules are set per (apps.tickets.choices names them too)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AssignmentPolicy(models.TextChoices):
    MANUAL = "manual", _("Manual")
    ROUND_ROBIN = "round_robin", _("Round robin")
    LEAST_OPEN = "least_open", _("Least open tickets")


class RuleField(models.TextChoices):
    KEYWORDS = "keywords", _("Title or description contains a keyword")
    REGEX = "regex", _("Title or description matches a regular expression")
    CATEGORY = "category", _("Category is")
    EMAIL_DOMAIN = "email_domain", _("Requester's e-mail domain is")


class Weekday(models.IntegerChoices):
    """ISO weekday numbers, as datetime.isoweekday() returns them."""

    MONDAY = 1, _("Monday")
    TUESDAY = 2, _("Tuesday")
    WEDNESDAY = 3, _("Wednesday")
    THURSDAY = 4, _("Thursday")
    FRIDAY = 5, _("Friday")
    SATURDAY = 6, _("Saturday")
    SUNDAY = 7, _("Sunday")


# The ticket vocabularies that departments configure on: SLA policies per priority, routing rules per category.
class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Category(models.TextChoices):
    QUESTION = "question", _("Question")
    INCIDENT = "incident", _("Something is broken")
    REQUEST = "request", _("Service request")
    ACCESS = "access", _("Access and accounts")
    BILLING = "billing", _("Billing")
    OTHER = "other", _("Other")
