"""Fixtures for the ticket back office and portal: tickets in two departments, logged-in browsers, portal helpers."""

import pytest
from django.test import Client
from django.urls import reverse

from apps.tickets.models import Attachment, Comment, Ticket, TicketEvent
from tests.tickets.factories import TicketFactory


def logged_in(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


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


# The portal, as the requester carol sees it (tests/tickets/test_portal_*.py) ---------------------------------

PDF = b"%PDF-1.4 a small pdf"


def detail_url(ticket) -> str:
    return reverse("portal:ticket_detail", args=[ticket.pk])


def reply_url(ticket) -> str:
    return reverse("portal:ticket_reply", args=[ticket.pk])


def transition_url(ticket) -> str:
    return reverse("portal:ticket_transition", args=[ticket.pk])


def database_state() -> tuple:
    """What a refused portal request must leave as it was."""
    return (
        Ticket.objects.count(),
        Comment.objects.count(),
        Attachment.objects.count(),
        TicketEvent.objects.count(),
        list(Ticket.objects.order_by("pk").values_list("status", "version")),
    )


@pytest.fixture
def carol(requester):
    """carol (requester) in the portal."""
    return logged_in(requester)
