"""Assignment policies: manual, round robin (fair, also under concurrency), least open; unavailable agents skipped."""

from collections import Counter

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from apps.accounts.choices import Role
from apps.accounts.models import User
from apps.departments.choices import AssignmentPolicy
from apps.departments.models import AssignmentCursor
from apps.departments.routing import choose_assignee
from apps.departments.services import agent_set_availability, department_update
from apps.tickets.choices import OPEN_STATUSES, EventKind, Status
from apps.tickets.history import history_lines
from apps.tickets.models import Ticket
from apps.tickets.services import ticket_create, ticket_transfer, ticket_transition
from tests.accounts.factories import UserFactory
from tests.departments.factories import DepartmentFactory
from tests.support import assert_constant_queries, logged_in, run_at_once


@pytest.fixture
def team(db):
    """A department with three agents (ann, ben, cem, in id order) and round robin."""
    department = DepartmentFactory(name="Service Desk", slug="service-desk", is_default=True)
    agents = [UserFactory(username=name, role=Role.AGENT, departments=[department]) for name in ("ann", "ben", "cem")]
    department_update(department=department, assignment_policy=AssignmentPolicy.ROUND_ROBIN)
    return department, agents


def open_tickets(requester, count: int, department=None) -> list[Ticket]:
    return [
        ticket_create(actor=requester, requester=requester, title=f"Ticket {n}", description="x", department=department)
        for n in range(count)
    ]


def test_manual_assigns_nobody(requester, it_dept, agent):
    ticket = open_tickets(requester, 1)[0]
    assert ticket.assignee is None
    assert not ticket.events.filter(kind=EventKind.ASSIGNED).exists()


def test_round_robin_is_fair_over_thirty_tickets(team, requester):
    department, (_ann, _ben, cem) = team

    tickets = open_tickets(requester, 30)

    assert [t.assignee.username for t in tickets[:6]] == ["ann", "ben", "cem", "ann", "ben", "cem"]
    assert Counter(t.assignee.username for t in tickets) == {"ann": 10, "ben": 10, "cem": 10}
    cursor = AssignmentCursor.objects.get(department=department)
    assert (cursor.last_assignee, cursor.assigned_count) == (cem, 30)


def test_the_choice_is_recorded_in_the_history_with_its_policy(team, requester):
    ticket = open_tickets(requester, 1)[0]

    assigned = ticket.events.get(kind=EventKind.ASSIGNED)
    assert (assigned.actor, assigned.data) == (None, {"from": None, "to": team[1][0].pk, "policy": "round_robin"})
    ann = team[1][0]
    assert history_lines([assigned])[0].text == f"The system assigned the ticket to {ann.get_full_name()} (round robin)"
    # The assignee can work the ticket: the policy's choice gets the assignee's grants.
    assert ticket.assignee.has_perm("tickets.change_ticket", ticket)


def test_unavailable_and_inactive_agents_are_skipped(team, requester):
    _department, (_ann, ben, cem) = team
    agent_set_availability(agent=ben, is_available=False)
    cem.is_active = False
    cem.save()

    assert {t.assignee.username for t in open_tickets(requester, 4)} == {"ann"}

    agent_set_availability(agent=ben, is_available=True)
    assert [t.assignee.username for t in open_tickets(requester, 2)] == ["ben", "ann"]


def test_nobody_available_leaves_the_ticket_unassigned(team, requester):
    for agent in team[1]:
        agent_set_availability(agent=agent, is_available=False)

    ticket = open_tickets(requester, 1)[0]

    assert ticket.assignee is None


def test_least_open_picks_the_agent_with_fewest_open_tickets(team, requester):
    department, (ann, ben, _cem) = team
    department_update(department=department, assignment_policy=AssignmentPolicy.LEAST_OPEN)
    first = open_tickets(requester, 3)
    assert [t.assignee.username for t in first] == ["ann", "ben", "cem"]  # all equal: in turn
    # ann closes hers; ben and cem keep one open each, and ben gets another one by hand.
    ticket_transition(ticket=first[0], actor=ann, to_status=Status.CLOSED)
    ticket_create(actor=ben, requester=requester, title="Mine", description="x", department=department, assignee=ben)

    chosen = [t.assignee.username for t in open_tickets(requester, 3)]

    # ann has none open, so she is first; then ann and cem have one each and cem is next in turn; then ann again.
    assert chosen == ["ann", "cem", "ann"]


def test_a_transfer_applies_the_new_departments_policy(team, requester, it_dept, agent):
    department, (ann, _ben, _cem) = team
    ticket = ticket_create(
        actor=agent, requester=requester, title="Misrouted", description="x", department=it_dept, assignee=agent
    )

    moved = ticket_transfer(ticket=ticket, actor=agent, department=department)

    assert moved.assignee == ann
    kinds = list(moved.events.order_by("pk").values_list("kind", "data"))
    assert kinds[-3:] == [
        (EventKind.TRANSFERRED, {"from": it_dept.pk, "to": department.pk}),
        (EventKind.ASSIGNED, {"from": agent.pk, "to": None, "reason": "transfer"}),
        (EventKind.ASSIGNED, {"from": None, "to": ann.pk, "policy": "round_robin"}),
    ]
    assert not agent.has_perm("tickets.view_ticket", Ticket.objects.get(pk=moved.pk))


def test_a_transfer_keeps_an_assignee_who_belongs_to_the_new_department(team, requester, it_dept, agent):
    department, (ann, _ben, _cem) = team
    it_dept.group.user_set.add(ann)
    ticket = ticket_create(
        actor=ann, requester=requester, title="Mine", description="x", department=it_dept, assignee=ann
    )

    moved = ticket_transfer(ticket=ticket, actor=ann, department=department)

    assert moved.assignee == ann
    assert AssignmentCursor.objects.filter(department=department).count() == 0  # no turn was taken


def test_choose_assignee_refuses_to_run_outside_a_transaction(team, transactional_db):
    with pytest.raises(RuntimeError, match="inside the transaction"):
        choose_assignee(department=team[0], open_statuses=OPEN_STATUSES)


def test_agents_mark_themselves_away_and_admins_anyone(team, admin_user):
    _department, (ann, ben, _cem) = team
    url = reverse("admin:departments_agent_changelist")
    browser = Client()
    browser.force_login(ann)

    browser.post(url, {"action": "mark_away", "_selected_action": [ann.pk, ben.pk]})

    assert dict(User.objects.filter(pk__in=[ann.pk, ben.pk]).values_list("username", "is_available")) == {
        "ann": False,
        "ben": True,
    }
    browser.force_login(admin_user)
    browser.post(url, {"action": "mark_away", "_selected_action": [ben.pk]})
    assert User.objects.get(pk=ben.pk).is_available is False


def test_the_availability_page_costs_the_same_queries_for_two_or_thirty_agents(admin_user):
    department = DepartmentFactory()
    browser = logged_in(admin_user)
    url = reverse("admin:departments_agent_changelist")
    browser.get(url)  # the sidebar's saved views and unread count are read once, then kept

    def add_agents(count):
        UserFactory.create_batch(count, role=Role.AGENT, departments=[department])
        browser.get(url)  # new memberships: the kept saved views are read again once

    assert_constant_queries(lambda: browser.get(url), add_rows=add_agents, existing=1)  # existing: the admin


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_round_robin_stays_fair_under_concurrency(requester):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL")
    department = DepartmentFactory(name="Service Desk", slug="service-desk", is_default=True)
    for name in ("ann", "ben", "cem"):
        UserFactory(username=name, role=Role.AGENT, departments=[department])
    department_update(department=department, assignment_policy=AssignmentPolicy.ROUND_ROBIN)
    chosen: list[str] = []

    def take_a_turn(_n: int) -> None:
        # choose_assignee alone (no ticket): nothing else serialises these transactions but the cursor's row lock.
        # The turn is noted inside the transaction, while the lock is held, so `chosen` is in turn order.
        with transaction.atomic():
            chosen.append(choose_assignee(department=department, open_statuses=OPEN_STATUSES).username)

    run_at_once(30, take_a_turn)
    assert Counter(chosen) == {"ann": 10, "ben": 10, "cem": 10}
    # Taken in turn: every three consecutive turns serve all three agents.
    assert all(set(chosen[n : n + 3]) == {"ann", "ben", "cem"} for n in range(0, 30, 3))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_tickets_are_spread_evenly(requester):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL")
    department = DepartmentFactory(name="Service Desk", slug="service-desk", is_default=True)
    for name in ("ann", "ben", "cem"):
        UserFactory(username=name, role=Role.AGENT, departments=[department])
    department_update(department=department, assignment_policy=AssignmentPolicy.ROUND_ROBIN)
    run_at_once(
        30, lambda n: ticket_create(actor=requester, requester=requester, title=f"Concurrent {n}", description="x")
    )
    assert Counter(Ticket.objects.values_list("assignee__username", flat=True)) == {"ann": 10, "ben": 10, "cem": 10}
