"""What the notifications' listener of ticket events queues."""

from apps.notifications.models import Notification
from apps.tickets.services import ticket_assign
from tests.tickets.factories import TicketFactory


def test_an_assignment_to_nobody_queues_nothing(after_commit, it_dept, agent, requester):
    ticket = TicketFactory(department=it_dept, requester=requester, assignee=agent)

    with after_commit() as callbacks:
        ticket_assign(ticket=ticket, actor=agent, assignee=None)

    assert (callbacks, Notification.objects.count()) == ([], 0)
