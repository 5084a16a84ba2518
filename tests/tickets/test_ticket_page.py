"""The back office's ticket page (apps/tickets/admin/page.py): thread, composer, side panel, as agent alice."""

import re

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.accounts.choices import Role
from apps.tickets import events, extensions, services
from apps.tickets.choices import EventKind, Priority, Status
from apps.tickets.extensions import AdminPanel
from apps.tickets.models import Comment, Ticket
from tests.accounts.factories import UserFactory
from tests.support import assert_constant_queries, db_state
from tests.tickets.factories import TicketFactory

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def page_url(ticket) -> str:
    return reverse("admin:tickets_ticket_change", args=[ticket.pk])


def send_url(ticket) -> str:
    return reverse("admin:tickets_ticket_send", args=[ticket.pk])


def property_url(ticket) -> str:
    return reverse("admin:tickets_ticket_property", args=[ticket.pk])


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def in_progress(ticket, actor) -> Ticket:
    ticket = services.ticket_transition(ticket=ticket, actor=actor, to_status=Status.OPEN)
    return services.ticket_transition(ticket=ticket, actor=actor, to_status=Status.IN_PROGRESS)


def kinds(ticket) -> list[str]:
    return list(ticket.events.order_by("pk").values_list("kind", flat=True))


# The page ---------------------------------------------------------------------------------------------------


def test_the_page_leads_with_the_conversation(alice_client, agent, requester, it_ticket):
    services.comment_add(ticket=it_ticket, actor=requester, body="Still broken.")
    services.comment_add(ticket=it_ticket, actor=agent, body="Check the gateway.", is_internal=True)

    response = alice_client.get(page_url(it_ticket))
    html = response.content.decode()

    assert response.status_code == 200
    # The page's own template (the first rendered in a process may be the kept sidebar's).
    assert "admin/tickets/ticket/page.html" in [template.name for template in response.templates]
    assert f'<span id="ticket-reference" class="tp-reference">{it_ticket.reference}</span>' in html
    assert '<h1 id="ticket-title" class="tp-title">VPN drops every hour</h1>' in html
    assert f'href="mailto:{requester.email}"' in html
    assert f"?q={requester.email}" in html  # the requester's other tickets
    # The description first, then the messages, oldest first; the note marked as one.
    thread = html[html.index('<ol id="thread"') :]
    positions = [thread.index(text) for text in ("It makes a grinding noise", "Still broken.", "Check the gateway.")]
    assert positions == sorted(positions)
    assert re.search(r'<li id="comment-\d+" class="tp-message ticket-note">', html)
    # The composer and its three buttons; the requester's text is not an input of the page but in "Edit".
    assert 'id="composer-body"' in html
    assert 'value="send"' in html
    assert 'value="resolve"' in html
    assert 'value="wait"' in html
    assert 'id="details-title"' in html
    assert 'name="title"' in html and html.index('id="details-title"') > html.index("Edit title and description")


def test_the_page_shows_images_as_thumbnails_and_other_files_by_name(alice_client, agent, it_ticket):
    services.comment_add(
        ticket=it_ticket,
        actor=agent,
        body="Screenshot and log.",
        uploads=[SimpleUploadedFile("screen.png", PNG), SimpleUploadedFile("vpn.log", b"dropped\n")],
    )
    html = alice_client.get(page_url(it_ticket)).content.decode()

    assert re.search(r'<img src="/admin/tickets/ticket/\d+/attachments/\d+/download/" alt="screen.png"', html)
    assert 'alt="vpn.log"' not in html
    assert ">vpn.log</a>" in html
    assert "8\xa0bytes" in html


@pytest.mark.parametrize("history", ["", "1"])
def test_the_page_costs_the_same_queries_at_2_and_30_messages(alice_client, agent, requester, it_ticket, history):
    # Other tickets do not change the count either.
    TicketFactory.create_batch(3, department=it_ticket.department, requester=requester)

    def add_messages(count):
        for n in range(count):
            internal = n % 3 == 0
            upload = [SimpleUploadedFile(f"f{n}.txt", b"x")] if n % 2 else []
            services.comment_add(
                ticket=it_ticket, actor=agent, body=f"Message {n} @alice", is_internal=internal, uploads=upload
            )

    alice_client.get(page_url(it_ticket), {"history": history})  # warm the per-process caches
    measured = assert_constant_queries(
        lambda: alice_client.get(page_url(it_ticket), {"history": history}), add_rows=add_messages
    )
    html = measured.many.content.decode()
    assert html.count('class="tp-message-head"') == 31  # the description and 30
    assert html.count('class="tp-event"') == (0 if history == "" else it_ticket.events.count())


def test_a_view_only_agent_reads_the_page_without_forms(alice_client, agent, billing_dept):
    own_request = TicketFactory(department=billing_dept, requester=agent)

    response = alice_client.get(page_url(own_request))
    html = response.content.decode()

    assert response.status_code == 200
    assert 'id="composer-body"' not in html
    assert 'name="field"' not in html
    before = db_state()
    assert alice_client.post(send_url(own_request), {"body": "x", "kind": "reply", "action": "send"}).status_code == 403
    assert db_state() == before


def test_the_pages_forms_are_404_outside_the_scope(alice_client, billing_ticket):
    before = db_state()
    assert (
        alice_client.post(send_url(billing_ticket), {"body": "x", "kind": "reply", "action": "send"}).status_code == 404
    )
    data = {"field": "status", "value": "open", "version": "1"}
    assert alice_client.post(property_url(billing_ticket), data).status_code == 404
    assert db_state() == before


def test_a_composer_panel_is_rendered_inside_the_composer(alice_client, it_ticket, settings, tmp_path):
    template = tmp_path / "canned.html"
    template.write_text('<button type="button" id="canned-tool">{{ canned_label }}</button>')
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], str(tmp_path)]}]
    panel = AdminPanel(
        name="test-canned", template="canned.html", column="composer", context=lambda *args: {"canned_label": "Canned"}
    )
    extensions.admin_ticket_panels.register(panel)
    try:
        html = alice_client.get(page_url(it_ticket)).content.decode()
    finally:
        extensions.admin_ticket_panels._entries.pop("test-canned")

    composer = html[html.index('<section id="composer"') :]
    assert '<button type="button" id="canned-tool">Canned</button>' in composer
    assert composer.index('id="canned-tool"') < composer.index('id="composer-body"')


# The composer -----------------------------------------------------------------------------------------------


def test_send_adds_a_reply_and_leaves_the_status(alice_client, agent, it_ticket):
    response = alice_client.post(send_url(it_ticket), {"body": "We are on it.", "kind": "reply", "action": "send"})

    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{page_url(it_ticket)}?sent=1#comment-{comment.pk}"
    assert (comment.author, comment.body, comment.is_internal) == (agent, "We are on it.", False)
    it_ticket.refresh_from_db()
    assert (it_ticket.status, it_ticket.version) == (Status.NEW, 1)
    assert messages_of(response) == ["The reply was sent."]


def test_send_and_wait_is_one_reply_and_one_status_change(alice_client, agent, it_ticket):
    ticket = in_progress(it_ticket, agent)
    before = kinds(ticket)

    response = alice_client.post(send_url(ticket), {"body": "Which version?", "kind": "reply", "action": "wait"})

    ticket.refresh_from_db()
    assert response.status_code == 302
    assert ticket.status == Status.WAITING
    assert kinds(ticket)[len(before) :] == [EventKind.COMMENTED, EventKind.STATUS_CHANGED]
    assert ticket.events.order_by("pk").last().data == {"from": "in_progress", "to": "waiting"}
    assert messages_of(response) == ["The reply was sent. The ticket is now “Waiting for requester”."]


def test_send_and_resolve_an_internal_note(alice_client, agent, it_ticket):
    ticket = in_progress(it_ticket, agent)

    alice_client.post(send_url(ticket), {"body": "Fixed on the gateway.", "kind": "note", "action": "resolve"})

    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert list(ticket.comments.values_list("body", "is_internal")) == [("Fixed on the gateway.", True)]


def test_send_and_wait_from_new_follows_the_lifecycle(alice_client, agent, it_ticket):
    alice_client.post(send_url(it_ticket), {"body": "Which version?", "kind": "reply", "action": "wait"})

    it_ticket.refresh_from_db()
    assert it_ticket.status == Status.WAITING
    moves = it_ticket.events.filter(kind=EventKind.STATUS_CHANGED).order_by("pk").values_list("data", flat=True)
    assert [move["to"] for move in moves] == services.status_path(Status.NEW, Status.WAITING)
    assert [move["to"] for move in moves][-1] == Status.WAITING


def test_one_click_send_is_one_transaction(agent, it_ticket):
    """A failure injected in the status change (a listener of the event bus failing on the status event) leaves
    no comment, no event and the same version."""
    ticket = in_progress(it_ticket, agent)
    before = db_state()

    def fail_on_status(written):
        if any(event.kind == EventKind.STATUS_CHANGED for event in written):
            raise RuntimeError("injected failure in the status change")

    events.listen("test-failure", fail_on_status)
    try:
        with pytest.raises(RuntimeError, match="injected failure"):
            services.comment_send(ticket=ticket, actor=agent, body="Done.", to_status=Status.RESOLVED)
    finally:
        events._listeners.pop("test-failure")

    assert db_state() == before
    assert Comment.objects.count() == 0


def test_an_impossible_status_refuses_the_whole_send(agent, it_ticket):
    ticket = in_progress(it_ticket, agent)
    before = db_state()
    with pytest.raises(ValidationError) as refused:
        services.comment_send(ticket=ticket, actor=agent, body="Done.", to_status=Status.NEW)
    assert refused.value.messages == ["A ticket cannot move from “In progress” to “New”."]
    assert db_state() == before


def test_a_reply_with_wait_on_a_closed_ticket_reopens_it_along_the_lifecycle(alice_client, agent, it_ticket):
    ticket = services.ticket_transition(ticket=it_ticket, actor=agent, to_status=Status.CLOSED)

    alice_client.post(send_url(ticket), {"body": "One more question.", "kind": "reply", "action": "wait"})

    ticket.refresh_from_db()
    moves = ticket.events.filter(kind=EventKind.STATUS_CHANGED).order_by("pk").values_list("data", flat=True)
    assert [(move["from"], move["to"]) for move in moves][1:] == [
        ("closed", "open"),
        ("open", "in_progress"),
        ("in_progress", "waiting"),
    ]


def test_an_empty_message_sends_nothing(alice_client, it_ticket):
    before = db_state()
    response = alice_client.post(send_url(it_ticket), {"body": "  ", "kind": "reply", "action": "resolve"})
    assert messages_of(response) == ["Write a message."]
    assert db_state() == before


def test_mentions_that_reach_nobody_are_listed_back(alice_client, agent, requester, other_agent, it_dept, it_ticket):
    UserFactory(username="dave.it", role=Role.AGENT, departments=[it_dept])

    response = alice_client.post(
        send_url(it_ticket),
        {
            "body": "@dave.it and @bob, see @carol's note; @nobody. Mail bob@example.com",
            "kind": "note",
            "action": "send",
        },
    )

    assert messages_of(response) == [
        "The internal note was added.",
        "These mentions reached nobody (no such agent, or no access to this ticket): @bob, @carol, @nobody",
    ]


def test_mentions_in_a_public_reply_notify_nobody(alice_client, it_ticket):
    response = alice_client.post(send_url(it_ticket), {"body": "Thanks @alice", "kind": "reply", "action": "send"})
    assert messages_of(response)[-1] == "Mentions only notify agents from internal notes; nobody was told about @alice"


# The side panel ---------------------------------------------------------------------------------------------


def test_a_property_changes_on_its_own_with_the_version(alice_client, agent, it_ticket):
    response = alice_client.post(property_url(it_ticket), {"field": "priority", "value": "high", "version": "1"})

    it_ticket.refresh_from_db()
    assert response.status_code == 302
    assert (it_ticket.priority, it_ticket.version, it_ticket.status) == (Priority.HIGH, 2, Status.NEW)
    assert messages_of(response) == ["Priority: High"]


def test_a_stale_version_is_refused_with_the_current_value(alice_client, agent, it_ticket):
    services.ticket_update(ticket=it_ticket, actor=agent, priority=Priority.URGENT)  # someone else, meanwhile
    before = db_state()

    response = alice_client.post(property_url(it_ticket), {"field": "priority", "value": "low", "version": "1"})

    assert response.status_code == 302
    assert messages_of(response) == [
        "Someone else changed this ticket in the meantime, so your change was not saved: Priority is now "
        "“Urgent” (you chose “Low”). Choose again if you still want it."
    ]
    assert db_state() == before


def test_an_illegal_status_is_refused(alice_client, it_ticket):
    before = db_state()
    response = alice_client.post(property_url(it_ticket), {"field": "status", "value": "resolved", "version": "1"})
    assert messages_of(response) == ["A ticket cannot move from “New” to “Resolved”."]
    assert db_state() == before


def test_assign_to_me(alice_client, agent, it_ticket):
    html = alice_client.get(page_url(it_ticket)).content.decode()
    assert 'id="assign-to-me"' in html

    alice_client.post(property_url(it_ticket), {"field": "assignee", "value": "me", "version": "1"})

    it_ticket.refresh_from_db()
    assert it_ticket.assignee == agent
    assert 'id="assign-to-me"' not in alice_client.get(page_url(it_ticket)).content.decode()


def test_assignee_choices_list_the_department_first(alice_client, agent, other_agent, it_ticket):
    html = alice_client.get(page_url(it_ticket)).content.decode()
    select = html[html.index('id="property-assignee"') :]
    select = select[: select.index("</select>")]
    members, outside = select.split("<optgroup")[1:3]
    assert f'value="{agent.pk}"' in members and f'value="{other_agent.pk}"' not in members
    assert f'value="{other_agent.pk}"' in outside


def test_assigning_someone_outside_the_department_asks_first(alice_client, agent, other_agent, it_ticket):
    data = {"field": "assignee", "value": str(other_agent.pk), "version": "1"}
    before = db_state()

    asked = alice_client.post(property_url(it_ticket), data)

    assert asked.status_code == 200
    assert "gives them access to this ticket" in asked.content.decode()
    assert db_state() == before

    confirmed = alice_client.post(property_url(it_ticket), {**data, "confirm": "1"})

    it_ticket.refresh_from_db()
    assert confirmed.status_code == 302
    assert it_ticket.assignee == other_agent


def test_a_transfer_says_beforehand_who_it_unassigns(alice_client, agent, billing_dept, it_ticket):
    ticket = services.ticket_assign(ticket=it_ticket, actor=agent, assignee=agent)
    html = alice_client.get(page_url(ticket)).content.decode()
    assert f'<option value="{billing_dept.pk}" data-unassigns>Billing' in html

    alice_client.post(property_url(ticket), {"field": "department", "value": str(billing_dept.pk), "version": "2"})

    ticket.refresh_from_db()
    assert (ticket.department, ticket.assignee) == (billing_dept, None)
    unassigned = ticket.events.filter(kind=EventKind.ASSIGNED).order_by("pk").last()
    assert unassigned.data == {"from": agent.pk, "to": None, "reason": "transfer"}


def test_a_transfer_keeps_an_assignee_who_is_a_member(admin_browser, agent, billing_dept, it_ticket):
    agent.groups.add(billing_dept.group)
    ticket = services.ticket_assign(ticket=it_ticket, actor=agent, assignee=agent)
    html = admin_browser.get(page_url(ticket)).content.decode()
    assert f'<option value="{billing_dept.pk}">Billing' in html

    admin_browser.post(property_url(ticket), {"field": "department", "value": str(billing_dept.pk), "version": "2"})

    ticket.refresh_from_db()
    assert (ticket.department, ticket.assignee) == (billing_dept, agent)


def test_editing_the_requesters_text_keeps_the_old_text(alice_client, agent, it_ticket):
    url = reverse("admin:tickets_ticket_details", args=[it_ticket.pk])
    old = it_ticket.description

    alice_client.post(url, {"title": "VPN drops hourly", "description": "Clearer text.", "version": "1"})

    it_ticket.refresh_from_db()
    assert (it_ticket.title, it_ticket.description) == ("VPN drops hourly", "Clearer text.")
    edit = it_ticket.events.get(kind=EventKind.UPDATED)
    assert edit.data == {"changes": {"title": ["VPN drops every hour", "VPN drops hourly"], "description": [old, None]}}
    html = alice_client.get(page_url(it_ticket), {"history": "1"}).content.decode()
    assert f"{agent.get_full_name() or agent.username} edited the title and description" in html
    assert "Previous description" in html


def test_a_stale_edit_of_the_text_keeps_the_agents_draft(alice_client, agent, it_ticket):
    services.ticket_update(ticket=it_ticket, actor=agent, priority=Priority.HIGH)
    url = reverse("admin:tickets_ticket_details", args=[it_ticket.pk])
    before = db_state()

    response = alice_client.post(url, {"title": "My title", "description": "My text.", "version": "1"}, follow=True)

    assert db_state() == before
    html = response.content.decode()
    assert 'value="My title"' in html
    assert ">My text.</textarea>" in html
