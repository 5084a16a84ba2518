"""Bulk actions of the ticket changelist. Each one calls a service per ticket, on the tickets the user may change."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .. import services
from ..choices import Status
from ..permissions import CHANGE
from ..selectors import tickets_visible_to
from .forms import StatusActionForm, TransferActionForm

# One action works on at most this many tickets (a changelist page shows 50): a request, not a batch job.
MAX_TICKETS_PER_ACTION = 100


def _split_changeable(request, queryset):
    """The selected tickets the user may change, and how many selected ones they may not."""
    total = queryset.count()
    if total > MAX_TICKETS_PER_ACTION:
        return None, total
    changeable = tickets_visible_to(request.user, perm=CHANGE).values("pk")
    tickets = list(
        queryset.filter(pk__in=changeable).select_related("department", "assignee", "requester").order_by("reference")
    )
    return tickets, total - len(tickets)


def _too_many(modeladmin, request, total: int) -> None:
    modeladmin.message_user(
        request,
        _("%(count)d tickets are selected; an action works on at most %(max)d at a time. Nothing was changed.")
        % {"count": total, "max": MAX_TICKETS_PER_ACTION},
        messages.ERROR,
    )


def _report(modeladmin, request, *, done: int, skipped: int, done_message: str) -> None:
    if done:
        modeladmin.message_user(request, done_message, messages.SUCCESS)
    if skipped:
        modeladmin.message_user(
            request,
            ngettext(
                "%(count)d selected ticket was skipped because you may not change it.",
                "%(count)d selected tickets were skipped because you may not change them.",
                skipped,
            )
            % {"count": skipped},
            messages.WARNING,
        )


def _refusal(ticket, exc: Exception) -> str:
    reason = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
    return _("%(reference)s: %(reason)s") % {"reference": ticket.reference, "reason": reason}


def _run(modeladmin, request, tickets, call) -> int:
    """Call `call(ticket)` for each ticket in its own transaction; report refusals one by one."""
    done = 0
    for ticket in tickets:
        try:
            with transaction.atomic():
                call(ticket)
        except (ValidationError, PermissionDenied, services.StaleTicketError) as exc:
            modeladmin.message_user(request, _refusal(ticket, exc), messages.ERROR)
        else:
            done += 1
    return done


def _intermediate_page(modeladmin, request, queryset, *, form, action: str, title: str, tickets, skipped: int):
    opts = modeladmin.model._meta
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "opts": opts,
        "app_label": opts.app_label,
        "form": form,
        "action_name": action,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "selected_ids": [str(pk) for pk in queryset.values_list("pk", flat=True)],
        "tickets": tickets,
        "skipped": skipped,
        "media": modeladmin.media + form.media,
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(request, "admin/tickets/ticket/action_form.html", context)


@admin.action(description=gettext_lazy("Assign to me"), permissions=["change"])
def assign_to_me(modeladmin, request, queryset):
    tickets, skipped = _split_changeable(request, queryset)
    if tickets is None:
        return _too_many(modeladmin, request, skipped)
    done = _run(
        modeladmin,
        request,
        tickets,
        lambda t: services.ticket_assign(ticket=t, actor=request.user, assignee=request.user),
    )
    message = ngettext("%(count)d ticket assigned to you.", "%(count)d tickets assigned to you.", done) % {
        "count": done
    }
    _report(modeladmin, request, done=done, skipped=skipped, done_message=message)
    return None


def _ask_then_run(
    modeladmin,
    request,
    queryset,
    *,
    form_class,
    action: str,
    title: str,
    pending,
    call,
    done_message,
    unchanged_message=None,
):
    """An action that asks for one value first (on an intermediate page), then calls `call(ticket, value)` for
    each selected ticket the user may change and `pending(ticket, value)` says needs it."""
    tickets, skipped = _split_changeable(request, queryset)
    if tickets is None:
        return _too_many(modeladmin, request, skipped)
    form = form_class(request.POST if "apply" in request.POST else None)
    if not form.is_valid():
        return _intermediate_page(
            modeladmin, request, queryset, form=form, action=action, title=title, tickets=tickets, skipped=skipped
        )
    (value,) = form.cleaned_data.values()
    moving = [t for t in tickets if pending(t, value)]
    done = _run(modeladmin, request, moving, lambda t: call(t, value))
    _report(modeladmin, request, done=done, skipped=skipped, done_message=done_message(done, value))
    unchanged = len(tickets) - len(moving)
    if unchanged and unchanged_message is not None:
        modeladmin.message_user(request, unchanged_message(unchanged), messages.INFO)
    return None


@admin.action(description=gettext_lazy("Change status"), permissions=["change"])
def change_status(modeladmin, request, queryset):
    return _ask_then_run(
        modeladmin,
        request,
        queryset,
        form_class=StatusActionForm,
        action="change_status",
        title=_("Change the status of the selected tickets"),
        pending=lambda ticket, status: ticket.status != status,
        call=lambda ticket, status: services.ticket_transition(ticket=ticket, actor=request.user, to_status=status),
        done_message=lambda done, status: (
            ngettext("%(count)d ticket moved to “%(status)s”.", "%(count)d tickets moved to “%(status)s”.", done)
            % {"count": done, "status": Status(status).label}
        ),
        unchanged_message=lambda count: (
            ngettext("%(count)d ticket already had that status.", "%(count)d tickets already had that status.", count)
            % {"count": count}
        ),
    )


@admin.action(description=gettext_lazy("Transfer to department"), permissions=["change"])
def transfer_department(modeladmin, request, queryset):
    return _ask_then_run(
        modeladmin,
        request,
        queryset,
        form_class=TransferActionForm,
        action="transfer_department",
        title=_("Transfer the selected tickets to another department"),
        pending=lambda ticket, department: ticket.department_id != department.pk,
        call=lambda ticket, department: services.ticket_transfer(
            ticket=ticket, actor=request.user, department=department
        ),
        done_message=lambda done, department: (
            ngettext(
                "%(count)d ticket transferred to %(department)s.",
                "%(count)d tickets transferred to %(department)s.",
                done,
            )
            % {"count": done, "department": department}
        ),
    )
