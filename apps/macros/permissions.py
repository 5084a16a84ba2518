"""Who may use and who may manage canned responses and macros.

- Using: active staff (agents and admins), each within their scope (selectors.macros_for_ticket): the macros
  for everyone, their departments' macros on those departments' tickets (admins: every department's), and their
  own private ones. What a macro does to a ticket is checked again by the ticket services it calls.
- Managing: admins every macro, of any scope; agents only their own private ones.
"""

from apps.accounts.permissions import is_admin

from .choices import Scope


def can_use_macros(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_staff)


def can_manage_macro(user, macro) -> bool:
    """Change or delete `macro` (as it is stored, or as it would be saved)."""
    if is_admin(user):
        return True
    return can_use_macros(user) and macro.scope == Scope.PRIVATE and macro.owner_id == user.pk
