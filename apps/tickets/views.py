"""The requesters' portal: My tickets, New ticket, the ticket page (reply, close, reopen, files, and edit or
delete one's own reply within COMMENT_EDIT_WINDOW). Each view parses its input, calls the ticket services, and
renders the result. Other apps add pages (Notifications) and context of the ticket page (the replies'
translation) through apps/tickets/extensions.py.

New tickets and replies count against the API's rates (API_THROTTLE_TICKET_CREATE, API_THROTTLE_COMMENT_CREATE),
in the same per-user counters as the API: past the rate, the form comes back with a 429 and nothing is saved.

Requesters see their own tickets only: tickets_visible_to() narrowed to `requester=user`. Everything else
is a 404. Agents and admins work in the back office and are sent there.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from apps.common.throttles import throttle_wait

from . import extensions, services
from .choices import Source, Status
from .downloads import attachment_response
from .forms import CommentEditForm, ReplyForm, TicketCreateForm, TicketFilterForm, TransitionForm, upload_limits_text
from .history import REQUESTER_EVENT_KINDS, requester_history_lines
from .models import COMMENT_MAX_LENGTH, Ticket
from .permissions import (
    TICKET_CREATE_FIELDS,
    can_comment,
    comments_editable_until,
    edit_minutes_left,
    requester_moves,
    write_role,
)
from .search import tickets_search
from .selectors import (
    attachment_get_for_user,
    comment_get_for_user,
    comments_visible_to,
    events_visible_to,
    ticket_get_for_user,
    tickets_visible_to,
)

PAGE_SIZE = 20


def requester_required(view):
    """Logged-in requesters only: anonymous users go to the log-in page, staff to the back office."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args, **kwargs):
        if request.user.is_staff:
            return redirect("admin:index")
        return view(request, *args, **kwargs)

    return wrapper


def own_tickets(user):
    """The requester's own tickets, within what the one visibility rule allows."""
    return tickets_visible_to(user).filter(requester=user)


def own_ticket(user, pk) -> Ticket:
    """One of the requester's own tickets, or 404 (another requester's ticket does not exist for them)."""
    return ticket_get_for_user(user=user, pk=pk, queryset=Ticket.objects.filter(requester=user))


def _add_service_errors(form, exc: ValidationError, field_map: dict[str, str]) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for key, errors in exc.error_dict.items():
        field = field_map.get(key, key)
        form.add_error(field if field in form.fields else None, errors)


def _throttled(request: HttpRequest, form, scope: str) -> int | None:
    """Count this write against the API's rate for `scope`; past it, say so on the form (which keeps its data)
    and return the seconds to wait."""
    wait = throttle_wait(request, scope)
    if wait is None:
        return None
    form.add_error(
        None,
        ngettext(
            "You are sending too many requests. Please wait %(n)d second and try again.",
            "You are sending too many requests. Please wait %(n)d seconds and try again.",
            wait,
        )
        % {"n": wait},
    )
    return wait


def _too_many(response: HttpResponse, wait: int) -> HttpResponse:
    response.status_code = 429
    response["Retry-After"] = str(wait)
    return response


# My tickets ---------------------------------------------------------------------------------------------------


@requester_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    """The requester's tickets, newest activity first (or by relevance when searched), filtered by status group
    and searched (apps/tickets/search.py: their tickets' text and public replies, never internal notes)."""
    filters = TicketFilterForm(request.GET)
    group, search = filters.values()
    filters = TicketFilterForm({"status": group, "q": search})
    mine = own_tickets(request.user)
    tickets = mine
    statuses = filters.statuses(group)
    if statuses:
        tickets = tickets.filter(status__in=statuses)
    tickets = tickets.only("pk", "reference", "title", "status", "category", "created_at", "updated_at")
    tickets = tickets.order_by("-updated_at", "-id")
    if search:
        # By relevance where the database ranks (PostgreSQL); the requester's view: no internal notes.
        tickets = tickets_search(tickets, user=request.user, text=search)
    page = Paginator(tickets, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = mine.aggregate(
        **{
            key: Count("pk", filter=Q(status__in=members)) if members else Count("pk")
            for key, (_label, members) in TicketFilterForm.STATUS_GROUPS.items()
        }
    )
    tabs = [
        {"key": key, "label": label, "count": counts[key], "current": key == group}
        for key, (label, _statuses) in TicketFilterForm.STATUS_GROUPS.items()
    ]
    context = {
        "page": page,
        "tickets": page.object_list,
        "filters": filters,
        "tabs": tabs,
        "group": group,
        "search": search,
        "has_any": counts["all"] > 0,
    }
    return render(request, "portal/ticket_list.html", context)


# New ticket ---------------------------------------------------------------------------------------------------


@requester_required
def ticket_create(request: HttpRequest) -> HttpResponse:
    """Open a ticket (routed to a department); the files are checked by the form before anything is saved."""
    form = TicketCreateForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        if wait := _throttled(request, form, "ticket_create"):
            context = {"form": form, "upload_limits": upload_limits_text()}
            return _too_many(render(request, "portal/ticket_create.html", context), wait)
        ticket = _create(request, form)
        if ticket is not None:
            messages.success(
                request,
                _("Your ticket %(reference)s has been opened. We will reply here and by e-mail.")
                % {"reference": ticket.reference},
            )
            return redirect("portal:ticket_detail", pk=ticket.pk)
    context = {"form": form, "upload_limits": upload_limits_text()}
    return render(request, "portal/ticket_create.html", context)


def _create(request: HttpRequest, form: TicketCreateForm) -> Ticket | None:
    data = form.cleaned_data
    try:
        with transaction.atomic():
            ticket = services.ticket_create(
                actor=request.user,
                requester=request.user,
                department=None,  # routed: the first matching routing rule, else the default department
                source=Source.PORTAL,
                **{field: data[field] for field in TICKET_CREATE_FIELDS[write_role(request.user)]},
            )
            for upload in data["attachments"]:
                services.attachment_add(ticket=ticket, actor=request.user, upload=upload)
    except ValidationError as exc:
        if "no_department" in {e.code for errors in getattr(exc, "error_dict", {}).values() for e in errors}:
            form.add_error(None, _("The help desk cannot take new tickets right now. Please try again later."))
            return None
        _add_service_errors(form, exc, {"department": "__all__", "requester": "__all__"})
        return None
    except PermissionDenied as exc:
        form.add_error(None, str(exc))
        return None
    return ticket


# The ticket page ----------------------------------------------------------------------------------------------


@requester_required
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = own_ticket(request.user, pk)
    return _render_ticket(request, ticket, ReplyForm())


def _render_ticket(request: HttpRequest, ticket: Ticket, reply_form: ReplyForm, status: int = 200) -> HttpResponse:
    user = request.user
    events = events_visible_to(user, ticket=ticket).filter(kind__in=REQUESTER_EVENT_KINDS)
    comments = list(comments_visible_to(user, ticket=ticket))
    # The requester's own replies still in their edit window: when it closes, and the minutes left (rounded up).
    editable, now = comments_editable_until(user, comments, ticket=ticket), timezone.now()
    for comment in comments:
        comment.edit_until = editable.get(comment.pk)
        comment.edit_minutes = edit_minutes_left(comment.edit_until, now) if comment.edit_until else 0
    context = {
        "ticket": ticket,
        "comments": comments,
        # Files added with the ticket itself (not with a reply); never internal, since they have no comment.
        "ticket_files": list(ticket.attachments.filter(comment__isnull=True)),
        "history": requester_history_lines(events),
        "moves": requester_moves(user, ticket),
        "can_reply": can_comment(user, ticket, internal=False),
        "reply_form": reply_form,
        "upload_limits": upload_limits_text(),
        "comment_max_length": COMMENT_MAX_LENGTH,
    }
    for extension in extensions.portal_ticket_context:
        context.update(extension.context(request, ticket, comments))
    return render(request, "portal/ticket_detail.html", context, status=status)


@require_POST
@requester_required
def ticket_reply(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a public reply (and its files) to the requester's ticket."""
    ticket = own_ticket(request.user, pk)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        if not can_comment(request.user, ticket, internal=False):
            form.add_error(None, _("This ticket is closed. Please open a new ticket."))
        elif wait := _throttled(request, form, "comment_create"):
            return _too_many(_render_ticket(request, ticket, form), wait)
        else:
            try:
                comment = services.comment_add(
                    ticket=ticket,
                    actor=request.user,
                    body=form.cleaned_data["body"],
                    uploads=form.cleaned_data["attachments"],
                )
            except ValidationError as exc:
                _add_service_errors(form, exc, {"body": "body"})
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Your reply has been sent."))
                return redirect(reverse("portal:ticket_detail", args=[ticket.pk]) + f"#comment-{comment.pk}")
    return _render_ticket(request, ticket, form)


@require_POST
@requester_required
def comment_edit(request: HttpRequest, pk: int, comment_id: int) -> HttpResponse:
    """Rewrite one's own reply within the edit window (the API's service and rule; the history keeps the old
    text). Another's reply or one past the window is a 403, an internal note or another's ticket a 404."""
    ticket = own_ticket(request.user, pk)
    comment = comment_get_for_user(user=request.user, ticket=ticket, pk=comment_id)
    form = CommentEditForm(request.POST)
    anchor = reverse("portal:ticket_detail", args=[ticket.pk]) + f"#comment-{comment.pk}"
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["body"]))
        return redirect(anchor)
    try:
        services.comment_edit(comment=comment, actor=request.user, body=form.cleaned_data["body"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Your reply was changed."))
    return redirect(anchor)


@require_POST
@requester_required
def comment_delete(request: HttpRequest, pk: int, comment_id: int) -> HttpResponse:
    """Delete one's own reply (and its files) within the edit window, by the same rule as comment_edit."""
    ticket = own_ticket(request.user, pk)
    comment = comment_get_for_user(user=request.user, ticket=ticket, pk=comment_id)
    services.comment_delete(comment=comment, actor=request.user)
    messages.success(request, _("Your reply was deleted."))
    return redirect(reverse("portal:ticket_detail", args=[ticket.pk]) + "#conversation")


@require_POST
@requester_required
def ticket_transition(request: HttpRequest, pk: int) -> HttpResponse:
    """Close the ticket, or reopen a resolved one, through the lifecycle service."""
    ticket = own_ticket(request.user, pk)
    form = TransitionForm(request.POST)
    detail = redirect("portal:ticket_detail", pk=ticket.pk)
    if not form.is_valid():
        messages.error(request, _("That did not work. Please try again."))
        return detail
    to_status, version = form.cleaned_data["to_status"], form.cleaned_data["version"]
    if version != ticket.version:
        messages.warning(request, _("The ticket changed in the meantime. Here is how it looks now."))
        return detail
    if to_status not in requester_moves(request.user, ticket):
        raise PermissionDenied(_("You cannot do that with this ticket now."))
    try:
        services.ticket_transition(ticket=ticket, actor=request.user, to_status=to_status, expected_version=version)
    except services.StaleTicketError:
        messages.warning(request, _("The ticket changed in the meantime. Here is how it looks now."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if to_status == Status.CLOSED:
            messages.success(request, _("The ticket is closed. Thank you!"))
        else:
            messages.success(request, _("The ticket is open again. Tell us what is still wrong in a reply."))
    return detail


@requester_required
def attachment_download(request: HttpRequest, pk: int, attachment_id: int) -> HttpResponse:
    """A file of the requester's ticket, always as a download; internal notes' files do not exist here."""
    ticket = own_ticket(request.user, pk)
    return attachment_response(attachment_get_for_user(user=request.user, pk=attachment_id, ticket=ticket))
