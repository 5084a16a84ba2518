"""`@username` mentions in internal notes."""

import re

from django.db.models import QuerySet
from django.db.models.functions import Lower

from apps.accounts.choices import STAFF_ROLES
from apps.accounts.models import User

# "@" not preceded by a character of a user name (so bob@example.com is an address, not a mention), then the
# characters Django allows in user names.
MENTION_RE = re.compile(r"(?<![\w.@+-])@([\w.@+-]+)")


def _tokens(text: str) -> list[str]:
    return [match.group(1) for match in MENTION_RE.finditer(text or "")]


def mentioned_usernames(text: str) -> list[str]:
    """User names mentioned in `text`, lower-cased, in order, without repeats, and without the punctuation that
    ends a sentence ("@alice." mentions alice)."""
    names: list[str] = []
    for token in _tokens(text):
        name = token.rstrip(".-+@").lower()
        if name and name not in names:
            names.append(name)
    return names


def mentioned_staff(text: str) -> QuerySet[User]:
    """Active agents and admins mentioned in `text` (user names compared without case; a user really called
    "alice." is found too)."""
    names = set(mentioned_usernames(text)) | {token.lower() for token in _tokens(text)}
    if not names:
        return User.objects.none()
    return (
        User.objects.annotate(lower_username=Lower("username"))
        .filter(lower_username__in=names, is_active=True, role__in=STAFF_ROLES)
        .order_by("pk")
    )
