"""django-q2 tasks of the e-mail channel: the scheduled poll of every enabled mailbox (migration 0002)."""

from .imap import mailbox_poll
from .models import Mailbox


def poll_mailboxes_task() -> dict[str, int]:
    """Poll each enabled mailbox once; returns the count of messages handled per mailbox (the task's result)."""
    handled = {}
    for mailbox in Mailbox.objects.filter(is_enabled=True):
        result = mailbox_poll(mailbox=mailbox)
        handled[mailbox.name] = result.processed + result.failed
    return handled
