"""The portal's ticket page: the public conversation, downloads, replies, close and reopen.

Another requester's ticket is a 404 everywhere; internal notes and their files never reach the page;
invalid replies save nothing.
"""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.tickets import services
from apps.tickets.choices import EventKind, Status
from apps.tickets.models import Attachment, Comment
from tests.support import (
    PDF,
    db_state,
    detail_url,
    logged_in,
    reply_url,
    transition_url,
)
from tests.tickets.factories import TicketFactory


def download_url(attachment) -> str:
    return reverse("portal:attachment_download", args=[attachment.ticket_id, attachment.pk])


@pytest.fixture
def dave(other_requester):
    return logged_in(other_requester)


# The ticket page -----------------------------------------------------------------------------------------------


def test_another_requesters_ticket_is_404_everywhere(dave, it_ticket):
    attachment = services.attachment_add(
        ticket=it_ticket, actor=it_ticket.requester, upload=SimpleUploadedFile("a.txt", b"secret")
    )
    before = db_state()

    assert dave.get(detail_url(it_ticket)).status_code == 404
    assert dave.get(download_url(attachment)).status_code == 404
    assert dave.post(reply_url(it_ticket), {"body": "mine now"}).status_code == 404
    assert dave.post(transition_url(it_ticket), {"to_status": "closed", "version": 1}).status_code == 404
    assert db_state() == before


def test_unknown_ticket_is_404(carol):
    assert carol.get("/tickets/999999/").status_code == 404


def test_ticket_page_shows_the_public_conversation(carol, requester, agent, it_ticket):
    services.comment_add(ticket=it_ticket, actor=agent, body="Please restart the router.")
    services.comment_add(ticket=it_ticket, actor=requester, body="Done, still broken.")

    response = carol.get(detail_url(it_ticket))
    html = response.content.decode()

    assert response.status_code == 200
    assert it_ticket.reference in html
    assert "It makes a grinding noise and stops.<br>Please help." in html
    assert html.index("Please restart the router.") < html.index("Done, still broken.")
    assert "Support team" in html


def test_internal_notes_and_their_files_never_render(carol, agent, it_ticket):
    services.comment_add(
        ticket=it_ticket,
        actor=agent,
        body="Internal: the requester's laptop is on the blacklist",
        is_internal=True,
        uploads=[SimpleUploadedFile("blacklist-export.csv", b"name,reason\ncarol,late")],
    )
    note_file = Attachment.objects.get(original_name="blacklist-export.csv")

    html = carol.get(detail_url(it_ticket)).content.decode()

    assert "blacklist" not in html
    assert "internal note" not in html.lower()
    assert carol.get(download_url(note_file)).status_code == 404


def test_history_in_plain_words(carol, requester, agent, it_ticket):
    agent.first_name, agent.last_name = "Alice", ""
    agent.save(update_fields=["first_name", "last_name"])
    services.ticket_assign(ticket=it_ticket, actor=agent, assignee=agent)
    for status in (Status.OPEN, Status.IN_PROGRESS, Status.WAITING):
        it_ticket = services.ticket_transition(ticket=it_ticket, actor=agent, to_status=status)

    history = [line.text for line in carol.get(detail_url(it_ticket)).context["history"]]

    assert history == [
        f"{requester.get_full_name()} opened the ticket",
        "Alice set the status to Open",
        "Alice set the status to In progress",
        "Alice set the status to Waiting for you",
    ]


def test_attachments_download_with_safe_headers(carol, requester, agent, it_ticket):
    services.comment_add(
        ticket=it_ticket, actor=agent, body="Here is the guide.", uploads=[SimpleUploadedFile("guide.pdf", PDF)]
    )
    attachment = Attachment.objects.get()

    html = carol.get(detail_url(it_ticket)).content.decode()
    response = carol.get(download_url(attachment))

    assert download_url(attachment) in html
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="guide.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF


def test_an_attachment_of_another_ticket_is_404(carol, requester, it_ticket, it_dept):
    mine_too = TicketFactory(requester=requester, department=it_dept)
    attachment = services.attachment_add(ticket=mine_too, actor=requester, upload=SimpleUploadedFile("a.txt", b"x"))
    url = reverse("portal:attachment_download", args=[it_ticket.pk, attachment.pk])
    assert carol.get(url).status_code == 404


# Replies -------------------------------------------------------------------------------------------------------


def test_replying_with_attachments(carol, requester, it_ticket):
    response = carol.post(
        reply_url(it_ticket),
        {"body": "It happened again.\r\nSee the log.", "attachments": [SimpleUploadedFile("vpn.log", b"drop")]},
    )

    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{detail_url(it_ticket)}#comment-{comment.pk}"
    assert (comment.author, comment.body, comment.is_internal) == (requester, "It happened again.\nSee the log.", False)
    assert list(comment.attachments.values_list("original_name", flat=True)) == ["vpn.log"]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"body": "   "}, {"body": ["This field is required."]}),
        (
            {"body": "See file", "attachments": [SimpleUploadedFile("evil.html", b"<script>")]},
            {
                "attachments": [
                    "Files of type “.html” are not accepted. Allowed: pdf, png, jpg, jpeg, gif, webp, txt, log, csv, "
                    "docx, xlsx, odt, zip."
                ]
            },
        ),
    ],
)
def test_an_invalid_reply_saves_nothing(carol, it_ticket, data, error):
    before = db_state()

    response = carol.post(reply_url(it_ticket), data)

    assert response.status_code == 200
    assert response.context["reply_form"].errors == error
    assert db_state() == before


def test_a_closed_ticket_takes_no_reply(carol, requester, it_ticket):
    services.ticket_transition(ticket=it_ticket, actor=requester, to_status=Status.CLOSED)
    before = db_state()

    page = carol.get(detail_url(it_ticket))
    response = carol.post(reply_url(it_ticket), {"body": "One more thing"})

    assert page.context["can_reply"] is False
    assert 'id="reply"' not in page.content.decode()
    assert response.context["reply_form"].non_field_errors() == ["This ticket is closed. Please open a new ticket."]
    assert db_state() == before


def test_reply_and_transition_need_post(carol, it_ticket):
    assert carol.get(reply_url(it_ticket)).status_code == 405
    assert carol.get(transition_url(it_ticket)).status_code == 405


# Close and reopen ----------------------------------------------------------------------------------------------


def buttons(response) -> list[str]:
    return re.findall(r'name="to_status" value="(\w+)"', response.content.decode())


def test_close_is_offered_on_a_new_ticket_and_works(carol, requester, it_ticket):
    assert buttons(carol.get(detail_url(it_ticket))) == [Status.CLOSED]

    response = carol.post(transition_url(it_ticket), {"to_status": "closed", "version": it_ticket.version})

    it_ticket.refresh_from_db()
    assert response.status_code == 302
    assert it_ticket.status == Status.CLOSED
    event = it_ticket.events.get(kind=EventKind.STATUS_CHANGED)
    assert (event.actor, event.data) == (requester, {"from": "new", "to": "closed"})
    assert buttons(carol.get(detail_url(it_ticket))) == []


def test_resolved_ticket_can_be_closed_or_reopened(carol, agent, it_ticket):
    for status in (Status.OPEN, Status.IN_PROGRESS, Status.RESOLVED):
        it_ticket = services.ticket_transition(ticket=it_ticket, actor=agent, to_status=status)

    assert buttons(carol.get(detail_url(it_ticket))) == [Status.OPEN, Status.CLOSED]

    carol.post(transition_url(it_ticket), {"to_status": "open", "version": it_ticket.version})

    it_ticket.refresh_from_db()
    assert it_ticket.status == Status.OPEN
    assert it_ticket.resolved_at is None


@pytest.mark.parametrize("status", [Status.IN_PROGRESS, Status.WAITING])
def test_close_is_offered_while_the_desk_works_and_a_forged_reopen_changes_nothing(carol, agent, it_ticket, status):
    it_ticket = services.ticket_transition(ticket=it_ticket, actor=agent, to_status=status)
    before = db_state()

    assert buttons(carol.get(detail_url(it_ticket))) == [Status.CLOSED]
    response = carol.post(transition_url(it_ticket), {"to_status": "open", "version": it_ticket.version})

    assert response.status_code == 403
    assert db_state() == before

    response = carol.post(transition_url(it_ticket), {"to_status": "closed", "version": it_ticket.version})

    it_ticket.refresh_from_db()
    assert response.status_code == 302
    assert it_ticket.status == Status.CLOSED
    event = it_ticket.events.filter(kind=EventKind.STATUS_CHANGED).latest("pk")
    assert event.data == {"from": status, "to": "closed"}


def test_a_stale_page_does_not_change_the_status(carol, agent, it_ticket):
    stale_version = it_ticket.version
    services.ticket_transition(ticket=it_ticket, actor=agent, to_status=Status.OPEN)
    before = db_state()

    response = carol.post(transition_url(it_ticket), {"to_status": "closed", "version": stale_version}, follow=True)

    assert "The ticket changed in the meantime." in response.content.decode()
    assert db_state() == before
