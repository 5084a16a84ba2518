"""Back office of the e-mail channel: mailboxes and the mail log (admins), the watchers panel of the ticket page."""

import pytest
from django.urls import reverse

from apps.mail.choices import Status
from apps.mail.models import Mailbox, MailMessage
from apps.mail.services import mail_ingest, mailbox_save
from apps.mail.vault import decrypt
from apps.tickets.models import Ticket
from tests.mail import corpus
from tests.support import logged_in

pytestmark = pytest.mark.django_db

ADD = reverse("admin:mail_mailbox_add")
MAILBOXES = reverse("admin:mail_mailbox_changelist")
LOG = reverse("admin:mail_mailmessage_changelist")
FORM = {
    "name": "support",
    "address": "support@example.com",
    "host": "127.0.0.1",
    "port": "1",
    "security": "none",
    "username": "support@example.com",
    "folder": "INBOX",
    "processed_folder": "Processed",
    "failed_folder": "Failed",
    "is_enabled": "on",
}


def test_an_admin_adds_a_mailbox_whose_password_is_stored_encrypted_and_never_shown(admin_user):
    client = logged_in(admin_user)
    response = client.post(ADD, {**FORM, "new_password": "s3cret-imap"})
    assert response.status_code == 302, response.content.decode()[:3000]
    box = Mailbox.objects.get()
    assert (box.name, decrypt(box.password)) == ("support", "s3cret-imap")

    page = client.get(reverse("admin:mail_mailbox_change", args=[box.pk])).content.decode()
    assert "s3cret-imap" not in page
    assert box.password not in page

    # An empty password keeps the stored one.
    response = client.post(reverse("admin:mail_mailbox_change", args=[box.pk]), {**FORM, "host": "imap.example.com"})
    box.refresh_from_db()
    assert (response.status_code, box.host, decrypt(box.password)) == (302, "imap.example.com", "s3cret-imap")


def test_a_new_mailbox_needs_a_password(admin_user):
    response = logged_in(admin_user).post(ADD, FORM)
    assert response.status_code == 200
    assert "Enter the mailbox" in response.content.decode()
    assert Mailbox.objects.count() == 0


@pytest.mark.parametrize("url", [MAILBOXES, ADD, LOG])
def test_agents_cannot_open_the_mail_pages(agent, url):
    assert logged_in(agent).get(url).status_code == 403


def test_agents_cannot_add_a_mailbox(agent):
    assert logged_in(agent).post(ADD, {**FORM, "new_password": "x"}).status_code == 403
    assert Mailbox.objects.count() == 0


def test_test_connection_reports_the_problem_in_plain_words(admin_user):
    box = mailbox_save(
        mailbox=Mailbox(
            name="closed", address="a@example.com", host="127.0.0.1", port=1, security="none", username="u"
        ),
        actor=admin_user,
        password="pw",
    )
    response = logged_in(admin_user).post(
        MAILBOXES, {"action": "test_connection", "_selected_action": [box.pk]}, follow=True
    )
    text = response.content.decode()
    assert "closed: Could not connect to 127.0.0.1:1" in text
    assert "pw" not in text.replace("pw-", "")


def test_the_mail_log_lists_messages_and_resubmits_failed_ones(admin_user, requester, it_dept, monkeypatch):
    from apps.tickets import services as ticket_services

    real = ticket_services.ticket_create
    monkeypatch.setattr(ticket_services, "ticket_create", lambda **kw: (_ for _ in ()).throw(RuntimeError("boom")))
    failed = mail_ingest(raw=corpus.message(subject="Retry me")).message
    monkeypatch.setattr(ticket_services, "ticket_create", real)
    assert failed.status == Status.FAILED

    client = logged_in(admin_user)
    page = client.get(LOG).content.decode()
    assert "Retry me" in page
    response = client.post(LOG, {"action": "resubmit", "_selected_action": [failed.pk]}, follow=True)
    assert "1 message(s) processed." in response.content.decode()
    failed.refresh_from_db()
    assert (failed.status, failed.ticket.title) == (Status.PROCESSED, "Retry me")
    assert client.get(reverse("admin:mail_mailmessage_change", args=[failed.pk])).status_code == 200


def test_the_ticket_page_shows_its_watchers(admin_user, agent, requester, other_requester, it_dept):
    mail_ingest(raw=corpus.message(cc="dave@example.com, boss@example.org"))
    ticket = Ticket.objects.get()
    page = logged_in(agent).get(reverse("admin:tickets_ticket_change", args=[ticket.pk])).content.decode()
    assert 'data-watcher="boss@example.org"' in page
    assert 'data-watcher="dave@example.com"' in page
    assert MailMessage.objects.count() == 1
