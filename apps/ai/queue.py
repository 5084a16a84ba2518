"""The AI app's listener of ticket events: have each new ticket triaged after the transaction commits.

apps/tickets/events.py hands every event it writes to `queue_new_tickets` (registered in apps.py); a "created"
event queues the triage of its ticket, unless it says otherwise (an import run without triage). Imports
nothing heavy (no provider library).
"""

from collections.abc import Sequence

from django.conf import settings
from django.db import transaction

from apps.tickets.choices import EventKind
from apps.tickets.models import TicketEvent

TRIAGE_TASK = "apps.ai.tasks.triage_ticket"


def triage_enabled() -> bool:
    return settings.AI_TRIAGE_ENABLED and settings.AI_PROVIDER != "disabled"


def _enqueue(ticket_id: int) -> None:
    from django_q.tasks import async_task

    async_task(TRIAGE_TASK, ticket_id, task_name=f"triage-ticket-{ticket_id}", group="ai")


def queue_triage(ticket_id: int) -> None:
    """Triage the ticket in a worker once the current transaction commits (nothing when triage is off)."""
    if not triage_enabled():
        return
    from django_q.conf import Conf

    # A broker that is down must not fail the ticket's request: logged, and the ticket stays without insight.
    transaction.on_commit(lambda: _enqueue(ticket_id), robust=not Conf.SYNC)


def queue_new_tickets(written: Sequence[TicketEvent]) -> None:
    """The listener registered with apps.tickets.events: queue the triage of each ticket a "created" event opens."""
    for event in written:
        if event.kind == EventKind.CREATED and (event.data or {}).get("triage") is not False:
            queue_triage(event.ticket_id)
