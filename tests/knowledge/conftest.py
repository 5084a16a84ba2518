import pytest

from apps.tickets.choices import Status
from apps.tickets.services import ticket_transition
from tests.knowledge.factories import CategoryFactory
from tests.tickets.factories import TicketFactory


@pytest.fixture
def category(db):
    return CategoryFactory(name="Printing", slug="printing")


def resolve(ticket, agent):
    """Walk a ticket to "resolved" as its department's agent would."""
    for status in (Status.OPEN, Status.IN_PROGRESS, Status.RESOLVED):
        ticket = ticket_transition(ticket=ticket, actor=agent, to_status=status)
    return ticket


@pytest.fixture
def ticket(it_dept, requester, agent):
    """carol's ticket in IT Support, assigned to alice."""
    return TicketFactory(requester=requester, department=it_dept, assignee=agent, title="Printer jams")
