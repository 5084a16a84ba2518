"""The polite answer to a refused sender, and the pruning of the mail log's stored messages."""

from datetime import timedelta

import pytest
from django.core import mail as outbox
from django.utils import timezone

from apps.mail.choices import Reason, Status
from apps.mail.models import Mailbox, MailMessage
from apps.mail.services import mail_ingest, mail_log_prune
from tests.mail import corpus

pytestmark = pytest.mark.django_db


@pytest.fixture
def ingest(after_commit):
    """mail_ingest, and then what it queued for after its commit (the answer, by the workers: inline in tests)."""

    def run(raw, **kw):
        with after_commit():
            result = mail_ingest(raw=raw, **kw)
        return result

    return run


def refusals():
    return MailMessage.objects.filter(direction=MailMessage.Direction.OUT, key__startswith="out:refusal:")


def test_an_unknown_sender_refused_by_setting_gets_one_polite_answer(ingest, settings, it_dept):
    settings.MAIL_CREATE_REQUESTERS = False
    box = Mailbox.objects.create(name="it", address="it@example.com", host="h", username="u", department=it_dept)
    logged = ingest(corpus.message(sender="erin@example.org", message_id="<erin-1@example.org>"), mailbox=box)
    assert (logged.message.status, logged.message.reason) == (Status.REJECTED, Reason.UNKNOWN_SENDER)

    [answer] = outbox.outbox
    assert (answer.to, answer.from_email) == (["erin@example.org"], "it@example.com")
    assert answer.subject == "Your message was not accepted: Printer is broken"
    assert answer.extra_headers["Auto-Submitted"] == "auto-replied"
    assert answer.extra_headers["In-Reply-To"] == "<erin-1@example.org>"
    assert "only takes messages from people who have an account" in answer.body
    assert settings.SITE_URL in answer.body
    html = answer.alternatives[0][0]
    assert "only takes messages from people who have an account" in html
    [logged_answer] = refusals()
    assert (logged_answer.status, logged_answer.headers) == (Status.PROCESSED, "To: erin@example.org")


def test_a_reply_to_someone_elses_ticket_refused_by_setting_is_answered(
    ingest, settings, it_dept, requester, other_requester
):
    settings.MAIL_UNKNOWN_REPLY_NEW_TICKET = False
    ingest(corpus.message(message_id="<carols@example.com>"))
    outbox.outbox.clear()
    ingest(corpus.reply_to("<carols@example.com>", sender="dave@example.com"))
    [answer] = outbox.outbox
    assert answer.to == ["dave@example.com"]
    assert "answers a ticket that your address may not write on" in answer.body
    assert "Thanks, that works." not in answer.body  # nothing of the ticket or of the message is echoed


def test_a_sender_is_answered_at_most_once_a_day(ingest, settings, it_dept):
    settings.MAIL_CREATE_REQUESTERS = False
    for n in range(3):
        ingest(corpus.message(sender="erin@example.org", message_id=f"<erin-{n}@example.org>"))
    assert len(outbox.outbox) == 1
    assert MailMessage.objects.filter(direction=MailMessage.Direction.IN, status=Status.REJECTED).count() == 3

    refusals().update(received_at=timezone.now() - timedelta(days=1, minutes=1))
    ingest(corpus.message(sender="erin@example.org", message_id="<erin-9@example.org>"))
    assert len(outbox.outbox) == 2


@pytest.mark.parametrize(
    "raw",
    [
        corpus.message(sender="erin@example.org", headers={"Auto-Submitted": "auto-replied"}),
        corpus.message(sender="erin@example.org", headers={"Precedence": "bulk"}),
    ],
    ids=["auto-reply", "bulk"],
)
def test_automatic_mail_is_never_answered(ingest, settings, it_dept, raw):
    settings.MAIL_CREATE_REQUESTERS = False
    logged = ingest(raw).message
    assert (logged.status, logged.reason) == (Status.REJECTED, Reason.AUTO_REPLY)
    assert (outbox.outbox, refusals().count()) == ([], 0)


def test_other_rejections_and_the_setting_off_send_nothing(ingest, settings, it_dept):
    settings.MAIL_BLOCKED_SENDERS = ["spam.example"]
    ingest(corpus.message(sender="x@spam.example"))
    settings.MAIL_CREATE_REQUESTERS = False
    settings.MAIL_REFUSAL_REPLY = False
    ingest(corpus.message(sender="erin@example.org"))
    assert MailMessage.objects.filter(status=Status.REJECTED).count() == 2
    assert (outbox.outbox, refusals().count()) == ([], 0)


def test_a_failed_answer_is_in_the_mail_log(ingest, settings, it_dept, monkeypatch):
    settings.MAIL_CREATE_REQUESTERS = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens there
    with pytest.raises(OSError):  # the worker's task fails, and the workers retry it
        ingest(corpus.message(sender="erin@example.org"))
    [answer] = refusals()
    assert answer.status == Status.FAILED
    assert answer.detail.startswith("ConnectionRefusedError")
    # The refusal itself was recorded (its transaction committed before the answer was tried).
    assert MailMessage.objects.get(direction=MailMessage.Direction.IN).reason == Reason.UNKNOWN_SENDER


def test_pruning_drops_old_bytes_of_handled_messages_only(ingest, settings, it_dept, requester, monkeypatch):
    settings.MAIL_RAW_RETENTION_DAYS = 30
    old = ingest(corpus.message(message_id="<old@example.com>")).message
    recent = ingest(corpus.message(message_id="<new@example.com>", subject="Recent")).message
    failed = MailMessage.objects.create(key="failed-1", sender="x@example.com", status=Status.FAILED, raw=b"raw bytes")
    MailMessage.objects.filter(pk__in=[old.pk, failed.pk]).update(received_at=timezone.now() - timedelta(days=31))

    assert mail_log_prune() == 1
    for message in (old, recent, failed):
        message.refresh_from_db()
    assert (bytes(old.raw), bytes(recent.raw)[:5], bytes(failed.raw)) == (b"", b"From:", b"raw bytes")
    assert (old.status, old.message_id, old.ticket_id) == (Status.PROCESSED, "<old@example.com>", recent.ticket_id - 1)
    # The entry stays, so the same message fetched again is still recognised.
    assert ingest(corpus.message(message_id="<old@example.com>")).duplicate is True

    settings.MAIL_RAW_RETENTION_DAYS = 0
    MailMessage.objects.update(received_at=timezone.now() - timedelta(days=400))
    assert mail_log_prune() == 0
