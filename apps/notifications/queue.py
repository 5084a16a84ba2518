"""What the ticket services call after writing an event: queue its notifications for after the commit.

This module imports nothing from the tickets app, so the ticket services can import it freely. Work is queued
with transaction.on_commit: a task queued inside the transaction could run before the event exists for the
worker (or for an event that is rolled back).

`notifications_muted()` turns queueing off for a block (the demo seed, bulk imports, repairs): events are still
written, nobody is told. NOTIFICATIONS_ENABLED=false turns it off everywhere.
"""

import contextvars
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import transaction

from apps.tickets.choices import EventKind

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

_muted: contextvars.ContextVar[bool] = contextvars.ContextVar("notifications_muted", default=False)


@contextmanager
def notifications_muted() -> Iterator[None]:
    """Queue no notifications for the events written inside the block."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def notifications_enabled() -> bool:
    return settings.NOTIFICATIONS_ENABLED and not _muted.get()


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


def queue_event(event):
    """Deliver the notifications of `event` (a TicketEvent) after the current transaction commits; returns it."""
    if event.kind in NOTIFYING_EVENTS and notifications_enabled():
        _on_commit(DELIVER_EVENT_TASK, event.pk, name=f"notify-event-{event.pk}")
    return event


def queue_email(notification_id: int) -> None:
    """Send the e-mail of a notification after the current transaction commits."""
    _on_commit(SEND_EMAIL_TASK, notification_id, name=f"email-notification-{notification_id}")
