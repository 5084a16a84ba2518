"""Tickets API, changing: the role write table, the lifecycle, optimistic locking, transfer and delete."""

import pytest

from apps.accounts.choices import Role
from apps.tickets.choices import EventKind, Status
from apps.tickets.models import Ticket, TicketGroupObjectPermission
from apps.tickets.services import ticket_transition, ticket_update
from tests.accounts.factories import UserFactory
from tests.support import db_state, field_errors, jwt_client, reset_throttles
from tests.tickets.factories import TicketFactory


def detail(ticket) -> str:
    return f"/api/tickets/{ticket.pk}/"


def transfer(ticket) -> str:
    return f"/api/tickets/{ticket.pk}/transfer/"


@pytest.fixture(autouse=True)
def _fresh_throttles():
    reset_throttles()


@pytest.fixture
def ticket(it_dept, requester, other_requester, billing_dept):
    """carol's IT ticket (and dave's Billing ticket beside it)."""
    TicketFactory(department=billing_dept, requester=other_requester, title="Invoice 42 is wrong")
    return TicketFactory(department=it_dept, requester=requester, title="VPN drops every hour")


def _kinds(ticket) -> list[str]:
    return list(ticket.events.values_list("kind", flat=True))


# ---- the permission matrix of one ticket -------------------------------------------------------------------

# role → expected status of (GET, PATCH title, DELETE) on carol's IT ticket
MATRIX = {
    "admin": (200, 200, 204),
    "IT agent": (200, 200, 403),
    "Billing agent": (404, 404, 404),
    "requester": (200, 400, 403),
    "other requester": (404, 404, 404),
}


@pytest.fixture
def users(admin_user, agent, other_agent, requester, other_requester):
    return {
        "admin": admin_user,
        "IT agent": agent,
        "Billing agent": other_agent,
        "requester": requester,
        "other requester": other_requester,
    }


@pytest.mark.parametrize("role", list(MATRIX))
def test_permission_matrix(ticket, users, role):
    get, patch, delete = MATRIX[role]
    client = jwt_client(users[role])
    assert client.get(detail(ticket)).status_code == get

    before = db_state()
    response = client.patch(detail(ticket), {"title": "Edited"}, format="json")
    assert response.status_code == patch
    if patch == 200:
        assert Ticket.objects.get(pk=ticket.pk).title == "Edited"
        assert response["ETag"].startswith('"2.')
    else:
        assert db_state() == before

    before = db_state()
    response = client.delete(detail(ticket))
    assert response.status_code == delete
    if delete == 204:
        assert not Ticket.objects.filter(pk=ticket.pk).exists()
    else:
        assert db_state() == before


def test_an_agent_with_view_only_access_cannot_edit(ticket, it_dept):
    """An agent who requested a ticket of another department sees it, but may not change it."""
    outsider = UserFactory(role=Role.AGENT)
    own = TicketFactory(department=it_dept, requester=outsider, title="My laptop")
    client = jwt_client(outsider)
    assert client.get(detail(own)).status_code == 200
    before = db_state()
    response = client.patch(detail(own), {"priority": "urgent"}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "You are not allowed to do that on this ticket."
    assert db_state() == before


# ---- agents -----------------------------------------------------------------------------------------------


def test_agent_edits_assigns_and_moves_status_in_one_request(ticket, agent):
    body = {"title": "VPN drops", "priority": "high", "assignee": agent.pk, "status": "open"}
    response = jwt_client(agent).patch(detail(ticket), body, format="json")
    assert response.status_code == 200, response.json()
    ticket.refresh_from_db()
    assert (ticket.title, ticket.priority, ticket.assignee, ticket.status) == ("VPN drops", "high", agent, "open")
    # One version per service: edits (title and priority saved together), assignment, transition.
    assert response.json()["version"] == ticket.version == 4
    assert response["ETag"].startswith('"4.')
    assert _kinds(ticket) == [
        EventKind.CREATED,
        EventKind.UPDATED,
        EventKind.PRIORITY_CHANGED,
        EventKind.ASSIGNED,
        EventKind.STATUS_CHANGED,
    ]


def test_an_illegal_transition_is_400_naming_both_statuses_and_saves_nothing(ticket, agent):
    before = db_state()
    response = jwt_client(agent).patch(detail(ticket), {"title": "Edited too", "status": "resolved"}, format="json")
    assert response.status_code == 400
    assert field_errors(response) == {"status": ["A ticket cannot move from “New” to “Resolved”."]}
    assert db_state() == before  # the title edit of the same request was rolled back too


def test_unassigning_with_null(ticket, agent, admin_user):
    client = jwt_client(agent)
    assert client.patch(detail(ticket), {"assignee": agent.pk}, format="json").status_code == 200
    response = client.patch(detail(ticket), {"assignee": None}, format="json")
    assert response.status_code == 200
    assert response.json()["assignee"] is None


def test_sending_the_current_values_changes_nothing(ticket, agent):
    body = {"title": ticket.title, "status": "new", "priority": "normal"}
    response = jwt_client(agent).patch(detail(ticket), body, format="json")
    assert response.status_code == 200
    assert response.json()["version"] == 1
    assert _kinds(ticket) == [EventKind.CREATED]


def test_patching_the_department_points_to_transfer(ticket, agent, billing_dept):
    before = db_state()
    response = jwt_client(agent).patch(detail(ticket), {"department": billing_dept.pk}, format="json")
    assert response.status_code == 400
    assert field_errors(response) == {
        "department": ["A ticket changes department only through POST /api/tickets/{id}/transfer/."]
    }
    assert db_state() == before


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"reference": "TCK-1"}, "reference", "This field is read-only."),
        ({"created_at": "2020-01-01T00:00:00Z"}, "created_at", "This field is read-only."),
        ({"requester": 1}, "requester", "This field is read-only."),
        ({"source": "email"}, "source", "This field is read-only."),
        ({"colour": "red"}, "colour", "Unknown field."),
        ({"status": "archived"}, "status", '"archived" is not a valid choice.'),
        ({"version": "one"}, "version", "A valid integer is required."),
    ],
)
def test_agent_update_refuses_read_only_and_unknown_fields(ticket, agent, body, field, message):
    before = db_state()
    response = jwt_client(agent).patch(detail(ticket), body, format="json")
    assert response.status_code == 400
    assert field_errors(response) == {field: [message]}
    assert db_state() == before


def test_put_needs_every_editable_field(ticket, agent):
    client = jwt_client(agent)
    partial = client.put(detail(ticket), {"title": "Only this"}, format="json")
    assert partial.status_code == 400
    assert set(field_errors(partial)) == {"description", "category", "priority", "language", "status", "assignee"}
    full = {
        "title": "Replaced",
        "description": "All new.",
        "category": "request",
        "priority": "low",
        "language": "en",
        "status": "open",
        "assignee": None,
    }
    response = client.put(detail(ticket), full, format="json")
    assert response.status_code == 200, response.json()
    assert {k: response.json()[k] for k in full} == full


# ---- requesters -------------------------------------------------------------------------------------------


def test_requester_closes_its_ticket(ticket, requester):
    response = jwt_client(requester).patch(detail(ticket), {"status": "closed"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "closed"
    assert response.json()["closed_at"] is not None


@pytest.mark.parametrize("status", [Status.IN_PROGRESS, Status.WAITING])
def test_requester_closes_its_ticket_while_the_desk_works_on_it(ticket, requester, agent, status):
    ticket = ticket_transition(ticket=ticket, actor=agent, to_status=status)
    response = jwt_client(requester).patch(detail(ticket), {"status": "closed"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "closed"
    assert list(ticket.events.filter(kind=EventKind.STATUS_CHANGED).values_list("data", "actor")) == [
        ({"from": "new", "to": status}, agent.pk),
        ({"from": status, "to": "closed"}, requester.pk),
    ]


def test_requester_reopens_a_resolved_ticket(ticket, requester, agent):
    for status in (Status.OPEN, Status.IN_PROGRESS, Status.RESOLVED):
        ticket = ticket_transition(ticket=ticket, actor=agent, to_status=status)
    response = jwt_client(requester).patch(detail(ticket), {"status": "open"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "open"


def test_requester_cannot_reopen_a_closed_ticket(ticket, requester):
    ticket = ticket_transition(ticket=ticket, actor=requester, to_status=Status.CLOSED)
    before = db_state()
    response = jwt_client(requester).patch(detail(ticket), {"status": "open"}, format="json")
    assert response.status_code == 403
    assert db_state() == before


@pytest.mark.parametrize(
    ("body", "field", "start"),
    [
        ({"status": "in_progress"}, "status", "You may only close a ticket (closed) or reopen a resolved one"),
        ({"title": "Mine now"}, "title", "Your role (Requester) may not set this field."),
        ({"priority": "urgent"}, "priority", "Your role (Requester) may not set this field."),
        ({"assignee": None}, "assignee", "Your role (Requester) may not set this field."),
        ({"department": 1}, "department", "A ticket changes department only through"),
    ],
)
def test_requester_may_only_close_or_reopen(ticket, requester, body, field, start):
    before = db_state()
    response = jwt_client(requester).patch(detail(ticket), body, format="json")
    assert response.status_code == 400
    [(name, [message])] = field_errors(response).items()
    assert name == field
    assert message.startswith(start)
    assert db_state() == before


def test_a_requester_who_is_not_the_requester_cannot_close(ticket, other_requester, admin_user):
    from guardian.shortcuts import assign_perm

    assign_perm("view_ticket", other_requester, ticket)  # an admin shared the ticket with dave
    client = jwt_client(other_requester)
    assert client.get(detail(ticket)).status_code == 200
    before = db_state()
    assert client.patch(detail(ticket), {"status": "closed"}, format="json").status_code == 403
    assert db_state() == before


# ---- optimistic locking -----------------------------------------------------------------------------------


def test_stale_if_match_is_412_with_the_current_state(ticket, agent, admin_user):
    client = jwt_client(agent)
    etag = client.get(detail(ticket))["ETag"]
    ticket_update(ticket=ticket, actor=admin_user, title="Changed by the admin")  # version 2
    before = db_state()
    response = client.patch(detail(ticket), {"title": "Mine"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 412
    body = response.json()
    assert body["current_version"] == 2
    assert body["current"]["title"] == "Changed by the admin"
    assert body["current"]["version"] == 2
    assert body["detail"].startswith("The ticket has changed since you read it")
    assert response["ETag"].startswith('"2.')
    assert db_state() == before


def test_stale_version_in_the_body_is_412(ticket, agent, admin_user):
    ticket_update(ticket=ticket, actor=admin_user, title="Changed by the admin")
    before = db_state()
    response = jwt_client(agent).patch(detail(ticket), {"title": "Mine", "version": 1}, format="json")
    assert response.status_code == 412
    assert response.json()["current"]["title"] == "Changed by the admin"
    assert db_state() == before


@pytest.mark.parametrize("header", ['W/"1"', "1", '"2"', "garbage", '"0", "3"'])
def test_if_match_is_a_strong_comparison(ticket, agent, header):
    before = db_state()
    response = jwt_client(agent).patch(detail(ticket), {"title": "Mine"}, format="json", HTTP_IF_MATCH=header)
    assert response.status_code == 412
    assert db_state() == before


@pytest.mark.parametrize("header", ['"1"', '"7", "1"', "*"])
def test_matching_if_match_saves(ticket, agent, header):
    response = jwt_client(agent).patch(detail(ticket), {"title": "Mine"}, format="json", HTTP_IF_MATCH=header)
    assert response.status_code == 200
    assert response["ETag"].startswith('"2.')


def test_a_change_between_read_and_lock_is_caught_by_the_service(ticket, agent, admin_user, monkeypatch):
    """The view's own comparison passes; the row changes before the service locks it: still 412."""
    from apps.tickets.api import views

    real = views.expected_version

    def racing(request, current, body_version, current_etag):
        version = real(request, current, body_version, current_etag)
        ticket_update(ticket=current, actor=admin_user, title="Sneaked in")
        return version

    monkeypatch.setattr(views, "expected_version", racing)
    response = jwt_client(agent).patch(detail(ticket), {"title": "Mine"}, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 412
    assert Ticket.objects.get(pk=ticket.pk).title == "Sneaked in"


# ---- transfer ---------------------------------------------------------------------------------------------


def test_agent_transfers_a_ticket_and_the_grants_move(ticket, agent, it_dept, billing_dept):
    response = jwt_client(agent).post(transfer(ticket), {"department": billing_dept.pk}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["department"] == billing_dept.pk
    groups = set(TicketGroupObjectPermission.objects.filter(content_object=ticket).values_list("group", flat=True))
    assert groups == {billing_dept.group_id}
    assert _kinds(ticket)[-1] == EventKind.TRANSFERRED
    # The IT agent no longer sees it.
    assert jwt_client(agent).get(detail(ticket)).status_code == 404


@pytest.mark.parametrize(
    ("who", "status"),
    [("requester", 403), ("other_agent", 404), ("other_requester", 404)],
)
def test_transfer_refusals_change_nothing(request, ticket, billing_dept, who, status):
    client = jwt_client(request.getfixturevalue(who))
    before = db_state()
    response = client.post(transfer(ticket), {"department": billing_dept.pk}, format="json")
    assert response.status_code == status
    assert db_state() == before


def test_transfer_with_a_stale_version_is_412(ticket, agent, admin_user, billing_dept):
    ticket_update(ticket=ticket, actor=admin_user, title="Changed")
    before = db_state()
    body = {"department": billing_dept.pk, "version": 1}
    response = jwt_client(agent).post(transfer(ticket), body, format="json")
    assert response.status_code == 412
    assert db_state() == before


@pytest.mark.parametrize(
    ("body", "field"), [({}, "department"), ({"department": 999999}, "department"), ({"x": 1}, "x")]
)
def test_transfer_validation(ticket, agent, body, field):
    response = jwt_client(agent).post(transfer(ticket), body, format="json")
    assert response.status_code == 400
    assert field in field_errors(response)
