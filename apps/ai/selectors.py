"""All reads of the AI app."""

from django.conf import settings

from .choices import InsightStatus
from .models import TicketInsight


def insight_for_ticket(ticket) -> TicketInsight | None:
    """The ticket's insight (with its suggested department), or None before triage."""
    return TicketInsight.objects.filter(ticket=ticket).select_related("suggested_department").first()


def insights_to_retry(*, limit: int) -> list[int]:
    """Ids of the tickets whose triage failed and may be tried again, the longest-waiting first."""
    return list(
        TicketInsight.objects.filter(status=InsightStatus.FAILED, attempts__lt=settings.AI_TRIAGE_MAX_ATTEMPTS)
        .order_by("analysed_at", "pk")
        .values_list("ticket_id", flat=True)[:limit]
    )
