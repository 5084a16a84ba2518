"""`@username` mentions in comments: how they are read, and which of them reach nobody.

apps.notifications tells the agents an internal note mentions (its `mentioned_staff`); the ticket page lists back
to the author the mentions that reached nobody, so a typo or a colleague without access does not go unnoticed.
"""

import re

from django.db.models.functions import Lower

from apps.accounts.choices import STAFF_ROLES
from apps.accounts.models import User

from .models import Comment
from .permissions import can_view_ticket

# "@" not preceded by a character of a user name (so bob@example.com is an address, not a mention), then the
# characters Django allows in user names.
MENTION_RE = re.compile(r"(?<![\w.@+-])@([\w.@+-]+)")


def mention_tokens(text: str) -> list[str]:
    """What follows each "@" of a mention, as written."""
    return [match.group(1) for match in MENTION_RE.finditer(text or "")]


def mentioned_usernames(text: str) -> list[str]:
    """User names mentioned in `text`, lower-cased, in order, without repeats, and without the punctuation that
    ends a sentence ("@alice." mentions alice)."""
    names: list[str] = []
    for token in mention_tokens(text):
        name = token.rstrip(".-+@").lower()
        if name and name not in names:
            names.append(name)
    return names


def mentions_unreached(*, comment: Comment) -> list[str]:
    """The names a comment mentions that nobody hears about: only internal notes notify, and only active agents
    and admins who can see the ticket (not an unknown name, the requester, or an agent without access)."""
    tokens = mention_tokens(comment.body)
    names = mentioned_usernames(comment.body)
    if not names or not comment.is_internal:
        return names
    candidates = {token.lower() for token in tokens} | set(names)
    people = User.objects.annotate(lower_username=Lower("username")).filter(
        lower_username__in=candidates, is_active=True, role__in=STAFF_ROLES
    )
    reached = {person.lower_username for person in people if can_view_ticket(person, comment.ticket)}
    unreached = []
    for token in tokens:
        name = token.rstrip(".-+@").lower()
        if name and token.lower() not in reached and name not in reached and name not in unreached:
            unreached.append(name)
    return unreached
