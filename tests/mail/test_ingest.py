"""From a message to a ticket, a reply or a recorded rejection (apps/mail/services.py), and the bad-input corpus."""

import pytest
from django.core import mail as outbox
from django.urls import reverse

from apps.accounts.models import User
from apps.mail.choices import Outcome, Reason, Status
from apps.mail.models import Mailbox, MailMessage, Watcher
from apps.mail.services import mail_ingest, mail_resubmit
from apps.mail.threads import reply_address
from apps.tickets import permissions as ticket_perms
from apps.tickets.choices import EventKind, Source
from apps.tickets.models import Attachment, Comment, Ticket, TicketEvent
from tests.mail import corpus
from tests.support import db_state

pytestmark = pytest.mark.django_db


def ingest(raw: bytes, **kw) -> MailMessage:
    return mail_ingest(raw=raw, **kw).message


def test_a_message_from_a_requester_opens_a_ticket(it_dept, requester):
    logged = ingest(corpus.message(message_id="<first@example.com>"))

    ticket = Ticket.objects.get()
    assert (ticket.title, ticket.description) == ("Printer is broken", "The printer on floor 2 is jammed.")
    assert (ticket.requester, ticket.department, ticket.source) == (requester, it_dept, Source.EMAIL)
    assert (logged.status, logged.outcome, logged.ticket, logged.sender) == (
        Status.PROCESSED,
        Outcome.TICKET,
        ticket,
        "carol@example.com",
    )
    assert logged.message_id == "<first@example.com>"
    assert bytes(logged.raw).startswith(b"From: carol@example.com")


def test_the_mailbox_department_takes_the_ticket(it_dept, billing_dept, requester):
    box = Mailbox.objects.create(
        name="billing", address="billing@example.com", host="h", username="u", department=billing_dept
    )
    logged = ingest(corpus.message(), mailbox=box)
    assert (logged.ticket.department, logged.mailbox) == (billing_dept, box)


def test_the_same_message_twice_is_processed_once(it_dept, requester):
    raw = corpus.message(message_id="<twice@example.com>")
    first = mail_ingest(raw=raw)
    again = mail_ingest(raw=raw)
    assert (first.duplicate, again.duplicate, again.message.pk) == (False, True, first.message.pk)
    assert Ticket.objects.count() == 1
    assert MailMessage.objects.count() == 1


def test_without_a_message_id_the_bytes_make_it_idempotent(it_dept, requester):
    raw = corpus.message(message_id=False)
    mail_ingest(raw=raw)
    assert mail_ingest(raw=raw).duplicate is True
    assert Ticket.objects.count() == 1
    assert MailMessage.objects.get().key.startswith("sha256:")


def test_a_reply_by_in_reply_to_becomes_a_comment_without_the_quoted_history(it_dept, requester):
    ingest(corpus.message(message_id="<orig@example.com>"))
    ticket = Ticket.objects.get()
    body = "Thanks, that works.\n\nOn Mon, 1 Jan 2024 at 10:00, Support <support@example.com> wrote:\n> old text\n"
    logged = ingest(corpus.reply_to("<orig@example.com>", body=body))

    comment = Comment.objects.get()
    assert (comment.ticket, comment.author, comment.body, comment.is_internal) == (
        ticket,
        requester,
        "Thanks, that works.",
        False,
    )
    assert (logged.outcome, logged.ticket, logged.comment) == (Outcome.REPLY, ticket, comment)
    assert Ticket.objects.count() == 1


def test_a_reply_to_the_signed_address_finds_the_ticket(it_dept, requester):
    ingest(corpus.message())
    ticket = Ticket.objects.get()
    ingest(corpus.message(to=reply_address(address="support@example.com", ticket_id=ticket.pk), subject="More"))
    assert list(Comment.objects.values_list("ticket", "body")) == [(ticket.pk, "The printer on floor 2 is jammed.")]


def test_a_guessed_reply_address_is_a_new_ticket(it_dept, requester):
    ingest(corpus.message())
    ticket = Ticket.objects.get()
    ingest(corpus.message(to=f"support+{ticket.pk}-0123456789abcdef0123@example.com", subject="More"))
    assert Comment.objects.count() == 0
    assert Ticket.objects.count() == 2


def test_the_reference_in_the_subject_finds_the_ticket(it_dept, requester):
    ingest(corpus.message())
    ticket = Ticket.objects.get()
    ingest(corpus.message(subject=f"Re: [{ticket.reference}] Printer is broken", body="Still broken."))
    assert list(Comment.objects.values_list("ticket", "body")) == [(ticket.pk, "Still broken.")]


def test_an_agent_who_can_change_the_ticket_replies_publicly(it_dept, requester, agent):
    ingest(corpus.message(message_id="<orig@example.com>"))
    ingest(corpus.reply_to("<orig@example.com>", sender="alice@example.com", body="Fixed it."))
    comment = Comment.objects.get()
    assert (comment.author, comment.body, comment.is_internal) == (agent, "Fixed it.", False)
    assert Ticket.objects.get().first_responded_at == comment.created_at


def test_a_forged_in_reply_to_of_someone_elses_ticket_opens_a_ticket_of_the_sender(it_dept, requester, other_requester):
    ingest(corpus.message(message_id="<carols@example.com>", body="Carol's private problem"))
    carols = Ticket.objects.get()
    before = TicketEvent.objects.filter(ticket=carols).count()

    logged = ingest(corpus.reply_to("<carols@example.com>", sender="dave@example.com", body="Let me in"))

    assert Comment.objects.count() == 0
    assert TicketEvent.objects.filter(ticket=carols).count() == before
    daves = Ticket.objects.exclude(pk=carols.pk).get()
    assert (daves.requester, daves.description, logged.outcome, logged.ticket) == (
        other_requester,
        "Let me in",
        Outcome.TICKET,
        daves,
    )
    assert not ticket_perms.can_view_ticket(other_requester, carols)
    assert "may not write on" in logged.detail


def test_a_forged_reply_is_rejected_when_new_tickets_from_replies_are_off(
    settings, it_dept, requester, other_requester
):
    settings.MAIL_UNKNOWN_REPLY_NEW_TICKET = False
    ingest(corpus.message(message_id="<carols@example.com>"))
    logged = ingest(corpus.reply_to("<carols@example.com>", sender="dave@example.com"))
    assert (logged.status, logged.reason) == (Status.REJECTED, Reason.NOT_ALLOWED)
    assert (Ticket.objects.count(), Comment.objects.count()) == (1, 0)


def test_a_reply_to_a_closed_ticket_opens_a_new_one(it_dept, requester):
    ingest(corpus.message(message_id="<orig@example.com>"))
    Ticket.objects.update(status="closed")
    ingest(corpus.reply_to("<orig@example.com>"))
    assert (Ticket.objects.count(), Comment.objects.count()) == (2, 0)


def test_a_new_sender_gets_a_requester_account_that_can_reset_its_password(client, it_dept):
    ingest(corpus.message(sender="Erin Example <Erin@Example.org>"))
    erin = User.objects.get(email="erin@example.org")
    assert (erin.role, erin.first_name, erin.last_name, erin.has_usable_password()) == (
        "requester",
        "Erin",
        "Example",
        False,
    )
    assert Ticket.objects.get().requester == erin

    response = client.post(reverse("accounts:password_reset"), {"email": "erin@example.org"})
    assert response.status_code == 302
    assert [m.to for m in outbox.outbox] == [["erin@example.org"]]


def test_new_senders_are_rejected_when_accounts_are_not_created(settings, it_dept):
    settings.MAIL_CREATE_REQUESTERS = False
    logged = ingest(corpus.message(sender="erin@example.org"))
    assert (logged.status, logged.reason) == (Status.REJECTED, Reason.UNKNOWN_SENDER)
    assert not User.objects.filter(email="erin@example.org").exists()
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize("blocked", [["spam@example.com"], ["example.com"], ["@example.com"]])
def test_blocked_senders_and_domains_are_rejected(settings, it_dept, blocked):
    settings.MAIL_BLOCKED_SENDERS = blocked
    logged = ingest(corpus.message(sender="spam@example.com"))
    assert (logged.status, logged.reason) == (Status.REJECTED, Reason.BLOCKED)
    assert (Ticket.objects.count(), User.objects.filter(email="spam@example.com").count()) == (0, 0)


@pytest.mark.parametrize(
    "header",
    [
        {"Auto-Submitted": "auto-replied"},
        {"X-Autoreply": "yes"},
        {"Precedence": "bulk"},
        {"Precedence": "list"},
        {"X-Auto-Response-Suppress": "All"},
    ],
)
def test_automatic_mail_is_recorded_not_turned_into_tickets(it_dept, requester, header):
    logged = ingest(corpus.message(headers=header))
    assert (logged.status, logged.reason, Ticket.objects.count()) == (Status.REJECTED, Reason.AUTO_REPLY, 0)


def test_auto_submitted_no_is_a_person(it_dept, requester):
    assert ingest(corpus.message(headers={"Auto-Submitted": "no"})).status == Status.PROCESSED


def test_mail_from_our_own_address_is_a_loop(it_dept):
    Mailbox.objects.create(name="support", address="support@example.com", host="h", username="u")
    logged = ingest(corpus.message(sender="support+3-abc@example.com"))
    assert (logged.status, logged.reason, Ticket.objects.count()) == (Status.REJECTED, Reason.LOOP, 0)


def test_more_than_the_hourly_limit_from_one_sender_is_recorded_only(settings, it_dept, requester):
    settings.MAIL_MAX_PER_SENDER_PER_HOUR = 2
    results = [ingest(corpus.message(subject=f"Number {n}")) for n in range(3)]
    assert [r.status for r in results] == [Status.PROCESSED, Status.PROCESSED, Status.REJECTED]
    assert results[2].reason == Reason.RATE
    assert Ticket.objects.count() == 2


def test_an_inactive_account_is_rejected(it_dept, requester):
    User.objects.filter(pk=requester.pk).update(is_active=False)
    logged = ingest(corpus.message())
    assert (logged.status, logged.reason, Ticket.objects.count()) == (Status.REJECTED, Reason.INACTIVE, 0)


def test_cc_addresses_become_watchers(it_dept, requester, other_requester):
    Mailbox.objects.create(name="support", address="support@example.com", host="h", username="u")
    ingest(corpus.message(cc="dave@example.com, Boss <boss@example.org>, support@example.com"))
    ticket = Ticket.objects.get()
    assert sorted(Watcher.objects.values_list("email", "user")) == [
        ("boss@example.org", None),
        ("dave@example.com", other_requester.pk),
    ]
    assert ticket_perms.can_view_ticket(other_requester, ticket)
    event = TicketEvent.objects.get(kind=EventKind.WATCHER_ADDED)
    assert (event.actor, event.data, event.is_internal) == (requester, {"user": other_requester.pk}, True)


def test_a_watcher_replies_into_the_ticket(it_dept, requester, other_requester, agent):
    ingest(corpus.message(message_id="<orig@example.com>", cc="dave@example.com"))
    ticket = Ticket.objects.get()

    logged = ingest(corpus.reply_to("<orig@example.com>", sender="dave@example.com", body="Same here."))

    comment = Comment.objects.get()
    assert (comment.ticket, comment.author, comment.body, comment.is_internal) == (
        ticket,
        other_requester,
        "Same here.",
        False,
    )
    assert (logged.outcome, logged.ticket) == (Outcome.REPLY, ticket)
    assert Ticket.objects.count() == 1
    assert Ticket.objects.get().first_responded_at is None  # a watcher is not the support team
    # A watcher writes public replies only, and not once the ticket is closed (like the requester).
    assert not ticket_perms.can_comment(other_requester, ticket, internal=True)
    Ticket.objects.update(status="closed")
    assert not ticket_perms.can_comment(other_requester, Ticket.objects.get(), internal=False)


def test_a_watcher_who_can_no_longer_see_the_ticket_cannot_reply(it_dept, requester, other_requester):
    ingest(corpus.message(message_id="<orig@example.com>", cc="dave@example.com"))
    ticket = Ticket.objects.get()
    ticket_perms.user_grants_revoke(user=other_requester)  # the view grant is gone; the Watcher row stays
    assert not ticket_perms.can_comment(other_requester, ticket, internal=False)


def test_watchers_are_limited(settings, it_dept, requester):
    settings.MAIL_MAX_WATCHERS = 2
    ingest(corpus.message(cc="a@example.org, b@example.org, c@example.org"))
    assert sorted(Watcher.objects.values_list("email", flat=True)) == ["a@example.org", "b@example.org"]


def test_attachments_go_through_the_upload_rules(it_dept, requester):
    files = [
        ("screen.png", corpus.PNG, ("image", "png")),
        ("tool.exe", b"MZ\x90\x00", ("application", "octet-stream")),
        ("fake.pdf", b"MZ\x90\x00", ("application", "pdf")),
    ]
    logged = ingest(corpus.message(files=files))
    ticket = Ticket.objects.get()
    assert list(Attachment.objects.values_list("ticket", "original_name", "content_type", "uploaded_by")) == [
        (ticket.pk, "screen.png", "image/png", requester.pk)
    ]
    assert logged.status == Status.PROCESSED
    assert logged.detail.count("File refused") == 2


def test_a_reply_keeps_its_files_on_the_comment(it_dept, requester):
    ingest(corpus.message(message_id="<orig@example.com>"))
    ingest(corpus.reply_to("<orig@example.com>", files=[("shot.png", corpus.PNG, ("image", "png"))]))
    comment = Comment.objects.get()
    assert list(Attachment.objects.values_list("comment", "original_name")) == [(comment.pk, "shot.png")]


# ---- The bad-input corpus ------------------------------------------------------------------------------------


def test_broken_mime_still_becomes_a_ticket(it_dept, requester):
    logged = ingest(corpus.BROKEN_MIME)
    assert (logged.status, logged.outcome) == (Status.PROCESSED, Outcome.TICKET)
    assert Ticket.objects.get().title == "Broken MIME"


@pytest.mark.parametrize("raw", [corpus.NO_FROM, corpus.MALFORMED_FROM])
def test_missing_or_malformed_from_is_rejected(it_dept, raw):
    state = db_state()
    logged = ingest(raw)
    assert (logged.status, logged.reason) == (Status.REJECTED, Reason.NO_SENDER)
    assert db_state() == state


def test_eight_bit_headers_are_read(it_dept):
    ingest(corpus.EIGHT_BIT_HEADERS)
    ticket = Ticket.objects.get()
    assert ticket.title == "Drucker geht nicht – Yazıcı bozuk"
    assert ticket.description == "Der Drucker ist kaputt. Yazıcı çalışmıyor."
    assert (ticket.requester.email, ticket.requester.first_name) == ("guen@example.com", "Müller")


def test_an_unknown_charset_is_read_as_well_as_it_can(it_dept, requester):
    ingest(corpus.UNKNOWN_CHARSET)
    assert Ticket.objects.get().description == "Café machine is broken"


def test_html_only_mail_becomes_safe_text(it_dept, requester):
    ingest(corpus.HTML_SCRIPT)
    description = Ticket.objects.get().description
    assert description == "The VPN is down & nobody can log in.\nSecond line\nclick"
    for unsafe in ("alert", "script", "color:red", "tracker.example.net", "<"):
        assert unsafe not in description


def test_a_message_over_the_size_limit_is_rejected_with_its_headers_kept(settings, it_dept, requester):
    settings.MAIL_MAX_BYTES = 1000
    raw = corpus.message(message_id="<big@example.com>", body="x" * 2000)
    logged = ingest(raw)
    assert (logged.status, logged.reason, logged.size, bytes(logged.raw)) == (
        Status.REJECTED,
        Reason.TOO_LARGE,
        len(raw),
        b"",
    )
    assert "Message-ID: <big@example.com>" in logged.headers
    assert Ticket.objects.count() == 0
    assert mail_ingest(raw=raw).duplicate is True


def test_a_calendar_invite_is_a_ticket_and_its_file_is_refused_by_type(it_dept, requester):
    logged = ingest(corpus.CALENDAR_INVITE)
    assert (logged.status, Ticket.objects.get().description) == (Status.PROCESSED, "You are invited.")
    assert Attachment.objects.count() == 0
    assert "“.ics”" in logged.detail


def test_an_out_of_office_reply_is_recorded_only(it_dept, requester):
    logged = ingest(corpus.OUT_OF_OFFICE)
    assert (logged.status, logged.reason, Ticket.objects.count()) == (Status.REJECTED, Reason.AUTO_REPLY, 0)


def test_a_delivery_failure_report_marks_the_outgoing_message_failed(it_dept):
    sent = MailMessage.objects.create(
        direction=MailMessage.Direction.OUT,
        key="out:1",
        message_id="<out-1@example.com>",
        status=Status.PROCESSED,
    )
    logged = ingest(corpus.bounce("<out-1@example.com>"))
    sent.refresh_from_db()
    assert (logged.status, logged.reason) == (Status.REJECTED, Reason.BOUNCE)
    assert (sent.status, sent.detail) == (Status.FAILED, "Bounced: the receiving server reported a delivery failure.")
    assert Ticket.objects.count() == 0


def test_an_error_leaves_the_message_failed_and_a_resubmit_processes_it_once(it_dept, requester, monkeypatch):
    from apps.tickets import services as ticket_services

    real = ticket_services.ticket_create

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(ticket_services, "ticket_create", broken)
    logged = ingest(corpus.message(message_id="<flaky@example.com>"))
    assert (logged.status, logged.detail, logged.attempts) == (
        Status.FAILED,
        "RuntimeError: database went away",
        1,
    )
    assert Ticket.objects.count() == 0

    monkeypatch.setattr(ticket_services, "ticket_create", real)
    again = mail_resubmit(message=logged).message
    assert (again.status, again.outcome, again.attempts) == (Status.PROCESSED, Outcome.TICKET, 2)
    assert mail_ingest(raw=bytes(logged.raw)).duplicate is True
    assert Ticket.objects.count() == 1


def test_only_failed_messages_are_resubmitted(it_dept, requester):
    logged = ingest(corpus.message())
    with pytest.raises(Exception, match="Only failed"):
        mail_resubmit(message=logged)
    assert Ticket.objects.count() == 1
