"""Resolved tickets close by themselves after TICKET_AUTO_CLOSE_DAYS: an hourly worker task, as the system."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_q.models import Schedule

from apps.notifications.models import Notification
from apps.tickets.choices import EventKind, Status
from apps.tickets.models import Ticket
from apps.tickets.services import ticket_transition
from apps.tickets.tasks import auto_close_task
from tests.support import db_state
from tests.tickets.factories import TicketFactory


def resolved(ticket, agent, *, days_ago: float) -> Ticket:
    for status in (Status.IN_PROGRESS, Status.RESOLVED):
        ticket = ticket_transition(ticket=ticket, actor=agent, to_status=status)
    Ticket.objects.filter(pk=ticket.pk).update(resolved_at=timezone.now() - timedelta(days=days_ago))
    ticket.refresh_from_db()
    return ticket


@pytest.fixture
def old(it_dept, requester, agent):
    """carol's ticket, resolved eight days ago."""
    return resolved(TicketFactory(department=it_dept, requester=requester, title="VPN drops"), agent, days_ago=8)


def test_auto_close_runs_twice_and_closes_once(after_commit, old, requester, settings):
    settings.TICKET_AUTO_CLOSE_DAYS = 7
    settings.NOTIFICATIONS_STATUS_EMAIL_WAIT_SECONDS = 0  # the e-mail at once, not in a later summary
    Notification.objects.all().delete()
    mail.outbox.clear()

    with after_commit():
        first = auto_close_task()
    with after_commit():
        second = auto_close_task()

    old.refresh_from_db()
    assert (first, second) == ({"closed": 1}, {"closed": 0})
    assert old.status == Status.CLOSED
    assert old.closed_at is not None
    closing = old.events.filter(kind=EventKind.STATUS_CHANGED).latest("pk")
    assert (closing.actor, closing.data) == (None, {"from": "resolved", "to": "closed"})
    assert old.events.filter(kind=EventKind.STATUS_CHANGED, data__to="closed").count() == 1
    assert list(Notification.objects.values_list("recipient", "kind")) == [(requester.pk, "status_changed")]
    assert [message.to for message in mail.outbox] == [[requester.email]]


def test_only_tickets_resolved_long_enough_ago_close(old, it_dept, requester, agent, settings):
    settings.TICKET_AUTO_CLOSE_DAYS = 7
    recent = resolved(TicketFactory(department=it_dept, requester=requester), agent, days_ago=6)
    working = ticket_transition(
        ticket=TicketFactory(department=it_dept, requester=requester), actor=agent, to_status=Status.IN_PROGRESS
    )

    assert auto_close_task() == {"closed": 1}

    statuses = dict(Ticket.objects.values_list("pk", "status"))
    assert statuses == {old.pk: Status.CLOSED, recent.pk: Status.RESOLVED, working.pk: Status.IN_PROGRESS}


def test_a_ticket_reopened_since_is_left_alone(old, agent, settings):
    settings.TICKET_AUTO_CLOSE_DAYS = 7
    ticket_transition(ticket=old, actor=agent, to_status=Status.OPEN)
    before = db_state()

    assert auto_close_task() == {"closed": 0}
    assert db_state() == before


def test_zero_days_turns_auto_close_off(old, settings):
    settings.TICKET_AUTO_CLOSE_DAYS = 0
    before = db_state()

    assert auto_close_task() == {"closed": 0}
    assert db_state() == before


def test_the_task_is_scheduled_hourly(db):
    schedule = Schedule.objects.get(name="Close resolved tickets")
    assert (schedule.func, schedule.schedule_type, schedule.repeats) == (
        "apps.tickets.tasks.auto_close_task",
        Schedule.HOURLY,
        -1,
    )
