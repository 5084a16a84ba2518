"""Ticket vocabularies and the lifecycle's transition table.

Priority and Category are defined with the departments (SLA policies are per priority, routing rules match
categories) and named here too, since every ticket has them.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.departments.choices import Category, Priority

__all__ = [
    "OPEN_STATUSES",
    "PRIORITY_RANK",
    "SLA_PAUSED_STATUSES",
    "STATUS_RANK",
    "TRANSITIONS",
    "Category",
    "EventKind",
    "Priority",
    "SlaStage",
    "SlaTarget",
    "Source",
    "Status",
]


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING = "waiting", _("Waiting for requester")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = frozenset({Status.NEW, Status.OPEN, Status.IN_PROGRESS, Status.WAITING})

# The whole lifecycle: new → open → in_progress ⇄ waiting → resolved → closed, with reopen
# (resolved/closed → open) and cancel (new/open → closed). A new ticket may also go straight to in_progress or
# waiting (a reply from New takes one click), and the requester may close a ticket that is in progress or
# waiting (permissions.REQUESTER_TRANSITIONS). Nothing else changes a status.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.OPEN, Status.IN_PROGRESS, Status.WAITING, Status.CLOSED}),
    Status.OPEN: frozenset({Status.IN_PROGRESS, Status.CLOSED}),
    Status.IN_PROGRESS: frozenset({Status.WAITING, Status.RESOLVED, Status.CLOSED}),
    Status.WAITING: frozenset({Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED}),
    Status.RESOLVED: frozenset({Status.CLOSED, Status.OPEN}),
    Status.CLOSED: frozenset({Status.OPEN}),
}


class Source(models.TextChoices):
    PORTAL = "portal", _("Portal")
    API = "api", _("API")
    ADMIN = "admin", _("Back office")
    IMPORT = "import", _("Import")
    EMAIL = "email", _("E-mail")


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    STATUS_CHANGED = "status_changed", _("Status changed")
    PRIORITY_CHANGED = "priority_changed", _("Priority changed")
    ASSIGNED = "assigned", _("Assignee changed")
    TRANSFERRED = "transferred", _("Transferred")
    UPDATED = "updated", _("Details edited")
    COMMENTED = "commented", _("Reply added")
    NOTE_ADDED = "note_added", _("Internal note added")
    ATTACHMENT_ADDED = "attachment_added", _("Attachment added")
    ROUTED = "routed", _("Routed")
    SLA_WARNING = "sla_warning", _("SLA about to breach")
    SLA_BREACHED = "sla_breached", _("SLA breached")
    WATCHER_ADDED = "watcher_added", _("Watcher added")
    WATCHER_REMOVED = "watcher_removed", _("Watcher removed")
    ACCESS_CHANGED = "access_changed", _("Access changed")
    COMMENT_EDITED = "comment_edited", _("Comment edited")
    COMMENT_DELETED = "comment_deleted", _("Comment deleted")
    ATTACHMENT_DELETED = "attachment_deleted", _("Attachment deleted")


class SlaTarget(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("first response")
    RESOLUTION = "resolution", _("resolution")


class SlaStage(models.TextChoices):
    WARNING = "warning", _("about to breach")
    BREACHED = "breached", _("breached")


# While a ticket is in one of these statuses its SLA clocks stand still: waiting for the requester, or done.
SLA_PAUSED_STATUSES = frozenset({Status.WAITING, Status.RESOLVED, Status.CLOSED})


def _rank(field: str, values) -> models.Case:
    return models.Case(
        *(models.When(**{field: value}, then=models.Value(i)) for i, value in enumerate(values)),
        output_field=models.IntegerField(),
    )


# Sort orders of the API and the back-office list: priority by urgency (low first), status along the lifecycle
# (new first), not alphabetically.
PRIORITY_RANK = _rank("priority", Priority.values)
STATUS_RANK = _rank("status", Status.values)
