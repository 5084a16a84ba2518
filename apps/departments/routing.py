"""Routing and assignment: which department a new ticket goes to, and which of its agents works it.

`route_ticket` tries the active routing rules in order (first match wins, no match: the default department); a
`Router` takes the rules and the default department once to route a batch of tickets.
The rules and the default department come from apps/departments/snapshot.py (kept per process until they change).
`choose_assignee` applies a department's assignment policy (`choose_assignees`: to a batch of new tickets).
Both are reads plus, for round robin and least open, one locked write to the department's cursor: callers run
them inside their own transaction (the ticket services do), so the cursor's row lock is held until the ticket
that took the turn is committed."""

import copy
from collections.abc import Collection
from dataclasses import dataclass

from django.db import router as db_router
from django.db import transaction
from django.db.models import Count, Q, QuerySet

from apps.accounts.choices import STAFF_ROLES
from apps.accounts.models import User

from .choices import AssignmentPolicy
from .models import AssignmentCursor, Department, RoutingRule
from .patterns import matches
from .snapshot import setup_current


@dataclass(frozen=True)
class Route:
    """Where a ticket goes and why: the rule that matched, or None for the default department."""

    department: Department
    rule: RoutingRule | None


class Router:
    """The routing rules and the default department (snapshot.py: read once per change of the setup), for routing
    any number of tickets."""

    def __init__(self):
        self.setup = setup_current(db_router.db_for_read(Department))  # its SLA policies too, for the same tickets
        self.rules: tuple[RoutingRule, ...]
        self.default: Department | None
        self.rules, self.default = self.setup.routing

    def route(self, *, title: str, description: str, category: str, requester_email: str) -> Route | None:
        """The first rule that matches, else the default department, else None."""
        for rule in self.rules:
            if matches(
                rule.field,
                rule.pattern,
                title=title,
                description=description,
                category=category,
                email=requester_email,
            ):
                return Route(department=copy.copy(rule.department), rule=rule)
        return Route(department=copy.copy(self.default), rule=None) if self.default is not None else None


def route_ticket(*, title: str, description: str, category: str, requester_email: str) -> Route | None:
    """The first active rule (of an active department) that matches, else the default department, else None."""
    return Router().route(title=title, description=description, category=category, requester_email=requester_email)


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
    """The agent the department's policy gives the next ticket to (None: manual, or nobody available)."""
    return choose_assignees(department=department, count=1, open_statuses=open_statuses)[0]


def choose_assignees(*, department: Department, count: int, open_statuses: Collection[str]) -> list[User | None]:
    """The agents the department's policy gives its next `count` new tickets to, in order (None: manual, or
    nobody available).

    Round robin: the next available member after the last one served. Least open: the available member with
    the fewest tickets in `open_statuses` (in any department; the ticket services say which statuses are open),
    counting the tickets given out in this call; ties go to whoever is next in turn. Either way the cursor row
    is locked first, so concurrent callers are served one after another, each seeing the previous choices.
    Three queries whatever `count` is: the locked cursor, the agents, the cursor's update.
    """
    if department.assignment_policy not in (AssignmentPolicy.ROUND_ROBIN, AssignmentPolicy.LEAST_OPEN):
        return [None] * count
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("choose_assignee must run inside the transaction that saves the assignment")
    cursor = AssignmentCursor.objects.select_for_update().filter(department=department).first()
    if cursor is None:
        AssignmentCursor.objects.get_or_create(department=department)
        cursor = AssignmentCursor.objects.select_for_update().get(department=department)
    agents = eligible_agents(department)
    least_open = department.assignment_policy == AssignmentPolicy.LEAST_OPEN
    if least_open:
        agents = agents.annotate(
            open_count=Count("assigned_tickets", filter=Q(assigned_tickets__status__in=open_statuses))
        )
    agents = list(agents)
    if not agents:
        return [None] * count
    chosen: list[User | None] = []
    last_id = cursor.last_assignee_id
    for _n in range(count):
        ordered = _in_turn_order(agents, last_id)
        if least_open:
            pick = min(ordered, key=lambda agent: agent.open_count)  # min() keeps the first of equals: turn order
            pick.open_count += 1
        else:
            pick = ordered[0]
        chosen.append(pick)
        last_id = pick.pk
    cursor.last_assignee_id = last_id
    cursor.assigned_count += count
    cursor.save(update_fields=["last_assignee", "assigned_count"])
    return chosen
