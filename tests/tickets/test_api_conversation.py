"""Comments and history of a ticket through the API: internal notes stay internal, out of scope is 404."""

import pytest

from apps.tickets.choices import EventKind
from apps.tickets.models import Comment
from apps.tickets.services import comment_add
from tests.support import assert_constant_queries, db_state, field_errors, jwt_client, reset_throttles
from tests.tickets.factories import TicketFactory


def comments(ticket) -> str:
    return f"/api/tickets/{ticket.pk}/comments/"


def events(ticket) -> str:
    return f"/api/tickets/{ticket.pk}/events/"


@pytest.fixture(autouse=True)
def _fresh_throttles():
    reset_throttles()


@pytest.fixture
def ticket(it_dept, requester, agent):
    """carol's IT ticket with a reply from alice and an internal note."""
    ticket = TicketFactory(department=it_dept, requester=requester, title="VPN drops every hour")
    comment_add(ticket=ticket, actor=agent, body="Which client version?")
    comment_add(ticket=ticket, actor=agent, body="Probably the 5.2 bug.", is_internal=True)
    return ticket


def test_agent_reads_replies_and_notes(ticket, agent):
    response = jwt_client(agent).get(comments(ticket))
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["body"], r["is_internal"]) for r in rows] == [
        ("Which client version?", False),
        ("Probably the 5.2 bug.", True),
    ]
    assert rows[0]["author"] == agent.pk
    assert rows[0]["author_name"] == agent.get_full_name()
    assert rows[0]["attachments"] == []


def test_requester_never_sees_internal_notes(ticket, requester):
    response = jwt_client(requester).get(comments(ticket))
    assert [r["body"] for r in response.json()["results"]] == ["Which client version?"]


@pytest.mark.parametrize("who", ["other_agent", "other_requester"])
def test_comments_of_an_invisible_ticket_are_404_for_get_and_post(request, ticket, who):
    client = jwt_client(request.getfixturevalue(who))
    before = db_state()
    assert client.get(comments(ticket)).status_code == 404
    response = client.post(comments(ticket), {"body": "Hello"}, format="json")
    assert response.status_code == 404
    # Even an invalid body is a 404 first: nothing tells the ticket exists.
    assert client.post(comments(ticket), {"nonsense": True}, format="json").status_code == 404
    assert db_state() == before


def test_nested_routes_of_a_missing_ticket_are_404(agent):
    assert jwt_client(agent).get("/api/tickets/999999/comments/").status_code == 404
    assert jwt_client(agent).get("/api/tickets/999999/events/").status_code == 404


def test_requester_replies(ticket, requester):
    response = jwt_client(requester).post(comments(ticket), {"body": "  Version 5.2.1  "}, format="json")
    assert response.status_code == 201, response.json()
    comment = Comment.objects.get(pk=response.json()["id"])
    assert (comment.body, comment.is_internal, comment.author) == ("Version 5.2.1", False, requester)
    assert response.json()["ticket"] == ticket.pk


def test_requester_cannot_write_an_internal_note(ticket, requester):
    before = db_state()
    body = {"body": "Secret?", "is_internal": True}
    response = jwt_client(requester).post(comments(ticket), body, format="json")
    assert response.status_code == 400
    assert field_errors(response) == {"is_internal": ["Requesters cannot write internal notes."]}
    assert db_state() == before


def test_agent_writes_an_internal_note(ticket, agent):
    body = {"body": "Escalate to the network team.", "is_internal": True}
    response = jwt_client(agent).post(comments(ticket), body, format="json")
    assert response.status_code == 201
    assert response.json()["is_internal"] is True
    assert ticket.events.last().kind == EventKind.NOTE_ADDED


@pytest.mark.parametrize(
    ("body", "field"),
    [({"body": ""}, "body"), ({"body": "   "}, "body"), ({}, "body"), ({"body": "x", "author": 1}, "author")],
)
def test_comment_validation(ticket, agent, body, field):
    before = db_state()
    response = jwt_client(agent).post(comments(ticket), body, format="json")
    assert response.status_code == 400
    assert list(field_errors(response)) == [field]
    assert db_state() == before


def test_a_viewer_without_change_rights_cannot_comment(ticket, other_requester):
    from guardian.shortcuts import assign_perm

    assign_perm("view_ticket", other_requester, ticket)
    client = jwt_client(other_requester)
    assert client.get(comments(ticket)).status_code == 200
    before = db_state()
    assert client.post(comments(ticket), {"body": "Me too"}, format="json").status_code == 403
    assert db_state() == before


def test_comment_creation_is_throttled(ticket, requester, settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "comment_create": "2/minute"},
    }
    client = jwt_client(requester)
    codes = [client.post(comments(ticket), {"body": f"ping {i}"}, format="json").status_code for i in range(3)]
    assert codes == [201, 201, 429]
    assert Comment.objects.filter(ticket=ticket, author=requester).count() == 2


def test_comment_lists_take_no_query_parameters(ticket, agent):
    response = jwt_client(agent).get(f"{comments(ticket)}?ordering=-created_at")
    assert response.status_code == 400
    assert list(field_errors(response)) == ["ordering"]


def test_comment_list_query_count_does_not_grow_with_rows(ticket, agent):
    client = jwt_client(agent)
    path = f"{comments(ticket)}?page_size=100"

    def add_comments(count):
        for i in range(count):
            comment_add(ticket=ticket, actor=agent, body=f"Update {i}", is_internal=i % 3 == 0)

    measured = assert_constant_queries(lambda: client.get(path), add_rows=add_comments, existing=2)  # reply and note
    assert len(measured.many.json()["results"]) == 30
    # JWT user, ticket, comments with authors, their attachments.
    assert measured.queries == 4


def test_history_hides_internal_events_from_requesters(ticket, agent, requester):
    staff = jwt_client(agent).get(events(ticket)).json()["results"]
    assert [e["kind"] for e in staff] == [EventKind.CREATED, EventKind.COMMENTED, EventKind.NOTE_ADDED]
    assert staff[1]["actor"] == agent.pk
    assert staff[1]["actor_name"] == agent.get_full_name()
    own = jwt_client(requester).get(events(ticket)).json()["results"]
    assert [e["kind"] for e in own] == [EventKind.CREATED, EventKind.COMMENTED]


@pytest.mark.parametrize("who", ["other_agent", "other_requester"])
def test_history_of_an_invisible_ticket_is_404(request, ticket, who):
    assert jwt_client(request.getfixturevalue(who)).get(events(ticket)).status_code == 404


def test_history_query_count_does_not_grow_with_rows(ticket, agent):
    client = jwt_client(agent)

    def add_events(count):
        for i in range(count):
            comment_add(ticket=ticket, actor=agent, body=f"Update {i}")

    # Created, the reply and the note; then 20 replies more.
    measured = assert_constant_queries(
        lambda: client.get(events(ticket)), add_rows=add_events, rows=(3, 23), existing=3
    )
    assert measured.queries == 3  # JWT user, ticket, events with actors
