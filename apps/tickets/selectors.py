"""Every read of tickets goes through here; `tickets_visible_to` is the one visibility rule."""

from django.db.models import Q, QuerySet
from django.http import Http404

from apps.accounts.permissions import is_admin

from .models import Attachment, Comment, Ticket, TicketEvent, TicketGroupObjectPermission, TicketUserObjectPermission
from .permissions import CHANGE, VIEW


def tickets_visible_to(user, *, perm: str = VIEW) -> QuerySet[Ticket]:
    """Tickets on which `user` holds `perm` (view_ticket or change_ticket) through a user or group grant.

    Global model permissions never widen this (guardian's accept_global_perms=False semantics); admins
    see everything. Inactive and anonymous users see nothing.
    """
    if perm not in (VIEW, CHANGE):
        raise ValueError(f"unknown ticket permission {perm!r}")
    if not (user.is_authenticated and user.is_active):
        return Ticket.objects.none()
    if is_admin(user):
        return Ticket.objects.all()
    via_user = TicketUserObjectPermission.objects.filter(
        user=user, permission__codename=perm, permission__content_type__app_label="tickets"
    ).values("content_object_id")
    via_group = TicketGroupObjectPermission.objects.filter(
        group__user=user, permission__codename=perm, permission__content_type__app_label="tickets"
    ).values("content_object_id")
    return Ticket.objects.filter(Q(pk__in=via_user) | Q(pk__in=via_group))


def ticket_get_for_user(*, user, pk, perm: str = VIEW, queryset: QuerySet[Ticket] | None = None) -> Ticket:
    """One ticket the user holds `perm` on, or Http404 (never 403: no existence oracle)."""
    qs = tickets_visible_to(user, perm=perm)
    if queryset is not None:
        qs = queryset & qs
    try:
        return qs.get(pk=pk)
    except (Ticket.DoesNotExist, ValueError, TypeError):
        raise Http404("No ticket matches the given query.") from None


def comments_visible_to(user, *, ticket: Ticket) -> QuerySet[Comment]:
    """The conversation of a ticket the caller can already see; requesters never get internal notes."""
    qs = ticket.comments.select_related("author").prefetch_related("attachments")
    return qs if user.is_staff else qs.filter(is_internal=False)


def events_visible_to(user, *, ticket: Ticket) -> QuerySet[TicketEvent]:
    """The history of a ticket the caller can already see; internal events are for staff only."""
    qs = ticket.events.select_related("actor")
    return qs if user.is_staff else qs.filter(is_internal=False)


def _public_files(user) -> Q:
    """Files a requester may see: on the ticket itself, or on a public reply."""
    return Q() if user.is_staff else Q(comment__isnull=True) | Q(comment__is_internal=False)


def attachments_visible_to(user, *, ticket: Ticket) -> QuerySet[Attachment]:
    """The files of a ticket the caller can already see; requesters never get those of internal notes."""
    return ticket.attachments.filter(_public_files(user))


def attachment_get_for_user(*, user, pk, ticket: Ticket | None = None) -> Attachment:
    """One file on a ticket the user can see (for requesters, not on an internal note), or Http404."""
    qs = Attachment.objects.filter(_public_files(user), ticket__in=tickets_visible_to(user).values("pk"))
    if ticket is not None:
        qs = qs.filter(ticket=ticket)
    try:
        return qs.get(pk=pk)
    except (Attachment.DoesNotExist, ValueError, TypeError):
        raise Http404("No attachment matches the given query.") from None
