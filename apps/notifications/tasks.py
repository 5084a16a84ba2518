"""django-q2 tasks of notifications. Each re-reads its objects by id and is safe to run twice.

Queued by apps/notifications/queue.py after the commit that wrote the event (or the notification). The
cluster's `timeout` (60 s) is below its `retry` (120 s) and `max_attempts` is finite (settings.Q_CLUSTER).
"""

from .emails import notification_email_send, status_digests_send
from .services import notifications_for_event


def deliver_event(event_id: int) -> int:
    """Create the notifications of one ticket event (and queue their e-mails); returns how many exist for it."""
    return len(notifications_for_event(event_id=event_id))


def send_email(notification_id: int) -> bool:
    """E-mail one notification unless that was done already; True when this run sent it."""
    return notification_email_send(notification_id=notification_id)


def send_status_digests() -> int:
    """E-mail requesters the status changes of their tickets, one e-mail per ticket for changes minutes apart."""
    return status_digests_send()
