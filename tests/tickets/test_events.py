"""The door events leave the tickets app through: listeners registered by name, in order, and silenced by name."""

import pytest

from apps.tickets import events
from apps.tickets.choices import EventKind
from apps.tickets.models import TicketEvent
from apps.tickets.services import ticket_transition
from tests.tickets.factories import TicketFactory


@pytest.fixture
def heard(monkeypatch):
    """Two listeners, "first" and "second", in place of the installed apps'; what each heard, as (kind, pk)."""
    monkeypatch.setattr(events, "_listeners", {})
    heard = {"first": [], "second": []}
    for name, log in heard.items():
        events.listen(name, lambda written, log=log: log.append([(e.kind, e.pk) for e in written]))
    return heard


def test_every_written_event_reaches_every_listener_in_the_order_they_registered(heard, it_dept, requester):
    order = []
    events.listen("first", lambda written: order.append("first"))  # replaces "first" in its place
    events.listen("second", lambda written: order.append("second"))

    TicketFactory(department=it_dept, requester=requester)

    assert order == ["first", "second"]


def test_each_listener_hears_each_event_once_right_after_it_is_written(heard, it_dept, requester):
    ticket = TicketFactory(department=it_dept, requester=requester)
    ticket_transition(ticket=ticket, actor=None, to_status="open")

    created, changed = TicketEvent.objects.filter(ticket=ticket).order_by("pk")
    expected = [[(EventKind.CREATED, created.pk)], [(EventKind.STATUS_CHANGED, changed.pk)]]
    assert heard["first"] == heard["second"] == expected


def test_silencing_one_listener_keeps_the_others(heard, it_dept, requester):
    with events.silenced("first"):
        ticket = TicketFactory(department=it_dept, requester=requester)
    created = TicketEvent.objects.get(ticket=ticket, kind=EventKind.CREATED)

    assert heard["first"] == []
    assert heard["second"] == [[(EventKind.CREATED, created.pk)]]


def test_silenced_blocks_nest_and_end_with_their_block(heard, it_dept, requester):
    with events.silenced("first"):
        with events.silenced("second"):
            TicketFactory(department=it_dept, requester=requester)
        TicketFactory(department=it_dept, requester=requester)
    with events.silenced():  # naming nobody silences nobody
        TicketFactory(department=it_dept, requester=requester)

    assert (len(heard["first"]), len(heard["second"])) == (1, 2)


def test_events_written_in_bulk_reach_the_listeners_as_one_batch(heard, it_dept, requester):
    first, second = TicketFactory(department=it_dept, requester=requester), TicketFactory(department=it_dept)
    for log in heard.values():
        log.clear()

    written = events.events_record(
        [TicketEvent(ticket=ticket, kind=EventKind.CREATED, data={}) for ticket in (first, second)]
    )

    batch = [(EventKind.CREATED, written[0].pk), (EventKind.CREATED, written[1].pk)]
    assert heard == {"first": [batch], "second": [batch]}
    assert None not in {event.pk for event in written}
