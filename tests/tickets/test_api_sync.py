"""Sync without polling everything: `updated_after`, keyset pages (`cursor=`) and tombstones of deleted tickets."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.common.api.pagination import cursor_encode
from apps.tickets.models import Ticket, TicketTombstone
from apps.tickets.services import comment_add, ticket_delete, ticket_update
from tests.support import assert_constant_queries, field_errors, jwt_client
from tests.tickets.factories import TicketFactory

TICKETS = "/api/tickets/"
DELETED = "/api/tickets/deleted/"


def ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


def walk(client, url: str) -> list[int]:
    """Every id of a cursor walk from the start, page after page."""
    seen, response = [], client.get(url)
    while True:
        assert response.status_code == 200
        seen += ids(response)
        if response.json()["next"] is None:
            return seen
        response = client.get(response.json()["next"])


@pytest.fixture
def five(it_dept, requester):
    """Five IT tickets, updated one second apart in the order they were made."""
    start = timezone.now() - dt.timedelta(hours=1)
    tickets = [TicketFactory(department=it_dept, requester=requester) for _ in range(5)]
    for i, ticket in enumerate(tickets):
        Ticket.objects.filter(pk=ticket.pk).update(updated_at=start + dt.timedelta(seconds=i))
    return [Ticket.objects.get(pk=t.pk) for t in tickets]


def test_a_cursor_walk_returns_every_ticket_once_in_the_order_of_change(five, agent):
    client = jwt_client(agent)
    first = client.get(TICKETS, {"cursor": "", "page_size": 2})
    assert first.status_code == 200
    body = first.json()
    assert (ids(first), body["previous"], "cursor=" in body["next"]) == ([t.pk for t in five[:2]], None, True)
    assert walk(client, f"{TICKETS}?cursor=&page_size=2") == [t.pk for t in five]


def test_a_write_between_pages_neither_skips_nor_repeats_a_row_in_place(five, agent):
    client = jwt_client(agent)
    first = client.get(TICKETS, {"cursor": "", "page_size": 2})
    # Between two pages: an early ticket (already read) and a later one (not yet read) both change.
    ticket_update(ticket=five[0], actor=agent, title="Changed after it was read")
    ticket_update(ticket=five[3], actor=agent, title="Changed before it was read")
    rest = walk(client, first.json()["next"])
    assert rest == [five[2].pk, five[4].pk, five[0].pk, five[3].pk]


def test_updated_after_and_a_cursor_work_together(five, agent):
    since = five[3].updated_at
    response = jwt_client(agent).get(TICKETS, {"cursor": "", "updated_after": since.isoformat()})
    assert ids(response) == [five[3].pk, five[4].pk]


def test_the_cursor_stays_inside_the_callers_scope(five, billing_dept, other_agent, requester):
    TicketFactory(department=billing_dept, requester=requester)
    assert walk(jwt_client(other_agent), f"{TICKETS}?cursor=") == [Ticket.objects.get(department=billing_dept).pk]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"cursor": "not-ours!"}, "cursor"),
        ({"cursor": "bm9wZQ"}, "cursor"),  # base64 of "nope"
        ({"cursor": "", "page": "2"}, "cursor"),
        ({"cursor": "", "count": "true"}, "cursor"),
        ({"cursor": "", "ordering": "-created_at"}, "ordering"),
        ({"updated_after": ""}, "updated_after"),
    ],
)
def test_bad_sync_parameters_are_400(five, agent, params, field):
    response = jwt_client(agent).get(TICKETS, params)
    assert response.status_code == 400
    assert list(field_errors(response)) == [field]


def test_the_ordering_the_cursor_uses_may_be_named(five, agent):
    response = jwt_client(agent).get(TICKETS, {"cursor": "", "ordering": "updated_at,id"})
    assert ids(response) == [t.pk for t in five]


def test_a_cursor_page_costs_the_same_at_2_and_30_rows(it_dept, requester, agent):
    client = jwt_client(agent)
    position = cursor_encode(timezone.now() - dt.timedelta(days=1), 1)
    assert_constant_queries(
        lambda: client.get(TICKETS, {"cursor": position, "page_size": 100}),
        add_rows=lambda n: TicketFactory.create_batch(n, department=it_dept, requester=requester),
    )


def test_comments_and_events_take_updated_after_and_a_cursor(it_ticket, agent):
    comment_add(ticket=it_ticket, actor=agent, body="First")
    later = timezone.now()
    second = comment_add(ticket=it_ticket, actor=agent, body="Second")
    client = jwt_client(agent)
    comments = client.get(f"/api/tickets/{it_ticket.pk}/comments/", {"updated_after": later.isoformat()})
    assert [row["body"] for row in comments.json()["results"]] == ["Second"]
    assert walk(client, f"/api/tickets/{it_ticket.pk}/comments/?cursor=&page_size=1")[-1] == second.pk
    events = client.get(f"/api/tickets/{it_ticket.pk}/events/", {"updated_after": later.isoformat(), "cursor": ""})
    assert [row["kind"] for row in events.json()["results"]] == ["commented"]


def test_a_deleted_ticket_leaves_a_tombstone_for_those_who_could_see_it(
    it_ticket, billing_ticket, admin_user, agent, other_agent, requester, other_requester
):
    before = timezone.now()
    reference = it_ticket.reference
    ticket_pk = it_ticket.pk
    ticket_delete(ticket=it_ticket, actor=admin_user)
    tombstone = TicketTombstone.objects.get()
    for user in (admin_user, agent, requester):
        response = jwt_client(user).get(DELETED, {"since": before.isoformat()})
        assert response.status_code == 200
        [row] = response.json()["results"]
        deleted_at = dt.datetime.fromisoformat(row.pop("deleted_at"))
        assert (row, deleted_at) == ({"id": ticket_pk, "reference": reference}, tombstone.deleted_at)
    for user in (other_agent, other_requester):
        assert jwt_client(user).get(DELETED).json()["results"] == []
    later = jwt_client(admin_user).get(DELETED, {"since": (timezone.now() + dt.timedelta(seconds=1)).isoformat()})
    assert later.json()["results"] == []


def test_tombstones_page_by_cursor(admin_user, it_dept, requester):
    tickets = TicketFactory.create_batch(3, department=it_dept, requester=requester)
    deleted = [ticket.pk for ticket in tickets]
    for ticket in tickets:
        ticket_delete(ticket=ticket, actor=admin_user)
    assert walk(jwt_client(admin_user), f"{DELETED}?cursor=&page_size=2") == deleted


def test_tombstones_refuse_unknown_parameters_and_anonymous(admin_user):
    assert jwt_client(admin_user).get(DELETED, {"status": "new"}).status_code == 400
    assert jwt_client(None).get(DELETED).status_code == 401
