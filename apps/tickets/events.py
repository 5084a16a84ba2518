"""Small named constructors for the ticket history; services call these, nothing else builds events."""

from .choices import EventKind
from .models import Attachment, Comment, Ticket, TicketEvent


def _event(ticket: Ticket, actor, kind: str, data: dict, *, internal: bool = False) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket, actor=actor if actor and actor.pk else None, kind=kind, data=data, is_internal=internal
    )


def ticket_created_event(*, ticket: Ticket, actor) -> TicketEvent:
    return _event(
        ticket,
        actor,
        EventKind.CREATED,
        {
            "status": ticket.status,
            "priority": ticket.priority,
            "department": ticket.department_id,
            "source": ticket.source,
        },
    )


def status_changed_event(*, ticket: Ticket, actor, old: str, new: str) -> TicketEvent:
    return _event(ticket, actor, EventKind.STATUS_CHANGED, {"from": old, "to": new})


def priority_changed_event(*, ticket: Ticket, actor, old: str, new: str) -> TicketEvent:
    return _event(ticket, actor, EventKind.PRIORITY_CHANGED, {"from": old, "to": new})


def fields_updated_event(*, ticket: Ticket, actor, changes: dict[str, list]) -> TicketEvent:
    return _event(ticket, actor, EventKind.UPDATED, {"changes": changes})


def assigned_event(*, ticket: Ticket, actor, old_id: int | None, new_id: int | None) -> TicketEvent:
    return _event(ticket, actor, EventKind.ASSIGNED, {"from": old_id, "to": new_id})


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
