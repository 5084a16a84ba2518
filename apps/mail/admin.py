"""Back office of the e-mail channel: mailboxes (admins), the mail log (admins) and the watchers panel of the
ticket page (everyone who can open the ticket sees it; those who can change the ticket add and remove watchers).

The mailbox form writes through `mailbox_save` while it validates (ServiceModelForm); its password field is
write-only: never filled in, never shown, left empty to keep the stored one. "Test connection" logs in and says
what is wrong in plain words. The mail log is read-only; "Resubmit" runs failed messages through the channel again.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import display
from unfold.widgets import UnfoldAdminPasswordWidget

from apps.accounts.permissions import AdminsOnlyMixin, NoWritesMixin
from apps.common.admin.forms import ServiceAdminMixin, ServiceModelForm
from apps.tickets.extensions import AdminPanel, AdminUrl

from .choices import Status
from .imap import ConnectionProblem, connection_check
from .models import Mailbox, MailMessage, Watcher
from .services import mail_resubmit, mailbox_delete, mailbox_save, watcher_add, watcher_remove

MAILBOX_FIELDS = (
    "name",
    "address",
    "department",
    "is_enabled",
    "host",
    "port",
    "security",
    "username",
    "folder",
    "processed_folder",
    "failed_folder",
)


class MailboxForm(ServiceModelForm):
    """Saving is a call to mailbox_save; the password is asked for, never shown."""

    new_password = forms.CharField(
        label=_("password"),
        required=False,
        strip=False,
        widget=UnfoldAdminPasswordWidget(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Stored encrypted and never shown again. Leave empty to keep the stored password."),
    )

    class Meta:
        model = Mailbox
        fields = MAILBOX_FIELDS

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk and not cleaned.get("new_password"):
            self.add_error("new_password", _("Enter the mailbox's password."))
        return cleaned

    def apply(self):
        return mailbox_save(
            mailbox=self.filled_instance(), actor=self.actor, password=self.cleaned_data.get("new_password") or None
        )


@admin.register(Mailbox)
class MailboxAdmin(AdminsOnlyMixin, ServiceAdminMixin, ModelAdmin):
    form = MailboxForm
    list_display = ("name", "address", "department", "host", "is_enabled", "last_polled_at", "problem")
    list_filter = ("is_enabled",)
    search_fields = ("name", "address", "host")
    readonly_fields = ("last_polled_at", "last_error")
    fieldsets = (
        (None, {"fields": ("name", "address", "department", "is_enabled")}),
        (_("IMAP server"), {"fields": ("host", "port", "security", "username", "new_password")}),
        (_("Folders"), {"fields": ("folder", "processed_folder", "failed_folder")}),
        (_("Last poll"), {"fields": ("last_polled_at", "last_error")}),
    )
    actions = ("test_connection",)
    actions_detail = ()

    def delete_with_service(self, request, obj) -> None:
        mailbox_delete(mailbox=obj, actor=request.user)

    @display(description=_("problem"))
    def problem(self, obj):
        return obj.last_error or "—"

    @admin.action(description=_("Test connection"))
    def test_connection(self, request, queryset):
        for mailbox in queryset:
            try:
                answer = connection_check(mailbox)
            except ConnectionProblem as exc:
                self.message_user(request, f"{mailbox.name}: {exc}", level=messages.ERROR)
            else:
                self.message_user(request, f"{mailbox.name}: {answer}", level=messages.SUCCESS)


@admin.register(MailMessage)
class MailMessageAdmin(NoWritesMixin, AdminsOnlyMixin, ModelAdmin):
    """The mail log: every message in (and out), what became of it, and why. Read-only."""

    list_display = ("received_at", "direction", "sender", "subject", "status", "outcome", "reason", "ticket")
    list_filter = ("status", "direction", "reason", "mailbox")
    search_fields = ("sender", "subject", "message_id", "ticket__reference")
    list_select_related = ("ticket",)
    date_hierarchy = "received_at"
    fields = (
        "direction",
        "received_at",
        "processed_at",
        "mailbox",
        "sender",
        "subject",
        "message_id",
        "status",
        "outcome",
        "reason",
        "detail",
        "attempts",
        "ticket",
        "comment",
        "size",
        "headers",
    )
    readonly_fields = fields
    actions = ("resubmit",)

    @admin.action(description=_("Resubmit failed messages"), permissions=["resubmit"])
    def resubmit(self, request, queryset):
        done, skipped = 0, 0
        for message in queryset:
            try:
                result = mail_resubmit(message=message, actor=request.user)
            except ValidationError:
                skipped += 1
                continue
            done += result.message.status != Status.FAILED
            skipped += result.message.status == Status.FAILED
        if done:
            self.message_user(request, _("%(count)d message(s) processed.") % {"count": done}, messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                _("%(count)d message(s) were not failed ones, or failed again: see their detail.") % {"count": skipped},
                messages.WARNING,
            )

    def has_resubmit_permission(self, request):
        return self.has_view_permission(request)


def watchers_context(model_admin, request, ticket) -> dict:
    """The ticket page already checked that the user may see the ticket; watchers are part of it."""
    return {
        "mail_watchers": list(Watcher.objects.filter(ticket=ticket).select_related("user").order_by("email")),
        "mail_can_edit_watchers": model_admin.has_change_permission(request, ticket),
    }


def watchers_view(model_admin, request, object_id):
    """Add a watcher (`email`) or remove one (`remove`: its id) through the mail services; back to the ticket."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    ticket = model_admin.get_object(request, unquote(object_id))
    if ticket is None or not model_admin.has_view_permission(request, ticket):
        raise Http404(_("No ticket matches the given query."))
    if not model_admin.has_change_permission(request, ticket):
        raise PermissionDenied
    back = HttpResponseRedirect(reverse("admin:tickets_ticket_change", args=[ticket.pk]) + "#ticket-watchers")
    try:
        if "remove" in request.POST:
            watcher = Watcher.objects.filter(ticket=ticket, pk=request.POST["remove"] or None).first()
            if watcher is None:
                model_admin.message_user(request, _("This watcher is no longer on the ticket."), messages.WARNING)
                return back
            watcher_remove(watcher=watcher, actor=request.user)
            model_admin.message_user(request, _("%(email)s no longer watches the ticket.") % {"email": watcher.email})
        else:
            watcher = watcher_add(ticket=ticket, email=request.POST.get("email", ""), actor=request.user)
            model_admin.message_user(request, _("%(email)s now watches the ticket.") % {"email": watcher.email})
    except ValidationError as exc:
        model_admin.message_user(request, " ".join(exc.messages), messages.ERROR)
    except ValueError:  # a remove id that is not a number
        model_admin.message_user(request, _("This watcher is no longer on the ticket."), messages.WARNING)
    return back


WATCHERS_URL = AdminUrl(name="tickets_ticket_watchers", route="<str:object_id>/watchers/", view=watchers_view)


WATCHERS_PANEL = AdminPanel(
    name="mail-watchers", template="mail/admin/ticket_watchers.html", column="side", context=watchers_context
)
