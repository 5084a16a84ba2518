"""The user model: one account type for requesters, agents and admins."""

import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from .choices import STAFF_ROLES, Role


def time_zone_choices() -> list[tuple[str, str]]:
    return [(tz, tz) for tz in sorted(zoneinfo.available_timezones())]


def validate_time_zone(value: str) -> None:
    # Not a field `choices`: the tz database differs between machines and would churn migrations.
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("“%(value)s” is not a known time zone."), params={"value": value})


class AccountManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)

    def get_by_natural_key(self, username):
        return self.get(username=username)


class User(AbstractUser):
    """A person using the system; `role` decides which product they use (portal or back office)."""

    email = models.EmailField(_("email address"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.REQUESTER)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC", validators=[validate_time_zone])
    # Automatic assignment (round robin, least open) skips agents who are away; manual assignment does not.
    is_available = models.BooleanField(
        _("available for new tickets"),
        default=True,
        help_text=_("Off while away: automatic assignment skips this agent."),
    )

    objects = AccountManager()

    REQUIRED_FIELDS = ["email"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]
        indexes = [models.Index(fields=["role"], name="accounts_user_role_idx")]

    def save(self, *args, **kwargs):
        # Keep Django's flags derived from the role, so the role is the one source of truth.
        self.is_staff = self.role in STAFF_ROLES
        self.is_superuser = self.role == Role.ADMIN
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "role" in update_fields:
            kwargs["update_fields"] = {*update_fields, "is_staff", "is_superuser"}
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        full = self.get_full_name()
        return f"{full} ({self.username})" if full else self.username
