"""Workers' tasks of the knowledge app: make a resolved ticket's satisfaction request and e-mail it.

Safe to run twice: the request is made once per ticket (a one-to-one row), and the e-mail is claimed with one
UPDATE of `emailed_at` before it is sent.
"""

from urllib.parse import urljoin

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from apps.tickets.history import display_name

from .choices import BINARY_LABELS, RATING_LABELS, RatingScale
from .models import Satisfaction
from .services import satisfaction_request
from .signing import link_token


def absolute(path: str) -> str:
    return urljoin(settings.SITE_URL.rstrip("/") + "/", path.lstrip("/"))


def rating_choices() -> list[tuple[int, str]]:
    labels = BINARY_LABELS if settings.CSAT_SCALE == RatingScale.BINARY else RATING_LABELS
    return [(value, str(label)) for value, label in sorted(labels.items(), reverse=True)]


def build_message(satisfaction: Satisfaction) -> EmailMultiAlternatives:
    """The request in the requester's language: one signed link per rating."""
    requester = satisfaction.requester
    ticket = satisfaction.ticket
    with translation.override(requester.language), timezone.override(requester.time_zone):
        links = [
            {
                "value": value,
                "label": label,
                "url": absolute(
                    reverse("portal:satisfaction_link", args=[link_token(satisfaction=satisfaction, rating=value)])
                ),
            }
            for value, label in rating_choices()
        ]
        context = {
            "name": display_name(requester),
            "ticket": ticket,
            "links": links,
            "days": settings.CSAT_LINK_MAX_AGE_DAYS,
            "ticket_url": absolute(reverse("portal:ticket_detail", args=[ticket.pk])),
            "profile_url": absolute(reverse("accounts:profile") + "#satisfaction"),
        }
        subject = _("[%(reference)s] How did we do?") % {"reference": ticket.reference}
        text = render_to_string("knowledge/email/satisfaction.txt", context)
        html = render_to_string("knowledge/email/satisfaction.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[requester.email],
        headers={"Auto-Submitted": "auto-generated", "X-Ticket-Reference": ticket.reference},
    )
    message.attach_alternative(html, "text/html")
    return message


def satisfaction_email_send(*, satisfaction_id: int) -> bool:
    """E-mail the request unless it was e-mailed already; True if sent now."""
    claimed = Satisfaction.objects.filter(pk=satisfaction_id, emailed_at__isnull=True).update(emailed_at=timezone.now())
    if not claimed:
        return False
    satisfaction = Satisfaction.objects.select_related("ticket", "requester").get(pk=satisfaction_id)
    if not satisfaction.requester.email:
        return False
    try:
        build_message(satisfaction).send(fail_silently=False)
    except Exception:
        Satisfaction.objects.filter(pk=satisfaction_id).update(emailed_at=None)  # a retry may send it
        raise
    return True


def satisfaction_request_send(ticket_id: int, resolved_by_id: int | None = None) -> bool:
    """Make the ticket's satisfaction request (if it is still resolved and wanted) and e-mail it."""
    satisfaction = satisfaction_request(ticket_id=ticket_id, resolved_by_id=resolved_by_id)
    if satisfaction is None:
        return False
    return satisfaction_email_send(satisfaction_id=satisfaction.pk)
