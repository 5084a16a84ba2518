"""The words of notifications, in the recipient's language and time zone (callers activate both)."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from apps.tickets.choices import SlaTarget, Status
from apps.tickets.history import display_name, requester_status_label

from .choices import NotificationKind

TEXT_LENGTH = 500


def _when(value: datetime | str | None, time_zone: str) -> str:
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is None:
        return "-"
    local = timezone.localtime(value, ZoneInfo(time_zone))
    return formats.date_format(local, "SHORT_DATETIME_FORMAT")


def _target(value: str) -> str:
    try:
        return str(SlaTarget(value).label)
    except ValueError:
        return value


def notification_text(*, kind: str, ticket, actor, recipient, data: dict) -> str:
    """One line that says what happened, naming the ticket by reference and title."""
    who = display_name(actor) if actor is not None else _("The help desk")
    values = {"reference": ticket.reference, "title": ticket.title, "actor": who}
    if kind == NotificationKind.TICKET_CREATED:
        text = _("New ticket %(reference)s in %(department)s: %(title)s") % {
            **values,
            "department": ticket.department.name,
        }
    elif kind == NotificationKind.ASSIGNED:
        text = _("%(reference)s was assigned to you: %(title)s") % values
    elif kind == NotificationKind.REPLY and recipient.pk == ticket.requester_id:
        text = _("%(actor)s replied to your ticket %(reference)s: %(title)s") % values
    elif kind == NotificationKind.REPLY:
        text = _("%(actor)s replied on %(reference)s: %(title)s") % values
    elif kind == NotificationKind.MENTION:
        text = _("%(actor)s mentioned you in an internal note on %(reference)s: %(title)s") % values
    elif kind == NotificationKind.STATUS_CHANGED:
        status = data.get("to", ticket.status)
        label = requester_status_label(status) if not recipient.is_staff else _label(status)
        text = _("Your ticket %(reference)s is now “%(status)s”: %(title)s") % {**values, "status": label}
    elif kind == NotificationKind.SLA_WARNING:
        text = _("%(reference)s will miss its %(target)s target at %(due)s: %(title)s") % {
            **values,
            "target": _target(data.get("target")),
            "due": _when(data.get("due"), recipient.time_zone),
        }
    elif kind == NotificationKind.SLA_BREACHED:
        text = _("%(reference)s missed its %(target)s target (due %(due)s): %(title)s") % {
            **values,
            "target": _target(data.get("target")),
            "due": _when(data.get("due"), recipient.time_zone),
        }
    else:
        text = f"{ticket.reference}: {ticket.title}"
    return Truncator(text).chars(TEXT_LENGTH)


def _label(status: str) -> str:
    try:
        return str(Status(status).label)
    except ValueError:
        return status


def email_subject(notification) -> str:
    """`[TCK-000123] <the notification's text>`, on one line and not too long for mail clients."""
    line = " ".join(notification.text.split())
    return Truncator(f"[{notification.ticket.reference}] {line}").chars(150)
