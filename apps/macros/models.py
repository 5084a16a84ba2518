"""Canned responses and macros: a text an agent sends often, with optional actions applied with it.

A macro without actions is a canned response. Its texts may use the placeholders of placeholders.py (a fixed
set, plus those with an argument that apps above tickets register, such as `{article:<slug>}`; never a template
language); `translations` holds optional variants of the body per site language, picked by
the requester's language.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.common.models import TimeStampedModel
from apps.tickets.choices import Priority, Status
from apps.tickets.models import COMMENT_MAX_LENGTH

from .choices import AssignTo, Scope


class Macro(TimeStampedModel):
    """A canned response (a text to insert or send) with optional actions: status, priority, assignee, a note."""

    TITLE_MAX_LENGTH = 200

    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH)
    body = models.TextField(
        _("reply text"),
        blank=True,
        max_length=COMMENT_MAX_LENGTH,
        help_text=_("Sent as a public reply, or inserted into the reply box to edit before sending."),
    )
    translations = models.JSONField(_("reply text per language"), default=dict, blank=True)
    scope = models.CharField(_("who may use it"), max_length=16, choices=Scope.choices, default=Scope.EVERYONE)
    department = models.ForeignKey(
        "departments.Department",
        verbose_name=_("department"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="macros",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="private_macros",
    )
    set_status = models.CharField(_("set status"), max_length=16, choices=Status.choices, blank=True)
    set_priority = models.CharField(_("set priority"), max_length=16, choices=Priority.choices, blank=True)
    assign = models.CharField(_("assign to"), max_length=8, choices=AssignTo.choices, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(
        _("internal note"), blank=True, max_length=COMMENT_MAX_LENGTH, help_text=_("Added as an internal note.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("canned response or macro")
        verbose_name_plural = _("canned responses and macros")
        ordering = ["title", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scope=Scope.DEPARTMENT, department__isnull=False)
                | (~Q(scope=Scope.DEPARTMENT) & Q(department__isnull=True)),
                name="macros_macro_department_scope",
            ),
            models.CheckConstraint(
                condition=Q(scope=Scope.PRIVATE, owner__isnull=False)
                | (~Q(scope=Scope.PRIVATE) & Q(owner__isnull=True)),
                name="macros_macro_private_owner",
            ),
        ]
        indexes = [models.Index(fields=["scope", "department"], name="macros_scope_department_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def has_actions(self) -> bool:
        """True for a macro (it changes the ticket or adds a note), False for a plain canned response."""
        return bool(self.set_status or self.set_priority or self.assign or self.note.strip())
