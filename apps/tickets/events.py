"""Small named constructors for the ticket history; services call these, nothing else builds events."""

from .choices import EventKind, SlaStage
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


def assigned_event(
    *, ticket: Ticket, actor, old_id: int | None, new_id: int | None, policy: str | None = None
) -> TicketEvent:
    """`policy`: the department's assignment policy when it (not a person) chose the assignee."""
    data = {"from": old_id, "to": new_id}
    if policy:
        data["policy"] = policy
    return _event(ticket, actor, EventKind.ASSIGNED, data)


def routed_event(*, ticket: Ticket, actor, rule) -> TicketEvent:
    """Which routing rule sent the ticket to its department (a copy of the rule: rules change), or the default."""
    data = {"department": ticket.department_id, "rule": None}
    if rule is not None:
        data.update(rule=rule.pk, order=rule.order, field=rule.field, pattern=rule.pattern)
    return _event(ticket, actor, EventKind.ROUTED, data, internal=True)


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
