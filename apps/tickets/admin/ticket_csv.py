"""CSV import and export of the ticket changelist.

Import: admins and holders of tickets.import_ticket; rows go through apps.tickets.imports.tickets_import.
Export: the changelist's own query (tickets_visible_to plus the filters and search in the address), streamed
row by row, so the file holds exactly the tickets the list shows, however many; a filter that names another
department's tickets only ever narrows that list.
"""

from django import forms
from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from unfold.contrib.import_export.forms import ImportForm
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminTextInputWidget, UnfoldBooleanSwitchWidget

from apps.common.csv.admin import SESSION_KEY, CsvImportExportMixin
from apps.common.csv.files import CsvFile, CsvFileError
from apps.common.csv.report import ImportReport
from apps.departments.models import Department

from ..choices import Category, Priority, Status
from ..imports import PRESETS, TICKET_COLUMNS, ImportMapping, ImportOptions, MappingError, tickets_import
from ..models import ImportProfile
from ..permissions import can_export_tickets, can_import_tickets
from ..resources import TicketResource, tickets_csv_stream

COLUMN_HELP = {
    "reference": gettext_lazy("TCK-000123 updates that ticket; another system's id creates a ticket and is kept"),
    "title": gettext_lazy("new tickets need a title or a description: either fills the other when empty"),
    "description": gettext_lazy("new tickets need a title or a description: either fills the other when empty"),
    "status": gettext_lazy("new, open, in_progress, waiting, resolved, closed (default: new)"),
    "priority": gettext_lazy("low, normal, high, urgent (default: normal)"),
    "category": gettext_lazy("question, incident, request, access, billing, other (default: question)"),
    "department": gettext_lazy("name or slug; empty: the default department"),
    "requester": gettext_lazy(
        "e-mail (also “Name <e-mail>”) or username, required unless a default requester is given; an unknown "
        "e-mail creates a requester account"
    ),
    "requester_name": gettext_lazy("the name of a requester account the import creates"),
    "assignee": gettext_lazy("e-mail or username of an agent; “none” unassigns"),
    "language": gettext_lazy("language code, e.g. en, de, tr"),
    "created_at": gettext_lazy(
        "2025-03-01 14:30, 01.03.2025, 01/03/2025 (day or month first, detected per column), in your time zone "
        "unless it has an offset"
    ),
    "updated_at": gettext_lazy("last change in the old system"),
    "first_responded_at": gettext_lazy("first answer by an agent"),
    "resolved_at": gettext_lazy("for resolved and closed tickets"),
    "closed_at": gettext_lazy("for closed tickets"),
    "source": gettext_lazy("read by people only: imported tickets always have the source “import”"),
}


MAPPABLE = {"status": Status, "priority": Priority, "category": Category, "department": None}


class TicketImportForm(ImportForm):
    """The upload form of the ticket import: the file, and how to read it (a preset or a saved profile)."""

    preset = forms.ChoiceField(
        label=gettext_lazy("Exported from"),
        required=False,
        choices=[("", gettext_lazy("This help desk, or columns named as below"))]
        + [(name, preset.label) for name, preset in PRESETS.items()],
        widget=UnfoldAdminSelectWidget,
    )
    profile = forms.ModelChoiceField(
        label=gettext_lazy("Import profile"),
        queryset=ImportProfile.objects.all(),
        required=False,
        help_text=gettext_lazy("A mapping saved by an earlier import (it includes its preset)."),
        widget=UnfoldAdminSelectWidget,
    )
    default_requester = forms.CharField(
        label=gettext_lazy("Default requester"),
        required=False,
        help_text=gettext_lazy("Username or e-mail for rows whose requester is empty or names nobody we can match."),
        widget=UnfoldAdminTextInputWidget,
    )
    create_departments = forms.BooleanField(
        label=gettext_lazy("Create missing departments"), required=False, widget=UnfoldBooleanSwitchWidget
    )

    def clean(self):
        cleaned = super().clean()
        try:
            cleaned["mapping"] = _form_mapping(cleaned)
        except MappingError as exc:
            raise forms.ValidationError(exc.message) from None
        return cleaned


def _form_mapping(cleaned) -> ImportMapping:
    base = ImportMapping.from_dict(cleaned["profile"].mapping) if cleaned.get("profile") else ImportMapping()
    extra = ImportMapping.parse(
        preset=cleaned.get("preset") or "",
        default_requester=cleaned.get("default_requester") or "",
        create_departments=bool(cleaned.get("create_departments")),
    )
    return base.merged(extra)


class TicketCsvMixin(CsvImportExportMixin):
    """Import and export buttons on the ticket changelist."""

    resource_classes = [TicketResource]
    import_form_class = TicketImportForm
    export_template_name = "admin/tickets/ticket/export.html"
    preview_style = "tickets"

    @property
    def import_columns_help(self):
        return tuple(
            (field, ", ".join(aliases[1:6]), COLUMN_HELP.get(field, "")) for field, aliases in TICKET_COLUMNS.items()
        )

    def has_import_permission(self, request):
        return can_import_tickets(request.user)

    def has_export_permission(self, request):
        return can_export_tickets(request.user)

    def run_import(self, request, csv_file: CsvFile, *, dry_run: bool, options: dict | None = None) -> ImportReport:
        mapping = ImportMapping.from_dict(options) if options else ImportMapping()
        try:
            import_options = ImportOptions.from_settings(mapping=mapping)
        except MappingError as exc:
            raise CsvFileError(exc.message, code="mapping") from None
        return tickets_import(actor=request.user, csv_file=csv_file, dry_run=dry_run, options=import_options)

    def import_options(self, form) -> dict:
        return form.cleaned_data["mapping"].as_dict()

    def keep_for_mapping(self, report: ImportReport) -> bool:
        return bool(self.mapping_rows(report))

    def mapping_rows(self, report: ImportReport) -> list[dict]:
        """One row per unknown value of a status, priority, category or department column: pick ours or ignore."""
        fields = dict(report.columns)
        rows = []
        departments = None
        for column, counts in report.unknown_values.items():
            name = fields.get(column)
            if name not in MAPPABLE:
                continue
            if MAPPABLE[name] is not None:
                choices = list(MAPPABLE[name].choices)
            else:
                departments = departments or [(d.name, d.name) for d in Department.objects.filter(is_active=True)]
                choices = departments
            for value, count in list(counts.items())[:50]:
                rows.append({"field": name, "column": column, "value": value, "count": count, "choices": choices})
        return rows

    def import_action(self, request, **kwargs):
        if request.method == "POST" and request.POST.get("mapping_token"):
            return self.mapping_step(request)
        return super().import_action(request, **kwargs)

    def mapping_step(self, request):
        """The values the user mapped on the page are added to the kept file's mapping, which is checked again;
        with a name, the whole mapping is saved as an import profile."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        token = request.POST["mapping_token"]
        pending = request.session.get(SESSION_KEY, {})
        entry = pending.get(token)
        form = self.get_import_form_class(request)(self.get_import_formats(), self.get_import_resource_classes(request))
        if entry is None or entry.get("model") != self.opts.label_lower:
            messages.error(request, _("This upload has expired or was imported already. Please upload the file again."))
            return self._render_import(request, form, report=None, token=None)
        values = []
        for index in range(int(request.POST.get("mapping_count", 0) or 0)):
            ours = request.POST.get(f"ours-{index}", "")
            if ours:
                values.append((request.POST.get(f"field-{index}", ""), request.POST.get(f"theirs-{index}", ""), ours))
        try:
            mapping = ImportMapping.from_dict(entry.get("options") or {})
            added = ImportMapping(values=tuple(values), default_requester=request.POST.get("default_requester", ""))
            added.check()
            mapping = mapping.merged(added)
        except MappingError as exc:
            messages.error(request, exc.message)
            return self._render_import(request, form, report=None, token=None)
        profile_name = request.POST.get("profile_name", "").strip()[:100]
        if profile_name:
            ImportProfile.objects.update_or_create(
                name=profile_name, defaults={"mapping": mapping.as_dict(), "created_by": request.user}
            )
            saved = _("The mapping was saved as the import profile “%(name)s”.") % {"name": profile_name}
            messages.success(request, saved)
        entry["options"] = mapping.as_dict()
        try:
            report = self.run_import(
                request, self._stored_file(entry["path"], name=entry["name"]), dry_run=True, options=entry["options"]
            )
        except (CsvFileError, FileNotFoundError) as exc:
            pending.pop(token, None)
            request.session[SESSION_KEY] = pending
            messages.error(request, getattr(exc, "message", _("The uploaded file is no longer available.")))
            return self._render_import(request, form, report=None, token=None)
        keep = (report.ok and bool(report.created or report.updated)) or self.keep_for_mapping(report)
        if not keep:
            default_storage.delete(entry["path"])
            pending.pop(token, None)
        request.session[SESSION_KEY] = pending
        return self._render_import(request, form, report=report, token=token if keep else None)

    def export_action(self, request):
        """The export form; on submit, the changelist's tickets (same scope, filters and search) as CSV."""
        if not self.has_export_permission(request):
            raise PermissionDenied
        changelist_url = reverse("admin:tickets_ticket_changelist")
        try:
            queryset = self.get_export_queryset(request)
        except IncorrectLookupParameters:
            messages.error(request, _("The filters in the address are not valid, so nothing was exported."))
            return HttpResponseRedirect(changelist_url)
        form = self.get_export_form_class()(
            self.get_export_formats(), self.get_export_resource_classes(request), data=request.POST or None
        )
        if request.method == "POST" and form.is_valid():
            response = StreamingHttpResponse(
                (chunk.encode("utf-8") for chunk in tickets_csv_stream(queryset)),
                content_type="text/csv; charset=utf-8",
            )
            stamp = timezone.localtime().strftime("%Y-%m-%d-%H%M")
            response["Content-Disposition"] = f'attachment; filename="tickets-{stamp}.csv"'
            response["X-Content-Type-Options"] = "nosniff"
            return response
        context = self.init_request_context_data(request, form)
        context["export_note"] = _(
            "The file holds the tickets of the list you came from: the tickets you can see, with its filters and "
            "search. Comments and internal notes are not exported."
        )
        request.current_app = self.admin_site.name
        return TemplateResponse(request, [self.export_template_name], context)
