"""Forms of the ticket back office. Saving any of them means calling the ticket services."""

import copy

from django import forms
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from unfold.widgets import (
    UnfoldAdminFileFieldWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminTextareaWidget,
    UnfoldBooleanSwitchWidget,
)

from apps.departments.models import Department

from .. import services
from ..choices import TRANSITIONS, Source, Status
from ..forms import AttachmentsField
from ..models import Ticket

STALE_MESSAGE = _(
    "Someone else changed this ticket while you were editing it. Reload the page to see their changes, "
    "then make yours again."
)
DETAIL_FIELDS = ("title", "description", "category", "priority")


class MultipleFileInput(UnfoldAdminFileFieldWidget):
    allow_multiple_selected = True


class ServiceModelForm(forms.ModelForm):
    """A ModelForm whose "save" is a set of service calls, made at the end of validation.

    Django's admin saves a form it has validated without asking again, but a service can still refuse (a
    stale version, an illegal transition, a missing permission). Running the services as the last step of
    validation, inside a savepoint, turns a refusal into a form error with nothing written. The services
    validate the model themselves, so the form neither constructs nor validates the instance.
    """

    actor = None  # the acting user; the ModelAdmin sets it per request (see TicketAdmin.get_form)
    error_fields: dict[str, str] = {}  # a service's error key → the form field that shows it

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # What the ticket looked like when the request started; the bound instance is not touched.
        self.before = copy.copy(self.instance)
        self.result = None

    def apply(self):
        raise NotImplementedError

    def _post_clean(self):
        if self._errors:
            return
        if self.actor is None:
            raise ImproperlyConfigured(f"{type(self).__name__} needs an actor")
        try:
            with transaction.atomic():
                self.result = self.apply()
        except ValidationError as exc:
            self.add_service_error(exc)
        except PermissionDenied as exc:
            self.add_error(None, str(exc) or _("You are not allowed to do that on this ticket."))

    def add_service_error(self, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for key, errors in exc.error_dict.items():
            field = self.error_fields.get(key, key)
            self.add_error(field if field in self.fields else None, errors)

    def save(self, commit=True):
        # Everything was written by the services during validation.
        if self.result is None:
            raise ValueError("The form was not validated, or the services refused it.")
        return self.result

    def save_m2m(self):
        """Nothing to do: tickets have no many-to-many fields edited here."""


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

    def clean_description(self):
        # Browsers send CRLF; keep the stored text (and "did it change?") independent of that.
        return self.cleaned_data["description"].replace("\r\n", "\n")

    def clean_reply_body(self):
        return self.cleaned_data["reply_body"].replace("\r\n", "\n")

    def has_reply(self) -> bool:
        data = self.cleaned_data
        return bool(data.get("reply_body") or data.get("reply_files") or data.get("reply_internal"))

    def apply(self) -> Ticket:
        data = self.cleaned_data
        ticket = self.before
        edits = {f: data[f] for f in DETAIL_FIELDS if f in data and data[f] != getattr(ticket, f)}
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


class TicketAddForm(ServiceModelForm):
    """Open a ticket from the back office (source: back office)."""

    class Meta:
        model = Ticket
        fields = ("title", "description", "category", "priority", "department", "assignee", "requester")

    def clean_description(self):
        return self.cleaned_data["description"].replace("\r\n", "\n")

    def apply(self) -> Ticket:
        data = self.cleaned_data
        return services.ticket_create(
            actor=self.actor,
            requester=data["requester"],
            title=data["title"],
            description=data["description"],
            department=data["department"],
            category=data["category"],
            priority=data["priority"],
            assignee=data.get("assignee"),
            source=Source.ADMIN,
        )


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
