"""E-mails of notifications: rendered in the recipient's language and time zone, sent at most once each.

Sending once: the task claims the notification with one UPDATE (pending or failed → sending) and only the task
that changed the row sends. A claim older than the queue's `retry` belongs to an attempt that died (the worker
was killed mid-send): it may be claimed again. After sending, the row says "sent"; after an error it says
"failed" with the error, and the task raises so that django-q2 records the failure (back office: Background
tasks, and the notification's e-mail status); resubmitting the task tries again.

A requester whose ticket changes status several times within a few minutes gets one e-mail listing the changes:
those e-mails wait (NOTIFICATIONS_STATUS_EMAIL_WAIT_SECONDS) until the ticket has been quiet that long, and a
scheduled task (status_digests_send, every minute) sends them together. In-app notifications stay one per change.
"""

from datetime import timedelta
from urllib.parse import urljoin

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F, Max, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from apps.tickets import extensions
from apps.tickets.history import display_name, requester_status_label
from apps.tickets.permissions import can_view_ticket

from .choices import REQUESTER_KINDS, EmailStatus, NotificationKind
from .models import Notification
from .texts import email_subject

EXCERPT_LENGTH = 2000


def absolute(path: str) -> str:
    return urljoin(settings.SITE_URL.rstrip("/") + "/", path.lstrip("/"))


def ticket_path(recipient, ticket) -> str:
    """Requesters open the ticket in the portal, agents and admins in the back office."""
    if recipient.is_staff:
        return reverse("admin:tickets_ticket_change", args=[ticket.pk])
    return reverse("portal:ticket_detail", args=[ticket.pk])


def ticket_url(recipient, ticket) -> str:
    return absolute(ticket_path(recipient, ticket))


def preferences_url(recipient) -> str:
    if recipient.is_staff:
        return absolute(reverse("admin:notifications_notification_preferences"))
    return absolute(reverse("accounts:profile") + "#notification-preferences")


def _excerpt(notification: Notification) -> str:
    """The reply or note the notification is about; for a new ticket, its description. Never internal content
    for a requester."""
    recipient = notification.recipient
    comment = notification.comment
    if comment is not None:
        if comment.is_internal and not recipient.is_staff:
            return ""
        return comment.body[:EXCERPT_LENGTH]
    if notification.kind == NotificationKind.TICKET_CREATED:
        return notification.ticket.description[:EXCERPT_LENGTH]
    return ""


def build_message(notification: Notification, *, changes: list[Notification] | None = None) -> EmailMultiAlternatives:
    """The e-mail (plain text and HTML) in the recipient's language and time zone; `changes`: the status changes
    one e-mail sums up (the latest is `notification`)."""
    recipient = notification.recipient
    ticket = notification.ticket
    with translation.override(recipient.language), timezone.override(recipient.time_zone):
        context = {
            "recipient": recipient,
            "name": display_name(recipient),
            "notification": notification,
            "ticket": ticket,
            "status": requester_status_label(ticket.status) if not recipient.is_staff else ticket.get_status_display(),
            "excerpt": _excerpt(notification),
            "author": display_name(notification.comment.author) if notification.comment_id else "",
            "url": ticket_url(recipient, ticket),
            "preferences_url": preferences_url(recipient),
            "for_requester": not recipient.is_staff,
            "changes": changes or [],
        }
        subject = email_subject(notification)
        text = render_to_string("notifications/email/notification.txt", context)
        html = render_to_string("notifications/email/notification.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
        headers={"Auto-Submitted": "auto-generated", "X-Ticket-Reference": ticket.reference},
    )
    message.attach_alternative(html, "text/html")
    return message


def _claim(notification_id: int) -> bool:
    now = timezone.now()
    stale = now - timedelta(seconds=settings.Q_CLUSTER["retry"])
    claimable = Q(email_status__in=[EmailStatus.PENDING, EmailStatus.FAILED]) | Q(
        email_status=EmailStatus.SENDING, email_claimed_at__lt=stale
    )
    updated = Notification.objects.filter(claimable, pk=notification_id).update(
        email_status=EmailStatus.SENDING, email_claimed_at=now, email_attempts=F("email_attempts") + 1
    )
    return updated == 1


def _still_allowed(notification: Notification) -> bool:
    """The recipient may have lost access or been deactivated since the notification was made."""
    recipient = notification.recipient
    if not (recipient.is_active and recipient.email) or not can_view_ticket(recipient, notification.ticket):
        return False
    return recipient.is_staff or notification.kind in REQUESTER_KINDS


def notification_email_send(*, notification_id: int) -> bool:
    """Send the e-mail of one notification unless it was sent already (or is being sent); True if sent now."""
    if not _claim(notification_id):
        return False
    notification = Notification.objects.select_related(
        "recipient", "ticket__department", "comment__author", "actor"
    ).get(pk=notification_id)
    return _send(notification, Notification.objects.filter(pk=notification_id))


def _send(notification: Notification, done, *, changes: list[Notification] | None = None) -> bool:
    """Send the e-mail of `notification` (claimed) and record the outcome on the rows of `done`."""
    if not _still_allowed(notification):
        done.update(email_status=EmailStatus.SKIPPED)
        return False
    message = build_message(notification, changes=changes)
    # The apps above tickets (the e-mail channel) thread the message and attach a public reply's files.
    hooks = list(extensions.outgoing_ticket_mail)
    for hook in hooks:
        hook.prepare(message, notification.ticket, notification.comment)
    try:
        message.send(fail_silently=False)
    except Exception as exc:
        done.update(email_status=EmailStatus.FAILED, email_error=f"{type(exc).__name__}: {exc}"[:2000])
        for hook in hooks:
            hook.finished(message, exc)
        raise
    done.update(email_status=EmailStatus.SENT, emailed_at=timezone.now(), email_error="")
    for hook in hooks:
        hook.finished(message, None)
    return True


# Status changes of a requester's ticket: one e-mail for the changes of a few minutes -------------------------


def status_email_waits(notification: Notification) -> bool:
    """A requester's status-change e-mail waits for status_digests_send (NOTIFICATIONS_STATUS_EMAIL_WAIT_SECONDS)."""
    return (
        notification.kind == NotificationKind.STATUS_CHANGED
        and not notification.recipient.is_staff
        and settings.NOTIFICATIONS_STATUS_EMAIL_WAIT_SECONDS > 0
    )


def status_digests_send(*, now=None) -> int:
    """E-mail each requester once for the status changes of a ticket that stayed quiet for the wait: the last
    change after NOTIFICATIONS_STATUS_EMAIL_WAIT_SECONDS, one e-mail listing them all. Returns how many were sent.

    Safe to run twice or in parallel: every notification is claimed before it is sent (_claim).
    """
    now = now or timezone.now()
    quiet = now - timedelta(seconds=settings.NOTIFICATIONS_STATUS_EMAIL_WAIT_SECONDS)
    waiting = Notification.objects.filter(
        kind=NotificationKind.STATUS_CHANGED, email_status=EmailStatus.PENDING, recipient__is_staff=False
    )
    groups = (
        waiting.order_by()
        .values("recipient_id", "ticket_id")
        .annotate(last=Max("created_at"))
        .filter(last__lte=quiet)
        .values_list("recipient_id", "ticket_id")
    )
    sent = 0
    for recipient_id, ticket_id in list(groups):
        ids = waiting.filter(recipient_id=recipient_id, ticket_id=ticket_id).values_list("pk", flat=True)
        claimed = [pk for pk in ids if _claim(pk)]
        if not claimed:
            continue
        rows = list(
            Notification.objects.select_related("recipient", "ticket__department", "comment__author", "actor")
            .filter(pk__in=claimed)
            .order_by("created_at", "pk")
        )
        latest = rows[-1]
        if _send(latest, Notification.objects.filter(pk__in=claimed), changes=rows if len(rows) > 1 else None):
            sent += 1
    return sent
