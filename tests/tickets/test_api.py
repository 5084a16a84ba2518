"""Tickets API, reading and opening: who sees what, lists (filters, search, ordering, pages), creation."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from apps.accounts.choices import Role
from apps.departments.services import department_set_members
from apps.tickets.choices import EventKind, Priority, Source, Status
from apps.tickets.models import Ticket, TicketEvent
from apps.tickets.services import ticket_assign, ticket_transition
from apps.tickets.services import ticket_update as service_ticket_update
from tests.accounts.factories import UserFactory
from tests.support import assert_constant_queries, db_state, field_errors, jwt_client, references, reset_throttles
from tests.tickets.factories import TicketFactory

LIST = "/api/tickets/"


def detail(ticket) -> str:
    return f"/api/tickets/{ticket.pk}/"


@pytest.fixture(autouse=True)
def _fresh_throttles():
    reset_throttles()


@pytest.fixture
def world(admin_user, agent, other_agent, requester, other_requester, it_dept, billing_dept):
    """carol's IT ticket and dave's Billing ticket, seen from every role."""
    it_ticket = TicketFactory(department=it_dept, requester=requester, title="VPN drops every hour")
    billing_ticket = TicketFactory(department=billing_dept, requester=other_requester, title="Invoice 42 is wrong")
    return SimpleNamespace(
        it_ticket=it_ticket,
        billing_ticket=billing_ticket,
        users={
            "admin": admin_user,
            "IT agent": agent,
            "Billing agent": other_agent,
            "requester": requester,
            "other requester": other_requester,
        },
    )


# role → (sees carol's IT ticket, sees dave's Billing ticket)
VISIBILITY = {
    "admin": (True, True),
    "IT agent": (True, False),
    "Billing agent": (False, True),
    "requester": (True, False),
    "other requester": (False, True),
}


@pytest.mark.parametrize("role", list(VISIBILITY))
def test_list_shows_exactly_the_visible_tickets(world, role):
    sees_it, sees_billing = VISIBILITY[role]
    response = jwt_client(world.users[role]).get(LIST)
    assert response.status_code == 200
    expected = [t.reference for t, seen in ((world.billing_ticket, sees_billing), (world.it_ticket, sees_it)) if seen]
    assert references(response) == expected
    assert "count" not in response.json()
    # Counting reads the visible set another way (see tickets_visible_to): the same rows, and their number.
    counted = jwt_client(world.users[role]).get(LIST, {"count": "true"})
    assert (references(counted), counted.json()["count"]) == (expected, len(expected))


@pytest.mark.parametrize("role", list(VISIBILITY))
def test_detail_is_404_outside_scope(world, role):
    sees_it, _ = VISIBILITY[role]
    response = jwt_client(world.users[role]).get(detail(world.it_ticket))
    if sees_it:
        assert response.status_code == 200
        assert response.json()["reference"] == world.it_ticket.reference
        assert response["ETag"].startswith('"1.')
    else:
        assert response.status_code == 404
        assert response.json()["detail"] == "No ticket matches the given query."


def test_detail_representation(world, agent):
    ticket = world.it_ticket
    body = jwt_client(agent).get(detail(ticket)).json()
    base = f"http://testserver/api/tickets/{ticket.pk}/"
    assert body == {
        "id": ticket.pk,
        "url": base,
        "reference": ticket.reference,
        "title": "VPN drops every hour",
        "description": ticket.description,
        "status": "new",
        "priority": "normal",
        "category": "incident",
        "department": ticket.department_id,
        "requester": ticket.requester_id,
        "assignee": None,
        "language": "",
        "source": "portal",
        "first_response_due_at": None,
        "resolution_due_at": None,
        "first_responded_at": None,
        "resolved_at": None,
        "closed_at": None,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
        "version": 1,
        "comments": base + "comments/",
        "attachments": base + "attachments/",
        "events": base + "events/",
        "insight": None,  # no triage in these tests (tests/ai/test_api.py reads a real one)
    }


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/tickets/"),
        ("post", "/api/tickets/"),
        ("get", "/api/tickets/{pk}/"),
        ("put", "/api/tickets/{pk}/"),
        ("patch", "/api/tickets/{pk}/"),
        ("delete", "/api/tickets/{pk}/"),
        ("post", "/api/tickets/{pk}/transfer/"),
        ("get", "/api/tickets/{pk}/translation/"),
        ("get", "/api/tickets/{pk}/comments/"),
        ("post", "/api/tickets/{pk}/comments/"),
        ("get", "/api/tickets/{pk}/attachments/"),
        ("post", "/api/tickets/{pk}/attachments/"),
        ("get", "/api/tickets/{pk}/events/"),
        ("get", "/api/attachments/1/download/"),
        ("get", "/api/users/"),
        ("get", "/api/users/me/"),
        ("get", "/api/departments/"),
        ("get", "/api/schema/"),
    ],
)
def test_anonymous_is_401_everywhere_and_changes_nothing(world, method, path):
    before = db_state()
    response = getattr(jwt_client(None), method)(path.format(pk=world.it_ticket.pk), {}, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert db_state() == before


def test_unknown_api_path_is_a_json_404(agent):
    response = jwt_client(agent).get("/api/nothing-here/")
    assert response.status_code == 404
    assert response.json()["detail"] == "Not found."


# ---- lists: filters, search, ordering, pagination ---------------------------------------------------------


@pytest.fixture
def varied(admin_user, agent, requester, other_requester, it_dept):
    """Four IT tickets with different states, for filters and ordering (oldest first)."""
    tickets = []
    for i, (title, priority) in enumerate(
        [("Printer jam", "low"), ("Mail bounce", "urgent"), ("VPN slow", "high"), ("Screen flicker", "normal")]
    ):
        who = requester if i % 2 == 0 else other_requester
        ticket = TicketFactory(department=it_dept, requester=who, title=title, priority=priority)
        Ticket.objects.filter(pk=ticket.pk).update(created_at=timezone.now() - dt.timedelta(days=10 - i))
        tickets.append(ticket)
    ticket_assign(ticket=tickets[1], actor=admin_user, assignee=agent)
    ticket_transition(ticket=tickets[2], actor=agent, to_status=Status.OPEN)
    return tickets


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", [3, 2, 1, 0]),
        ("status=open", [2]),
        ("status=open&status=new", [3, 2, 1, 0]),
        ("priority=urgent&priority=low", [1, 0]),
        ("assignee=me", [1]),
        ("assignee=none", [3, 2, 0]),
        ("requester=me", []),
        ("search=vpn", [2]),
        ("search=mail bounce", [1]),
        ("ordering=priority", [0, 3, 2, 1]),
        ("ordering=-priority", [1, 2, 3, 0]),
        ("ordering=created_at", [0, 1, 2, 3]),
        ("ordering=status,-created_at", [3, 1, 0, 2]),
        ("page_size=2", [3, 2]),
        ("page_size=2&page=2", [1, 0]),
    ],
)
def test_list_filters_search_ordering_and_pages(agent, varied, query, expected):
    response = jwt_client(agent).get(f"{LIST}?{query}")
    assert response.status_code == 200, response.json()
    assert references(response) == [varied[i].reference for i in expected]


def test_filters_by_requester_department_and_dates(agent, requester, varied, it_dept, billing_dept):
    client = jwt_client(agent)
    mine = [varied[2].reference, varied[0].reference]
    assert references(client.get(f"{LIST}?requester={requester.pk}")) == mine
    assert references(client.get(f"{LIST}?department={it_dept.pk}&requester={requester.pk}")) == mine
    assert references(client.get(f"{LIST}?department={billing_dept.pk}")) == []
    cutoff = (timezone.now() - dt.timedelta(days=8, hours=12)).isoformat()
    assert references(client.get(LIST, {"created_after": cutoff})) == [varied[3].reference, varied[2].reference]
    assert references(client.get(LIST, {"created_before": cutoff})) == [varied[1].reference, varied[0].reference]
    changed = (timezone.now() - dt.timedelta(minutes=1)).isoformat()
    assert references(client.get(LIST, {"updated_after": changed})) == [t.reference for t in reversed(varied)]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("ordering=requester__password", "ordering"),
        ("ordering=title", "ordering"),
        ("ordering=created_at,-created_at", "ordering"),
        ("requester__password__startswith=a", "requester__password__startswith"),
        ("title=VPN", "title"),
        ("limit=5", "limit"),
        ("status=bogus", "status"),
        ("assignee=someone", "assignee"),
        ("assignee=99999999999999999999999", "assignee"),
        ("department=99999999999999999999999", "department"),
        ("department=abc", "department"),
        ("created_after=yesterday", "created_after"),
        ("created_after=9999-12-31T23:59:59-14:00", "created_after"),
        ("updated_after=0001-01-01T00:00:00%2B01:00", "updated_after"),
        ("page_size=101", "page_size"),
        ("page_size=0", "page_size"),
        ("page=abc", "page"),
        ("search=a%00b", "search"),
    ],
)
def test_unknown_or_bad_query_parameters_are_400(agent, varied, query, field):
    response = jwt_client(agent).get(f"{LIST}?{query}")
    assert response.status_code == 400
    assert list(field_errors(response)) == [field]


def test_a_page_past_the_end_is_404(agent, varied):
    assert jwt_client(agent).get(f"{LIST}?page=3&page_size=2").status_code == 404


def test_detail_refuses_list_parameters(agent, varied):
    response = jwt_client(agent).get(f"{detail(varied[0])}?status=new")
    assert response.status_code == 400
    assert list(field_errors(response)) == ["status"]


@pytest.mark.parametrize("role", ["admin", "agent", "requester"])
@pytest.mark.parametrize(
    ("extra", "queries"),
    # JWT user and the page (one row more than the page: no count); count=true adds the count.
    [("", 2), ("&count=true", 3)],
)
def test_ticket_list_query_count_does_not_grow_with_rows(role, extra, queries, admin_user, agent, requester, it_dept):
    user = {"admin": admin_user, "agent": agent, "requester": requester}[role]
    client = jwt_client(user)
    measured = assert_constant_queries(
        lambda: client.get(f"{LIST}?page_size=100{extra}"),
        add_rows=lambda count: TicketFactory.create_batch(count, department=it_dept, requester=requester),
    )
    assert len(measured.many.json()["results"]) == 30
    assert measured.queries == queries


def test_pages_link_to_each_other_without_counting(agent, requester, it_dept):
    tickets = [TicketFactory(department=it_dept, requester=requester) for _ in range(5)]
    newest_first = [t.reference for t in reversed(tickets)]
    client = jwt_client(agent)

    first = client.get(LIST, {"page_size": 2}).json()
    assert [r["reference"] for r in first["results"]] == newest_first[:2]
    assert first["previous"] is None
    assert first["next"] == "http://testserver/api/tickets/?page=2&page_size=2"
    middle = client.get(first["next"]).json()
    assert [r["reference"] for r in middle["results"]] == newest_first[2:4]
    assert middle["previous"] == "http://testserver/api/tickets/?page_size=2"
    last = client.get(middle["next"]).json()
    assert ([r["reference"] for r in last["results"]], last["next"]) == (newest_first[4:], None)
    assert last["previous"] == "http://testserver/api/tickets/?page=2&page_size=2"
    assert "count" not in last
    assert client.get(LIST, {"page_size": 2, "page": 3, "count": "1"}).json()["count"] == 5
    # Exactly a page of rows: no next page.
    assert client.get(LIST, {"page_size": 5}).json()["next"] is None


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"page": 4, "page_size": 2}, None),
        ({"page": 10**15}, None),
        ({"count": "yes"}, "count"),
        ({"page": "0"}, "page"),
    ],
)
def test_bad_pages_are_refused(agent, requester, it_dept, query, field):
    for _ in range(3):
        TicketFactory(department=it_dept, requester=requester)
    response = jwt_client(agent).get(LIST, query)
    if field is None:  # past the last page
        assert (response.status_code, response.json()["detail"]) == (404, "Invalid page.")
    else:
        assert (response.status_code, list(field_errors(response))) == (400, [field])


# ---- creating ---------------------------------------------------------------------------------------------


def test_requester_opens_a_ticket_in_the_default_department(world, requester, it_dept):
    body = {"title": "  Cannot print  ", "description": "Paper jam.", "category": "incident"}
    response = jwt_client(requester).post(LIST, body, format="json")
    assert response.status_code == 201, response.json()
    ticket = Ticket.objects.get(pk=response.json()["id"])
    assert (ticket.title, ticket.requester, ticket.department, ticket.source) == (
        "Cannot print",
        requester,
        it_dept,
        Source.API,
    )
    assert response["Location"] == f"http://testserver/api/tickets/{ticket.pk}/"
    assert response["ETag"].startswith('"1.')
    assert response.json()["reference"] == ticket.reference
    # No routing rule matched: the history says the default department took it.
    assert list(ticket.events.values_list("kind", flat=True)) == [EventKind.CREATED, EventKind.ROUTED]
    assert ticket.events.get(kind=EventKind.ROUTED).data == {"department": it_dept.pk, "rule": None}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"priority": "urgent"}, "Your role (Requester) may not set this field."),
        ({"department": 1}, "Your role (Requester) may not set this field."),
        ({"assignee": 1}, "Your role (Requester) may not set this field."),
        ({"requester": 1}, "Your role (Requester) may not set this field."),
        ({"reference": "TCK-999999"}, "This field is read-only."),
        ({"status": "closed"}, "This field is read-only."),
        ({"version": 7}, "This field is read-only."),
        ({"created_at": "2020-01-01T00:00:00Z"}, "This field is read-only."),
        ({"colour": "red"}, "Unknown field."),
    ],
)
def test_requester_create_refuses_fields_it_may_not_write(world, requester, extra, message):
    before = db_state()
    body = {"title": "Cannot print", "description": "Paper jam.", **extra}
    response = jwt_client(requester).post(LIST, body, format="json")
    assert response.status_code == 400
    [(field, [text])] = field_errors(response).items()
    assert field == next(iter(extra))
    assert text.startswith(message)
    assert db_state() == before


def test_requester_refusal_lists_the_fields_it_may_send(world, requester):
    response = jwt_client(requester).post(LIST, {"title": "x", "description": "y", "priority": "low"}, format="json")
    assert field_errors(response) == {
        "priority": ["Your role (Requester) may not set this field. Fields you may send: category, description, title."]
    }


def test_agent_opens_a_ticket_for_someone_else(world, agent, other_requester, billing_dept):
    body = {
        "title": "Refund",
        "description": "Customer called.",
        "priority": "high",
        "department": billing_dept.pk,
        "requester_email": other_requester.email.upper(),  # dave is no one the IT agent can see by id
        "assignee": agent.pk,
        "language": "de",
    }
    response = jwt_client(agent).post(LIST, body, format="json")
    assert response.status_code == 201, response.json()
    ticket = Ticket.objects.get(pk=response.json()["id"])
    assert (ticket.department, ticket.requester, ticket.assignee, ticket.priority, ticket.language) == (
        billing_dept,
        other_requester,
        agent,
        Priority.HIGH,
        "de",
    )
    kinds = list(ticket.events.values_list("kind", flat=True))
    assert kinds == [EventKind.CREATED, EventKind.ASSIGNED]


def test_agent_names_a_requester_by_id_only_among_the_people_they_see(world, agent, requester, other_requester):
    client = jwt_client(agent)
    seen = client.post(LIST, {"title": "x", "description": "y", "requester": requester.pk}, format="json")
    assert seen.status_code == 201, seen.json()
    assert Ticket.objects.get(pk=seen.json()["id"]).requester == requester
    before = db_state()
    # dave (Billing's requester) and an id that does not exist get the same answer: ids cannot be walked.
    unseen = client.post(LIST, {"title": "x", "description": "y", "requester": other_requester.pk}, format="json")
    missing = client.post(LIST, {"title": "x", "description": "y", "requester": 999999}, format="json")
    assert (unseen.status_code, missing.status_code) == (400, 400)
    assert field_errors(unseen)["requester"] == [f'Invalid pk "{other_requester.pk}" - object does not exist.']
    assert field_errors(missing)["requester"] == ['Invalid pk "999999" - object does not exist.']
    assert db_state() == before


@pytest.mark.parametrize(
    ("who", "body"),
    [
        ("unknown address", {"requester_email": "nobody@example.com"}),
        ("part of an address", {"requester_email": "dave@example"}),
        ("an agent of another department", {"requester_email": "billing-agent"}),
        ("both ways at once", {"requester_email": "dave", "requester": "carol"}),
    ],
)
def test_requester_email_refusals_save_nothing(world, agent, other_agent, requester, other_requester, who, body):
    named = {"dave": other_requester.email, "billing-agent": other_agent.email, "carol": requester.pk}
    body = {key: named.get(value, value) for key, value in body.items()}
    before = db_state()
    response = jwt_client(agent).post(LIST, {"title": "x", "description": "y", **body}, format="json")
    assert response.status_code == 400, who
    assert list(field_errors(response)) == ["requester_email"], who
    assert db_state() == before


def test_requesters_may_not_name_a_requester_by_email(world, requester, other_requester):
    before = db_state()
    body = {"title": "x", "description": "y", "requester_email": other_requester.email}
    response = jwt_client(requester).post(LIST, body, format="json")
    assert response.status_code == 400
    assert list(field_errors(response)) == ["requester_email"]
    assert db_state() == before


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"description": ""}, "description"),
        ({"category": "rumours"}, "category"),
        ({"priority": "critical"}, "priority"),
        ({"department": 999999}, "department"),
        ({"assignee": "me"}, "assignee"),
        ({"title": "nul\x00byte"}, "title"),
    ],
)
def test_create_validation_errors_are_400_and_save_nothing(world, agent, extra, field):
    before = db_state()
    body = {"title": "Fine", "description": "Fine", **extra}
    response = jwt_client(agent).post(LIST, body, format="json")
    assert response.status_code == 400
    assert list(field_errors(response)) == [field]
    assert db_state() == before


def test_a_lone_surrogate_is_400_not_a_database_error(world, agent):
    before = db_state()
    body = '{"title": "\\ud800", "description": "Fine"}'
    response = jwt_client(agent).post(LIST, body, content_type="application/json")
    assert response.status_code == 400
    assert field_errors(response) == {"title": ["The text is not valid Unicode."]}
    assert db_state() == before


def test_service_validation_errors_come_back_as_field_messages(world, agent, requester, it_dept, billing_dept):
    billing_dept.is_active = False
    billing_dept.save()
    client = jwt_client(agent)
    before = db_state()
    inactive = client.post(LIST, {"title": "x", "description": "y", "department": billing_dept.pk}, format="json")
    assert inactive.status_code == 400
    assert field_errors(inactive) == {"department": ["Department “Billing” is not active."]}
    not_staff = client.post(LIST, {"title": "x", "description": "y", "assignee": requester.pk}, format="json")
    assert field_errors(not_staff) == {"assignee": ["Only active agents and admins can be assigned tickets."]}
    assert db_state() == before


def test_create_without_a_default_department_is_400(requester, billing_dept):
    response = jwt_client(requester).post(LIST, {"title": "x", "description": "y"}, format="json")
    assert response.status_code == 400
    assert field_errors(response) == {"department": ["No default department is set up; choose a department."]}
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize("body", ['{"title": "x",', "[1, 2]", '"text"'])
def test_malformed_or_non_object_bodies_are_400(world, agent, body):
    before = db_state()
    response = jwt_client(agent).post(LIST, body, content_type="application/json")
    assert response.status_code == 400
    assert db_state() == before


def test_form_encoded_bodies_are_415(world, agent):
    response = jwt_client(agent).post(LIST, {"title": "x", "description": "y"}, format="multipart")
    assert response.status_code == 415
    assert Ticket.objects.count() == 2


def test_an_oversized_body_is_413_and_saves_nothing(world, agent, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    before = db_state()
    response = jwt_client(agent).post(LIST, {"title": "Big", "description": "x" * 4096}, format="json")
    assert response.status_code == 413
    assert response.json()["detail"] == "The request body is too large."
    assert db_state() == before
    ok = jwt_client(agent).post(LIST, {"title": "Small", "description": "x" * 1024}, format="json")
    assert ok.status_code == 201


def test_ticket_creation_is_throttled(world, requester, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "ticket_create": "2/minute"},
    }
    client = jwt_client(requester)
    codes = [client.post(LIST, {"title": f"t{i}", "description": "d"}, format="json").status_code for i in range(3)]
    assert codes == [201, 201, 429]
    assert Ticket.objects.filter(requester=requester).count() == 3  # the fixture's one and two new
    assert client.get(LIST).status_code == 200  # reading is not throttled


# ---- losing access ----------------------------------------------------------------------------------------


def test_a_deactivated_user_is_refused_at_once_with_a_valid_token(world, agent):
    client = jwt_client(agent)
    assert client.get(LIST).status_code == 200
    agent.is_active = False
    agent.save(update_fields=["is_active"])
    response = client.get(LIST)
    assert response.status_code == 401
    assert response.json()["code"] == "user_inactive"


def test_an_agent_removed_from_its_department_loses_the_tickets_at_once(world, agent, it_dept):
    client = jwt_client(agent)
    assert client.get(detail(world.it_ticket)).status_code == 200
    department_set_members(department=it_dept, users=[])
    assert client.get(detail(world.it_ticket)).status_code == 404
    assert references(client.get(LIST)) == []
    before = db_state()
    assert client.patch(detail(world.it_ticket), {"title": "mine"}, format="json").status_code == 404
    assert db_state() == before


def test_a_new_department_member_sees_its_tickets_at_once(world, it_dept):
    newcomer = UserFactory(role=Role.AGENT)
    client = jwt_client(newcomer)
    assert references(client.get(LIST)) == []
    department_set_members(department=it_dept, users=[newcomer])
    assert references(client.get(LIST)) == [world.it_ticket.reference]


def test_the_etag_follows_the_version(world, agent):
    service_ticket_update(ticket=world.it_ticket, actor=agent, title="VPN drops twice an hour")
    response = jwt_client(agent).get(detail(world.it_ticket))
    assert response["ETag"].startswith('"2.')
    assert response.json()["version"] == 2
    assert TicketEvent.objects.filter(ticket=world.it_ticket, kind=EventKind.UPDATED).count() == 1


HUGE = 10**20


@pytest.mark.parametrize(
    "path",
    [
        f"/api/tickets/{HUGE}/",
        f"/api/tickets/{HUGE}/comments/",
        f"/api/tickets/{HUGE}/events/",
        f"/api/attachments/{HUGE}/download/",
        f"/api/tickets/{2**63 - 1}/",
    ],
)
def test_ids_beyond_the_database_range_are_404(agent, path):
    assert jwt_client(agent).get(path).status_code == 404


@pytest.mark.parametrize("field", ["department", "requester", "assignee"])
def test_related_ids_beyond_the_database_range_are_400(world, agent, field):
    before = db_state()
    body = {"title": "x", "description": "y", field: HUGE}
    response = jwt_client(agent).post(LIST, body, format="json")
    assert response.status_code == 400
    assert list(field_errors(response)) == [field]
    assert db_state() == before


def test_options_describes_the_endpoint_without_field_lists(world, agent):
    response = jwt_client(agent).options(detail(world.it_ticket))
    assert response.status_code == 200
    assert "actions" not in response.json()
    assert jwt_client(agent).options("/api/tickets/999999/").json() == response.json()


@pytest.mark.parametrize("method", ["get", "post", "patch", "delete"])
def test_unknown_paths_are_json_404_for_every_method_even_with_a_session(agent, method):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(agent)
    response = getattr(browser, method)("/api/tickets/-1/", content_type="application/json")
    assert response.status_code == 404
    assert response.json()["detail"] == "Not found."


def test_dates_with_any_utc_offset_python_accepts_are_filters_not_errors(agent, varied):
    response = jwt_client(agent).get(LIST, {"updated_after": "0098-01-17T23:39:17+17:09"})
    assert response.status_code == 200
    assert len(references(response)) == 4


# ---- representation ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "agent", "requester"])
@pytest.mark.parametrize("zone", ["UTC", "Europe/Istanbul"])
def test_ticket_representation_is_drfs_generic_one(role, zone, admin_user, agent, requester, it_dept, billing_dept):
    """TicketSerializer writes its fields directly, for speed: exactly what the declared fields would write."""
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory, force_authenticate

    from apps.ai.models import TicketInsight
    from apps.tickets.api.serializers import TicketSerializer

    full = TicketFactory(department=it_dept, requester=requester, assignee=agent, language="tr")
    now = timezone.now()
    Ticket.objects.filter(pk=full.pk).update(
        first_response_due_at=now, resolution_due_at=now + dt.timedelta(days=1), first_responded_at=now,
        resolved_at=now, closed_at=now,
    )  # fmt: skip
    TicketInsight.objects.create(
        ticket=full, provider="local", language="tr", sentiment=-0.5, categories=["network"],
        suggested_priority=Priority.HIGH, suggested_department=billing_dept, analysed_at=now,
    )  # fmt: skip
    bare = TicketFactory(department=it_dept, requester=requester)
    tickets = list(Ticket.objects.select_related("insight").filter(pk__in=[full.pk, bare.pk]).order_by("pk"))
    user = {"admin": admin_user, "agent": agent, "requester": requester}[role]
    raw = APIRequestFactory().get("/api/tickets/", {"format": "json"}, HTTP_HOST="testserver")
    force_authenticate(raw, user)
    request = Request(raw)
    request.user = user

    with timezone.override(zone):
        fast = TicketSerializer(tickets, many=True, context={"request": request}).data
        generic = TicketSerializer(context={"request": request})
        expected = [super(TicketSerializer, generic).to_representation(t) for t in tickets]

    assert fast == expected
    assert list(fast[0]) == TicketSerializer.Meta.fields
    assert fast[0]["url"] == f"http://testserver/api/tickets/{full.pk}/?format=json"
    assert (fast[0]["insight"] is None) == (role == "requester")


@pytest.mark.parametrize("ordering", ["", "&ordering=-updated_at", "&ordering=created_at"])
def test_an_agents_pages_further_down_are_exactly_what_the_grants_allow(reach_world, agent, ordering, monkeypatch):
    """Pages past the first rows, in an indexed order, are read in the department form: every page together holds
    exactly the tickets alice may see (shares and assignments elsewhere; not a department ticket whose grant was
    taken away), each once."""
    monkeypatch.setattr("apps.tickets.api.views.FIRST_ROWS", 2)
    expected = sorted(ref for ref, seen in reach_world.items() if seen)
    client, seen = jwt_client(agent), []
    for page in range(1, (len(expected) + 1) // 2 + 1):
        response = client.get(f"{LIST}?page_size=2&page={page}{ordering}")
        assert response.status_code == 200, response.json()
        seen += references(response)
    assert sorted(seen) == expected
