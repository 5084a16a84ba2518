"""Reads of user accounts: which accounts a user may look up, and the prefetch that lists their departments.

Who an agent may look up besides themselves is known by the apps above this one; they register their
sources here at start-up (register_agent_contacts), so this module imports none of them.
"""

from collections.abc import Callable

from django.contrib.auth.models import Group
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
