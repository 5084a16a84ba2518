"""Helpers of the API tests: clients that authenticate like programs do (JWT), and database snapshots.

A module, not a conftest: test modules import the helpers they use and wrap them in their own fixtures.
"""

from django.contrib.auth.models import Group
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from apps.accounts.models import User
from apps.tickets.models import (
    Attachment,
    Comment,
    Ticket,
    TicketEvent,
    TicketGroupObjectPermission,
    TicketUserObjectPermission,
)


def jwt_client(user: User | None) -> APIClient:
    """A client sending `Authorization: Bearer <access token>` for `user` (no header for None)."""
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    return client


def reset_throttles() -> None:
    """Throttle counters live in the cache, which outlives a test."""
    cache.clear()


def db_state() -> dict:
    """Everything an API write could change, to compare before and after a refused request."""
    return {
        "tickets": list(Ticket.objects.order_by("pk").values()),
        "comments": list(Comment.objects.order_by("pk").values()),
        "attachments": list(Attachment.objects.order_by("pk").values()),
        "events": list(TicketEvent.objects.order_by("pk").values_list("pk", "kind", "data")),
        "user grants": TicketUserObjectPermission.objects.count(),
        "group grants": TicketGroupObjectPermission.objects.count(),
        "users": list(User.objects.order_by("pk").values_list("pk", "role", "is_active", "last_login")),
        "groups": list(Group.objects.order_by("pk").values_list("pk", "user")),
    }


def references(response) -> list[str]:
    """The ticket references of a list response, in order."""
    return [row["reference"] for row in response.json()["results"]]
