"""The AI app's listener of ticket events hears new tickets even while notifications are muted."""

from apps.ai.models import TicketInsight
from apps.notifications.models import Notification
from apps.notifications.queue import notifications_muted
from tests.tickets.factories import TicketFactory


def test_muting_notifications_still_triages_new_tickets(triage_on, after_commit, it_dept, agent, requester):
    with after_commit() as callbacks, notifications_muted():
        ticket = TicketFactory(department=it_dept, requester=requester)

    assert len(callbacks) == 1  # the triage; no delivery
    assert TicketInsight.objects.filter(ticket=ticket).count() == 1
    assert Notification.objects.count() == 0
