"""The macros API: the list of one's macros, and applying a macro to a ticket (the permission matrix)."""

import pytest

from apps.macros.choices import AssignTo, Scope
from apps.tickets.choices import Priority, Status
from apps.tickets.models import Comment
from tests.macros.factories import make_macro
from tests.support import assert_constant_queries, db_state, field_errors, jwt_client, reset_throttles

LIST = "/api/macros/"


def apply_url(ticket, macro) -> str:
    return f"/api/tickets/{ticket.pk}/macros/{macro.pk}/apply/"


@pytest.fixture(autouse=True)
def _fresh_throttles():
    reset_throttles()


def titles(response) -> list[str]:
    return [row["title"] for row in response.json()["results"]]


# GET /api/macros/ -----------------------------------------------------------------------------------------------


def test_anonymous_is_401_and_a_requester_403(macros, requester):
    assert jwt_client(None).get(LIST).status_code == 401
    response = jwt_client(requester).get(LIST)
    assert response.status_code == 403
    assert response.json()["detail"] == "Only agents and admins use canned responses and macros."


def test_each_caller_lists_the_macros_of_their_scope(macros, agent, other_agent, admin_user):
    assert titles(jwt_client(agent).get(LIST)) == ["Alice's", "Everyone", "IT"]
    assert titles(jwt_client(other_agent).get(LIST)) == ["Billing", "Bob's", "Everyone"]
    assert titles(jwt_client(admin_user).get(LIST)) == ["Billing", "Everyone", "IT"]


def test_a_macro_is_listed_with_its_texts_and_actions(admin_user, agent, it_dept):
    macro = make_macro(
        admin_user,
        title="Ask for a screenshot",
        body="Hi {requester_first_name}",
        translations={"de": "Hallo {requester_first_name}"},
        scope=Scope.DEPARTMENT,
        department=it_dept,
        set_status=Status.WAITING,
        assign=AssignTo.ME,
    )
    [row] = jwt_client(agent).get(LIST).json()["results"]
    assert row == {
        "id": macro.pk,
        "title": "Ask for a screenshot",
        "scope": "department",
        "department": it_dept.pk,
        "body": "Hi {requester_first_name}",
        "translations": {"de": "Hallo {requester_first_name}"},
        "note": "",
        "set_status": "waiting",
        "set_priority": "",
        "assign": "me",
        "assignee": None,
        "has_actions": True,
        "updated_at": row["updated_at"],
    }


def test_the_list_costs_the_same_queries_at_2_and_30_macros(admin_user, agent):
    client = jwt_client(agent)
    client.get(LIST)
    count = iter(range(1000))
    assert_constant_queries(
        lambda: client.get(LIST + "?page_size=50"),
        add_rows=lambda n: [make_macro(admin_user, title=f"Macro {next(count)}") for _ in range(n)],
    )


def test_the_list_searches_and_orders_by_title(macros, agent):
    assert titles(jwt_client(agent).get(LIST, {"search": "ever"})) == ["Everyone"]
    assert titles(jwt_client(agent).get(LIST, {"ordering": "-title"})) == ["IT", "Everyone", "Alice's"]
    assert jwt_client(agent).get(LIST, {"scope": "private"}).status_code == 400


# POST /api/tickets/{id}/macros/{macro_id}/apply/ ------------------------------------------------------------------


def test_applying_answers_with_the_changed_ticket(ticket, agent, admin_user):
    macro = make_macro(admin_user, set_priority=Priority.HIGH, set_status=Status.IN_PROGRESS, assign=AssignTo.ME)

    response = jwt_client(agent).post(apply_url(ticket, macro))

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["id"], body["status"], body["priority"], body["assignee"]) == (
        ticket.pk,
        "in_progress",
        "high",
        agent.pk,
    )
    assert response["ETag"].startswith(f'"{body["version"]}.')
    assert list(Comment.objects.values_list("body", "is_internal")) == [
        (f"Hello Carol,\n\nThanks! {agent.get_full_name()}", False)
    ]


def test_applying_a_placeholder_never_reveals_settings(ticket, agent, admin_user, settings):
    macro = make_macro(admin_user, body="{{ settings.SECRET_KEY }} {ticket.requester.password}")
    assert jwt_client(agent).post(apply_url(ticket, macro)).status_code == 200
    assert Comment.objects.get().body == "{{ settings.SECRET_KEY }} {ticket.requester.password}"


@pytest.mark.parametrize(
    ("who", "macro", "status"),
    [
        (None, "everyone", 401),
        ("requester", "everyone", 404),  # carol sees her ticket, but no macro exists for her
        ("other_agent", "everyone", 404),  # bob cannot see the IT ticket
        ("agent", "billing", 404),  # Billing's macro, on an IT ticket
        ("agent", "bob", 404),  # bob's private macro
        ("admin_user", "bob", 404),  # private means private, admins included
        ("admin_user", "billing", 404),
    ],
)
def test_a_ticket_or_macro_outside_the_callers_scope_is_404_and_changes_nothing(
    request, ticket, macros, who, macro, status
):
    user = request.getfixturevalue(who) if who else None
    before = db_state()
    response = jwt_client(user).post(apply_url(ticket, macros[macro]))
    assert response.status_code == status
    assert db_state() == before


@pytest.mark.parametrize(("who", "macro"), [("agent", "everyone"), ("agent", "it"), ("agent", "alice"),
                                            ("admin_user", "it")])  # fmt: skip
def test_a_macro_in_scope_applies(request, ticket, macros, who, macro):
    response = jwt_client(request.getfixturevalue(who)).post(apply_url(ticket, macros[macro]))
    assert response.status_code == 200
    assert Comment.objects.count() == 1


def test_a_refused_action_is_400_and_changes_nothing(ticket, agent, admin_user):
    client = jwt_client(agent)
    resolve = make_macro(admin_user, title="Resolve", body="", set_status=Status.RESOLVED)
    response = client.post(apply_url(ticket, resolve))  # new → resolved: two steps, through In progress
    assert (response.status_code, response.json()["status"]) == (200, "resolved")
    waiting = make_macro(
        admin_user, title="Wait", note="Waiting.", set_priority=Priority.URGENT, set_status=Status.WAITING
    )
    before = db_state()

    response = client.post(apply_url(ticket, waiting))  # resolved → waiting: never

    assert response.status_code == 400
    assert list(field_errors(response)) == ["status"]
    assert db_state() == before


def test_a_query_parameter_is_refused(ticket, agent, macros):
    before = db_state()
    response = jwt_client(agent).post(apply_url(ticket, macros["everyone"]) + "?dry_run=1")
    assert response.status_code == 400
    assert db_state() == before
