"""Mail out: every e-mail about a ticket is threaded, and public replies reach the ticket's watchers.

- The notifications' e-mails (the requester hears of public replies and status changes, agents of their work)
  pass through `prepare` / `finished` (registered in apps/tickets/extensions.py `outgoing_ticket_mail`): our own
  Message-ID (stored in the mail log, so a reply finds its ticket), In-Reply-To / References to the ticket's
  earlier messages, the reference in the subject, the department's name and its mailbox's address as From (any
  enabled mailbox's when the department has none; DEFAULT_FROM_EMAIL when there is no mailbox at all),
  Reply-To the mailbox's address with the ticket's signed token, and the public reply's files up to
  MAIL_ATTACHMENTS_MAX_BYTES (beyond it their names, to download from the ticket). An internal note is never
  handed to these hooks with its content.
- Watchers (Cc of a message, or added by hand on the ticket page: accounts and addresses) get each public reply,
  in the account's language (the site's for an address only), by the workers
  (`watchers_notify`, queued after the commit that wrote the reply), once per reply and address: the mail log's
  key makes a retry skip what was sent. Failures are in the mail log and on the ticket's e-mail panel.
"""

import logging
from datetime import timedelta
from email.utils import formataddr, make_msgid, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from apps.tickets.choices import EventKind
from apps.tickets.extensions import OutgoingMail
from apps.tickets.history import display_name
from apps.tickets.models import Comment, Ticket, TicketEvent
from apps.tickets.permissions import can_view_ticket

from .choices import Reason, Status
from .models import Mailbox, MailMessage, Watcher
from .threads import reply_address, subject_with_reference

logger = logging.getLogger(__name__)
WATCHERS_TASK = "apps.mail.tasks.notify_watchers_task"
REFUSAL_TASK = "apps.mail.tasks.send_refusal_task"
# The rejections a person may be told about. Never the others: answering auto-replies, loops, bounces, blocked or
# flooding senders is how mail loops and backscatter start.
ANSWERED_REASONS = (Reason.UNKNOWN_SENDER, Reason.NOT_ALLOWED)
REFUSAL_KEY = "out:refusal:"
# How many earlier Message-IDs of the ticket go into References.
REFERENCES_KEPT = 10


def _mailbox_for(ticket: Ticket) -> Mailbox | None:
    """The department's mailbox, else any enabled one (their addresses are where replies come back)."""
    boxes = Mailbox.objects.filter(is_enabled=True)
    return boxes.filter(department_id=ticket.department_id).first() or boxes.order_by("pk").first()


def _thread(message: EmailMultiAlternatives, ticket: Ticket) -> str:
    """Sender, Reply-To, subject and threading headers of a message about `ticket`; returns its Message-ID."""
    mailbox = _mailbox_for(ticket)
    if mailbox is not None:
        address = mailbox.address
        message.from_email = formataddr((ticket.department.name, address))
    else:  # no mailbox set up: DEFAULT_FROM_EMAIL as it is
        message.from_email = message.from_email or settings.DEFAULT_FROM_EMAIL
        address = parseaddr(message.from_email)[1]
    message.reply_to = [reply_address(address=address, ticket_id=ticket.pk)]
    message.subject = subject_with_reference(message.subject, ticket.reference)
    message_id = make_msgid(domain=address.rpartition("@")[2] or "localhost")
    earlier = list(
        MailMessage.objects.filter(ticket=ticket)
        .exclude(message_id="")
        .order_by("-received_at", "-pk")
        .values_list("message_id", flat=True)[:REFERENCES_KEPT]
    )[::-1]
    message.extra_headers["Message-ID"] = message_id
    if earlier:
        message.extra_headers["In-Reply-To"] = earlier[-1]
        message.extra_headers["References"] = " ".join(earlier)
    return message_id


def _attach(message: EmailMultiAlternatives, comment: Comment) -> list[str]:
    """Attach the public reply's files up to the size limit; returns the names of those left out."""
    budget = settings.MAIL_ATTACHMENTS_MAX_BYTES
    left_out = []
    for attachment in comment.attachments.order_by("pk"):
        if attachment.size > budget:
            left_out.append(attachment.original_name)
            continue
        with attachment.file.open("rb") as stored:
            message.attach(attachment.original_name, stored.read(), attachment.content_type)
        budget -= attachment.size
    if left_out:
        message.body += "\n\n" + "\n".join(
            f"{name}: {_('too large to send; open the ticket to download it.')}" for name in left_out
        )
    return left_out


def _log(*, message: EmailMultiAlternatives, message_id: str, ticket: Ticket, comment: Comment | None, key: str):
    return MailMessage.objects.create(
        direction=MailMessage.Direction.OUT,
        key=key,
        message_id=message_id,
        sender=parseaddr(message.from_email)[1][:254],
        subject=message.subject[:255],
        headers=f"To: {', '.join(message.to)}",
        ticket=ticket,
        comment=comment,
    )


def prepare(message: EmailMultiAlternatives, ticket: Ticket, comment: Comment | None) -> None:
    """The notifications' hook before sending: thread the message, attach a public reply's files, log it (an
    internal note's e-mail is marked, so that a staff member's answer to it stays internal)."""
    message_id = _thread(message, ticket)
    internal = comment is not None and comment.is_internal
    if comment is not None and not internal:
        _attach(message, comment)
    logged = _log(message=message, message_id=message_id, ticket=ticket, comment=comment, key=f"out:{message_id}")
    if internal:
        MailMessage.objects.filter(pk=logged.pk).update(is_internal=True)


def finished(message: EmailMultiAlternatives, error: Exception | None) -> None:
    """The notifications' hook after sending: the mail log says sent, or failed with the error."""
    message_id = message.extra_headers.get("Message-ID", "")
    _record(f"out:{message_id}", error)


def _record(key: str, error: Exception | None) -> None:
    if error is None:
        MailMessage.objects.filter(key=key).update(status=Status.PROCESSED, detail="", processed_at=timezone.now())
    else:
        MailMessage.objects.filter(key=key).update(
            status=Status.FAILED, detail=f"{type(error).__name__}: {error}"[:2000], processed_at=timezone.now()
        )


NOTIFICATION_HOOK = OutgoingMail(name="mail-threading", prepare=prepare, finished=finished)


# ---- Watchers ------------------------------------------------------------------------------------------------


def queue_events(written) -> None:
    """The listener of ticket events: a public reply on a ticket with watchers is sent to them after the commit."""
    from django_q.conf import Conf
    from django_q.tasks import async_task

    for event in written:
        if event.kind != EventKind.COMMENTED:
            continue
        if not Watcher.objects.filter(ticket_id=event.ticket_id).exists():
            continue
        event_id = event.pk
        transaction.on_commit(
            lambda event_id=event_id: async_task(
                WATCHERS_TASK, event_id, task_name=f"mail-watchers-{event_id}", group="mail"
            ),
            robust=not Conf.SYNC,
        )


def _watcher_message(*, ticket: Ticket, comment: Comment, to: str, language: str) -> EmailMultiAlternatives:
    with translation.override(language or settings.LANGUAGE_CODE):
        context = {"ticket": ticket, "comment": comment, "author": display_name(comment.author)}
        text = render_to_string("mail/email/watcher_reply.txt", context)
        html = render_to_string("mail/email/watcher_reply.html", context)
        subject = ticket.title
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to], headers={"Auto-Submitted": "auto-generated"})
    message.attach_alternative(html, "text/html")
    return message


def watchers_notify(*, event_id: int) -> int:
    """Send a public reply to the ticket's watchers, each once; returns how many were sent now. Raises after
    trying everyone when one failed (the workers retry; those sent are skipped)."""
    event = TicketEvent.objects.select_related("ticket__department").filter(pk=event_id).first()
    if event is None or event.kind != EventKind.COMMENTED:
        return 0
    comment = Comment.objects.select_related("author").filter(pk=(event.data or {}).get("comment")).first()
    if comment is None or comment.is_internal:
        return 0
    ticket = event.ticket
    sent, errors = 0, []
    for watcher in Watcher.objects.filter(ticket=ticket).select_related("user"):
        if watcher.email == (comment.author.email or "").lower():
            continue
        if watcher.user is not None and not (watcher.user.is_active and can_view_ticket(watcher.user, ticket)):
            continue
        key = f"out:watch:{event.pk}:{watcher.email}"[:255]
        existing = MailMessage.objects.filter(key=key).first()
        if existing is not None and existing.status == Status.PROCESSED:
            continue
        # In the account's language; an address without an account hears the site's.
        language = watcher.user.language if watcher.user is not None else settings.LANGUAGE_CODE
        message = _watcher_message(ticket=ticket, comment=comment, to=watcher.email, language=language)
        message_id = _thread(message, ticket)
        _attach(message, comment)
        if existing is None:
            try:
                with transaction.atomic():
                    _log(message=message, message_id=message_id, ticket=ticket, comment=comment, key=key)
            except IntegrityError:  # another run claimed it meanwhile
                continue
        else:
            MailMessage.objects.filter(pk=existing.pk).update(message_id=message_id, status=Status.RECEIVED)
        try:
            message.send(fail_silently=False)
        except Exception as exc:
            _record(key, exc)
            errors.append(exc)
            continue
        _record(key, None)
        sent += 1
    if errors:
        raise errors[0]
    return sent


# ---- The polite answer to a refused message --------------------------------------------------------------------


def refusal_queue(message: MailMessage) -> None:
    """After the commit that recorded the rejection, answer its sender (MAIL_REFUSAL_REPLY, the reasons above)."""
    if not settings.MAIL_REFUSAL_REPLY or message.reason not in ANSWERED_REASONS:
        return
    from django_q.conf import Conf
    from django_q.tasks import async_task

    message_pk = message.pk
    transaction.on_commit(
        lambda: async_task(REFUSAL_TASK, message_pk, task_name=f"mail-refusal-{message_pk}", group="mail"),
        robust=not Conf.SYNC,
    )


def refusal_send(*, message_id: int) -> bool:
    """Tell the sender of a refused message why, in the site's language: once per message (the mail log's key) and
    at most once a day per address. Returns whether an answer went out now."""
    incoming = (
        MailMessage.objects.select_related("mailbox")
        .filter(pk=message_id, direction=MailMessage.Direction.IN, status=Status.REJECTED, reason__in=ANSWERED_REASONS)
        .first()
    )
    if incoming is None or not incoming.sender:
        return False
    key = f"{REFUSAL_KEY}{incoming.pk}"
    to_header = f"To: {incoming.sender}"
    answered = MailMessage.objects.filter(direction=MailMessage.Direction.OUT, key__startswith=REFUSAL_KEY)
    if answered.filter(key=key, status=Status.PROCESSED).exists():
        return False
    if (
        answered.filter(headers=to_header, received_at__gte=timezone.now() - timedelta(days=1))
        .exclude(key=key)
        .exists()
    ):
        return False
    address = incoming.mailbox.address if incoming.mailbox is not None else parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    message_id_out = make_msgid(domain=address.rpartition("@")[2] or "localhost")
    with translation.override(settings.LANGUAGE_CODE):
        their_subject = incoming.subject or _("(no subject)")
        context = {"reason": incoming.reason, "subject": their_subject, "portal": settings.SITE_URL}
        text = render_to_string("mail/email/refusal.txt", context)
        html = render_to_string("mail/email/refusal.html", context)
        subject = _("Your message was not accepted: %(subject)s") % {"subject": their_subject}
    headers = {"Message-ID": message_id_out, "Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"}
    if incoming.message_id:
        headers["In-Reply-To"] = incoming.message_id
        headers["References"] = incoming.message_id
    message = EmailMultiAlternatives(
        subject=subject[:255], body=text, from_email=address, to=[incoming.sender], headers=headers
    )
    message.attach_alternative(html, "text/html")
    try:
        with transaction.atomic():
            MailMessage.objects.update_or_create(
                key=key,
                defaults={
                    "direction": MailMessage.Direction.OUT,
                    "message_id": message_id_out,
                    "sender": address[:254],
                    "subject": message.subject,
                    "headers": to_header,
                    "status": Status.RECEIVED,
                },
            )
    except IntegrityError:  # another run is answering it
        return False
    try:
        message.send(fail_silently=False)
    except Exception as exc:
        _record(key, exc)
        raise
    _record(key, None)
    return True
