from apps.tickets.selectors import tickets_visible_to
from tests.tickets.factories import TicketFactory


def test_ticket_visible_to_department_and_requester(agent, other_agent, requester, it_dept):
    ticket = TicketFactory(requester=requester, department=it_dept)
    assert ticket.reference.startswith("TCK-")
    assert list(tickets_visible_to(agent)) == [ticket]
    assert list(tickets_visible_to(requester)) == [ticket]
    assert list(tickets_visible_to(other_agent)) == []
