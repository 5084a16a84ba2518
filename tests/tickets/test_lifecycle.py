"""The lifecycle: every allowed and every refused transition, through ticket_transition()."""

import itertools

import pytest
from django.core.exceptions import ValidationError

from apps.tickets.choices import TRANSITIONS, EventKind, Status
from apps.tickets.models import Ticket
from apps.tickets.services import ticket_transition
from tests.tickets.factories import TicketFactory

ALLOWED = {
    (Status.NEW, Status.OPEN),
    (Status.NEW, Status.IN_PROGRESS),
    (Status.NEW, Status.WAITING),
    (Status.NEW, Status.CLOSED),
    (Status.OPEN, Status.IN_PROGRESS),
    (Status.OPEN, Status.CLOSED),
    (Status.IN_PROGRESS, Status.WAITING),
    (Status.IN_PROGRESS, Status.RESOLVED),
    (Status.IN_PROGRESS, Status.CLOSED),
    (Status.WAITING, Status.IN_PROGRESS),
    (Status.WAITING, Status.RESOLVED),
    (Status.WAITING, Status.CLOSED),
    (Status.RESOLVED, Status.CLOSED),
    (Status.RESOLVED, Status.OPEN),
    (Status.CLOSED, Status.OPEN),
}
ALL_PAIRS = list(itertools.product(Status.values, Status.values))


def test_transition_table_is_the_documented_lifecycle():
    table = {(a, b) for a, targets in TRANSITIONS.items() for b in targets}
    assert table == ALLOWED


def _ticket_in(status: str, *, department, requester) -> Ticket:
    ticket = TicketFactory(department=department, requester=requester)
    Ticket.objects.filter(pk=ticket.pk).update(status=status)
    ticket.refresh_from_db()
    return ticket


@pytest.mark.parametrize(("old", "new"), sorted(ALLOWED))
def test_allowed_transition_changes_status_and_writes_event(old, new, agent, it_dept, requester):
    ticket = _ticket_in(old, department=it_dept, requester=requester)
    version = ticket.version

    result = ticket_transition(ticket=ticket, actor=agent, to_status=new)

    result.refresh_from_db()
    assert result.status == new
    assert result.version == version + 1
    event = result.events.get(kind=EventKind.STATUS_CHANGED)
    assert event.data == {"from": old, "to": new}
    assert event.actor == agent
    assert (result.resolved_at is not None) == (new == Status.RESOLVED)
    assert (result.closed_at is not None) == (new == Status.CLOSED)


@pytest.mark.parametrize(("old", "new"), sorted(set(ALL_PAIRS) - ALLOWED))
def test_refused_transition_names_both_statuses_and_changes_nothing(old, new, agent, it_dept, requester):
    ticket = _ticket_in(old, department=it_dept, requester=requester)
    before = Ticket.objects.filter(pk=ticket.pk).values().get()
    events_before = ticket.events.count()

    with pytest.raises(ValidationError) as exc:
        ticket_transition(ticket=ticket, actor=agent, to_status=new)

    message = exc.value.message_dict["status"][0]
    assert str(Status(old).label) in message
    assert str(Status(new).label) in message
    assert Ticket.objects.filter(pk=ticket.pk).values().get() == before
    assert ticket.events.count() == events_before


def test_unknown_status_is_refused(agent, it_dept, requester):
    ticket = _ticket_in(Status.NEW, department=it_dept, requester=requester)
    with pytest.raises(ValidationError) as exc:
        ticket_transition(ticket=ticket, actor=agent, to_status="archived")
    assert "archived" in exc.value.message_dict["status"][0]


def test_reopen_clears_resolution_timestamps(agent, it_dept, requester):
    ticket = _ticket_in(Status.IN_PROGRESS, department=it_dept, requester=requester)
    ticket = ticket_transition(ticket=ticket, actor=agent, to_status=Status.RESOLVED)
    assert ticket.resolved_at is not None
    ticket = ticket_transition(ticket=ticket, actor=agent, to_status=Status.OPEN)
    ticket.refresh_from_db()
    assert ticket.resolved_at is None
    assert ticket.closed_at is None


@pytest.mark.parametrize(
    ("old", "new", "allowed"),
    [
        (Status.NEW, Status.CLOSED, True),
        (Status.OPEN, Status.CLOSED, True),
        (Status.IN_PROGRESS, Status.CLOSED, True),
        (Status.WAITING, Status.CLOSED, True),
        (Status.RESOLVED, Status.CLOSED, True),
        (Status.RESOLVED, Status.OPEN, True),
        (Status.NEW, Status.OPEN, False),
        (Status.NEW, Status.WAITING, False),
        (Status.OPEN, Status.IN_PROGRESS, False),
        (Status.IN_PROGRESS, Status.WAITING, False),
        (Status.WAITING, Status.RESOLVED, False),
        (Status.CLOSED, Status.OPEN, False),
    ],
)
def test_requester_may_only_close_or_reopen_resolved(old, new, allowed, it_dept, requester):
    from django.core.exceptions import PermissionDenied

    ticket = _ticket_in(old, department=it_dept, requester=requester)
    if allowed:
        assert ticket_transition(ticket=ticket, actor=requester, to_status=new).status == new
    else:
        with pytest.raises(PermissionDenied):
            ticket_transition(ticket=ticket, actor=requester, to_status=new)
        ticket.refresh_from_db()
        assert ticket.status == old
