"""Writes for user accounts."""

from collections.abc import Iterable

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .choices import STAFF_ROLES, Role
from .models import User


def _check_email_free(email: str, *, exclude_pk=None) -> None:
    qs = User.objects.filter(email__iexact=email)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise ValidationError({"email": _("Another account already uses this e-mail address.")})


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
    departments: Iterable = (),
) -> User:
    """Create an account; staff roles may join departments, requesters may not."""
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
    user_set_departments(user=user, departments=departments)
    return user


@transaction.atomic
def user_set_role(*, user: User, role: str) -> User:
    """Change the role; an account that stops being staff leaves every department."""
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    user.role = role
    user.save(update_fields=["role"])
    if role not in STAFF_ROLES:
        user.groups.remove(*Group.objects.filter(department__isnull=False, user=user))
    return user


@transaction.atomic
def user_set_departments(*, user: User, departments: Iterable) -> None:
    """Make `departments` exactly the departments the user belongs to (other groups are kept)."""
    departments = list(departments)
    if departments and user.role not in STAFF_ROLES:
        raise ValidationError({"departments": _("Only agents and admins can belong to departments.")})
    current = set(user.groups.filter(department__isnull=False).values_list("pk", flat=True))
    wanted = {d.group_id for d in departments}
    if current - wanted:
        user.groups.remove(*(current - wanted))
    if wanted - current:
        user.groups.add(*(wanted - current))


PROFILE_FIELDS = ("username", "first_name", "last_name", "email", "language", "time_zone", "is_active")


@transaction.atomic
def user_update(*, user: User, **changes) -> User:
    """Edit profile fields; role, departments and password have their own services."""
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"user_update cannot change {sorted(unknown)}")
    if "email" in changes:
        _check_email_free(changes["email"], exclude_pk=user.pk)
    for field, value in changes.items():
        setattr(user, field, value)
    user.full_clean(exclude=["password"])
    user.save(update_fields=list(changes))
    return user
