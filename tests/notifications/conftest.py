"""Fixtures of the notification tests."""

import pytest

from tests.tickets.factories import TicketFactory


@pytest.fixture
def it_ticket(it_dept, requester):
    """carol's ticket in IT Support (its own notifications were never delivered: made outside `after_commit`)."""
    return TicketFactory(department=it_dept, requester=requester, title="VPN drops every hour")
