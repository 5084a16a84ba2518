"""How a ticket import behaves (ImportOptions); what it did is an apps.common.csv.report.ImportReport.

`command_actor` and `command_time_zone` read the options the import commands share (`--as`, `--time-zone`).
"""

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.utils import timezone

from .mapping import ImportMapping


@dataclass(frozen=True)
class ImportOptions:
    """How an import behaves; the defaults come from the TICKET_IMPORT_* settings.

    `notify` and `triage` say whether imported tickets should get notifications and AI triage like tickets
    opened by hand. Both are off by default (an import of 50,000 old tickets must not e-mail 50,000 people).
    With `notify` off the whole import runs with the notifications' event listener silenced; on, each imported
    "created" event is fanned out like a new ticket's. `triage` likewise lets the AI app's listener queue the
    triage of each imported ticket. Every imported "created" event records both.
    """

    create_requesters: bool
    notify: bool
    triage: bool
    batch_size: int
    max_errors: int = 1000
    max_preview: int = 50
    # How columns and values are read (a preset and overrides); see mapping.py and columns.py.
    mapping: ImportMapping = field(default_factory=ImportMapping)
    # Send each requester account the import creates a "set your password" e-mail (after commit).
    invite: bool = False

    @classmethod
    def from_settings(cls, **overrides) -> "ImportOptions":
        values = {
            "create_requesters": settings.TICKET_IMPORT_CREATE_REQUESTERS,
            "notify": settings.TICKET_IMPORT_NOTIFY,
            "triage": settings.TICKET_IMPORT_TRIAGE,
            "batch_size": settings.TICKET_IMPORT_BATCH_SIZE,
            "max_errors": settings.TICKET_IMPORT_MAX_ERRORS,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        if values["batch_size"] < 1:
            raise ValueError("batch_size must be at least 1")
        return cls(**values)


def command_actor(username: str):
    """The active user named by an import command's `--as` (None without one), else CommandError."""
    if not username:
        return None
    actor = get_user_model().objects.filter(username=username, is_active=True).first()
    if actor is None:
        raise CommandError(f"No active user named “{username}”.")
    return actor


def command_time_zone(name: str):
    """The time zone of an import command's `--time-zone` (the site's without one), else CommandError."""
    try:
        return ZoneInfo(name) if name else timezone.get_default_timezone()
    except (ZoneInfoNotFoundError, ValueError):
        raise CommandError(f"Unknown time zone “{name}”.") from None
