"""All writes of the e-mail channel: a message in becomes a ticket, a reply or a recorded rejection.

`mail_ingest` is the one entry for every way in (IMAP polling, the `ingest_email` command, resubmits), so the
same message gives the same result whichever way it came. The ticket itself is written by the ticket services
(`ticket_create`, `comment_add`, `ticket_watcher_grant`), with the same validation, limits, history,
notifications and triage as every other channel.

What happens to a message, in this order (the first that applies):

| the message                                             | becomes                                   |
|---------------------------------------------------------|-------------------------------------------|
| seen before (same Message-ID, or same bytes)            | nothing new: the first result is returned |
| larger than MAIL_MAX_BYTES                              | rejected, only its headers kept           |
| no valid From                                           | rejected                                  |
| a delivery status report (bounce)                       | rejected; the bounced outgoing one failed |
| from a blocked address or domain (MAIL_BLOCKED_SENDERS) | rejected                                  |
| from one of our own addresses                           | rejected (a loop)                         |
| an automatic reply or bulk mail                         | rejected                                  |
| over MAIL_MAX_PER_SENDER_PER_HOUR from this sender      | rejected                                  |
| from an inactive account                                | rejected                                  |
| answers a ticket the sender may write on                | a public reply, quoted history stripped*  |
| answers a ticket the sender may not write on            | a new ticket (or rejected, by setting)    |
| anything else, from an account                          | a new ticket of that account              |
| anything else, from an unknown address                  | a new requester and their ticket (or rejected, by setting) |

* An internal note when a staff member answers our e-mail about an internal note (a mention).

An unexpected error leaves the message *failed* with the error, and `mail_resubmit` runs it again.
"""

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from mailparser_reply import EmailReplyParser

from apps.accounts.choices import Role
from apps.accounts.permissions import is_admin
from apps.accounts.services import user_create
from apps.tickets import permissions as ticket_perms
from apps.tickets import services as ticket_services
from apps.tickets.choices import Source
from apps.tickets.models import COMMENT_MAX_LENGTH, DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH, Ticket
from apps.tickets.uploads import validate_upload

from . import permissions as mail_perms
from .choices import Outcome, Reason, Status
from .models import Mailbox, MailMessage, Watcher
from .outgoing import refusal_queue
from .parsing import Parsed, headers_only, parse
from .threads import answers_internal_note, clean_subject, find_ticket
from .vault import encrypt

logger = logging.getLogger(__name__)
User = get_user_model()
# Languages whose reply headers ("On ... wrote:") and signatures mail-parser-reply recognises for us.
REPLY_LANGUAGES = ["en", "de", "fr", "es", "it", "nl"]
DONE = (Status.PROCESSED, Status.REJECTED)


@dataclass
class Ingested:
    """The log entry of a message, and whether it had been handled before (idempotency)."""

    message: MailMessage
    duplicate: bool = False


def own_addresses() -> set[str]:
    """Our addresses: every mailbox's and DEFAULT_FROM_EMAIL's (mail from them is a loop)."""
    addresses = {a.lower() for a in Mailbox.objects.values_list("address", flat=True)}
    addresses.add(parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower())
    return {a for a in addresses if a}


def base_address(address: str) -> str:
    """The address without a +tag: `support+42-abc@example.com` → `support@example.com`."""
    local, _at, domain = address.partition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def mail_ingest(*, raw: bytes, mailbox: Mailbox | None = None) -> Ingested:
    """Turn one message into a ticket, a reply or a recorded rejection; idempotent per Message-ID (or bytes)."""
    too_large = len(raw) > settings.MAIL_MAX_BYTES
    parsed = parse(headers_only(raw) if too_large else raw)
    if too_large and not parsed.message_id:
        parsed.key = "sha256:" + hashlib.sha256(raw).hexdigest()
    existing = MailMessage.objects.filter(key=parsed.key[:255]).first()
    if existing is not None and existing.status in DONE:
        return Ingested(message=existing, duplicate=True)
    message = existing or MailMessage(
        key=parsed.key[:255],
        message_id=parsed.message_id,
        mailbox=mailbox,
        sender=parsed.sender,
        subject=parsed.subject,
        headers=parsed.headers,
        raw=b"" if too_large else raw,
        size=len(raw),
    )
    if too_large:
        detail = _("%(size)s bytes; the limit is %(limit)s.") % {"size": len(raw), "limit": settings.MAIL_MAX_BYTES}
        return _process(message=message, parsed=parsed, mailbox=mailbox, too_large=detail)
    return _process(message=message, parsed=parsed, mailbox=mailbox)


def mail_resubmit(*, message: MailMessage, actor=None) -> Ingested:
    """Run a failed message through the channel again (from its stored bytes)."""
    if message.status != Status.FAILED or message.direction != MailMessage.Direction.IN:
        raise ValidationError(_("Only failed incoming messages can be resubmitted."))
    if not message.raw:
        raise ValidationError(_("The message was not kept, so it cannot be resubmitted."))
    return _process(message=message, parsed=parse(bytes(message.raw)), mailbox=message.mailbox)


def _finish(message: MailMessage, *, status: str, reason: str = "", detail: str = "", **fields) -> None:
    message.status = status
    message.reason = reason
    message.detail = detail
    message.processed_at = timezone.now()
    for name, value in fields.items():
        setattr(message, name, value)
    message.save(
        update_fields=["status", "reason", "detail", "processed_at", "attempts", *fields],
    )


def _process(*, message: MailMessage, parsed: Parsed, mailbox: Mailbox | None, too_large: str = "") -> Ingested:
    """One transaction, one commit: the log entry (written, or locked when it exists) and what became of the
    message. An error rolls back only the message's effects (a savepoint): the entry stays, failed with it."""
    with transaction.atomic():
        if message.pk is None:
            try:
                with transaction.atomic():
                    message.save(force_insert=True)
            except IntegrityError:  # another worker took the same message meanwhile
                return Ingested(message=MailMessage.objects.get(key=message.key), duplicate=True)
        else:
            locked = MailMessage.objects.select_for_update().get(pk=message.pk)
            if locked.status in DONE:  # another worker finished it meanwhile
                return Ingested(message=locked, duplicate=True)
            message = locked
        message.attempts += 1
        if too_large:
            _finish(message, status=Status.REJECTED, reason=Reason.TOO_LARGE, detail=too_large)
            return Ingested(message=message)
        try:
            with transaction.atomic():
                _decide(message=message, parsed=parsed, mailbox=mailbox)
        except Exception as exc:
            error = " ".join(exc.messages) if isinstance(exc, ValidationError) else f"{type(exc).__name__}: {exc}"
            logger.warning("mail %s failed: %s", message.pk, type(exc).__name__)
            # Undo on the entry what _decide may have set before the error (its rows are rolled back).
            _finish(message, status=Status.FAILED, detail=error[:2000], outcome="", ticket=None, comment=None)
        return Ingested(message=message)


def _decide(*, message: MailMessage, parsed: Parsed, mailbox: Mailbox | None) -> None:
    sender = parsed.sender

    def reject(reason: str, detail: str = "") -> None:
        _finish(message, status=Status.REJECTED, reason=reason, detail=detail)
        refusal_queue(message)

    if not sender:
        return reject(Reason.NO_SENDER)
    if parsed.bounce_of is not None:
        failed = MailMessage.objects.filter(
            direction=MailMessage.Direction.OUT, message_id__in=parsed.bounce_of
        ).update(status=Status.FAILED, detail=_("Bounced: the receiving server reported a delivery failure."))
        return reject(Reason.BOUNCE, _("Outgoing messages marked failed: %(count)s") % {"count": failed})
    if mail_perms.is_blocked(sender, settings.MAIL_BLOCKED_SENDERS):
        return reject(Reason.BLOCKED)
    ours = own_addresses()
    if base_address(sender) in ours:
        return reject(Reason.LOOP)
    if parsed.is_auto:
        return reject(Reason.AUTO_REPLY)
    recent = MailMessage.objects.filter(
        direction=MailMessage.Direction.IN, sender=sender, received_at__gte=timezone.now() - timedelta(hours=1)
    ).exclude(pk=message.pk)
    if recent.count() >= settings.MAIL_MAX_PER_SENDER_PER_HOUR:
        return reject(Reason.RATE)
    user = User.objects.filter(email__iexact=sender).first()
    if user is not None and not user.is_active:
        return reject(Reason.INACTIVE)
    ticket = find_ticket(parsed)
    files, refused = _uploads(parsed)
    notes = [_("File refused: %(reason)s") % {"reason": reason} for reason in refused]
    if ticket is not None and user is not None and mail_perms.may_reply(user, ticket):
        # Staff answering the e-mail of an internal note (a mention) write a note, never a public reply by mistake.
        internal = user.is_staff and answers_internal_note(parsed)
        comment = ticket_services.comment_add(
            ticket=ticket, actor=user, body=_reply_text(parsed.text, files), uploads=files, is_internal=internal
        )
        _watchers(ticket=ticket, parsed=parsed, actor=user, ours=ours)
        _finish(
            message,
            status=Status.PROCESSED,
            detail="\n".join(notes),
            outcome=Outcome.REPLY,
            ticket=ticket,
            comment=comment,
        )
        return None
    if ticket is not None and not settings.MAIL_UNKNOWN_REPLY_NEW_TICKET:
        return reject(Reason.NOT_ALLOWED)
    if ticket is not None:
        notes.append(_("Answered a ticket the sender may not write on: opened as a new ticket."))
    if user is None:
        if not settings.MAIL_CREATE_REQUESTERS:
            return reject(Reason.UNKNOWN_SENDER)
        user = _requester_create(email=sender, name=parsed.sender_name)
    title = clean_subject(parsed.subject)[:TITLE_MAX_LENGTH] or _("(no subject)")
    description = parsed.text.strip()[:DESCRIPTION_MAX_LENGTH] or _("(no text)")
    try:
        new = ticket_services.ticket_create(
            actor=user,
            requester=user,
            title=title,
            description=description,
            department=mailbox.department if mailbox is not None else None,
            source=Source.EMAIL,
        )
        for upload in files:
            ticket_services.attachment_add(ticket=new, actor=user, upload=upload)
    except PermissionDenied as exc:
        return reject(Reason.INVALID, str(exc))
    _watchers(ticket=new, parsed=parsed, actor=user, ours=ours)
    _finish(message, status=Status.PROCESSED, detail="\n".join(notes), outcome=Outcome.TICKET, ticket=new)
    return None


def _uploads(parsed: Parsed) -> tuple[list[SimpleUploadedFile], list[str]]:
    """The files that pass the upload rules (size, type from the bytes), and why the others did not."""
    accepted, refused = [], []
    for attachment in parsed.attachments:
        upload = SimpleUploadedFile(attachment.name, attachment.content, content_type=attachment.content_type)
        try:
            validate_upload(upload)
        except ValidationError as exc:
            refused.append(" ".join(exc.messages))
            continue
        accepted.append(upload)
    return accepted, refused


def _reply_text(text: str, files: list) -> str:
    """The new part of a reply: quoted history and signature stripped (the whole message stays in the log)."""
    try:
        stripped = EmailReplyParser(languages=REPLY_LANGUAGES).parse_reply(text=text).strip()
    except Exception:
        stripped = ""
    body = _without_quoted_tail(stripped) or stripped or text.strip()
    if not body:
        body = _("(attachments only)") if files else _("(no text)")
    return body[:COMMENT_MAX_LENGTH]


def _without_quoted_tail(text: str) -> str:
    """Cut a signature ("-- " line) and the quoted lines ("> ...") the reply ends with (a bottom quote without an
    "On ... wrote:" line, which mail-parser-reply leaves); quotes inside the reply stay."""
    lines = text.split("\n")
    marks = [n for n, line in enumerate(lines) if line.rstrip() == "--"]  # "-- ", often without its space
    if marks:
        lines = lines[: marks[-1]]
    while lines and (not lines[-1].strip() or lines[-1].lstrip().startswith(">")):
        lines.pop()
    return "\n".join(lines).strip()


NOT_USERNAME = re.compile(r"[^\w.@+-]")


def _requester_create(*, email: str, name: str):
    """A requester account for a new sender, with no password: they set one with "forgot password"."""
    base = NOT_USERNAME.sub("_", email)[:140]
    username, suffix = base, 1
    while User.objects.filter(username=username).exists():
        suffix += 1
        username = f"{base}-{suffix}"
    first, _space, last = name.partition(" ")
    return user_create(
        username=username,
        email=email,
        role=Role.REQUESTER,
        first_name=first[:150],
        last_name=last[:150],
        language=settings.LANGUAGE_CODE,
        time_zone=settings.TIME_ZONE,
    )


def _watchers(*, ticket: Ticket, parsed: Parsed, actor, ours: set[str]) -> None:
    """The Cc addresses become watchers: accounts get a view grant (in the history), others are e-mail only."""
    taken = {parsed.sender, ticket.requester.email.lower()}
    candidates = [a for a in parsed.cc if a not in taken and base_address(a) not in ours][: settings.MAIL_MAX_WATCHERS]
    if not candidates:
        return
    known = {u.email.lower(): u for u in User.objects.filter(email__in=candidates)}
    for address in candidates:
        account = known.get(address)
        watcher, created = Watcher.objects.get_or_create(ticket=ticket, email=address, defaults={"user": account})
        if created and account is not None:
            _grant(watcher, actor=actor)


def _grant(watcher: Watcher, *, actor) -> None:
    if ticket_services.ticket_watcher_grant(ticket=watcher.ticket, user=watcher.user, actor=actor):
        watcher.grants_view = True
        watcher.save(update_fields=["grants_view"])


@transaction.atomic
def watcher_add(*, ticket: Ticket, email: str, actor) -> Watcher:
    """Add a watcher by hand (the back office's ticket page): they get the ticket's public replies by e-mail, and
    an account with that address may see the ticket (a grant, in the history) and reply to it."""
    ticket_perms.ensure(ticket_perms.can_change_ticket(actor, ticket))
    address = email.strip().lower()
    try:
        validate_email(address)
    except ValidationError:
        raise ValidationError({"email": _("Enter a valid e-mail address.")}) from None
    if address == (ticket.requester.email or "").lower():
        raise ValidationError({"email": _("The requester hears of this ticket already.")})
    if base_address(address) in own_addresses():
        raise ValidationError({"email": _("This is one of our own addresses.")})
    watchers = Watcher.objects.filter(ticket=ticket)
    if watchers.filter(email=address).exists():
        raise ValidationError({"email": _("%(email)s watches this ticket already.") % {"email": address}})
    if watchers.count() >= settings.MAIL_MAX_WATCHERS:
        raise ValidationError(
            {"email": _("A ticket has at most %(count)d watchers.") % {"count": settings.MAIL_MAX_WATCHERS}}
        )
    account = User.objects.filter(email__iexact=address).first()
    watcher = Watcher.objects.create(ticket=ticket, email=address, user=account)
    if account is not None:
        _grant(watcher, actor=actor)
    return watcher


@transaction.atomic
def watcher_remove(*, watcher: Watcher, actor) -> None:
    """Take a watcher off the ticket: no more e-mails, no more replies by e-mail, and the view that watching gave
    an account is taken back (in the history); a view the account holds otherwise stays."""
    ticket = watcher.ticket
    ticket_perms.ensure(ticket_perms.can_change_ticket(actor, ticket))
    if watcher.grants_view and watcher.user is not None:
        ticket_services.ticket_watcher_revoke(ticket=ticket, user=watcher.user, actor=actor)
    watcher.delete()


@transaction.atomic
def mailbox_save(*, mailbox: Mailbox, actor, password: str | None = None) -> Mailbox:
    """Create or change a mailbox (admins); a new password is stored encrypted, an empty one keeps the old."""
    if actor is not None and not is_admin(actor):
        raise PermissionDenied(_("Only admins manage mailboxes."))
    if password:
        mailbox.password = encrypt(password)
    mailbox.full_clean()
    mailbox.save()
    return mailbox


@transaction.atomic
def mailbox_delete(*, mailbox: Mailbox, actor) -> None:
    """Delete a mailbox (admins); its mail log stays, without the mailbox."""
    if actor is not None and not is_admin(actor):
        raise PermissionDenied(_("Only admins manage mailboxes."))
    mailbox.delete()


def mail_log_prune(*, now=None) -> int:
    """Drop the stored bytes of incoming messages handled (processed or rejected) more than
    MAIL_RAW_RETENTION_DAYS ago (0: keep them). The entries stay: their keys keep a message fetched again from
    being handled twice, and their Message-IDs thread later replies. Failed messages keep their bytes, to be
    resubmitted. Returns how many messages were pruned."""
    days = settings.MAIL_RAW_RETENTION_DAYS
    if days <= 0:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=days)
    return (
        MailMessage.objects.filter(direction=MailMessage.Direction.IN, status__in=DONE, received_at__lt=cutoff)
        .exclude(raw=b"")
        .update(raw=b"")
    )
