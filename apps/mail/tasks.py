"""django-q2 tasks of the e-mail channel: the scheduled poll of every enabled mailbox (migration 0002), the public
replies sent to watchers, the polite answer to a refused sender, and the daily pruning of the kept messages
(migration 0004). All are safe to run twice (the mail log's keys)."""

from .imap import mailbox_poll
from .models import Mailbox
from .outgoing import refusal_send, watchers_notify
from .services import mail_log_prune


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


def send_refusal_task(message_id: int) -> bool:
    """Answer the sender of a refused message (once, and at most once a day per address)."""
    return refusal_send(message_id=message_id)


def prune_mail_log_task() -> int:
    """Drop the kept bytes of handled messages older than MAIL_RAW_RETENTION_DAYS; returns how many."""
    return mail_log_prune()
