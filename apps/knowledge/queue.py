"""The knowledge app's listener of ticket events: a ticket moved to "resolved" queues its satisfaction request.

Never for changes made in bulk: a CSV import silences this listener for its whole run
(apps/tickets/imports, `events.SATISFACTION`), and so must any future merge of tickets; an event that says it
came from an import or a merge (`data["import"]`, `data["merge"]`) is skipped as well. The request is made and
e-mailed by a task queued after the commit (tasks.py), which checks again that the ticket is still resolved.
"""

from collections.abc import Sequence

from django.db import transaction

from apps.tickets.choices import EventKind, Status
from apps.tickets.events import SATISFACTION
from apps.tickets.models import TicketEvent

REQUEST_TASK = "apps.knowledge.tasks.satisfaction_request_send"

__all__ = ["SATISFACTION", "queue_events"]


def resolves(event: TicketEvent) -> bool:
    data = event.data or {}
    if data.get("import") or data.get("merge"):
        return False
    return event.kind == EventKind.STATUS_CHANGED and data.get("to") == Status.RESOLVED


def enqueue(func: str, *args, name: str) -> None:
    from django_q.tasks import async_task

    async_task(func, *args, task_name=name, group="knowledge")


def queue_events(written: Sequence[TicketEvent]) -> None:
    """The listener registered with apps.tickets.events (one event at a time; a batch is an import's)."""
    if len(written) != 1 or not resolves(written[0]):
        return
    from django_q.conf import Conf

    ticket_id, actor_id = written[0].ticket_id, written[0].actor_id
    transaction.on_commit(
        lambda: enqueue(REQUEST_TASK, ticket_id, actor_id, name=f"satisfaction-{ticket_id}"), robust=not Conf.SYNC
    )
