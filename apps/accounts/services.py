"""Writes of user accounts: create, profile, role, and the groups an account is in.

Department membership is membership of a department's group; the departments app sets it
(apps/departments/services.py, through user_set_groups). An account whose role stops being staff, or that is
deactivated, loses every access that came from being staff: the services announce it through
apps/accounts/access.py in their transaction, and the departments and tickets apps take the account out of its
departments, unassign its tickets and revoke its ticket grants (its own tickets as a requester stay visible).

Saves of accounts and groups reach the audit log through its model registry (apps/accounts/apps.py); the
many-to-many changes (an account's groups, a group's permissions) are recorded here.

Any change of model permissions (however written: these services, the admin's forms, a migration) starts a new
generation of the permissions kept in the cache (`model_permissions_changed`, connected in apps.py).
"""

import time
from collections.abc import Iterable

from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from apps.audit.models import Action
from apps.audit.services import audit_record

from .access import AccessEnd, staff_access_ended
from .choices import STAFF_ROLES, Role
from .models import User
from .selectors import PERMISSIONS_GENERATION


def model_permissions_generation_next() -> None:
    """A new generation of the model permissions kept in the cache (selectors.kept_model_permissions)."""
    cache.set(PERMISSIONS_GENERATION, time.time_ns(), None)


def model_permissions_changed() -> None:
    """Start a new generation of the kept model permissions: now, and again once the transaction commits, so a page
    read between the two cannot keep what the transaction replaced."""
    model_permissions_generation_next()
    transaction.on_commit(model_permissions_generation_next)


def _check_email_free(email: str, *, exclude_pk=None) -> None:
    qs = User.objects.filter(email__iexact=email)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise ValidationError({"email": _("Another account already uses this e-mail address.")})


# What user_create takes besides the password: the fields of a new account.
ACCOUNT_FIELDS = ("username", "email", "role", "first_name", "last_name", "language", "time_zone")


@transaction.atomic
def user_create(
    *,
    username: str,
    email: str,
    password: str | None = None,
    role: str = Role.REQUESTER,
    first_name: str = "",
    last_name: str = "",
    language: str = "en",
    time_zone: str = "UTC",
) -> User:
    """Create an account, with a password or without one (the person then uses "forgot password").

    Department membership is the departments app's: apps.departments.services.user_create_with_departments.
    """
    _check_email_free(email)
    user = User(
        username=username,
        email=email,
        role=role,
        first_name=first_name,
        last_name=last_name,
        language=language,
        time_zone=time_zone,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save(force_insert=True)
    return user


@transaction.atomic
def user_set_role(*, user: User, role: str, actor=None) -> User:
    """Change the role. An account that stops being staff leaves every department, is unassigned from its
    tickets and loses its ticket grants but the view of its own tickets (apps/accounts/access.py).

    `actor`: the admin making the change (recorded in the tickets' history), None for the system."""
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    was_staff = _stored(user)["role"] in STAFF_ROLES
    user.role = role
    user.save(update_fields=["role"])
    if was_staff and role not in STAFF_ROLES:
        staff_access_ended(user=user, reason=AccessEnd.ROLE, actor=actor)
    return user


def _stored(user: User) -> dict:
    """The role and active flag in the database (callers may have changed the instance already)."""
    return User.objects.filter(pk=user.pk).values("role", "is_active").first() or {"role": None, "is_active": False}


@transaction.atomic
def user_set_groups(*, user: User, groups: Iterable[Group], among: Iterable[Group], record: bool = True) -> None:
    """Make `groups` exactly the user's groups among `among` (the groups the caller is about); others are kept.

    The change is audited unless `record` is False (a caller that records it in its own words: departments)."""
    among = {group.pk for group in among}
    wanted = {group.pk for group in groups}
    if wanted - among:
        raise ValueError(f"user_set_groups: groups {sorted(wanted - among)} are not among the groups to set")
    current = dict(user.groups.filter(pk__in=among).values_list("pk", "name"))
    if set(current) - wanted:
        user.groups.remove(*(set(current) - wanted))
    if wanted - set(current):
        user.groups.add(*(wanted - set(current)))
    if record and set(current) != wanted:
        after = Group.objects.filter(pk__in=wanted).values_list("name", flat=True)
        audit_record(action=Action.UPDATED, obj=user, changes={"groups": [sorted(current.values()), sorted(after)]})


@transaction.atomic
def group_save(*, group: Group, permissions: Iterable[Permission] | None = None) -> Group:
    """Create or rename a group and, when given, make `permissions` exactly its model permissions."""
    group.full_clean()
    group.save()
    if permissions is not None:
        before = sorted(_codenames(group.permissions.all()))
        group.permissions.set(permissions)
        after = sorted(_codenames(group.permissions.all()))
        if before != after:
            audit_record(action=Action.UPDATED, obj=group, changes={"permissions": [before, after]})
    return group


def _codenames(permissions) -> list[str]:
    return [
        f"{app_label}.{codename}"
        for app_label, codename in permissions.values_list("content_type__app_label", "codename")
    ]


@transaction.atomic
def group_delete(*, group: Group) -> None:
    """Delete a group (a department's own group is never deleted: the admin refuses it first)."""
    group.delete()


@transaction.atomic
def user_delete(*, user: User) -> None:
    """Delete an account that has no tickets, replies or uploads (those are protected: deactivate it instead)."""
    user.delete()


PROFILE_FIELDS = ("username", "first_name", "last_name", "email", "language", "time_zone", "is_active")


@transaction.atomic
def user_update(*, user: User, actor=None, **changes) -> User:
    """Edit profile fields; the role has its own service (user_set_role), departments theirs in
    apps/departments/services.py, and passwords are set through Django's forms.

    Deactivating an agent or admin ends its staff access as a demotion does (user_set_role); reactivating it
    gives back neither its departments nor its tickets. `actor`: the admin, None for the system."""
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"user_update cannot change {sorted(unknown)}")
    if "email" in changes:
        _check_email_free(changes["email"], exclude_pk=user.pk)
    deactivated = False
    if "is_active" in changes and not changes["is_active"]:
        stored = _stored(user)
        deactivated = stored["is_active"] and stored["role"] in STAFF_ROLES
    for field, value in changes.items():
        setattr(user, field, value)
    user.full_clean(exclude=["password"])
    user.save(update_fields=list(changes))
    if deactivated:
        staff_access_ended(user=user, reason=AccessEnd.DEACTIVATED, actor=actor)
    return user
