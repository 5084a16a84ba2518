"""Writes of departments, their membership, routing rules, SLA policies and agents' availability.

Membership is membership of the department's auth Group. It is written from either side, a department's
members (department_set_members) or an account's departments (user_set_departments, and
user_create_with_departments for a new account), and either way only agents and admins may belong.

Leaving a department ends the access it gave: the services announce it (apps/accounts/access.py, DEPARTMENTS)
and the tickets app unassigns the account from that department's tickets in the same transaction (admins keep
theirs: they see every ticket anyway). An account that stops being staff or is deactivated leaves every
department (`leave_every_department`, registered in this app's AppConfig.ready()).
"""

from collections.abc import Iterable

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from apps.accounts.access import AccessEnd, StaffAccessEnded, staff_access_ended
from apps.accounts.choices import STAFF_ROLES
from apps.accounts.models import User
from apps.accounts.services import user_create, user_set_groups

from . import permissions
from .models import Agent, Department, RoutingRule, SlaPolicy

# Settings of a department besides its name: assignment policy and business hours (department_create/_update).
POLICY_FIELDS = ("assignment_policy", "work_days", "work_start", "work_end", "time_zone")


def department_group_name(slug: str) -> str:
    return f"department:{slug}"


def may_join_departments(user) -> bool:
    """Only agents and admins belong to departments."""
    return user.role in STAFF_ROLES


def _check_members(users: Iterable) -> None:
    bad = [u.username for u in users if not may_join_departments(u)]
    if bad:
        raise ValidationError(
            {"members": _("Only agents and admins can be department members: %(names)s.") % {"names": ", ".join(bad)}}
        )


@transaction.atomic
def department_create(
    *,
    name: str,
    slug: str = "",
    description: str = "",
    manager=None,
    is_default: bool = False,
    is_active: bool = True,
    keywords: str = "",
    members: Iterable = (),
    **options,
) -> Department:
    """Create a department together with the auth Group that holds its members and ticket grants.

    `options`: any of POLICY_FIELDS (assignment policy, business hours); the model's defaults otherwise.
    """
    if set(options) - set(POLICY_FIELDS):
        raise ValueError(f"department_create cannot set {sorted(set(options) - set(POLICY_FIELDS))}")
    slug = slug or slugify(name)
    members = list(members)
    _check_members(members)
    if is_default:
        Department.objects.filter(is_default=True).update(is_default=False)
    group, _created = Group.objects.get_or_create(name=department_group_name(slug))
    department = Department(
        name=name,
        slug=slug,
        description=description,
        manager=manager,
        is_default=is_default,
        is_active=is_active,
        keywords=keywords,
        group=group,
        **options,
    )
    department.full_clean()
    department.save(force_insert=True)
    if members:
        group.user_set.add(*members)
    return department


@transaction.atomic
def department_update(*, department: Department, **changes) -> Department:
    """Edit a department; making it the default takes the flag from the previous default."""
    allowed = {"name", "slug", "description", "manager", "is_default", "is_active", "keywords", *POLICY_FIELDS}
    if set(changes) - allowed:
        raise ValueError(f"department_update cannot change {sorted(set(changes) - allowed)}")
    if changes.get("is_default"):
        Department.objects.filter(is_default=True).exclude(pk=department.pk).update(is_default=False)
    for field, value in changes.items():
        setattr(department, field, value)
    department.full_clean()
    department.save()
    if "slug" in changes:
        Group.objects.filter(pk=department.group_id).update(name=department_group_name(department.slug))
    return department


@transaction.atomic
def department_set_members(*, department: Department, users: Iterable, actor=None) -> None:
    """Make exactly `users` the members of the department (they see its tickets from now on); those who leave
    are unassigned from its tickets. `actor`: the admin (recorded in the tickets' history), None for the system."""
    users = list(users)
    _check_members(users)
    leaving = department.group.user_set.exclude(pk__in=[user.pk for user in users])
    leaving = list(leaving.order_by("pk"))
    department.group.user_set.set(users)
    for user in leaving:
        staff_access_ended(user=user, reason=AccessEnd.DEPARTMENTS, actor=actor, group_ids=[department.group_id])


@transaction.atomic
def user_set_departments(*, user: User, departments: Iterable[Department], actor=None) -> None:
    """Make `departments` exactly the departments the user belongs to (their other groups are kept); from the
    departments they leave, their tickets are unassigned. `actor`: the admin, None for the system."""
    departments = list(departments)
    if departments and not may_join_departments(user):
        raise ValidationError({"departments": _("Only agents and admins can belong to departments.")})
    department_groups = Group.objects.filter(department__isnull=False)
    before = set(department_groups.filter(user=user).values_list("pk", flat=True))
    groups = Group.objects.filter(pk__in=[department.group_id for department in departments])
    user_set_groups(user=user, groups=groups, among=department_groups)
    left = before - {department.group_id for department in departments}
    if left:
        staff_access_ended(user=user, reason=AccessEnd.DEPARTMENTS, actor=actor, group_ids=left)


def leave_every_department(change: StaffAccessEnded) -> None:
    """An account that stops being staff or is deactivated leaves every department (an access listener)."""
    if change.reason in (AccessEnd.ROLE, AccessEnd.DEACTIVATED):
        change.user.groups.remove(*Group.objects.filter(department__isnull=False, user=change.user))


@transaction.atomic
def user_create_with_departments(*, departments: Iterable[Department] = (), **account) -> User:
    """Create an account (apps.accounts.services.user_create takes `account`) that belongs to `departments`."""
    user = user_create(**account)
    user_set_departments(user=user, departments=departments)
    return user


def department_default() -> Department | None:
    return Department.objects.filter(is_default=True, is_active=True).first()


@transaction.atomic
def routing_rule_save(*, rule: RoutingRule) -> RoutingRule:
    """Create or update a routing rule; a pattern that cannot be used (say, an invalid regular expression) is
    refused with a ValidationError on `pattern`."""
    rule.full_clean()
    rule.save()
    return rule


@transaction.atomic
def sla_policy_save(*, policy: SlaPolicy) -> SlaPolicy:
    """Create or update an SLA policy (one per department and priority).

    Tickets keep the due dates they were given; new tickets and priority changes use the new targets.
    """
    policy.full_clean()
    policy.save()
    return policy


@transaction.atomic
def routing_rule_delete(*, rule: RoutingRule) -> None:
    """Delete a routing rule; tickets it routed keep their department and the copy of it in their history."""
    rule.delete()


@transaction.atomic
def sla_policy_delete(*, policy: SlaPolicy) -> None:
    """Delete an SLA policy; tickets keep the due dates they were given, new tickets get none from it."""
    policy.delete()


@transaction.atomic
def agent_set_availability(*, agent, is_available: bool, actor=None) -> Agent:
    """Mark an agent available or away; automatic assignment skips agents who are away.

    `actor`: admins mark anyone, agents themselves (PermissionDenied otherwise); None is the system.
    """
    if actor is not None and not permissions.can_set_availability(actor, agent):
        raise PermissionDenied(
            _("Your account is not allowed to do this. If you think it should be, contact the help desk.")
        )
    if agent.role not in STAFF_ROLES:
        raise ValidationError({"is_available": _("Only agents and admins take tickets.")})
    if agent.is_available != is_available:
        agent.is_available = is_available
        agent.save(update_fields=["is_available"])
    return agent
