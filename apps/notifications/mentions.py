"""`@username` mentions in internal notes."""

from django.db.models import QuerySet
from django.db.models.functions import Lower

from apps.accounts.choices import STAFF_ROLES
from apps.accounts.models import User
from apps.tickets.mentions import mention_tokens, mentioned_usernames

__all__ = ["mentioned_staff", "mentioned_usernames"]


def mentioned_staff(text: str) -> QuerySet[User]:
    """Active agents and admins mentioned in `text` (user names compared without case; a user really called
    "alice." is found too)."""
    names = set(mentioned_usernames(text)) | {token.lower() for token in mention_tokens(text)}
    if not names:
        return User.objects.none()
    return (
        User.objects.annotate(lower_username=Lower("username"))
        .filter(lower_username__in=names, is_active=True, role__in=STAFF_ROLES)
        .order_by("pk")
    )
