"""Reads of user accounts: which accounts a user may look up, the prefetch that lists their departments, and an
account's model permissions kept in the cache (`kept_model_permissions`).

Who an agent may look up besides themselves is known by the apps above this one; they register their
sources here at start-up (register_agent_contacts), so this module imports none of them.
"""

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db.models import Prefetch, Q, QuerySet

from .choices import Role
from .models import User
from .permissions import is_admin, is_agent


def department_groups() -> Prefetch:
    """Prefetch of the department groups of users (with their department), for listing memberships."""
    return Prefetch(
        "groups",
        queryset=Group.objects.filter(department__isnull=False).select_related("department").order_by("pk"),
        to_attr="department_groups",
    )


# Who else an agent may look up is known by the apps above this one (colleagues: departments; requesters of
# the tickets they see: tickets). Each registers a source in its AppConfig.ready(): user -> a queryset of user ids.
AgentContacts = Callable[[User], QuerySet]
_agent_contacts: list[AgentContacts] = []


def register_agent_contacts(source: AgentContacts) -> None:
    """Let agents look up the accounts `source(agent)` names (a `values("...id")` queryset)."""
    if source not in _agent_contacts:
        _agent_contacts.append(source)


def users_visible_to(user) -> QuerySet[User]:
    """Admins: every account. Agents: themselves and the accounts the registered sources name (the members of
    their departments, the requesters of the tickets they can see). Everyone else: nobody."""
    if is_admin(user):
        return User.objects.all()
    if not is_agent(user):
        return User.objects.none()
    visible = Q(pk=user.pk)
    for source in _agent_contacts:
        visible |= Q(pk__in=source(user))
    return User.objects.filter(visible)


def requester_by_email(*, actor, email: str) -> User | None:
    """The account staff may open a ticket for, named by its whole e-mail address (case-insensitive): someone
    `actor` can see, or any active requester. Nobody is found by part of an address, so this cannot be used to
    walk through the accounts `actor` does not see."""
    address = email.strip()
    if not address:
        return None
    reachable = Q(pk__in=users_visible_to(actor)) | Q(role=Role.REQUESTER, is_active=True)
    return User.objects.filter(reachable, email__iexact=address).order_by("pk").first()


# What decides an account's access, read on every back-office page and kept in the cache with the generation it was
# read in: its model permissions as Django's ModelBackend reads them (its own and its groups': two queries), and
# the apps' reads of its groups (tickets: an agent's groups and their departments, one query). Every write that
# can change any of it (a permission given or taken, a group's members or permissions, a permission, group or
# content type saved or deleted, and what the apps above add: a department saved or deleted) starts a new
# generation (services.model_permissions_changed, signals in apps.py and the apps' ready()), so an entry is never
# read after what it holds has changed. A missing generation (a new or evicted cache) is started anew, never
# taken as one an entry could match. Kept only where every process shares the cache (settings.ACCESS_KEPT_IN_CACHE).
PERMISSIONS_GENERATION = "accounts:permissions:generation"
PERMISSIONS_SECONDS = 24 * 3600


def permissions_key(user_id: int) -> str:
    return f"accounts:permissions:{user_id}"


def kept_in_permissions_generation(key: str, read: Callable[[], object]):
    """`read()`, or what it gave under `key` in the current generation of access (see above). `read` returns a
    value the cache can hold and callers do not change (a frozenset, a tuple). Always `read()` unless
    settings.ACCESS_KEPT_IN_CACHE (a cache every process shares)."""
    if not settings.ACCESS_KEPT_IN_CACHE:
        return read()
    kept = cache.get_many([PERMISSIONS_GENERATION, key])
    generation = kept.get(PERMISSIONS_GENERATION)
    if generation is None:
        # No generation to keep under yet: start one (another process may start its own first; then this one's
        # entries are never matched), and read this time.
        cache.add(PERMISSIONS_GENERATION, time.time_ns(), None)
        return read()
    entry = kept.get(key)
    if entry is not None and entry[0] == generation:
        return entry[1]
    found = read()
    cache.set(key, (generation, found), PERMISSIONS_SECONDS)
    return found


def kept_model_permissions(user: User, read: Callable[[], set[str]]) -> set[str]:
    """`read()` (the account's model permissions from the database), or what it gave in the current generation."""
    return set(kept_in_permissions_generation(permissions_key(user.pk), lambda: frozenset(read())))
