"""The ticket history: small named constructors of events, and the door through which events leave the app.

Services call the constructors; nothing else builds events (the creation of tickets, one or a batch, builds
them with `ticket_opened_events` and writes them with `events_record`). Every event is handed, right after it
is written, to the listeners that the apps above tickets register at start-up (in their AppConfig.ready()):
apps.notifications queues its delivery, apps.ai queues the triage of a new ticket. Each listener decides in
its own app what an event means to it and queues its work for after the commit; the tickets app imports none
of them.

Every event also moves the ticket figures (apps/tickets/aggregates.py) in the same transaction, before any
listener hears it; that is not a listener and cannot be silenced.

`silenced(...)` turns named listeners off for a block, e.g. `silenced(NOTIFICATIONS)` while the demo is seeded:
the events are still written and the other listeners still hear them.
"""

import contextvars
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from django.db import router

from apps.common.bulk import instance_builder, rows_insert

from .aggregates import stats_add_created, stats_follow
from .choices import EventKind, SlaStage
from .models import Attachment, Comment, Ticket, TicketEvent

# A listener gets the events just written (one, or a batch of an import) and queues what its app does about them.
EventListener = Callable[[Sequence[TicketEvent]], None]

# The names the listeners register under, so that ticket code can silence one without importing its app.
NOTIFICATIONS = "notifications"
TRIAGE = "triage"
MAIL = "mail"
# Asks a requester how a resolved ticket went (apps.knowledge): never for changes made in bulk, so an import (and
# any merge of tickets) always silences it.
SATISFACTION = "satisfaction"

_listeners: dict[str, EventListener] = {}
_silenced: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar(
    "ticket_event_listeners_silenced", default=frozenset()
)


def listen(name: str, listener: EventListener) -> None:
    """Hand every event written from now on to `listener` (called from an AppConfig.ready()).

    Listeners hear each event in the order they registered, which is the order of INSTALLED_APPS: a new
    ticket's notifications are queued before its triage. Registering a name again replaces its listener.
    """
    _listeners[name] = listener


@contextmanager
def silenced(*names: str) -> Iterator[None]:
    """The named listeners hear nothing of the events written inside the block; the others hear them all."""
    token = _silenced.set(_silenced.get() | frozenset(names))
    try:
        yield
    finally:
        _silenced.reset(token)


def announce(events: Sequence[TicketEvent]) -> None:
    """Hand events that were just written to every listener not silenced, one listener after the other."""
    if not events:
        return
    quiet = _silenced.get()
    for name, listener in list(_listeners.items()):
        if name not in quiet:
            listener(events)


def events_record(events: list[TicketEvent]) -> list[TicketEvent]:
    """Write events built elsewhere (a bulk import's) in one statement, then announce them as a batch.

    The tickets of its "created" events are counted in the figures (from the objects, or read back in one query
    when an event names its ticket by id only); a batch writer
    that changes existing tickets does so through the services, whose events move the figures."""
    written = _insert(events)
    created = [event for event in written if event.kind == EventKind.CREATED]
    known = TicketEvent.ticket.is_cached
    stats_add_created(
        [event.ticket for event in created if known(event)],
        ticket_ids=[event.ticket_id for event in created if not known(event)],
    )
    announce(written)
    return written


_EVENT_FIELDS = ("ticket", "actor", "kind", "data", "is_internal", "created_at")


def _insert(events: list[TicketEvent]) -> list[TicketEvent]:
    """bulk_create's INSERT, from the events' values as plain rows (apps/common/bulk.py): an import writes
    tens of thousands, and preparing each value through its field cost more than the statement."""
    if not events:
        return events
    rows = []
    for event in events:
        if event.ticket_id is None and TicketEvent.ticket.is_cached(event):
            event.ticket_id = event.ticket.pk  # built before its ticket was saved
        rows.append((event.ticket_id, event.actor_id, event.kind, event.data, event.is_internal, event.created_at))
    ids = rows_insert(TicketEvent, _EVENT_FIELDS, rows, returning="id")
    using = router.db_for_write(TicketEvent)
    for event, pk in zip(events, ids, strict=True):
        event.pk = pk
        event._state.adding = False
        event._state.db = using
    return events


# TicketEvent(**values) by position (apps/common/bulk.py): a bulk creation builds two events a ticket.
_new_event = instance_builder(TicketEvent, ("ticket_id", "actor_id", "kind", "data", "is_internal"))
_EVENT_TICKET = TicketEvent._meta.get_field("ticket")
_EVENT_ACTOR = TicketEvent._meta.get_field("actor")


def _build(ticket: Ticket, actor, kind: str, data: dict, *, internal: bool = False) -> TicketEvent:
    actor = actor if actor and actor.pk else None
    event = _new_event(ticket.pk, actor.pk if actor is not None else None, kind, data, internal)
    _EVENT_TICKET.set_cached_value(event, ticket)  # the listeners read the ticket; unsaved, _insert takes its id
    if actor is not None:
        _EVENT_ACTOR.set_cached_value(event, actor)
    return event


def _event(ticket: Ticket, actor, kind: str, data: dict, *, internal: bool = False) -> TicketEvent:
    event = _build(ticket, actor, kind, data, internal=internal)
    event.save(force_insert=True)
    stats_follow(ticket, created=kind == EventKind.CREATED)
    announce([event])
    return event


def _created_data(ticket: Ticket) -> dict:
    return {
        "status": ticket.status,
        "priority": ticket.priority,
        "department": ticket.department_id,
        "source": ticket.source,
    }


def _routed_data(ticket: Ticket, rule) -> dict:
    data = {"department": ticket.department_id, "rule": None}
    if rule is not None:
        data.update(rule=rule.pk, order=rule.order, field=rule.field, pattern=rule.pattern)
    return data


def ticket_opened_events(
    *, ticket: Ticket, actor, history: dict | None = None, routed: bool = False, rule=None, policy: str | None = None
) -> list[TicketEvent]:
    """The events of a new ticket, built to be written with `events_record` (apps/tickets/creation.py):
    "created" (plus `history`, e.g. an import's file and row), "routed" when routing chose the department
    (`rule`, or None for the default department), "assigned" when it has an assignee (`policy`: the
    department's policy chose them, so the system, not the actor, is recorded)."""
    events = [_build(ticket, actor, EventKind.CREATED, {**_created_data(ticket), **(history or {})})]
    if routed:
        events.append(_build(ticket, actor, EventKind.ROUTED, _routed_data(ticket, rule), internal=True))
    if ticket.assignee_id is not None:
        data = {"from": None, "to": ticket.assignee_id}
        if policy:
            data["policy"] = policy
        events.append(_build(ticket, None if policy else actor, EventKind.ASSIGNED, data))
    return events


def ticket_created_event(*, ticket: Ticket, actor) -> TicketEvent:
    return _event(ticket, actor, EventKind.CREATED, _created_data(ticket))


def status_changed_event(*, ticket: Ticket, actor, old: str, new: str) -> TicketEvent:
    return _event(ticket, actor, EventKind.STATUS_CHANGED, {"from": old, "to": new})


def priority_changed_event(*, ticket: Ticket, actor, old: str, new: str) -> TicketEvent:
    return _event(ticket, actor, EventKind.PRIORITY_CHANGED, {"from": old, "to": new})


def fields_updated_event(*, ticket: Ticket, actor, changes: dict[str, list]) -> TicketEvent:
    return _event(ticket, actor, EventKind.UPDATED, {"changes": changes})


def assigned_event(
    *,
    ticket: Ticket,
    actor,
    old_id: int | None,
    new_id: int | None,
    policy: str | None = None,
    reason: str | None = None,
) -> TicketEvent:
    """`policy`: the department's assignment policy when it (not a person) chose the assignee; `reason`
    "transfer": the assignee went because they are not a member of the department the ticket moved to."""
    data = {"from": old_id, "to": new_id}
    if policy:
        data["policy"] = policy
    if reason:
        data["reason"] = reason
    return _event(ticket, actor, EventKind.ASSIGNED, data)


def routed_event(*, ticket: Ticket, actor, rule) -> TicketEvent:
    """Which routing rule sent the ticket to its department (a copy of the rule: rules change), or the default."""
    return _event(ticket, actor, EventKind.ROUTED, _routed_data(ticket, rule), internal=True)


def sla_alert_event(*, ticket: Ticket, alert) -> TicketEvent:
    kind = EventKind.SLA_BREACHED if alert.stage == SlaStage.BREACHED else EventKind.SLA_WARNING
    return _event(ticket, None, kind, {"target": alert.target, "due": alert.due_at.isoformat()}, internal=True)


def transferred_event(*, ticket: Ticket, actor, old_id: int, new_id: int) -> TicketEvent:
    return _event(ticket, actor, EventKind.TRANSFERRED, {"from": old_id, "to": new_id})


def comment_added_event(*, comment: Comment) -> TicketEvent:
    kind = EventKind.NOTE_ADDED if comment.is_internal else EventKind.COMMENTED
    return _event(comment.ticket, comment.author, kind, {"comment": comment.pk}, internal=comment.is_internal)


def attachment_added_event(*, attachment: Attachment, internal: bool) -> TicketEvent:
    return _event(
        attachment.ticket,
        attachment.uploaded_by,
        EventKind.ATTACHMENT_ADDED,
        {"attachment": attachment.pk, "name": attachment.original_name, "comment": attachment.comment_id},
        internal=internal,
    )


def watcher_added_event(*, ticket: Ticket, actor, user_id: int) -> TicketEvent:
    """A person who may now see the ticket as a watcher (Cc of an e-mail; apps.mail), internal to staff."""
    return _event(ticket, actor, EventKind.WATCHER_ADDED, {"user": user_id}, internal=True)


def watcher_removed_event(*, ticket: Ticket, actor, user_id: int) -> TicketEvent:
    """A watcher taken off the ticket, with the view their watching gave them (apps.mail), internal to staff."""
    return _event(ticket, actor, EventKind.WATCHER_REMOVED, {"user": user_id}, internal=True)


def access_changed_event(*, ticket: Ticket, actor, user, group, before, after) -> TicketEvent:
    """An admin's share of the ticket with one user or group (view / change), internal to staff."""
    holder = {"user": user.pk} if user is not None else {"group": group.pk, "group_name": group.name}
    return _event(
        ticket, actor, EventKind.ACCESS_CHANGED, {**holder, "from": sorted(before), "to": sorted(after)}, internal=True
    )


def comment_edited_event(*, comment: Comment, actor, old_body: str) -> TicketEvent:
    """The author changed a comment's text within the edit window; the old text stays in the history."""
    data = {"comment": comment.pk, "from": old_body, "to": comment.body}
    return _event(comment.ticket, actor, EventKind.COMMENT_EDITED, data, internal=comment.is_internal)


def comment_deleted_event(*, ticket: Ticket, actor, comment_id: int, body: str, internal: bool) -> TicketEvent:
    """The author deleted a comment within the edit window; its text stays in the history."""
    data = {"comment": comment_id, "from": body}
    return _event(ticket, actor, EventKind.COMMENT_DELETED, data, internal=internal)


def attachment_deleted_event(*, ticket: Ticket, actor, attachment_id: int, name: str, internal: bool) -> TicketEvent:
    """Staff removed a file from a ticket."""
    data = {"attachment": attachment_id, "name": name}
    return _event(ticket, actor, EventKind.ATTACHMENT_DELETED, data, internal=internal)
