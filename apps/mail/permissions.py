"""Who may write on a ticket by e-mail: the same rule as every channel (apps/tickets/permissions.py can_comment):
the requester and the ticket's watchers while it is not closed (watchers through the ReplyRight this app
registers), staff who can change it. Anyone else's reply becomes a ticket of their own (or is rejected,
MAIL_UNKNOWN_REPLY_NEW_TICKET), never a comment on a ticket they cannot see."""

from apps.tickets import permissions as ticket_perms

from .models import Watcher


def is_watcher(user, ticket) -> bool:
    """The ReplyRight of watchers: an account an e-mail about the ticket had in copy (tickets checks the view)."""
    return Watcher.objects.filter(ticket=ticket, user=user).exists()


def may_reply(user, ticket) -> bool:
    return ticket_perms.can_comment(user, ticket, internal=False)


def is_blocked(address: str, blocked: list[str]) -> bool:
    """A whole address, or its domain (with or without a leading @), is on the block list."""
    domain = address.rpartition("@")[2]
    entries = {entry.strip().lower().lstrip("@") for entry in blocked if entry.strip()}
    return address in entries or domain in entries
