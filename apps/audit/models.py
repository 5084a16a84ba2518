"""The audit log: one row per administrative change, kept even when the actor or the object is deleted."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    CREATED = "created", _("Created")
    UPDATED = "updated", _("Updated")
    DELETED = "deleted", _("Deleted")
    GRANTED = "granted", _("Permissions granted")
    REVOKED = "revoked", _("Permissions revoked")
    ACCESS_ENDED = "access_ended", _("Staff access ended")


class AuditEntry(models.Model):
    """Who changed what, when and from where: `changes` maps a field to [before, after] (secrets masked)."""

    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    # The actor's label is stored too: the entry keeps its "who" when the account is deleted.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(_("actor"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=64, blank=True)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    # No foreign key to the object itself: deleting it must not take its history along.
    content_type = models.ForeignKey(ContentType, verbose_name=_("object type"), on_delete=models.PROTECT)
    object_id = models.CharField(_("object id"), max_length=64)
    object_label = models.CharField(_("object"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-id"]
        # Entries are only ever read through the application: no add/change/delete permission exists.
        default_permissions = ("view",)
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="audit_entry_object_idx"),
            models.Index(fields=["actor", "created_at"], name="audit_entry_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.object_label}"

    def save(self, *args, **kwargs):
        # Written once, never edited (SET_NULL on the actor is an UPDATE query, not a save()).
        if not self._state.adding:
            raise ValueError("Audit entries are never edited.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit entries are never deleted.")
