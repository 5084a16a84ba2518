"""What the ticket services call to have a new ticket triaged after their transaction commits.

Imports nothing heavy (no provider library, no models) so apps.tickets can import it freely.
"""

from django.conf import settings
from django.db import transaction

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
