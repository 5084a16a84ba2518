"""Departments: the teams tickets are routed to. Each owns one auth Group that holds its members."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.common.models import TimeStampedModel


class DepartmentManager(models.Manager):
    def get_by_natural_key(self, slug):
        # Lets fixtures refer to (and loaddata update, not duplicate) a department by its slug.
        return self.get(slug=slug)


class Department(TimeStampedModel):
    """A team of agents; membership is membership of `group`, which carries the ticket grants."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="department", verbose_name=_("group"))
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_departments",
        verbose_name=_("manager"),
    )
    is_default = models.BooleanField(
        _("default department"),
        default=False,
        help_text=_("Tickets that match no routing rule go here. Only one department can be the default."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = DepartmentManager()

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="departments_single_default"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def natural_key(self):
        return (self.slug,)
