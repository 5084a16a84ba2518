"""The contract typed clients rely on: one error envelope (RFC 9457), strict inputs, nullable enums, the docs page."""

import pytest

from apps.ai.choices import InsightStatus
from apps.ai.models import TicketInsight
from apps.tickets.models import Comment
from tests.support import db_state, field_errors, jwt_client
from tests.tickets.factories import TicketFactory

PROBLEM = "application/problem+json"


@pytest.fixture
def it_ticket(it_dept, requester):
    return TicketFactory(department=it_dept, requester=requester, title="VPN drops every hour")


def test_a_validation_error_is_a_problem_document_with_field_errors(requester, it_dept):
    response = jwt_client(requester).post("/api/tickets/", {"title": "No description"}, format="json")
    assert (response.status_code, response["Content-Type"]) == (400, PROBLEM)
    assert response.json() == {
        "type": "about:blank",
        "title": "Bad Request",
        "status": 400,
        "detail": "Invalid input.",
        "code": "invalid",
        "errors": {"description": ["This field is required."]},
    }


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("get", "/api/tickets/", 401, "not_authenticated"),
        ("get", "/api/no-such-thing/", 404, "not_found"),
    ],
)
def test_anonymous_and_unknown_paths_answer_with_problems(db, method, path, status, code):
    response = getattr(jwt_client(None), method)(path)
    body = response.json()
    assert (response.status_code, response["Content-Type"], body["status"], body["code"]) == (
        status,
        PROBLEM,
        status,
        code,
    )


def test_simplejwt_errors_are_problems_too(db):
    client = jwt_client(None)
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    response = client.get("/api/tickets/")
    body = response.json()
    assert (response.status_code, response["Content-Type"]) == (401, PROBLEM)
    assert (body["code"], body["title"]) == ("token_not_valid", "Unauthorized")
    refused = jwt_client(None).post("/api/token/refresh/", {"refresh": "nope"}, format="json")
    assert (refused.status_code, refused["Content-Type"], refused.json()["code"]) == (401, PROBLEM, "token_not_valid")


def test_out_of_scope_and_forbidden_are_problems(it_ticket, other_agent, requester):
    missing = jwt_client(other_agent).get(f"/api/tickets/{it_ticket.pk}/")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    forbidden = jwt_client(requester).delete(f"/api/tickets/{it_ticket.pk}/")
    assert (forbidden.status_code, forbidden["Content-Type"], forbidden.json()["code"]) == (
        403,
        PROBLEM,
        "permission_denied",
    )


def test_a_stale_write_is_a_problem_that_carries_the_current_state(it_ticket, agent):
    response = jwt_client(agent).patch(f"/api/tickets/{it_ticket.pk}/", {"title": "x", "version": 7}, format="json")
    body = response.json()
    assert (response.status_code, response["Content-Type"]) == (412, PROBLEM)
    assert (body["code"], body["current_version"], body["current"]["id"]) == ("stale", 1, it_ticket.pk)


def test_an_undeclared_method_is_405_even_with_a_query_string(agent, it_dept):
    response = jwt_client(agent).delete("/api/tickets/?unknown=1")
    assert (response.status_code, response.json()["code"]) == (405, "method_not_allowed")


@pytest.mark.parametrize(("url", "param"), [("/api/users/", "is_active"), ("/api/notifications/", "unread")])
def test_a_bad_boolean_filter_is_400(admin_user, url, param):
    response = jwt_client(admin_user).get(url, {param: "abc"})
    assert (response.status_code, field_errors(response)) == (400, {param: ["Give true or false."]})


@pytest.mark.parametrize("value", [0, 1, "true", "yes"])
def test_is_internal_takes_a_json_boolean_only(it_ticket, agent, value):
    before = db_state()
    response = jwt_client(agent).post(
        f"/api/tickets/{it_ticket.pk}/comments/", {"body": "Hi", "is_internal": value}, format="json"
    )
    assert (response.status_code, list(field_errors(response))) == (400, ["is_internal"])
    assert db_state() == before
    assert not Comment.objects.exists()


def test_a_ticket_language_is_one_of_the_supported_codes(it_ticket, agent):
    url = f"/api/tickets/{it_ticket.pk}/"
    refused = jwt_client(agent).patch(url, {"language": "klingon"}, format="json")
    assert (refused.status_code, list(field_errors(refused))) == (400, ["language"])
    assert jwt_client(agent).patch(url, {"language": "de"}, format="json").json()["language"] == "de"


def test_an_empty_suggestion_is_null_not_an_empty_string(it_ticket, agent):
    TicketInsight.objects.create(ticket=it_ticket, status=InsightStatus.DONE, suggested_priority="")
    insight = jwt_client(agent).get(f"/api/tickets/{it_ticket.pk}/").json()["insight"]
    assert (insight["suggested_priority"], insight["suggested_category"]) == (None, None)


def test_the_docs_page_sends_an_anonymous_visitor_to_log_in(client, agent):
    response = client.get("/api/docs/")
    assert (response.status_code, response["Location"]) == (302, "/login/?next=/api/docs/")
    client.force_login(agent)
    assert client.get("/api/docs/").status_code == 200


def test_the_docs_page_takes_a_programs_token_and_refuses_a_bad_one(agent):
    assert jwt_client(agent).get("/api/docs/").status_code == 200
    refused = jwt_client(None).get("/api/docs/", HTTP_AUTHORIZATION="Bearer not-a-token")
    assert refused.status_code == 401
