"""Routing and assignment: which department a new ticket goes to, and which of its agents works it.

`route_ticket` tries the active routing rules in order (first match wins, no match: the default department).
`choose_assignee` applies a department's assignment policy. Both are reads plus, for round robin and least
open, one locked write to the department's cursor: callers run them inside their own transaction (the ticket
services do), so the cursor's row lock is held until the ticket that took the turn is committed.
"""

from collections.abc import Collection
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q, QuerySet

from apps.accounts.choices import STAFF_ROLES
from apps.accounts.models import User

from .choices import AssignmentPolicy
from .models import AssignmentCursor, Department, RoutingRule
from .patterns import matches


@dataclass(frozen=True)
class Route:
    """Where a ticket goes and why: the rule that matched, or None for the default department."""

    department: Department
    rule: RoutingRule | None


def route_ticket(*, title: str, description: str, category: str, requester_email: str) -> Route | None:
    """The first active rule (of an active department) that matches, else the default department, else None."""
    rules = (
        RoutingRule.objects.filter(is_active=True, department__is_active=True)
        .select_related("department")
        .order_by("order", "id")
    )
    for rule in rules:
        if matches(
            rule.field,
            rule.pattern,
            title=title,
            description=description,
            category=category,
            email=requester_email,
        ):
            return Route(department=rule.department, rule=rule)
    default = Department.objects.filter(is_default=True, is_active=True).first()
    return Route(department=default, rule=None) if default is not None else None


def eligible_agents(department: Department) -> QuerySet[User]:
    """Members who may receive tickets automatically: active agents and admins who are available."""
    return User.objects.filter(
        groups=department.group_id, is_active=True, is_available=True, role__in=STAFF_ROLES
    ).order_by("pk")


def _in_turn_order(agents: list[User], last_id: int | None) -> list[User]:
    """The agents (sorted by id) starting with the one after `last_id`, wrapping around."""
    if last_id is None:
        return agents
    after = [a for a in agents if a.pk > last_id]
    return after + [a for a in agents if a.pk <= last_id]


def choose_assignee(*, department: Department, open_statuses: Collection[str]) -> User | None:
    """The agent the department's policy gives the next ticket to (None: manual, or nobody available).

    Round robin: the next available member after the last one served. Least open: the available member with
    the fewest tickets in `open_statuses` (in any department; the ticket services say which statuses are open);
    ties go to whoever is next in turn. Either way the cursor row is
    locked first, so concurrent callers are served one after another, each seeing the previous choice.
    """
    if department.assignment_policy not in (AssignmentPolicy.ROUND_ROBIN, AssignmentPolicy.LEAST_OPEN):
        return None
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("choose_assignee must run inside the transaction that saves the assignment")
    AssignmentCursor.objects.get_or_create(department=department)
    cursor = AssignmentCursor.objects.select_for_update().get(department=department)
    agents = eligible_agents(department)
    if department.assignment_policy == AssignmentPolicy.LEAST_OPEN:
        agents = agents.annotate(
            open_count=Count("assigned_tickets", filter=Q(assigned_tickets__status__in=open_statuses))
        )
    ordered = _in_turn_order(list(agents), cursor.last_assignee_id)
    if not ordered:
        return None
    if department.assignment_policy == AssignmentPolicy.LEAST_OPEN:
        chosen = min(ordered, key=lambda agent: agent.open_count)  # min() keeps the first of equals: turn order
    else:
        chosen = ordered[0]
    cursor.last_assignee = chosen
    cursor.assigned_count += 1
    cursor.save(update_fields=["last_assignee", "assigned_count"])
    return chosen
