"""One length limit per ticket text (title, description, comment body), the same through every channel.

The services refuse an over-long text with a field error and nothing saved; the API, the portal, the back office
and the CSV import report that error in their own way. A deeply nested JSON body is a 400, not a 500.
"""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from apps.tickets import forms
from apps.tickets.models import COMMENT_MAX_LENGTH, DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH
from apps.tickets.services import comment_add, ticket_create, ticket_update
from tests.support import db_state, field_errors, jwt_client, logged_in, reply_url, reset_throttles
from tests.tickets.test_import import HEADER, csv_bytes, run

pytestmark = pytest.mark.django_db

TOO_LONG = "x" * (DESCRIPTION_MAX_LENGTH + 1)
# What an attacker sent: a multi-megabyte description.
MEGABYTES = "lorem ipsum " * 300_000


@pytest.fixture(autouse=True)
def _fresh_throttles():
    reset_throttles()


def test_the_limits_are_the_portals_numbers():
    assert (TITLE_MAX_LENGTH, DESCRIPTION_MAX_LENGTH, COMMENT_MAX_LENGTH) == (200, 20_000, 20_000)
    assert forms.TicketCreateForm.base_fields["title"].max_length == TITLE_MAX_LENGTH
    assert forms.TicketCreateForm.base_fields["description"].max_length == DESCRIPTION_MAX_LENGTH
    assert forms.ReplyForm.base_fields["body"].max_length == COMMENT_MAX_LENGTH


# ---- the services ------------------------------------------------------------------------------------------------


def test_ticket_create_refuses_an_over_long_description(it_dept, requester):
    before = db_state()
    with pytest.raises(ValidationError) as caught:
        ticket_create(actor=requester, requester=requester, title="Big", description=MEGABYTES, department=it_dept)
    assert list(caught.value.message_dict) == ["description"]
    assert caught.value.error_dict["description"][0].code == "max_length"
    assert db_state() == before


def test_a_text_at_the_limit_is_accepted(it_dept, requester):
    ticket = ticket_create(
        actor=requester,
        requester=requester,
        title="t" * TITLE_MAX_LENGTH,
        description="d" * DESCRIPTION_MAX_LENGTH,
        department=it_dept,
    )
    comment = comment_add(ticket=ticket, actor=requester, body="b" * COMMENT_MAX_LENGTH)
    assert (len(ticket.description), len(comment.body)) == (DESCRIPTION_MAX_LENGTH, COMMENT_MAX_LENGTH)


def test_ticket_update_refuses_an_over_long_description(it_ticket, agent):
    before = db_state()
    with pytest.raises(ValidationError) as caught:
        ticket_update(ticket=it_ticket, actor=agent, description=TOO_LONG)
    assert list(caught.value.message_dict) == ["description"]
    assert db_state() == before


def test_comment_add_refuses_an_over_long_body(it_ticket, requester):
    before = db_state()
    with pytest.raises(ValidationError) as caught:
        comment_add(ticket=it_ticket, actor=requester, body="y" * (COMMENT_MAX_LENGTH + 1))
    assert list(caught.value.message_dict) == ["body"]
    assert db_state() == before


# ---- the API -----------------------------------------------------------------------------------------------------


def test_the_api_refuses_a_multi_megabyte_description(it_dept, requester):
    before = db_state()
    response = jwt_client(requester).post(
        "/api/tickets/", {"title": "Big", "description": MEGABYTES, "category": "question"}, format="json"
    )
    assert response.status_code == 400
    assert list(field_errors(response)) == ["description"]
    assert db_state() == before


def test_the_api_refuses_over_long_edits_and_comments(it_ticket, agent, requester):
    before = db_state()
    update = jwt_client(agent).patch(f"/api/tickets/{it_ticket.pk}/", {"description": TOO_LONG}, format="json")
    comment = jwt_client(requester).post(
        f"/api/tickets/{it_ticket.pk}/comments/", {"body": "y" * (COMMENT_MAX_LENGTH + 1)}, format="json"
    )
    assert (update.status_code, list(field_errors(update))) == (400, ["description"])
    assert (comment.status_code, list(field_errors(comment))) == (400, ["body"])
    assert db_state() == before


def test_the_schema_documents_the_limits():
    components = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]
    for name in ("TicketCreateRequest", "PatchedTicketUpdateRequest"):
        properties = components[name]["properties"]
        assert (properties["title"]["maxLength"], properties["description"]["maxLength"]) == (
            TITLE_MAX_LENGTH,
            DESCRIPTION_MAX_LENGTH,
        )
    assert components["CommentCreateRequest"]["properties"]["body"]["maxLength"] == COMMENT_MAX_LENGTH


@pytest.mark.parametrize("depth", [100_000])
def test_a_deeply_nested_json_body_is_a_400(it_dept, requester, depth):
    before = db_state()
    body = "[" * depth + "]" * depth
    response = jwt_client(requester).generic("POST", "/api/tickets/", body, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "detail" in response.json()
    assert db_state() == before


# ---- the portal, the back office, the import -------------------------------------------------------------------


def test_the_portal_reply_refuses_an_over_long_body(it_ticket, requester):
    browser = logged_in(requester)
    before = db_state()
    response = browser.post(reply_url(it_ticket), {"body": "y" * (COMMENT_MAX_LENGTH + 1)})
    assert response.status_code == 200
    assert response.context["form"].errors["body"][0].startswith("Ensure this value has at most 20000 characters")
    assert db_state() == before


def test_the_back_office_refuses_an_over_long_description(alice_client, it_ticket, ticket_form_data):
    before = db_state()
    response = alice_client.post(
        reverse("admin:tickets_ticket_change", args=[it_ticket.pk]), ticket_form_data(it_ticket, description=TOO_LONG)
    )
    assert response.status_code == 200
    assert "description" in response.context["adminform"].form.errors
    assert db_state() == before


def test_the_import_reports_an_over_long_description_as_a_row_error(it_dept, requester):
    rows = [HEADER, ["Fine", "short", requester.email, "", "", ""], ["Big", TOO_LONG, requester.email, "", "", ""]]
    before = db_state()

    report = run(csv_bytes(rows))

    assert (report.applied, report.error_count) == (False, 1)
    (error,) = report.errors
    assert (error.row, error.column) == (3, "description")
    assert error.message == "The description has 20001 characters; at most 20000 are allowed."
    assert db_state() == before
