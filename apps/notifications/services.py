"""Writes of notifications: the fan-out of ticket events to the people concerned, read marks, preferences.

Who hears about what:

| event | recipients | kind |
|---|---|---|
| ticket created | the department's agents (not the one who opened it, not the assignee) | ticket_created |
| assigned | the new assignee (unless they assigned themselves) | assigned |
| public reply | the requester, when someone else replied; the assignee, when the requester or a watcher did | reply |
| internal note | the agents it mentions with `@username` | mention |
| status change | the requester (unless they changed it) | status_changed |
| SLA warning / breach | the assignee and the department's manager | sla_warning / sla_breached |

Every recipient must be able to see the ticket (apps.tickets.permissions.can_view_ticket) and is an active
account; a requester only ever gets `REQUESTER_KINDS`, never about an internal note. Each person's
preferences decide the channels: in-app (the row is listed) and e-mail (apps/notifications/emails.py).
"""

import time
from dataclasses import dataclass

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from apps.accounts.choices import STAFF_ROLES
from apps.accounts.models import User
from apps.tickets.choices import EventKind
from apps.tickets.models import Comment, Ticket, TicketEvent
from apps.tickets.permissions import can_view_ticket

from .choices import REQUESTER_KINDS, EmailStatus, NotificationKind
from .emails import status_email_waits
from .mentions import mentioned_staff
from .models import Notification, NotificationPreference
from .queue import queue_email
from .selectors import UNREAD_GENERATION, channels_for, kinds_for, unread_key
from .texts import notification_text


@dataclass(frozen=True)
class Delivery:
    """One person to tell about one event, before their rights and preferences are checked."""

    recipient: User
    kind: str
    comment: Comment | None = None


def _user(pk) -> User | None:
    return User.objects.filter(pk=pk).first() if pk else None


def _comment(event: TicketEvent) -> Comment | None:
    pk = (event.data or {}).get("comment")
    return Comment.objects.select_related("author").filter(pk=pk, ticket_id=event.ticket_id).first() if pk else None


def planned_deliveries(event: TicketEvent) -> list[Delivery]:
    """Who the event concerns (see the module's table), before visibility and preferences."""
    ticket = event.ticket
    data = event.data or {}
    kind = event.kind
    if kind == EventKind.CREATED:
        if data.get("notify") is False:  # e.g. imported without TICKET_IMPORT_NOTIFY
            return []
        members = User.objects.filter(groups=ticket.department.group_id, role__in=STAFF_ROLES).order_by("pk")
        if ticket.assignee_id:
            members = members.exclude(pk=ticket.assignee_id)  # they hear "assigned to you" instead
        return [Delivery(member, NotificationKind.TICKET_CREATED) for member in members]
    if kind == EventKind.ASSIGNED:
        assignee = _user(data.get("to"))
        return [Delivery(assignee, NotificationKind.ASSIGNED)] if assignee else []
    if kind == EventKind.COMMENTED:
        comment = _comment(event)
        if comment is None or comment.is_internal:
            return []
        to_requester = [] if comment.author_id == ticket.requester_id else [ticket.requester]
        # The requester, or someone on their side (a watcher), replied: the assignee hears it.
        customer_side = not comment.author.is_staff
        assignee = _user(ticket.assignee_id) if customer_side else None
        recipients = [*to_requester, *([assignee] if assignee else [])]
        return [Delivery(person, NotificationKind.REPLY, comment) for person in recipients]
    if kind == EventKind.NOTE_ADDED:
        comment = _comment(event)
        if comment is None:
            return []
        return [Delivery(user, NotificationKind.MENTION, comment) for user in mentioned_staff(comment.body)]
    if kind == EventKind.STATUS_CHANGED:
        return [Delivery(ticket.requester, NotificationKind.STATUS_CHANGED)]
    if kind in (EventKind.SLA_WARNING, EventKind.SLA_BREACHED):
        notification_kind = (
            NotificationKind.SLA_BREACHED if kind == EventKind.SLA_BREACHED else NotificationKind.SLA_WARNING
        )
        people = [_user(ticket.assignee_id), _user(ticket.department.manager_id)]
        return [Delivery(person, notification_kind) for person in people if person is not None]
    return []


def may_receive(delivery: Delivery, *, ticket: Ticket, actor_id: int | None) -> bool:
    """Nobody is told about their own action; recipients are active and can see the ticket; requesters only
    hear about public replies and status changes, never about internal content."""
    recipient = delivery.recipient
    if not recipient.is_active or recipient.pk == actor_id:
        return False
    if not recipient.is_staff and (
        delivery.kind not in REQUESTER_KINDS or (delivery.comment is not None and delivery.comment.is_internal)
    ):
        return False
    if delivery.kind not in kinds_for(recipient):
        return False
    return can_view_ticket(recipient, ticket)


def _dedupe(deliveries: list[Delivery]) -> list[Delivery]:
    seen: set[tuple[int, str]] = set()
    unique = []
    for delivery in deliveries:
        key = (delivery.recipient.pk, delivery.kind)
        if key not in seen:
            seen.add(key)
            unique.append(delivery)
    return unique


def notifications_for_event(*, event_id: int) -> list[Notification]:
    """Create the notifications of one ticket event and queue their e-mails. Safe to run twice: each row has an
    idempotency key (event, recipient, kind), so a second run finds the rows and sends nothing new."""
    event = TicketEvent.objects.select_related("ticket__department", "ticket__requester", "actor").filter(pk=event_id)
    event = event.first()
    if event is None:  # the ticket was deleted since
        return []
    ticket = event.ticket
    deliveries = [
        d for d in _dedupe(planned_deliveries(event)) if may_receive(d, ticket=ticket, actor_id=event.actor_id)
    ]
    notifications = []
    with transaction.atomic():
        for kind in dict.fromkeys(d.kind for d in deliveries):
            of_kind = [d for d in deliveries if d.kind == kind]
            channels = channels_for([d.recipient for d in of_kind], kind)
            for delivery in of_kind:
                in_app, email = channels[delivery.recipient.pk]
                if in_app or email:
                    notifications.append(_notification(event, delivery, in_app=in_app, email=email))
    return notifications


def _notification(event: TicketEvent, delivery: Delivery, *, in_app: bool, email: bool) -> Notification:
    recipient = delivery.recipient
    key = f"event:{event.pk}:{recipient.pk}:{delivery.kind}"
    with translation.override(recipient.language), timezone.override(recipient.time_zone):
        text = notification_text(
            kind=delivery.kind, ticket=event.ticket, actor=event.actor, recipient=recipient, data=event.data or {}
        )
    defaults = {
        "recipient": recipient,
        "ticket": event.ticket,
        "kind": delivery.kind,
        "actor_id": event.actor_id,
        "comment": delivery.comment,
        "text": text,
        "in_app": in_app,
        "email_status": EmailStatus.PENDING if email else EmailStatus.SKIPPED,
    }
    try:
        with transaction.atomic():
            notification, _created = Notification.objects.get_or_create(key=key, defaults=defaults)
    except IntegrityError:  # a parallel run inserted it between our read and write
        notification = Notification.objects.get(key=key)
    if notification.email_status in (EmailStatus.PENDING, EmailStatus.FAILED) and not status_email_waits(notification):
        # Queued again when the task runs again: harmless, the e-mail task sends once (see emails.py).
        queue_email(notification.pk)
    return notification


# Read marks -------------------------------------------------------------------------------------------------


def notification_mark_read(*, user, notification_id: int) -> bool:
    """Mark one of the user's own notifications read; False when it is not theirs or was already read."""
    updated = Notification.objects.filter(pk=notification_id, recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    if updated:
        unread_changed(user.pk)
    return bool(updated)


def notifications_mark_all_read(*, user) -> int:
    """Mark every unread notification of the user read; returns how many."""
    updated = Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())
    if updated:
        unread_changed(user.pk)
    return updated


def unread_changed(user_id: int) -> None:
    """Forget the person's kept unread state (selectors.unread_state): now, and again once the transaction commits,
    so a page read between the two cannot keep what the transaction replaced."""
    cache.delete(unread_key(user_id))
    transaction.on_commit(lambda: cache.delete(unread_key(user_id)))


def unread_saved(sender, instance: Notification, **kwargs) -> None:
    """A notification written one by one (created, or saved by the admin or a test's factory): its person's kept
    unread state is forgotten."""
    unread_changed(instance.recipient_id)


def unread_forget_all(**kwargs) -> None:
    """Start a new generation of everyone's kept unread state (a deleted ticket takes its notifications along)."""
    cache.set(UNREAD_GENERATION, time.time_ns(), None)
    transaction.on_commit(lambda: cache.set(UNREAD_GENERATION, time.time_ns(), None))


# Preferences ------------------------------------------------------------------------------------------------


@transaction.atomic
def preferences_set(*, user, channels: dict[str, tuple[bool, bool]]) -> None:
    """Store the user's channels (in-app, e-mail) per kind; kinds the user cannot receive are refused."""
    unknown = set(channels) - set(kinds_for(user))
    if unknown:
        raise ValueError(f"{user} cannot receive {sorted(unknown)}")
    for kind, (in_app, email) in channels.items():
        NotificationPreference.objects.update_or_create(
            user=user, kind=kind, defaults={"in_app": bool(in_app), "email": bool(email)}
        )
