"""Writes for departments and their membership (membership is the department group)."""

from collections.abc import Iterable

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from apps.accounts.choices import STAFF_ROLES

from . import permissions
from .models import Agent, Department, RoutingRule, SlaPolicy

# Settings of a department besides its name: assignment policy and business hours (department_create/_update).
POLICY_FIELDS = ("assignment_policy", "work_days", "work_start", "work_end", "time_zone")


def department_group_name(slug: str) -> str:
    return f"department:{slug}"


def _check_members(users: Iterable) -> None:
    bad = [u.username for u in users if u.role not in STAFF_ROLES]
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
    allowed = {"name", "slug", "description", "manager", "is_default", "is_active", *POLICY_FIELDS}
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
def department_set_members(*, department: Department, users: Iterable) -> None:
    """Make exactly `users` the members of the department (they see its tickets from now on)."""
    users = list(users)
    _check_members(users)
    department.group.user_set.set(users)


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
