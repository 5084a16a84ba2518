"""Mail out, received by a real SMTP server (aiosmtpd): threaded notifications, watchers, files, failures."""

from email import message_from_bytes, policy

import pytest

from apps.mail.choices import Status
from apps.mail.models import Mailbox, MailMessage, Watcher
from apps.mail.outgoing import watchers_notify
from apps.mail.services import mail_ingest
from apps.mail.threads import reply_address
from apps.tickets.models import Comment, Ticket, TicketEvent
from apps.tickets.services import comment_add
from tests.mail import corpus
from tests.support import PDF

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailbox(it_dept):
    return Mailbox.objects.create(
        name="support", address="support@example.com", host="h", username="u", department=it_dept
    )


@pytest.fixture
def emailed_ticket(after_commit, mailbox, requester):
    with after_commit():
        mail_ingest(raw=corpus.message(message_id="<carol-1@example.com>", cc="boss@example.org"))
    return Ticket.objects.get()


def parsed(raw: bytes):
    return message_from_bytes(raw, policy=policy.default)


def to(smtp, address):
    return [parsed(raw) for _sender, rcpts, raw in smtp.received if address in rcpts]


def test_an_agent_reply_reaches_the_requester_threaded(after_commit, smtp_server, emailed_ticket, agent, requester):
    smtp_server.received.clear()
    with after_commit():
        comment_add(ticket=emailed_ticket, actor=agent, body="Please restart <the> printer.")

    [message] = to(smtp_server, "carol@example.com")
    ref = emailed_ticket.reference
    logged = MailMessage.objects.get(direction="out", ticket=emailed_ticket, headers="To: carol@example.com")
    assert message["Message-ID"] == logged.message_id
    # The ticket's earlier messages, oldest first (the watcher's copy of this reply may have gone out first).
    earlier = list(
        MailMessage.objects.filter(ticket=emailed_ticket, received_at__lte=logged.received_at)
        .exclude(pk=logged.pk)
        .order_by("received_at", "pk")
        .values_list("message_id", flat=True)
    )
    assert earlier[0] == "<carol-1@example.com>"
    assert (message["References"].split(), message["In-Reply-To"]) == (earlier, earlier[-1])
    assert f"[{ref}]" in message["Subject"]
    assert message["From"] == "IT Support <support@example.com>"
    assert message["Reply-To"] == reply_address(address="support@example.com", ticket_id=emailed_ticket.pk)
    assert message.get_body(("plain",)).get_content().count("Please restart <the> printer.") == 1
    html = message.get_body(("html",)).get_content()
    assert "Please restart &lt;the&gt; printer." in html
    assert (logged.status, logged.comment.body) == (Status.PROCESSED, "Please restart <the> printer.")


def test_the_requester_answers_that_mail_and_it_is_a_reply_on_the_ticket(
    after_commit, smtp_server, emailed_ticket, agent, requester
):
    with after_commit():
        comment_add(ticket=emailed_ticket, actor=agent, body="Does it work now?")
    [ours] = to(smtp_server, "carol@example.com")
    with after_commit():
        mail_ingest(raw=corpus.reply_to(ours["Message-ID"], body="Yes, thank you.\n\n> Does it work now?"))
    assert list(Comment.objects.order_by("pk").values_list("author", "body")) == [
        (agent.pk, "Does it work now?"),
        (requester.pk, "Yes, thank you."),
    ]


def test_watchers_get_public_replies_once_and_never_internal_notes(after_commit, smtp_server, emailed_ticket, agent):
    assert list(Watcher.objects.values_list("email", flat=True)) == ["boss@example.org"]
    smtp_server.received.clear()
    with after_commit():
        comment_add(ticket=emailed_ticket, actor=agent, body="Secret: the admin password is X", is_internal=True)
        reply = comment_add(ticket=emailed_ticket, actor=agent, body="We are on it.")

    [message] = to(smtp_server, "boss@example.org")
    assert "We are on it." in message.get_body(("plain",)).get_content()
    assert "Secret" not in str(smtp_server.received)
    assert message["References"].split()[0] == "<carol-1@example.com>"
    assert message["Reply-To"] == reply_address(address="support@example.com", ticket_id=emailed_ticket.pk)

    event = TicketEvent.objects.get(kind="commented", data__comment=reply.pk)
    assert watchers_notify(event_id=event.pk) == 0  # a retry sends nothing twice
    assert len(to(smtp_server, "boss@example.org")) == 1


def test_files_are_attached_up_to_the_limit(settings, after_commit, smtp_server, emailed_ticket, agent):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MAIL_ATTACHMENTS_MAX_BYTES = len(PDF) + 5
    smtp_server.received.clear()
    with after_commit():
        comment_add(
            ticket=emailed_ticket,
            actor=agent,
            body="Two files.",
            uploads=[
                SimpleUploadedFile("small.pdf", PDF, content_type="application/pdf"),
                SimpleUploadedFile("big.pdf", PDF + b"x" * 100, content_type="application/pdf"),
            ],
        )
    [message] = to(smtp_server, "carol@example.com")
    names = [part.get_filename() for part in message.iter_attachments()]
    assert names == ["small.pdf"]
    assert "big.pdf: too large to send" in message.get_body(("plain",)).get_content()


def test_a_failed_send_is_visible_in_the_mail_log(settings, after_commit, emailed_ticket, agent):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    with pytest.raises(ConnectionRefusedError), after_commit():
        comment_add(ticket=emailed_ticket, actor=agent, body="Hello")
    failed = MailMessage.objects.filter(direction="out", status=Status.FAILED)
    assert failed.count() >= 1
    assert failed.first().detail.startswith("ConnectionRefusedError")


def test_an_agent_answering_the_email_of_an_internal_note_writes_a_note(
    after_commit, smtp_server, emailed_ticket, agent, admin_user, requester
):
    with after_commit():
        comment_add(ticket=emailed_ticket, actor=admin_user, body="@alice please check the logs", is_internal=True)
    [mention] = to(smtp_server, "alice@example.com")
    assert "check the logs" in mention.get_body(("plain",)).get_content()
    smtp_server.received.clear()

    with after_commit():
        mail_ingest(raw=corpus.reply_to(mention["Message-ID"], sender="alice@example.com", body="Logs are clean."))

    note = Comment.objects.get(author=agent)
    assert (note.body, note.is_internal) == ("Logs are clean.", True)
    assert to(smtp_server, "carol@example.com") == []
    assert to(smtp_server, "boss@example.org") == []
