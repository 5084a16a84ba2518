"""Writes of departments, their membership, routing rules, SLA policies and agents' availability.

Membership is membership of the department's auth Group. It is written from either side, a department's
members (department_set_members) or an account's departments (user_set_departments, and
user_create_with_departments for a new account), and either way only agents and admins may belong.

Leaving a department ends the access it gave: the services announce it (apps/accounts/access.py, DEPARTMENTS)
and the tickets app unassigns the account from that department's tickets in the same transaction (admins keep
theirs: they see every ticket anyway). An account that stops being staff or is deactivated leaves every
department (`leave_every_department`, registered in this app's AppConfig.ready()).

The audit log (apps/audit/) sees saves of departments, rules and policies through its model registry; what it
cannot see is recorded here: membership (a many-to-many) and the default flag moved with `update()`.
"""

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from apps.accounts.access import AccessEnd, StaffAccessEnded, staff_access_ended
from apps.accounts.choices import STAFF_ROLES
from apps.accounts.models import User
from apps.accounts.oidc.claims import claim_values
from apps.accounts.services import user_create, user_set_groups
from apps.audit.models import Action
from apps.audit.services import audit_record

from . import permissions
from .models import Agent, Department, RoutingRule, SlaPolicy

# Settings of a department besides its name: assignment policy and business hours (department_create/_update).
POLICY_FIELDS = ("assignment_policy", "work_days", "work_start", "work_end", "time_zone", "holidays")


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
        _take_default_flag(Department.objects.filter(is_default=True))
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
        _record_members(department, before=[], after=members)
    return department


def _take_default_flag(departments) -> None:
    """Clear the default flag of `departments` (an update() sends no signal: each is recorded here)."""
    for previous in departments:
        audit_record(action=Action.UPDATED, obj=previous, changes={"is_default": [True, False]})
    departments.update(is_default=False)


def _names(users) -> list[str]:
    return sorted(user.get_username() for user in users)


def _record_members(department: Department, *, before, after, actor=None) -> None:
    audit_record(
        action=Action.UPDATED, obj=department, changes={"members": [_names(before), _names(after)]}, actor=actor
    )


def _record_departments(user, *, before: list[str], after: list[str], actor=None) -> None:
    audit_record(action=Action.UPDATED, obj=user, changes={"departments": [sorted(before), sorted(after)]}, actor=actor)


@transaction.atomic
def department_update(*, department: Department, **changes) -> Department:
    """Edit a department; making it the default takes the flag from the previous default."""
    allowed = {"name", "slug", "description", "manager", "is_default", "is_active", "keywords", *POLICY_FIELDS}
    if set(changes) - allowed:
        raise ValueError(f"department_update cannot change {sorted(set(changes) - allowed)}")
    if changes.get("is_default"):
        _take_default_flag(Department.objects.filter(is_default=True).exclude(pk=department.pk))
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
    current = list(department.group.user_set.order_by("pk"))
    leaving = [user for user in current if user.pk not in {u.pk for u in users}]
    department.group.user_set.set(users)
    if {user.pk for user in current} != {user.pk for user in users}:
        _record_members(department, before=current, after=users, actor=actor)
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
    before = dict(department_groups.filter(user=user).values_list("pk", "department__name"))
    groups = Group.objects.filter(pk__in=[department.group_id for department in departments])
    user_set_groups(user=user, groups=groups, among=department_groups, record=False)
    after = {department.group_id: department.name for department in departments}
    if set(before) != set(after):
        _record_departments(user, before=list(before.values()), after=list(after.values()), actor=actor)
    left = set(before) - set(after)
    if left:
        staff_access_ended(user=user, reason=AccessEnd.DEPARTMENTS, actor=actor, group_ids=left)


def leave_every_department(change: StaffAccessEnded) -> None:
    """An account that stops being staff or is deactivated leaves every department (an access listener)."""
    if change.reason in (AccessEnd.ROLE, AccessEnd.DEACTIVATED):
        groups = list(Group.objects.filter(department__isnull=False, user=change.user).select_related("department"))
        if groups:
            change.user.groups.remove(*groups)
            names = [group.department.name for group in groups]
            _record_departments(change.user, before=names, after=[], actor=change.actor)


@transaction.atomic
def departments_from_sso_claims(*, user: User, claims) -> None:
    """Single sign-on (a listener of apps/accounts/oidc/claims.py): make the departments named by the department claim
    through OIDC_DEPARTMENT_MAP (claim value -> department slug) exactly the account's departments among those the
    map names; departments the map does not name are managed here and kept. Requesters belong to none."""
    if not settings.OIDC_DEPARTMENT_CLAIM or not may_join_departments(user):
        return
    mapping = settings.OIDC_DEPARTMENT_MAP
    named = {mapping[value] for value in claim_values(claims, settings.OIDC_DEPARTMENT_CLAIM) if value in mapping}
    current = list(Department.objects.filter(group__user=user))
    wanted = [department for department in current if department.slug not in mapping.values()]
    wanted += list(Department.objects.filter(slug__in=named))
    if {department.pk for department in wanted} != {department.pk for department in current}:
        user_set_departments(user=user, departments=wanted)


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
