from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    AGENT = "agent", _("Agent")
    REQUESTER = "requester", _("Requester")


STAFF_ROLES = frozenset({Role.ADMIN, Role.AGENT})
