"""Editing and deleting one's own message outside the API: the back office's ticket page (apps/tickets/admin/
comments.py) and the portal's ticket page (apps/tickets/views.py), both through the API's services and rule."""

import datetime as dt
import re

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.tickets.choices import EventKind, Status
from apps.tickets.models import Comment, TicketEvent
from apps.tickets.services import comment_add, ticket_transfer, ticket_transition
from tests.support import db_state, logged_in

WINDOW = 900


@pytest.fixture(autouse=True)
def _window(settings):
    settings.COMMENT_EDIT_WINDOW = WINDOW


def page_url(ticket) -> str:
    return reverse("admin:tickets_ticket_change", args=[ticket.pk])


def admin_edit_url(comment) -> str:
    return reverse("admin:tickets_ticket_comment_edit", args=[comment.ticket_id, comment.pk])


def admin_delete_url(comment) -> str:
    return reverse("admin:tickets_ticket_comment_delete", args=[comment.ticket_id, comment.pk])


def portal_url(ticket) -> str:
    return reverse("portal:ticket_detail", args=[ticket.pk])


def portal_edit_url(comment) -> str:
    return reverse("portal:comment_edit", args=[comment.ticket_id, comment.pk])


def portal_delete_url(comment) -> str:
    return reverse("portal:comment_delete", args=[comment.ticket_id, comment.pk])


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def age(comment, seconds: int) -> None:
    Comment.objects.filter(pk=comment.pk).update(created_at=timezone.now() - dt.timedelta(seconds=seconds))


@pytest.fixture
def note(it_ticket, agent):
    return comment_add(ticket=it_ticket, actor=agent, body="Probably the 5.2 bug.", is_internal=True)


@pytest.fixture
def answer(it_ticket, agent):
    return comment_add(ticket=it_ticket, actor=agent, body="Please update the client.")


@pytest.fixture
def reply(it_ticket, requester):
    return comment_add(ticket=it_ticket, actor=requester, body="It drops at 10:00.")


# The back office ------------------------------------------------------------------------------------------------


def test_the_agents_own_messages_have_edit_and_delete_with_the_window(alice_client, note, answer, reply):
    age(answer, 11 * 60 + 30)  # 3 min 30 s left: "another 4 minutes"
    html = alice_client.get(page_url(note.ticket)).content.decode()

    tools = re.findall(r'<div class="tp-comment-tools">', html)
    assert len(tools) == 2  # the note and the reply of alice, not the requester's
    assert f'action="{admin_edit_url(note)}"' in html
    assert f'action="{admin_delete_url(note)}"' in html
    assert f'action="{admin_edit_url(answer)}"' in html
    assert f'action="{admin_edit_url(reply)}"' not in html
    assert "You can edit or delete this for another 15 minutes." in html
    assert "You can edit or delete this for another 4 minutes." in html
    assert html.count('name="csrfmiddlewaretoken"') >= 4  # each edit and delete form carries the token
    assert f'<textarea id="comment-{note.pk}-body" name="body"' in html
    assert ">\nProbably the 5.2 bug.</textarea>" in html
    assert '<summary class="tp-link">Delete</summary>' in html


def test_an_agent_edits_their_note_and_the_history_shows_the_old_text(alice_client, agent, note):
    response = alice_client.post(admin_edit_url(note), {"body": "It is the 5.3 bug."})

    assert response.status_code == 302
    assert response.url == f"{page_url(note.ticket)}#comment-{note.pk}"
    assert messages_of(response) == ["Your message was changed; the history keeps the old text."]
    note.refresh_from_db()
    assert (note.body, note.edited_at is not None) == ("It is the 5.3 bug.", True)
    event = TicketEvent.objects.get(kind=EventKind.COMMENT_EDITED)
    assert (event.actor, event.data, event.is_internal) == (
        agent,
        {"comment": note.pk, "from": "Probably the 5.2 bug.", "to": "It is the 5.3 bug."},
        True,
    )
    html = alice_client.get(page_url(note.ticket), {"history": "1"}).content.decode()
    assert (
        f'<li class="tp-event" data-kind="comment_edited"><span>{agent.get_full_name()} edited an internal note'
        '</span><details><summary>Previous text</summary><div class="tp-body">Probably the 5.2 bug.</div></details>'
    ) in html


def test_an_agent_deletes_their_reply_and_the_history_keeps_its_text(alice_client, agent, answer):
    ticket, pk = answer.ticket, answer.pk
    response = alice_client.post(admin_delete_url(answer))

    assert (response.status_code, response.url) == (302, f"{page_url(ticket)}#thread")
    assert messages_of(response) == ["Your message was deleted; the history keeps its text."]
    assert not Comment.objects.filter(pk=pk).exists()
    event = TicketEvent.objects.get(kind=EventKind.COMMENT_DELETED)
    assert (event.actor, event.data, event.is_internal) == (
        agent,
        {"comment": pk, "from": "Please update the client."},
        False,
    )
    html = alice_client.get(page_url(ticket), {"history": "1"}).content.decode()
    assert f'id="comment-{pk}"' not in html
    assert '<summary>Deleted text</summary><div class="tp-body">Please update the client.</div>' in html


def test_an_empty_edit_is_refused_and_nothing_changes(alice_client, note):
    before = db_state()
    response = alice_client.post(admin_edit_url(note), {"body": "  \n "})
    assert response.status_code == 302
    assert messages_of(response) == ["Write a message."]
    assert db_state() == before


def test_past_the_window_no_controls_and_the_urls_refuse(alice_client, note):
    age(note, WINDOW + 1)
    html = alice_client.get(page_url(note.ticket)).content.decode()
    assert "tp-comment-tools" not in html
    assert admin_edit_url(note) not in html

    before = db_state()
    assert alice_client.post(admin_edit_url(note), {"body": "Late"}).status_code == 403
    assert alice_client.post(admin_delete_url(note)).status_code == 403
    assert db_state() == before


def test_others_messages_refuse_and_out_of_scope_is_404(alice_client, bob_client, admin_browser, note, reply):
    before = db_state()
    # Someone else's message on a ticket one sees: 403 (as the API).
    assert alice_client.post(admin_edit_url(reply), {"body": "Mine now"}).status_code == 403
    assert alice_client.post(admin_delete_url(reply)).status_code == 403
    assert admin_browser.post(admin_edit_url(note), {"body": "Mine now"}).status_code == 403
    assert admin_browser.post(admin_delete_url(note)).status_code == 403
    # A ticket outside the agent's departments: 404, whatever the message.
    assert bob_client.post(admin_edit_url(note), {"body": "x"}).status_code == 404
    assert bob_client.post(admin_delete_url(note)).status_code == 404
    # A comment of another ticket under this ticket's URL: 404.
    url = reverse("admin:tickets_ticket_comment_edit", args=[note.ticket_id, note.pk + 1000])
    assert alice_client.post(url, {"body": "x"}).status_code == 404
    # Only POST.
    assert alice_client.get(admin_edit_url(note)).status_code == 405
    assert alice_client.get(admin_delete_url(note)).status_code == 405
    assert db_state() == before
    html = admin_browser.get(page_url(note.ticket)).content.decode()
    assert "tp-comment-tools" not in html


def test_an_agent_who_lost_write_access_cannot_edit(alice_client, agent, note, billing_dept):
    ticket_transfer(ticket=note.ticket, actor=agent, department=billing_dept)
    before = db_state()
    assert alice_client.post(admin_edit_url(note), {"body": "x"}).status_code == 404
    assert db_state() == before


def test_the_edit_needs_the_csrf_token(agent, note):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    before = db_state()
    assert client.post(admin_edit_url(note), {"body": "No token"}).status_code == 403
    assert db_state() == before
    html = client.get(page_url(note.ticket)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    response = client.post(admin_edit_url(note), {"body": "With the token", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Comment.objects.get(pk=note.pk).body == "With the token"


# The portal -----------------------------------------------------------------------------------------------------


def test_the_requester_sees_edit_and_delete_on_their_own_replies_only(carol, reply, answer, note):
    age(reply, 60)
    html = carol.get(portal_url(reply.ticket)).content.decode()

    assert html.count('class="post-tools"') == 1
    assert f'action="{portal_edit_url(reply)}"' in html
    assert f'action="{portal_delete_url(reply)}"' in html
    assert portal_edit_url(answer) not in html
    assert "You can edit or delete this reply for another 14 minutes." in html
    assert "Probably the 5.2 bug." not in html


def test_the_requester_edits_a_reply_and_the_history_shows_the_old_text(carol, requester, reply):
    response = carol.post(portal_edit_url(reply), {"body": "It drops at 11:00."})

    assert (response.status_code, response.url) == (302, f"{portal_url(reply.ticket)}#comment-{reply.pk}")
    assert messages_of(response) == ["Your reply was changed."]
    assert Comment.objects.get(pk=reply.pk).body == "It drops at 11:00."
    event = TicketEvent.objects.get(kind=EventKind.COMMENT_EDITED)
    assert (event.actor, event.data, event.is_internal) == (
        requester,
        {"comment": reply.pk, "from": "It drops at 10:00.", "to": "It drops at 11:00."},
        False,
    )
    html = carol.get(portal_url(reply.ticket)).content.decode()
    history = html[html.index('id="history"') :]
    assert "edited a reply" in history
    assert '<summary>Previous text</summary><div class="post-body">It drops at 10:00.</div>' in history


def test_the_requester_deletes_a_reply(carol, reply):
    ticket, pk = reply.ticket, reply.pk
    response = carol.post(portal_delete_url(reply))

    assert (response.status_code, response.url) == (302, f"{portal_url(ticket)}#conversation")
    assert messages_of(response) == ["Your reply was deleted."]
    assert not Comment.objects.filter(pk=pk).exists()
    event = TicketEvent.objects.get(kind=EventKind.COMMENT_DELETED)
    assert (event.data, event.is_internal) == ({"comment": pk, "from": "It drops at 10:00."}, False)
    html = carol.get(portal_url(ticket)).content.decode()
    assert f'id="comment-{pk}"' not in html
    assert '<summary>Deleted text</summary><div class="post-body">It drops at 10:00.</div>' in html


def test_the_portal_refuses_what_the_api_refuses_and_nothing_changes(carol, reply, answer, note, other_requester):
    dave = logged_in(other_requester)
    before = db_state()
    # The desk's reply: 403; an internal note does not exist for the requester: 404.
    assert carol.post(portal_edit_url(answer), {"body": "x"}).status_code == 403
    assert carol.post(portal_delete_url(answer)).status_code == 403
    assert carol.post(portal_edit_url(note), {"body": "x"}).status_code == 404
    assert carol.post(portal_delete_url(note)).status_code == 404
    # Another requester: the ticket does not exist for them.
    assert dave.post(portal_edit_url(reply), {"body": "x"}).status_code == 404
    assert dave.post(portal_delete_url(reply)).status_code == 404
    assert db_state() == before
    # Past the window: no controls, 403.
    age(reply, WINDOW + 1)
    before = db_state()
    assert "post-tools" not in carol.get(portal_url(reply.ticket)).content.decode()
    assert carol.post(portal_edit_url(reply), {"body": "Late"}).status_code == 403
    assert carol.post(portal_delete_url(reply)).status_code == 403
    assert carol.get(portal_edit_url(reply)).status_code == 405
    assert db_state() == before


def test_an_empty_portal_edit_is_refused(carol, reply):
    before = db_state()
    response = carol.post(portal_edit_url(reply), {"body": "   "})
    assert response.status_code == 302
    assert messages_of(response) == ["Write a message."]
    assert db_state() == before


def test_a_closed_ticket_ends_the_requesters_edits(carol, requester, reply):
    ticket_transition(ticket=reply.ticket, actor=requester, to_status=Status.CLOSED)
    assert "post-tools" not in carol.get(portal_url(reply.ticket)).content.decode()
    before = db_state()
    assert carol.post(portal_edit_url(reply), {"body": "x"}).status_code == 403
    assert db_state() == before
