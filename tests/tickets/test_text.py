"""Text is stored the same way whichever channel sent it: the services normalise it (apps/common/text.py)."""

import pytest
from django.urls import reverse

from apps.common.text import normalise_text
from apps.tickets.models import Comment, Ticket
from tests.support import jwt_client, logged_in, reset_throttles

SENT = "  First line.\r\nSecond line.\rThird line.\r\n\r\n"
STORED = "First line.\nSecond line.\nThird line."


@pytest.fixture(autouse=True)
def _fresh_throttles():
    reset_throttles()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\r\nb", "a\nb"),
        ("a\rb", "a\nb"),
        ("a\nb", "a\nb"),
        ("\r\n  padded \t\r\n", "padded"),
        ("", ""),
    ],
)
def test_normalise_text(text, expected):
    assert normalise_text(text) == expected


def test_a_new_ticket_stores_the_same_text_from_portal_api_and_back_office(agent, requester, it_dept):
    portal = logged_in(requester).post(
        reverse("portal:ticket_create"), {"title": "From the portal", "description": SENT, "category": "incident"}
    )
    api = jwt_client(requester).post(
        "/api/tickets/", {"title": "From the API", "description": SENT, "category": "incident"}, format="json"
    )
    back_office = logged_in(agent).post(
        reverse("admin:tickets_ticket_add"),
        {
            "title": "From the back office",
            "description": SENT,
            "category": "incident",
            "priority": "normal",
            "department": str(it_dept.pk),
            "requester": requester.email,  # agents name a requester by e-mail address
            "_save": "Save",
        },
    )

    assert (portal.status_code, api.status_code, back_office.status_code) == (302, 201, 302)
    assert dict(Ticket.objects.values_list("title", "description")) == {
        "From the portal": STORED,
        "From the API": STORED,
        "From the back office": STORED,
    }


def test_a_reply_stores_the_same_text_from_portal_api_and_back_office(agent, requester, it_ticket, ticket_form_data):
    portal = logged_in(requester).post(reverse("portal:ticket_reply", args=[it_ticket.pk]), {"body": SENT})
    api = jwt_client(requester).post(f"/api/tickets/{it_ticket.pk}/comments/", {"body": SENT}, format="json")
    it_ticket.refresh_from_db()
    back_office = logged_in(agent).post(
        reverse("admin:tickets_ticket_change", args=[it_ticket.pk]), ticket_form_data(it_ticket, reply_body=SENT)
    )

    assert (portal.status_code, api.status_code, back_office.status_code) == (302, 201, 302)
    assert list(Comment.objects.order_by("pk").values_list("author__username", "body")) == [
        ("carol", STORED),
        ("carol", STORED),
        ("alice", STORED),
    ]


def test_an_edited_description_is_stored_the_same_from_api_and_back_office(agent, it_ticket, ticket_form_data):
    api = jwt_client(agent).patch(f"/api/tickets/{it_ticket.pk}/", {"description": SENT}, format="json")
    it_ticket.refresh_from_db()
    after_api = (it_ticket.description, it_ticket.version)
    back_office = logged_in(agent).post(
        reverse("admin:tickets_ticket_change", args=[it_ticket.pk]), ticket_form_data(it_ticket, description=SENT)
    )
    it_ticket.refresh_from_db()

    assert (api.status_code, back_office.status_code) == (200, 302)
    assert after_api == (STORED, 2)
    # The same text again, as the browser sends it: no change, no new version.
    assert (it_ticket.description, it_ticket.version) == (STORED, 2)
