"""The ticket history in plain words.

Two audiences read it: agents in the back office ("Alice Agent changed the status from Open to In progress") and
requesters in the portal ("Alice set the status to Waiting for you"), who see only the events about their
ticket's progress, in the words of the portal.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.departments.choices import AssignmentPolicy, RuleField
from apps.departments.models import Department

from .choices import EventKind, Priority, SlaTarget, Source, Status
from .models import Ticket, TicketEvent

# What requesters call each status: the ticket is theirs, so "Waiting for requester" is "Waiting for you".
REQUESTER_STATUS_LABELS = {
    Status.NEW: gettext_lazy("Received"),
    Status.OPEN: gettext_lazy("Open"),
    Status.IN_PROGRESS: gettext_lazy("In progress"),
    Status.WAITING: gettext_lazy("Waiting for you"),
    Status.RESOLVED: gettext_lazy("Resolved"),
    Status.CLOSED: gettext_lazy("Closed"),
}
# The events a requester's history shows: the ticket's progress, not the desk's internal routing.
# Edited and deleted replies are there too, with the text they had (the requester's own, or the desk's).
REQUESTER_EVENT_KINDS = (
    EventKind.CREATED,
    EventKind.STATUS_CHANGED,
    EventKind.COMMENT_EDITED,
    EventKind.COMMENT_DELETED,
)


def requester_status_label(status: str) -> str:
    return str(REQUESTER_STATUS_LABELS.get(status, status))


@dataclass(frozen=True)
class HistoryLine:
    """One rendered history entry. `text` is plain text: templates escape it like any other value."""

    text: str
    created_at: datetime
    kind: str
    is_internal: bool
    # More than the line says: the description an edit replaced, a comment's text before its edit or deletion.
    detail: str = ""


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _field_name(name: str) -> str:
    try:
        return str(Ticket._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:  # an old event may name a field that no longer exists
        return name


def _describe(event: TicketEvent, actor: str, users: dict, departments: dict) -> str:
    data = event.data or {}
    kind = event.kind

    def user(pk) -> str:
        return users.get(pk) or _("a deleted user")

    def department(pk) -> str:
        return departments.get(pk) or _("a deleted department")

    if kind == EventKind.CREATED:
        return _("%(actor)s opened the ticket in %(department)s (via %(source)s)") % {
            "actor": actor,
            "department": department(data.get("department")),
            "source": _label(Source, data.get("source")),
        }
    if kind == EventKind.STATUS_CHANGED:
        return _("%(actor)s changed the status from %(from)s to %(to)s") % {
            "actor": actor,
            "from": _label(Status, data.get("from")),
            "to": _label(Status, data.get("to")),
        }
    if kind == EventKind.PRIORITY_CHANGED:
        return _("%(actor)s changed the priority from %(from)s to %(to)s") % {
            "actor": actor,
            "from": _label(Priority, data.get("from")),
            "to": _label(Priority, data.get("to")),
        }
    if kind == EventKind.ASSIGNED:
        old, new = data.get("from"), data.get("to")
        if data.get("policy") and new is not None:
            return _("%(actor)s assigned the ticket to %(to)s (%(policy)s)") % {
                "actor": actor,
                "to": user(new),
                "policy": _label(AssignmentPolicy, data["policy"]).lower(),
            }
        if new is None and data.get("reason") == "transfer":
            return _("%(from)s was unassigned: not a member of the department the ticket moved to") % {
                "from": user(old)
            }
        if new is None:
            return _("%(actor)s unassigned %(from)s") % {"actor": actor, "from": user(old)}
        if old is None:
            return _("%(actor)s assigned the ticket to %(to)s") % {"actor": actor, "to": user(new)}
        return _("%(actor)s reassigned the ticket from %(from)s to %(to)s") % {
            "actor": actor,
            "from": user(old),
            "to": user(new),
        }
    if kind == EventKind.TRANSFERRED:
        return _("%(actor)s moved the ticket from %(from)s to %(to)s") % {
            "actor": actor,
            "from": department(data.get("from")),
            "to": department(data.get("to")),
        }
    if kind == EventKind.UPDATED:
        fields = [_field_name(name) for name in (data.get("changes") or {})]
        return _("%(actor)s edited the %(fields)s") % {"actor": actor, "fields": get_text_list(fields, _("and"))}
    if kind == EventKind.COMMENTED:
        return _("%(actor)s replied") % {"actor": actor}
    if kind == EventKind.NOTE_ADDED:
        return _("%(actor)s added an internal note") % {"actor": actor}
    if kind == EventKind.ATTACHMENT_ADDED:
        return _("%(actor)s attached %(name)s") % {"actor": actor, "name": data.get("name") or _("a file")}
    if kind == EventKind.COMMENT_EDITED:
        if event.is_internal:
            return _("%(actor)s edited an internal note") % {"actor": actor}
        return _("%(actor)s edited a reply") % {"actor": actor}
    if kind == EventKind.COMMENT_DELETED:
        if event.is_internal:
            return _("%(actor)s deleted an internal note") % {"actor": actor}
        return _("%(actor)s deleted a reply") % {"actor": actor}
    if kind == EventKind.ATTACHMENT_DELETED:
        return _("%(actor)s deleted %(name)s") % {"actor": actor, "name": data.get("name") or _("a file")}
    if kind == EventKind.ROUTED:
        if data.get("rule") is None:
            return _("Routed to %(department)s, the default department: no routing rule matched") % {
                "department": department(data.get("department"))
            }
        return _("Routed to %(department)s by rule #%(order)s: %(field)s “%(pattern)s”") % {
            "department": department(data.get("department")),
            "order": data.get("order"),
            "field": _label(RuleField, data.get("field")).lower(),
            "pattern": data.get("pattern"),
        }
    if kind == EventKind.WATCHER_ADDED:
        return _("%(actor)s added %(user)s as a watcher") % {"actor": actor, "user": user(data.get("user"))}
    if kind == EventKind.WATCHER_REMOVED:
        return _("%(actor)s removed %(user)s as a watcher") % {"actor": actor, "user": user(data.get("user"))}
    if kind == EventKind.ACCESS_CHANGED:
        holder = user(data["user"]) if data.get("user") else data.get("group_name") or _("a deleted group")
        after = set(data.get("to") or ())
        if not after:
            return _("%(actor)s stopped sharing the ticket with %(holder)s") % {"actor": actor, "holder": holder}
        if "change_ticket" in after:
            return _("%(actor)s shared the ticket with %(holder)s to view and change it") % {
                "actor": actor,
                "holder": holder,
            }
        return _("%(actor)s shared the ticket with %(holder)s to view it") % {"actor": actor, "holder": holder}
    if kind in (EventKind.SLA_WARNING, EventKind.SLA_BREACHED):
        values = {"target": _label(SlaTarget, data.get("target")), "due": _when(data.get("due"))}
        if kind == EventKind.SLA_BREACHED:
            return _("The %(target)s target was missed (due %(due)s)") % values
        return _("The %(target)s target is about to be missed (due %(due)s)") % values
    return _("%(actor)s: %(what)s") % {"actor": actor, "what": event.get_kind_display()}


def _when(value) -> str:
    moment = parse_datetime(value) if isinstance(value, str) else value
    if moment is None:
        return "-"
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def display_name(user) -> str:
    """How the portal names a person: their full name, or their user name when they gave none."""
    return user.get_full_name() or user.get_username()


def _describe_for_requester(event: TicketEvent, actor: str) -> str | None:
    data = event.data or {}
    if event.kind == EventKind.CREATED:
        return _("%(actor)s opened the ticket") % {"actor": actor}
    if event.kind == EventKind.STATUS_CHANGED:
        return _("%(actor)s set the status to %(to)s") % {"actor": actor, "to": requester_status_label(data.get("to"))}
    if event.is_internal:  # never an internal note's edit, whatever the caller passed
        return None
    if event.kind == EventKind.COMMENT_EDITED:
        return _("%(actor)s edited a reply") % {"actor": actor}
    if event.kind == EventKind.COMMENT_DELETED:
        return _("%(actor)s deleted a reply") % {"actor": actor}
    return None


def requester_history_lines(events: Iterable[TicketEvent]) -> list[HistoryLine]:
    """The portal's history: the ticket's progress in the requester's words, actors by their names.

    Callers pass events a requester may see (selectors.events_visible_to); other kinds than
    REQUESTER_EVENT_KINDS are left out.
    """
    lines = []
    for event in events:
        actor = display_name(event.actor) if event.actor_id else _("The system")
        text = _describe_for_requester(event, actor)
        if text is not None:
            lines.append(
                HistoryLine(
                    text=text,
                    created_at=event.created_at,
                    kind=event.kind,
                    is_internal=event.is_internal,
                    detail=_replaced_text(event),
                )
            )
    return lines


def history_lines(events: Iterable[TicketEvent]) -> list[HistoryLine]:
    """Describe events (with `actor` selected) using one query for the users and one for the departments named.

    People are named by their full name (their user name when they gave none), as everywhere in the back office.
    """
    events = list(events)
    user_ids: set[int] = set()
    department_ids: set[int] = set()
    for event in events:
        data = event.data or {}
        if event.kind == EventKind.ASSIGNED:
            user_ids.update(pk for pk in (data.get("from"), data.get("to")) if pk)
        elif event.kind in (EventKind.WATCHER_ADDED, EventKind.ACCESS_CHANGED) and data.get("user"):
            user_ids.add(data["user"])
        elif event.kind == EventKind.TRANSFERRED:
            department_ids.update(pk for pk in (data.get("from"), data.get("to")) if pk)
        elif event.kind in (EventKind.CREATED, EventKind.ROUTED) and data.get("department"):
            department_ids.add(data["department"])
    users = {}
    if user_ids:
        people = get_user_model().objects.filter(pk__in=user_ids).only("first_name", "last_name", "username")
        users = {person.pk: display_name(person) for person in people}
    departments = {}
    if department_ids:
        departments = dict(Department.objects.filter(pk__in=department_ids).values_list("pk", "name"))
    lines = []
    for event in events:
        actor = display_name(event.actor) if event.actor_id else _("The system")
        lines.append(
            HistoryLine(
                text=_describe(event, actor, users, departments),
                created_at=event.created_at,
                kind=event.kind,
                is_internal=event.is_internal,
                detail=_replaced_text(event),
            )
        )
    return lines


def _replaced_text(event: TicketEvent) -> str:
    """The text an event replaced: the old description of an edit, a comment's text before its edit or deletion."""
    data = event.data or {}
    if event.kind in (EventKind.COMMENT_EDITED, EventKind.COMMENT_DELETED):
        old = data.get("from")
        return old if isinstance(old, str) else ""
    if event.kind != EventKind.UPDATED:
        return ""
    old = (data.get("changes") or {}).get("description")
    return old[0] if isinstance(old, list) and old and isinstance(old[0], str) else ""
