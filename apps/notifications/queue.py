"""The notifications' listener of ticket events: queue each event's delivery for after the commit.

apps/tickets/events.py hands every event it writes to this app's `queue_events` (registered in apps.py), so
the ticket services, the SLA check and the CSV import never decide themselves whether an event notifies:
NOTIFYING_EVENTS here says which events can concern anyone, and the table in apps/notifications/services.py
says whom. Work is queued with transaction.on_commit: a task queued inside the transaction could run before
the event exists for the worker (or for an event that is rolled back).

`notifications_muted()` turns queueing off for a block (bulk jobs, repairs): events are still written, nobody
is told. It silences this app's listener (apps.tickets.events.silenced); the ticket code, which cannot import
this module, silences it by its name. NOTIFICATIONS_ENABLED=false turns queueing off everywhere.
"""

import logging
from collections.abc import Sequence
from contextlib import AbstractContextManager

from django.conf import settings
from django.db import transaction

from apps.tickets import events
from apps.tickets.choices import EventKind
from apps.tickets.models import TicketEvent

logger = logging.getLogger(__name__)

# The history events someone is told about (apps/notifications/services.py decides whom).
NOTIFYING_EVENTS = frozenset(
    {
        EventKind.CREATED,
        EventKind.ASSIGNED,
        EventKind.COMMENTED,
        EventKind.NOTE_ADDED,
        EventKind.STATUS_CHANGED,
        EventKind.SLA_WARNING,
        EventKind.SLA_BREACHED,
    }
)
DELIVER_EVENT_TASK = "apps.notifications.tasks.deliver_event"
SEND_EMAIL_TASK = "apps.notifications.tasks.send_email"


def notifications_muted() -> AbstractContextManager[None]:
    """Queue no notifications for the events written inside the block."""
    return events.silenced(events.NOTIFICATIONS)


def notifications_enabled() -> bool:
    return settings.NOTIFICATIONS_ENABLED


def event_notifies(event: TicketEvent) -> bool:
    """Whether the event can concern anyone: its kind notifies, and an assignment has an assignee (an
    assignment to nobody tells nobody, so no task is queued for it)."""
    if event.kind not in NOTIFYING_EVENTS:
        return False
    return not (event.kind == EventKind.ASSIGNED and (event.data or {}).get("to") is None)


def enqueue(func: str, *args, name: str) -> None:
    """Hand a task to django-q2 (in `sync` mode, run it now)."""
    from django_q.tasks import async_task

    async_task(func, *args, task_name=name, group="notifications")


def _on_commit(func: str, *args, name: str) -> None:
    # A broker that is down must not turn a saved ticket into an error page: the failure is logged, and the
    # missing task can be found from the event (`deliver_event` is safe to run again). Tests run tasks inline
    # (sync) and want to see their errors.
    from django_q.conf import Conf

    transaction.on_commit(lambda: enqueue(func, *args, name=name), robust=not Conf.SYNC)


def queue_event(event: TicketEvent) -> TicketEvent:
    """Deliver the notifications of `event` after the current transaction commits; returns it."""
    if event_notifies(event) and notifications_enabled():
        _on_commit(DELIVER_EVENT_TASK, event.pk, name=f"notify-event-{event.pk}")
    return event


def queue_events(written: Sequence[TicketEvent]) -> None:
    """The listener registered with apps.tickets.events: queue the delivery of each event, in order."""
    for event in written:
        queue_event(event)


def queue_email(notification_id: int) -> None:
    """Send the e-mail of a notification after the current transaction commits."""
    _on_commit(SEND_EMAIL_TASK, notification_id, name=f"email-notification-{notification_id}")
