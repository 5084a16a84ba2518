"""The end of an account's staff access, announced to the apps above accounts.

An agent's access to tickets comes from being staff: department membership (the department group's grants) and
assignments (the assignee's grants). When it ends, the account services say so here, inside their own
transaction, and the apps that hold such access take it away in that same transaction:

- ROLE: the role changed from agent or admin to requester (apps.accounts.services.user_set_role);
- DEACTIVATED: the account was deactivated (apps.accounts.services.user_update with is_active=False);
- DEPARTMENTS: the account left some departments (apps.departments.services: user_set_departments,
  department_set_members); `group_ids` are the department groups it left.

apps.departments registers a listener that takes the account out of every department (ROLE, DEACTIVATED);
apps.tickets one that unassigns its tickets and revokes its grants (apps.tickets.services.assignee_withdraw).
Accounts imports neither: they register in their AppConfig.ready(), like apps/tickets/events.py's listeners.
A listener that fails rolls the whole change back.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from django.db import transaction


class AccessEnd(StrEnum):
    ROLE = "role"
    DEACTIVATED = "deactivated"
    DEPARTMENTS = "departments"


@dataclass(frozen=True)
class StaffAccessEnded:
    """`actor`: the admin who made the change, None for the system (an import, a repair)."""

    user: object
    reason: AccessEnd
    actor: object = None
    group_ids: frozenset[int] = frozenset()


AccessListener = Callable[[StaffAccessEnded], None]

_listeners: dict[str, AccessListener] = {}


def on_staff_access_ended(name: str, listener: AccessListener) -> None:
    """Call `listener` whenever an account's staff access ends (from an AppConfig.ready()).

    Listeners run in the order they registered (the order of INSTALLED_APPS); registering a name again
    replaces its listener.
    """
    _listeners[name] = listener


def staff_access_ended(*, user, reason: AccessEnd, actor=None, group_ids: Iterable[int] = ()) -> None:
    """Tell every listener, inside the caller's transaction (they must all succeed, or nothing is kept)."""
    change = StaffAccessEnded(user=user, reason=reason, actor=actor, group_ids=frozenset(group_ids))
    with transaction.atomic():
        for listener in list(_listeners.values()):
            listener(change)
