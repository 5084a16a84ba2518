"""Vocabularies of canned responses and macros."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    EVERYONE = "everyone", _("Everyone")
    DEPARTMENT = "department", _("A department")
    PRIVATE = "private", _("Only me (private)")


class AssignTo(models.TextChoices):
    UNCHANGED = "", _("Leave as it is")
    ME = "me", _("The agent who applies it")
    NOBODY = "nobody", _("Nobody (unassign)")
    USER = "user", _("This agent:")
