"""Reads of departments: which departments a user may see, and who an agent's colleagues are."""

from django.contrib.auth.models import Group
from django.db.models import QuerySet

from apps.accounts.models import User
from apps.accounts.permissions import is_admin, is_agent

from .models import Department


def departments_visible_to(user) -> QuerySet[Department]:
    """Staff see every department; requesters only the active ones."""
    if is_admin(user) or is_agent(user):
        return Department.objects.all()
    if user.is_authenticated and user.is_active:
        return Department.objects.filter(is_active=True)
    return Department.objects.none()


def colleagues_of(user) -> QuerySet:
    """Ids of the members of the user's departments (themselves included)."""
    own_groups = Group.objects.filter(department__isnull=False, user=user).values("pk")
    return User.groups.through.objects.filter(group__in=own_groups).values("user_id")
