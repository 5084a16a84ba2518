"""Fixtures of the ticket tests: tickets in two departments, back-office browsers, the change form's POST data."""

import pytest
from django.contrib.auth.models import Group

from apps.departments.services import user_set_departments
from apps.tickets.permissions import CHANGE, VIEW
from apps.tickets.services import ticket_assign, ticket_share, ticket_transfer
from tests.departments.factories import DepartmentFactory
from tests.support import logged_in
from tests.tickets.factories import TicketFactory


@pytest.fixture
def alice_client(agent):
    """alice (agent, IT Support) in the back office."""
    return logged_in(agent)


@pytest.fixture
def bob_client(other_agent):
    """bob (agent, Billing) in the back office."""
    return logged_in(other_agent)


@pytest.fixture
def requester_client(requester):
    """carol (requester) trying the back office."""
    return logged_in(requester)


@pytest.fixture
def admin_browser(admin_user):
    """The admin in the back office (pytest-django's `admin_client` would create another superuser)."""
    return logged_in(admin_user)


@pytest.fixture
def it_ticket(it_dept, requester):
    return TicketFactory(department=it_dept, requester=requester, title="VPN drops every hour")


@pytest.fixture
def it_ticket_2(it_dept, other_requester):
    return TicketFactory(department=it_dept, requester=other_requester, title="Laptop will not boot")


@pytest.fixture
def billing_ticket(billing_dept, requester):
    return TicketFactory(department=billing_dept, requester=requester, title="Invoice 42 is wrong")


@pytest.fixture
def ticket_form_data():
    """POST data of the ticket change form that leaves every field as it is; override what you change."""

    def build(ticket, **changes):
        data = {
            "title": ticket.title,
            "description": ticket.description,
            "category": ticket.category,
            "priority": ticket.priority,
            "status": ticket.status,
            "department": str(ticket.department_id),
            "assignee": str(ticket.assignee_id or ""),
            "expected_version": str(ticket.version),
            "reply_body": "",
            "_save": "Save",
        }
        data.update(changes)
        return {k: v for k, v in data.items() if v is not None}

    return build


@pytest.fixture
def reach_world(admin_user, agent, requester, it_dept, billing_dept):
    """alice (IT Support) with every way of seeing a ticket outside her department, and of losing one inside it.

    Each ticket carries the word "kiwi" (the search tests read the same world). Returns reference → whether alice
    sees it.
    """
    facilities = DepartmentFactory(name="Facilities", slug="facilities")
    user_set_departments(user=agent, departments=[it_dept, facilities], actor=admin_user)
    escalations = Group.objects.create(name="Escalations")
    agent.groups.add(escalations)

    def ticket(department, title):
        return TicketFactory(department=department, requester=requester, title=title, description="Fruit: kiwi.")

    seen = {}
    seen[ticket(it_dept, "own department").reference] = True
    revoked = ticket(it_dept, "own department, its group's grants taken away")
    ticket_share(ticket=revoked, actor=admin_user, codenames=[], group=it_dept.group)
    seen[revoked.reference] = False
    shared = ticket(billing_dept, "shared with alice")
    ticket_share(ticket=shared, actor=admin_user, codenames=[VIEW], user=agent)
    seen[shared.reference] = True
    shared_change = ticket(billing_dept, "shared with alice to change only")
    ticket_share(ticket=shared_change, actor=admin_user, codenames=[CHANGE], user=agent)
    seen[shared_change.reference] = False
    with_group = ticket(billing_dept, "shared with IT Support's group")
    ticket_share(ticket=with_group, actor=admin_user, codenames=[VIEW], group=it_dept.group)
    seen[with_group.reference] = True
    with_other_group = ticket(billing_dept, "shared with a group that is no department")
    ticket_share(ticket=with_other_group, actor=admin_user, codenames=[VIEW, CHANGE], group=escalations)
    seen[with_other_group.reference] = True
    assigned = ticket(billing_dept, "assigned to alice")
    ticket_assign(ticket=assigned, actor=admin_user, assignee=agent)
    seen[assigned.reference] = True
    seen[ticket(billing_dept, "another department's").reference] = False
    moved_out = ticket(it_dept, "transferred to Billing")
    ticket_transfer(ticket=moved_out, actor=admin_user, department=billing_dept)
    seen[moved_out.reference] = False
    moved_in = ticket(billing_dept, "transferred to IT Support")
    ticket_transfer(ticket=moved_in, actor=admin_user, department=it_dept)
    seen[moved_in.reference] = True
    # alice leaves Facilities: its tickets, and the one she was assigned there, are no longer hers.
    left = ticket(facilities, "of the department alice left")
    left_assigned = ticket(facilities, "assigned to alice in the department she left")
    ticket_assign(ticket=left_assigned, actor=admin_user, assignee=agent)
    user_set_departments(user=agent, departments=[it_dept], actor=admin_user)
    seen[left.reference] = seen[left_assigned.reference] = False
    return seen
