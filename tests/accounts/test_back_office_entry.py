"""The way into the back office: its log-in form looks like the rest of it, and requesters are sent to the portal."""

from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from tests.support import logged_in

LOGIN = reverse("admin:login")
PORTAL = reverse("portal:ticket_list")


def test_the_back_office_log_in_form_has_unfold_styled_inputs(db):
    content = Client().get(LOGIN).content.decode()

    # unfold's input classes (a border and a background): Django's bare widgets render as invisible boxes.
    for name in ("username", "password"):
        start = content.index(f'name="{name}"')
        tag = content[content.rindex("<input", 0, start) : content.index(">", start)]
        assert "border" in tag and "bg-white" in tag, tag


def test_a_requester_opening_the_back_office_is_sent_to_the_portal_with_a_message(requester):
    carol = logged_in(requester)

    for url in (reverse("admin:index"), reverse("admin:tickets_ticket_changelist"), LOGIN):
        response = carol.get(url)
        assert response.status_code == 302
        assert response["Location"] == PORTAL
    [message, *_rest] = list(get_messages(response.wsgi_request))
    assert str(message) == "The back office is for agents and admins. Here are your tickets in the support portal."
    assert "The back office is for agents and admins." in carol.get(PORTAL).content.decode()


def test_staff_and_visitors_are_not_redirected(agent, db):
    assert logged_in(agent).get(reverse("admin:index")).status_code == 200
    assert Client().get(reverse("admin:index"))["Location"].startswith(LOGIN)
