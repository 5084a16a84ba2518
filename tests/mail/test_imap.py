"""IMAP polling against a real Dovecot (tests/mail/dovecot.py): messages delivered with APPEND, then polled."""

import logging

import pytest
from django_q.models import Schedule

from apps.audit.models import AuditEntry
from apps.mail import imap as mail_imap
from apps.mail.choices import Security, Status
from apps.mail.models import Mailbox, MailMessage
from apps.mail.services import mailbox_save
from apps.mail.tasks import poll_mailboxes_task
from apps.tickets import services as ticket_services
from apps.tickets.models import Ticket
from tests.mail import corpus

pytestmark = pytest.mark.django_db


def make_mailbox(server, admin, **overrides) -> Mailbox:
    fields = {
        "name": "support",
        "address": "support@example.com",
        "host": server.host,
        "port": server.port,
        "security": Security.NONE,
        "username": server.user,
        **overrides,
    }
    password = fields.pop("password", server.password)
    return mailbox_save(mailbox=Mailbox(**fields), actor=admin, password=password)


def folder_count(imap, name: str) -> int:
    imap.folder.set(name)
    count = len(imap.uids("ALL"))
    imap.folder.set("INBOX")
    return count


def test_polling_turns_the_messages_into_tickets_and_moves_them(imap, dovecot_server, it_dept, requester, admin_user):
    box = make_mailbox(dovecot_server, admin_user)
    imap.append(corpus.message(subject="First", message_id="<one@example.com>"), "INBOX")
    imap.append(corpus.OUT_OF_OFFICE, "INBOX")
    imap.append(corpus.EIGHT_BIT_HEADERS, "INBOX")

    result = mail_imap.mailbox_poll(mailbox=box)

    assert (result.processed, result.failed, result.duplicates) == (3, 0, 0)
    assert sorted(Ticket.objects.values_list("title", flat=True)) == ["Drucker geht nicht – Yazıcı bozuk", "First"]
    assert sorted(MailMessage.objects.values_list("status", flat=True)) == ["processed", "processed", "rejected"]
    assert set(MailMessage.objects.values_list("mailbox", flat=True)) == {box.pk}
    assert (folder_count(imap, "INBOX"), folder_count(imap, "Processed"), folder_count(imap, "Failed")) == (0, 3, 0)
    box.refresh_from_db()
    assert (box.last_error, box.last_polled_at is not None) == ("", True)


def test_a_failed_message_goes_to_failed_and_a_second_fetch_processes_nothing_twice(
    imap, dovecot_server, it_dept, requester, admin_user, monkeypatch
):
    box = make_mailbox(dovecot_server, admin_user)
    real = ticket_services.ticket_create

    def flaky(**kwargs):
        if kwargs["title"] == "Breaks":
            raise RuntimeError("disk full")
        return real(**kwargs)

    monkeypatch.setattr(ticket_services, "ticket_create", flaky)
    imap.append(corpus.message(subject="Breaks", message_id="<breaks@example.com>"), "INBOX")
    imap.append(corpus.message(subject="Works", message_id="<works@example.com>"), "INBOX")
    mail_imap.mailbox_poll(mailbox=box)
    # The same message delivered again (a client's resend, a second copy): found in the log, not a second ticket.
    imap.append(corpus.message(subject="Works", message_id="<works@example.com>"), "INBOX")
    again = mail_imap.mailbox_poll(mailbox=box)

    assert list(Ticket.objects.values_list("title", flat=True)) == ["Works"]
    assert (again.processed, again.duplicates) == (1, 1)
    failed = MailMessage.objects.get(message_id="<breaks@example.com>")
    assert (failed.status, failed.detail) == (Status.FAILED, "RuntimeError: disk full")
    assert (folder_count(imap, "INBOX"), folder_count(imap, "Processed"), folder_count(imap, "Failed")) == (0, 2, 1)


def test_the_scheduled_task_polls_enabled_mailboxes(imap, dovecot_server, it_dept, requester, admin_user):
    make_mailbox(dovecot_server, admin_user)
    make_mailbox(dovecot_server, admin_user, name="off", is_enabled=False, address="off@example.com")
    imap.append(corpus.message(), "INBOX")
    assert poll_mailboxes_task() == {"support": 1}
    assert Schedule.objects.filter(name="Poll IMAP mailboxes", func="apps.mail.tasks.poll_mailboxes_task").exists()


def test_test_connection_says_what_is_wrong_in_plain_words(imap, dovecot_server, admin_user):
    ok = make_mailbox(dovecot_server, admin_user)
    assert mail_imap.connection_check(ok) == "Connected: 0 message(s) waiting in “INBOX”."
    cases = [
        ({"name": "pw", "password": "wrong"}, "The server refused the user name or the password."),
        ({"name": "folder", "folder": "Nope"}, "The folder “Nope” does not exist."),
        ({"name": "dns", "host": "no-such-host.invalid"}, "The host name “no-such-host.invalid” could not be found"),
        ({"name": "tls", "security": Security.SSL}, "The secure connection (TLS) to 127.0.0.1:"),
    ]
    for overrides, words in cases:
        box = make_mailbox(dovecot_server, admin_user, **overrides)
        with pytest.raises(mail_imap.ConnectionProblem) as problem:
            mail_imap.connection_check(box)
        assert str(problem.value).startswith(words), str(problem.value)
        assert dovecot_server.password not in str(problem.value)


def test_a_closed_port_is_a_connection_problem(admin_user, dovecot_server):
    box = make_mailbox(dovecot_server, admin_user, port=1)
    with pytest.raises(mail_imap.ConnectionProblem, match=r"^Could not connect to 127.0.0.1:1"):
        mail_imap.connection_check(box)


def test_a_poll_that_cannot_connect_records_the_problem(admin_user, dovecot_server, caplog):
    box = make_mailbox(dovecot_server, admin_user, password="wrong")
    with caplog.at_level(logging.DEBUG):
        mail_imap.mailbox_poll(mailbox=box)
    box.refresh_from_db()
    assert box.last_error == "The server refused the user name or the password."
    assert "wrong" not in caplog.text.replace("wrong password", "")


def test_the_password_is_stored_encrypted_and_audited_masked(admin_user, dovecot_server):
    box = make_mailbox(dovecot_server, admin_user)
    assert dovecot_server.password not in box.password
    assert box.password.startswith("gAAAA")  # a Fernet token
    entry = AuditEntry.objects.filter(object_label__contains="support").latest("pk")
    assert dovecot_server.password not in str(entry.changes)
    assert box.password not in str(entry.changes)
