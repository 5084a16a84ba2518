"""All reads of the AI app."""

from .models import TicketInsight


def insight_for_ticket(ticket) -> TicketInsight | None:
    """The ticket's insight (with its suggested department), or None before triage."""
    return TicketInsight.objects.filter(ticket=ticket).select_related("suggested_department").first()
