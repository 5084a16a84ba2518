"""Which ticket a message answers: stored Message-IDs, a signed reply address, the reference in the subject.

The reply address is `<local>+<ticket id>-<signature>@<domain>` of the mailbox's address; the signature is an
HMAC of the ticket id with the site's key (Django's salted_hmac), so nobody writes into a ticket by guessing its
number. None of these is proof of who writes: the services still check that the sender may write on the ticket.
"""

import re

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

from apps.tickets.models import Ticket

from .models import MailMessage
from .parsing import Parsed

SALT = "apps.mail.reply-address"
TOKEN = re.compile(r"^[^@+]+\+(\d+)-([0-9a-f]{20})@", re.IGNORECASE)


def _signature(ticket_id: int) -> str:
    return salted_hmac(SALT, str(ticket_id), secret=settings.SECRET_KEY, algorithm="sha256").hexdigest()[:20]


def reply_address(*, address: str, ticket_id: int) -> str:
    """The mailbox's address with the ticket's signed token: `support+42-<signature>@example.com`."""
    local, _at, domain = address.partition("@")
    return f"{local}+{ticket_id}-{_signature(ticket_id)}@{domain}"


def ticket_id_from_address(address: str) -> int | None:
    match = TOKEN.match(address)
    if match and constant_time_compare(match.group(2).lower(), _signature(int(match.group(1)))):
        return int(match.group(1))
    return None


def subject_reference_pattern() -> re.Pattern:
    return re.compile(rf"\[({re.escape(settings.TICKET_REFERENCE_PREFIX)}-\d{{1,12}})\]")


def subject_with_reference(subject: str, reference: str) -> str:
    return subject if f"[{reference}]" in subject else f"[{reference}] {subject}"


def find_ticket(parsed: Parsed) -> Ticket | None:
    """The ticket a message answers, in the issue's order: Message-IDs, signed address, subject reference."""
    ids = [*parsed.in_reply_to, *reversed(parsed.references)]
    if ids:
        found = (
            MailMessage.objects.filter(message_id__in=ids, ticket__isnull=False)
            .order_by("-received_at")
            .values_list("ticket_id", flat=True)
            .first()
        )
        if found:
            return Ticket.objects.filter(pk=found).first()
    for address in [*parsed.to, *parsed.cc]:
        ticket_id = ticket_id_from_address(address)
        if ticket_id is not None:
            ticket = Ticket.objects.filter(pk=ticket_id).first()
            if ticket is not None:
                return ticket
    match = subject_reference_pattern().search(parsed.subject)
    if match:
        return Ticket.objects.filter(reference=match.group(1)).first()
    return None


def answers_internal_note(parsed: Parsed) -> bool:
    """Whether the message answers our e-mail about an internal note (a mention of an agent)."""
    return (
        bool(parsed.in_reply_to)
        and MailMessage.objects.filter(
            direction=MailMessage.Direction.OUT, message_id__in=parsed.in_reply_to, is_internal=True
        ).exists()
    )


def clean_subject(subject: str) -> str:
    """The subject as a ticket title: no reply/forward prefixes, no reference."""
    subject = subject_reference_pattern().sub("", subject)
    previous = None
    while previous != subject:
        previous = subject
        subject = re.sub(r"^\s*(re|fw|fwd|aw|wg|sv|ynt|ilt)\s*(\[\d+\])?\s*:\s*", "", subject, flags=re.IGNORECASE)
    return subject.strip()
