"""The portal's intake is throttled like the API's: API_THROTTLE_TICKET_CREATE new tickets and
API_THROTTLE_COMMENT_CREATE replies per user, one counter per user shared by the portal and the API.

A throttled form is a 429 page with the form as it was sent and a clear message; nothing is created.
"""

import pytest
from django.urls import reverse

from apps.tickets.choices import Category
from apps.tickets.models import Comment, Ticket
from tests.support import db_state, jwt_client, logged_in, reply_url

CREATE_URL = reverse("portal:ticket_create")


@pytest.fixture
def rates(settings):
    def set_rates(**scopes):
        current = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {**current, **scopes}}

    return set_rates


def new_ticket(n: int) -> dict:
    return {"title": f"Printer {n} jams", "description": "It jams on page two.", "category": Category.INCIDENT}


def test_the_portal_stops_new_tickets_at_the_apis_rate(carol, it_dept, rates):
    rates(ticket_create="3/minute")
    codes = [carol.post(CREATE_URL, new_ticket(n)).status_code for n in range(3)]
    before = db_state()

    response = carol.post(CREATE_URL, new_ticket(99))

    assert codes == [302, 302, 302]
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    page = response.content.decode()
    assert "You are sending too many requests. Please wait" in page
    assert 'value="Printer 99 jams"' in page  # the form keeps what was typed
    assert response.context["form"].non_field_errors()
    assert db_state() == before


def test_thirty_portal_tickets_in_a_row_are_refused_past_the_default_rate(carol, it_dept):
    codes = [carol.post(CREATE_URL, new_ticket(n)).status_code for n in range(30)]
    assert codes == [302] * 20 + [429] * 10
    assert Ticket.objects.count() == 20


def test_the_portal_stops_replies_at_the_apis_rate(carol, it_ticket, rates):
    rates(comment_create="2/minute")
    codes = [carol.post(reply_url(it_ticket), {"body": f"Any news? ({n})"}).status_code for n in range(2)]
    before = db_state()

    response = carol.post(reply_url(it_ticket), {"body": "Hello again?"})

    assert codes == [302, 302]
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    page = response.content.decode()
    assert "You are sending too many requests. Please wait" in page
    assert "Hello again?" in page
    assert db_state() == before


def test_the_api_and_the_portal_share_one_counter_per_user(carol, requester, it_dept, it_ticket, rates):
    rates(ticket_create="2/minute", comment_create="2/minute")
    api = jwt_client(requester)
    assert api.post("/api/tickets/", new_ticket(1), format="json").status_code == 201
    assert carol.post(CREATE_URL, new_ticket(2)).status_code == 302
    assert carol.post(CREATE_URL, new_ticket(3)).status_code == 429
    assert api.post("/api/tickets/", new_ticket(4), format="json").status_code == 429

    assert carol.post(reply_url(it_ticket), {"body": "one"}).status_code == 302
    assert carol.post(reply_url(it_ticket), {"body": "two"}).status_code == 302
    comments = Comment.objects.count()
    assert api.post(f"/api/tickets/{it_ticket.pk}/comments/", {"body": "three"}, format="json").status_code == 429
    assert Comment.objects.count() == comments


def test_the_counter_is_per_user(carol, other_requester, it_dept, rates):
    rates(ticket_create="1/minute")
    assert carol.post(CREATE_URL, new_ticket(1)).status_code == 302
    assert carol.post(CREATE_URL, new_ticket(2)).status_code == 429
    assert logged_in(other_requester).post(CREATE_URL, new_ticket(3)).status_code == 302


def test_an_invalid_form_does_not_use_up_the_rate(carol, it_dept, rates):
    rates(ticket_create="1/minute")
    assert carol.post(CREATE_URL, {**new_ticket(1), "title": ""}).status_code == 200
    assert carol.post(CREATE_URL, new_ticket(2)).status_code == 302
