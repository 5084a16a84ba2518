"""Reads of notifications: a person only ever reads their own."""

from django.core.cache import cache
from django.db.models import Count, Max, QuerySet

from .choices import REQUESTER_KINDS, STAFF_KINDS, NotificationKind
from .models import Notification, NotificationPreference


def notifications_for(user) -> QuerySet[Notification]:
    """The user's in-app notifications, newest first (nobody else's, whatever their role)."""
    if not (user.is_authenticated and user.is_active):
        return Notification.objects.none()
    return Notification.objects.filter(recipient=user, in_app=True).order_by("-created_at", "-id")


# Each person's unread state is kept in the cache (`unread_key`) with the generation it was read in: services delete
# a person's entry when one of their notifications is created or read (services.unread_changed), and a deleted
# ticket (whose notifications go with it, without a signal per row) starts a new generation for everyone.
UNREAD_GENERATION = "notifications:unread:generation"
UNREAD_SECONDS = 24 * 3600


def unread_key(user_id: int) -> str:
    return f"notifications:unread:{user_id}"


def unread_state(user) -> tuple[int, int]:
    """(unread count, newest unread id): one indexed query, then kept in the cache until it changes."""
    if not (user.is_authenticated and user.is_active):
        return 0, 0
    key = unread_key(user.pk)
    kept = cache.get_many([UNREAD_GENERATION, key])
    generation = kept.get(UNREAD_GENERATION, 0)
    entry = kept.get(key)
    if entry is not None and entry[0] == generation:
        return entry[1], entry[2]
    found = Notification.objects.filter(recipient=user, in_app=True, read_at__isnull=True).aggregate(
        count=Count("pk"), newest=Max("pk")
    )
    state = found["count"], found["newest"] or 0
    cache.set(key, (generation, *state), UNREAD_SECONDS)
    return state


def unread_count(user) -> int:
    return unread_state(user)[0]


def kinds_for(user) -> tuple[str, ...]:
    """The kinds of notification the user can receive, in display order."""
    return STAFF_KINDS if user.is_staff else REQUESTER_KINDS


def preferences_for(user) -> dict[str, tuple[bool, bool]]:
    """kind → (in-app, e-mail) for every kind the user can receive; kinds without a row have both on."""
    stored = {
        p.kind: (p.in_app, p.email) for p in NotificationPreference.objects.filter(user=user, kind__in=kinds_for(user))
    }
    return {kind: stored.get(kind, (True, True)) for kind in kinds_for(user)}


def channels_for(users, kind: str) -> dict[int, tuple[bool, bool]]:
    """user id → (in-app, e-mail) for one kind, for several users in one query."""
    ids = [u.pk for u in users]
    stored = {p.user_id: (p.in_app, p.email) for p in NotificationPreference.objects.filter(user_id__in=ids, kind=kind)}
    return {pk: stored.get(pk, (True, True)) for pk in ids}


def kind_label(kind: str) -> str:
    try:
        return str(NotificationKind(kind).label)
    except ValueError:
        return kind
