"""Forms of the ticket back office. Saving the ticket forms means calling the ticket services (ServiceModelForm:
while the form validates, in a savepoint, so a refusal is a form error); the action forms only parse input."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from unfold.widgets import (
    UnfoldAdminEmailInputWidget,
    UnfoldAdminFileFieldWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminTextareaWidget,
    UnfoldBooleanSwitchWidget,
)

from apps.accounts.selectors import requester_by_email, users_visible_to
from apps.common.admin.forms import ServiceModelForm
from apps.common.text import normalise_text
from apps.departments.models import Department

from .. import services
from ..choices import TRANSITIONS, Source, Status
from ..forms import AttachmentsField
from ..models import Ticket
from ..permissions import TICKET_CREATE_FIELDS, write_role

STALE_MESSAGE = _(
    "Someone else changed this ticket while you were editing it. Reload the page to see their changes, "
    "then make yours again."
)
DETAIL_FIELDS = ("title", "description", "category", "priority")
DENIED_MESSAGE = _("You are not allowed to do that on this ticket.")


class MultipleFileInput(UnfoldAdminFileFieldWidget):
    allow_multiple_selected = True


def _edited(new, old, field: str) -> bool:
    # Text is compared as the services store it: the CRLF line endings a browser sends are no edit.
    if field in services.TEXT_FIELDS:
        return normalise_text(new) != normalise_text(old)
    return new != old


class TicketChangeForm(ServiceModelForm):
    """Edit a ticket and, optionally, add a reply or an internal note in the same save."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reply_body = forms.CharField(
        label=_("Message"),
        required=False,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 5}),
    )
    reply_internal = forms.BooleanField(
        label=_("Internal note"),
        help_text=_("Only agents see internal notes; the requester is not told about them."),
        required=False,
        widget=UnfoldBooleanSwitchWidget,
    )
    reply_files = AttachmentsField(widget=MultipleFileInput())

    error_fields = {"body": "reply_body"}
    denied_message = DENIED_MESSAGE

    class Meta:
        model = Ticket
        fields = ("title", "description", "category", "priority", "status", "department", "assignee")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expected_version"].initial = self.instance.version
        if "status" in self.fields:
            current = Status(self.instance.status)
            nexts = ", ".join(str(Status(s).label) for s in Status.values if s in TRANSITIONS[current])
            self.fields["status"].help_text = _("From “%(status)s” a ticket can move to: %(next)s.") % {
                "status": current.label,
                "next": nexts,
            }

    def has_reply(self) -> bool:
        data = self.cleaned_data
        return bool(data.get("reply_body") or data.get("reply_files") or data.get("reply_internal"))

    def apply(self) -> Ticket:
        data = self.cleaned_data
        ticket = self.before
        edits = {f: data[f] for f in DETAIL_FIELDS if f in data and _edited(data[f], getattr(ticket, f), f)}
        assignee = data.get("assignee")
        reassigns = "assignee" in data and (assignee.pk if assignee else None) != ticket.assignee_id
        new_status = data.get("status")
        transitions = bool(new_status) and new_status != ticket.status
        department = data.get("department")
        moves_department = department is not None and department.pk != ticket.department_id
        version = data.get("expected_version")
        if (edits or reassigns or transitions or moves_department) and version is None:
            raise ValidationError(STALE_MESSAGE, code="stale")
        # The reply goes first and the transfer last: a transfer can take the actor's access away.
        if self.has_reply():
            self._add_reply(ticket)
        try:
            if edits:
                ticket = services.ticket_update(ticket=ticket, actor=self.actor, expected_version=version, **edits)
                version = ticket.version
            if reassigns:
                ticket = services.ticket_assign(
                    ticket=ticket, actor=self.actor, assignee=assignee, expected_version=version
                )
                version = ticket.version
            if transitions:
                ticket = services.ticket_transition(
                    ticket=ticket, actor=self.actor, to_status=new_status, expected_version=version
                )
                version = ticket.version
            if moves_department:
                ticket = services.ticket_transfer(
                    ticket=ticket, actor=self.actor, department=department, expected_version=version
                )
        except services.StaleTicketError:
            raise ValidationError(STALE_MESSAGE, code="stale") from None
        return ticket

    def _add_reply(self, ticket: Ticket) -> None:
        data = self.cleaned_data
        try:
            services.comment_add(
                ticket=ticket,
                actor=self.actor,
                body=data.get("reply_body", ""),
                is_internal=bool(data.get("reply_internal")),
                uploads=data.get("reply_files") or [],
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                raise
            # validate_upload speaks about one file, without a field name.
            raise ValidationError({"reply_files": exc.error_list}) from None


class RequesterByEmailField(forms.ModelChoiceField):
    """The requester of a ticket an agent opens, typed as a whole e-mail address: someone the agent can see
    (users_visible_to, the users page and the API's directory), or any active requester.

    Nobody is found by id, by part of an address or by name, so the field lists no one and cannot be used to
    walk through the accounts an agent does not see; admins pick anyone from the autocomplete instead.
    """

    widget = UnfoldAdminEmailInputWidget
    default_error_messages = {
        "invalid_choice": _(
            "No requester has this e-mail address. Type the whole address; an admin can create the account."
        ),
    }

    def __init__(self, *, actor, **kwargs):
        kwargs.setdefault("help_text", _("The requester's whole e-mail address."))
        super().__init__(queryset=users_visible_to(actor), to_field_name="email", **kwargs)
        self.actor = actor

    def to_python(self, value):
        if value in self.empty_values:
            return None
        found = requester_by_email(actor=self.actor, email=str(value))
        if found is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return found


class TicketAddForm(ServiceModelForm):
    """Open a ticket from the back office (source: back office)."""

    denied_message = DENIED_MESSAGE

    class Meta:
        model = Ticket
        fields = ("title", "description", "category", "priority", "department", "assignee", "requester")

    def apply(self) -> Ticket:
        allowed = TICKET_CREATE_FIELDS[write_role(self.actor)]
        fields = {name: value for name, value in self.cleaned_data.items() if name in allowed}
        return services.ticket_create(actor=self.actor, source=Source.ADMIN, **fields)


class StatusActionForm(forms.Form):
    """The intermediate page of the "Change status" action."""

    status = forms.ChoiceField(label=_("New status"), choices=Status.choices, widget=UnfoldAdminSelectWidget)


class TransferActionForm(forms.Form):
    """The intermediate page of the "Transfer to department" action."""

    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=Department.objects.filter(is_active=True).order_by("name"),
        widget=UnfoldAdminSelectWidget,
    )
