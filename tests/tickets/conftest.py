"""Fixtures of the ticket tests: tickets in two departments, back-office browsers, the change form's POST data."""

import pytest

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
