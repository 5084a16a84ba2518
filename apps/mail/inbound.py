"""Inbound webhooks of e-mail services (Mailgun, Postmark, SendGrid, Amazon SES, ... through django-anymail).

django-anymail's views (config/urls.py, /mail/inbound/<service>/inbound/) check each service's signature or the
Basic-auth secret (MAIL_WEBHOOK_SECRET, MAIL_MAILGUN_SIGNING_KEY) and send the `inbound` signal; this receiver
hands the message to the same `mail_ingest` as IMAP and the `ingest_email` command. The mailbox is the one whose
address received it (its department), if any. An error is in the mail log (failed, to resubmit), so the service
gets its 200 and does not deliver the message again and again.
"""

from anymail.signals import inbound

from .models import Mailbox
from .services import base_address, mail_ingest


def _raw(message) -> bytes:
    try:
        return message.as_bytes()
    except Exception:
        return str(message).encode("utf-8", "replace")


def on_inbound(sender, event, esp_name, **kwargs) -> None:
    message = event.message
    recipient = base_address((getattr(message, "envelope_recipient", None) or "").lower())
    mailbox = Mailbox.objects.filter(address__iexact=recipient).first() if recipient else None
    mail_ingest(raw=_raw(message), mailbox=mailbox)


def connect() -> None:
    inbound.connect(on_inbound, dispatch_uid="apps.mail.inbound")
