"""Access decisions of the departments app that the roles alone do not answer (see apps/accounts/permissions.py)."""

from apps.accounts.permissions import is_admin


def can_set_availability(user, agent) -> bool:
    """Admins mark anyone available or away; agents only themselves."""
    return is_admin(user) or agent.pk == user.pk
