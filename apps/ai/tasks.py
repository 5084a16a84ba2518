"""django-q2 tasks of the AI app; each re-reads its objects by id and is safe to run twice."""

from .services import ticket_triage


def triage_ticket(ticket_id: int, force: bool = False):
    """Analyse a new ticket and store its TicketInsight (a done insight is kept unless `force`)."""
    insight = ticket_triage(ticket_id=ticket_id, force=force)
    return insight.status if insight is not None else None
