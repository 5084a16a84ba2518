"""Inbound webhooks of e-mail services through django-anymail: each service's signature check, then the same
`mail_ingest` as every way in."""

import base64
import hashlib
import hmac
import importlib
import json
import time

import pytest
from django.urls import clear_url_caches

from apps.mail.models import Mailbox, MailMessage
from apps.tickets.models import Ticket
from tests.mail import corpus

pytestmark = pytest.mark.django_db

SIGNING_KEY = "mailgun-signing-key-for-tests"
BASIC = "service:webhook-secret"


def _reload_urls():
    import config.urls

    importlib.reload(config.urls)
    clear_url_caches()


@pytest.fixture
def webhooks(settings):
    settings.MAIL_WEBHOOK_SECRET = [BASIC]
    settings.MAIL_MAILGUN_SIGNING_KEY = SIGNING_KEY
    settings.MAIL_INBOUND_WEBHOOKS = True
    settings.ANYMAIL = {"WEBHOOK_SECRET": [BASIC], "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY}
    _reload_urls()
    yield
    settings.MAIL_INBOUND_WEBHOOKS = False
    _reload_urls()


def mailgun_post(client, raw: bytes, *, key: str = SIGNING_KEY, recipient="support@example.com"):
    timestamp, token = str(int(time.time())), "a" * 50
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return client.post(
        "/mail/inbound/mailgun/inbound_mime/",
        {
            "body-mime": raw.decode(),
            "timestamp": timestamp,
            "token": token,
            "signature": signature,
            "recipient": recipient,
            "sender": "carol@example.com",
        },
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(BASIC.encode()).decode(),
    )


def test_there_are_no_webhook_urls_without_a_secret(client):
    _reload_urls()
    assert client.post("/mail/inbound/mailgun/inbound_mime/", {}).status_code == 404


def test_a_signed_mailgun_message_becomes_a_ticket_of_the_mailbox_department(
    webhooks, client, it_dept, billing_dept, requester
):
    Mailbox.objects.create(
        name="billing", address="billing@example.com", host="h", username="u", department=billing_dept
    )
    response = mailgun_post(client, corpus.message(message_id="<mg-1@example.com>"), recipient="billing@example.com")
    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert (ticket.requester, ticket.department, ticket.title) == (requester, billing_dept, "Printer is broken")
    assert MailMessage.objects.get().message_id == "<mg-1@example.com>"


def test_a_wrong_mailgun_signature_is_refused_and_nothing_is_recorded(webhooks, client, it_dept, requester):
    response = mailgun_post(client, corpus.message(), key="guessed")
    assert response.status_code == 400
    assert (Ticket.objects.count(), MailMessage.objects.count()) == (0, 0)


def postmark_payload():
    return {
        "FromFull": {"Email": "carol@example.com", "Name": "Carol"},
        "ToFull": [{"Email": "support@example.com", "Name": ""}],
        "CcFull": [],
        "Subject": "From Postmark",
        "TextBody": "The scanner is offline.",
        "Headers": [{"Name": "Message-ID", "Value": "<pm-1@example.com>"}],
        "Attachments": [],
        "OriginalRecipient": "support@example.com",
    }


def test_postmark_with_the_basic_auth_secret_becomes_a_ticket(webhooks, client, it_dept, requester):
    auth = "Basic " + base64.b64encode(BASIC.encode()).decode()
    response = client.post(
        "/mail/inbound/postmark/inbound/", json.dumps(postmark_payload()), "application/json", HTTP_AUTHORIZATION=auth
    )
    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert (ticket.title, ticket.description) == ("From Postmark", "The scanner is offline.")
    # The service delivering the same message again: one ticket.
    client.post(
        "/mail/inbound/postmark/inbound/", json.dumps(postmark_payload()), "application/json", HTTP_AUTHORIZATION=auth
    )
    assert Ticket.objects.count() == 1


def test_postmark_without_the_secret_is_refused(webhooks, client, it_dept, requester):
    auth = "Basic " + base64.b64encode(b"service:guess").decode()
    response = client.post(
        "/mail/inbound/postmark/inbound/", json.dumps(postmark_payload()), "application/json", HTTP_AUTHORIZATION=auth
    )
    assert response.status_code == 400
    assert (Ticket.objects.count(), MailMessage.objects.count()) == (0, 0)


AUTH = "Basic " + base64.b64encode(BASIC.encode()).decode()


def sendgrid_post(client, raw: bytes, *, auth=AUTH):
    """SendGrid's Inbound Parse with "POST the raw, full MIME message" (multipart form, Basic auth in the URL)."""
    envelope = json.dumps({"from": "carol@example.com", "to": ["support@example.com"]})
    return client.post(
        "/mail/inbound/sendgrid/inbound/",
        {"email": raw.decode(), "envelope": envelope, "spam_score": "0.1"},
        HTTP_AUTHORIZATION=auth,
    )


@pytest.mark.filterwarnings("ignore::anymail.exceptions.AnymailNotSupportedWarning")
def test_sendgrid_raw_mime_with_the_secret_becomes_a_ticket_once(webhooks, client, it_dept, requester):
    raw = corpus.message(message_id="<sg-1@example.com>", subject="From SendGrid")
    assert sendgrid_post(client, raw).status_code == 200
    assert sendgrid_post(client, raw).status_code == 200  # delivered again: still one ticket
    ticket = Ticket.objects.get()
    assert (ticket.requester, ticket.title) == (requester, "From SendGrid")
    assert MailMessage.objects.get().message_id == "<sg-1@example.com>"


@pytest.mark.filterwarnings("ignore::anymail.exceptions.AnymailNotSupportedWarning")
def test_sendgrid_without_the_secret_is_refused(webhooks, client, it_dept, requester):
    wrong = "Basic " + base64.b64encode(b"service:guess").decode()
    assert sendgrid_post(client, corpus.message(), auth=wrong).status_code == 400
    assert (Ticket.objects.count(), MailMessage.objects.count()) == (0, 0)


def ses_post(client, raw: bytes, *, auth=AUTH, message_id="sns-1"):
    """An SNS Notification of an SES receipt rule whose SNS action carries the message (base64)."""
    receipt = {
        "notificationType": "Received",
        "mail": {"source": "carol@example.com", "destination": ["support@example.com"]},
        "receipt": {
            "recipients": ["support@example.com"],
            "action": {"type": "SNS", "encoding": "BASE64", "topicArn": "arn:aws:sns:eu-west-1:1:inbound"},
        },
        "content": base64.b64encode(raw).decode(),
    }
    body = {"Type": "Notification", "MessageId": message_id, "Message": json.dumps(receipt)}
    return client.post(
        "/mail/inbound/amazon_ses/inbound/",
        json.dumps(body),
        "text/plain",  # as SNS sends it
        HTTP_AUTHORIZATION=auth,
        HTTP_X_AMZ_SNS_MESSAGE_TYPE="Notification",
        HTTP_X_AMZ_SNS_MESSAGE_ID=message_id,
    )


def test_amazon_ses_through_sns_with_the_secret_becomes_a_ticket_once(
    webhooks, client, it_dept, billing_dept, requester
):
    Mailbox.objects.create(
        name="support", address="support@example.com", host="h", username="u", department=billing_dept
    )
    raw = corpus.message(message_id="<ses-1@example.com>", subject="From SES")
    assert ses_post(client, raw).status_code == 200
    assert ses_post(client, raw, message_id="sns-2").status_code == 200  # SNS retries with a new id: one ticket
    ticket = Ticket.objects.get()
    assert (ticket.requester, ticket.title, ticket.department) == (requester, "From SES", billing_dept)


def test_amazon_ses_without_the_secret_is_refused(webhooks, client, it_dept, requester):
    wrong = "Basic " + base64.b64encode(b"service:guess").decode()
    assert ses_post(client, corpus.message(), auth=wrong).status_code == 400
    assert ses_post(client, corpus.message(), auth="").status_code == 401  # SNS then retries with its credentials
    assert (Ticket.objects.count(), MailMessage.objects.count()) == (0, 0)
