"""The webhooks' listener of ticket events: queue each event's fan-out for after the commit.

apps/tickets/events.py hands every event it writes to `queue_events` (registered in apps.py). Nothing is
queued while no endpoint is active (one cheap query per batch of events) or with WEBHOOKS_ENABLED=false; the
worker's task (apps/integrations/tasks.py `deliver_event`) decides which endpoints get the event.
"""

from collections.abc import Sequence

from django.conf import settings
from django.db import transaction

from apps.tickets.models import TicketEvent

from .choices import EVENT_TYPES
from .models import Webhook

DELIVER_EVENT_TASK = "apps.integrations.tasks.deliver_event"
# The name this listener registers under with apps.tickets.events (for `events.silenced(WEBHOOKS)`).
WEBHOOKS = "webhooks"


def enqueue(func: str, *args, name: str) -> None:
    from django_q.tasks import async_task

    async_task(func, *args, task_name=name, group="webhooks")


def queue_events(written: Sequence[TicketEvent]) -> None:
    """The listener: queue the fan-out of each event that has a webhook type, after the commit."""
    if not settings.WEBHOOKS_ENABLED:
        return
    wanted = [event.pk for event in written if event.kind in EVENT_TYPES]
    if not wanted or not Webhook.objects.filter(is_active=True).exists():
        return
    from django_q.conf import Conf

    for pk in wanted:
        # As for notifications: a broker that is down must not turn a saved ticket into an error page.
        transaction.on_commit(
            lambda pk=pk: enqueue(DELIVER_EVENT_TASK, pk, name=f"webhook-event-{pk}"), robust=not Conf.SYNC
        )
