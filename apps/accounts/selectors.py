"""Reads of user accounts: which accounts a user may look up."""

from django.contrib.auth.models import Group
from django.db.models import Prefetch, Q, QuerySet

from .models import User
from .permissions import is_admin, is_agent


def department_groups() -> Prefetch:
    """Prefetch of the department groups of users (with their department), for listing memberships."""
    return Prefetch(
        "groups",
        queryset=Group.objects.filter(department__isnull=False).select_related("department").order_by("pk"),
        to_attr="department_groups",
    )


def users_visible_to(user) -> QuerySet[User]:
    """Admins: every account. Agents: themselves, the members of their departments and the requesters of
    the tickets they can see. Everyone else: nobody."""
    if is_admin(user):
        return User.objects.all()
    if not is_agent(user):
        return User.objects.none()
    from apps.tickets.selectors import tickets_visible_to  # tickets depend on accounts, not the reverse

    own_groups = Group.objects.filter(department__isnull=False, user=user).values("pk")
    colleagues = User.groups.through.objects.filter(group__in=own_groups).values("user_id")
    requesters = tickets_visible_to(user).values("requester_id")
    return User.objects.filter(Q(pk=user.pk) | Q(pk__in=colleagues) | Q(pk__in=requesters))
