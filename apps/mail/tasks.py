"""django-q2 tasks of the e-mail channel: the scheduled poll of every enabled mailbox (migration 0002), and the
public replies sent to watchers. Both are safe to run twice (the mail log's keys)."""

from .imap import mailbox_poll
from .models import Mailbox
from .outgoing import watchers_notify


def poll_mailboxes_task() -> dict[str, int]:
    """Poll each enabled mailbox once; returns the count of messages handled per mailbox (the task's result)."""
    handled = {}
    for mailbox in Mailbox.objects.filter(is_enabled=True):
        result = mailbox_poll(mailbox=mailbox)
        handled[mailbox.name] = result.processed + result.failed
    return handled


def notify_watchers_task(event_id: int) -> int:
    """Send one public reply to the ticket's watchers; returns how many were sent by this run."""
    return watchers_notify(event_id=event_id)
