"""CSV import and export of the ticket changelist.

Import: admins and holders of tickets.import_ticket; rows go through apps.tickets.imports.tickets_import.
The page also takes the file of the tickets' messages and a ZIP of their files (as `import_tickets --messages
--attachments` does): both files are checked in the dry run and imported in one transaction
(apps.tickets.imports.together), or the messages file alone against the tickets already here
(apps.tickets.imports.messages). The preset applies to both files.
Export: the changelist's own query (tickets_visible_to plus the filters and search in the address), streamed
row by row, so the file holds exactly the tickets the list shows, however many; a filter that names another
department's tickets only ever narrows that list.
"""

import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from unfold.contrib.import_export.forms import ImportForm
from unfold.widgets import (
    UnfoldAdminFileFieldWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminTextInputWidget,
    UnfoldBooleanSwitchWidget,
)

from apps.common.csv.admin import SESSION_KEY, CsvImportExportMixin, FileRefused, StoredUpload, delete_files
from apps.common.csv.files import CsvFile, CsvFileError
from apps.common.csv.report import ImportReport
from apps.departments.models import Department

from ..choices import Category, Priority, Status
from ..imports import PRESETS, TICKET_COLUMNS, ImportMapping, ImportOptions, MappingError, tickets_import
from ..imports.messages import AttachmentsZip, messages_check_columns, messages_import
from ..imports.together import tickets_and_messages_import
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
MESSAGES_FILE = "messages_file"
ATTACHMENTS_FILE = "attachments_file"


@dataclass
class TicketImportResult:
    """What the page's import did or would do: the tickets file's report and the messages file's (either absent)."""

    tickets: ImportReport | None
    messages: ImportReport | None = None

    @property
    def reports(self) -> list[ImportReport]:
        return [report for report in (self.tickets, self.messages) if report is not None]

    @property
    def ok(self) -> bool:
        return all(report.ok for report in self.reports)

    @property
    def dry_run(self) -> bool:
        return self.reports[0].dry_run

    @property
    def applied(self) -> bool:
        # Each import writes all its rows or none, and both files go in one transaction (together.py).
        return self.ok and not self.dry_run


class TicketImportForm(ImportForm):
    """The upload form of the ticket import: the file, and how to read it (a preset or a saved profile)."""

    preset = forms.ChoiceField(
        label=gettext_lazy("Exported from"),
        required=False,
        choices=[("", gettext_lazy("This help desk, or columns named as below"))]
        + [(name, preset.label) for name, preset in PRESETS.items()],
        help_text=gettext_lazy("Read the messages file too, when one is given."),
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
    messages_file = forms.FileField(
        label=gettext_lazy("Messages file"),
        required=False,
        help_text=gettext_lazy(
            "Optional: a CSV file of the tickets' messages (ticket, author, body, internal, created_at, "
            "attachments), imported after the tickets in the same step. Alone, it adds messages to tickets "
            "imported before."
        ),
        widget=UnfoldAdminFileFieldWidget,
    )
    attachments_file = forms.FileField(
        label=gettext_lazy("Attachments ZIP"),
        required=False,
        help_text=gettext_lazy("Optional: a ZIP file holding the files the messages file names by their path."),
        widget=UnfoldAdminFileFieldWidget,
    )
    default_author = forms.CharField(
        label=gettext_lazy("Default author"),
        required=False,
        help_text=gettext_lazy("Username or e-mail for messages whose author names no account here."),
        widget=UnfoldAdminTextInputWidget,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["import_file"].required = False  # a messages file alone adds to the tickets already here
        self.fields["import_file"].label = gettext_lazy("Tickets file")

    def clean_default_author(self) -> str:
        value = self.cleaned_data["default_author"].strip()
        if value:
            accounts = get_user_model().objects.filter(is_active=True)
            found = accounts.filter(email__iexact=value) if "@" in value else accounts.filter(username=value)
            if not found.exists():
                raise forms.ValidationError(_("No active account is named “%(value)s”.") % {"value": value})
        return value

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("import_file") and not cleaned.get(MESSAGES_FILE) and not self.has_error("import_file"):
            self.add_error("import_file", _("Choose a file of tickets, or of messages, or both."))
        if cleaned.get(ATTACHMENTS_FILE) and not cleaned.get(MESSAGES_FILE) and not self.has_error(MESSAGES_FILE):
            self.add_error(ATTACHMENTS_FILE, _("A ZIP of attachments goes with the messages file that names them."))
        if cleaned.get("default_author") and not cleaned.get(MESSAGES_FILE):
            self.add_error("default_author", _("The default author is for a messages file."))
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
    import_template_name = "admin/tickets/ticket/import.html"
    import_extra_files = (MESSAGES_FILE, ATTACHMENTS_FILE)
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

    def run_import(
        self, request, csv_file: CsvFile | None, *, dry_run: bool, options: dict | None = None, extra=None
    ) -> TicketImportResult:
        options = options or {}
        mapping = ImportMapping.from_dict(options) if options else ImportMapping()
        try:
            import_options = ImportOptions.from_settings(mapping=mapping)
        except MappingError as exc:
            raise CsvFileError(exc.message, code="mapping") from None
        extra = extra or {}
        if MESSAGES_FILE not in extra:
            return TicketImportResult(
                tickets_import(actor=request.user, csv_file=csv_file, dry_run=dry_run, options=import_options)
            )
        stored = extra[MESSAGES_FILE]
        try:  # refused before any ticket row is read, and shown under the messages file's field
            messages_file = self._stored_file(stored.path, name=stored.name)
            messages_check_columns(messages_file, preset=mapping.preset)
        except CsvFileError as exc:
            raise FileRefused(exc, field=MESSAGES_FILE) from None
        with _attachments(extra.get(ATTACHMENTS_FILE)) as archive:
            given = {
                "preset": mapping.preset,
                "attachments": archive,
                "default_author": options.get("default_author", ""),
                "date_format": mapping.date_format,
                "max_errors": import_options.max_errors,
            }
            if csv_file is None:
                return TicketImportResult(
                    None, messages_import(actor=request.user, csv_file=messages_file, dry_run=dry_run, **given)
                )
            both = tickets_and_messages_import(
                actor=request.user,
                tickets_file=csv_file,
                messages_file=messages_file,
                dry_run=dry_run,
                options=import_options,
                messages=given,
            )
        return TicketImportResult(both.tickets, both.messages)

    def import_options(self, form) -> dict:
        return {**form.cleaned_data["mapping"].as_dict(), "default_author": form.cleaned_data["default_author"]}

    def import_has_changes(self, result: TicketImportResult) -> bool:
        tickets, added = result.tickets, result.messages.created if result.messages else 0
        return bool(tickets and (tickets.created or tickets.updated)) or bool(added)

    def import_report_context(self, result: TicketImportResult | None) -> dict:
        return {
            "report": result.tickets if result else None,
            "messages_report": result.messages if result else None,
            "import_result": result,
        }

    def import_success_message(self, result: TicketImportResult) -> str:
        said = []
        if result.tickets is not None:
            said.append(super().import_success_message(result.tickets))
        report = result.messages
        if report is not None:
            said.append(
                _("Imported %(file)s: %(created)d messages added, %(skipped)d already there.")
                % {"file": report.file_name, "created": report.created, "skipped": report.skipped}
            )
        return " ".join(said)

    def keep_for_mapping(self, result: TicketImportResult) -> bool:
        return bool(self.mapping_rows(result))

    def mapping_rows(self, result: TicketImportResult | None) -> list[dict]:
        """One row per unknown value of a status, priority, category or department column: pick ours or ignore."""
        report = result.tickets if result else None
        if report is None:
            return []
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
        if entry is None or entry.get("model") != self.opts.label_lower or "files" not in entry:
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
        entry["options"] = {**entry.get("options", {}), **mapping.as_dict()}
        try:
            report = self._run_stored(request, entry, dry_run=True)
        except (CsvFileError, FileNotFoundError) as exc:
            pending.pop(token, None)
            request.session[SESSION_KEY] = pending
            delete_files(entry)
            messages.error(request, getattr(exc, "message", _("The uploaded file is no longer available.")))
            return self._render_import(request, form, report=None, token=None)
        keep = (report.ok and self.import_has_changes(report)) or self.keep_for_mapping(report)
        if not keep:
            delete_files(entry)
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


@contextmanager
def _attachments(stored: StoredUpload | None) -> Iterator:
    """The stored ZIP of attachments, open for the run (None without one); refused here when it is not a ZIP."""
    if stored is None:
        yield None
        return
    with default_storage.open(stored.path, "rb") as archive:
        try:  # read once here so that a file that is not a ZIP is reported under its own field
            AttachmentsZip(archive).close()
        except CsvFileError as exc:
            raise FileRefused(exc, field=ATTACHMENTS_FILE) from None
        except (zipfile.LargeZipFile, ValueError) as exc:
            refused = CsvFileError(_("The attachments file cannot be read (%(reason)s).") % {"reason": exc}, code="zip")
            raise FileRefused(refused, field=ATTACHMENTS_FILE) from None
        archive.seek(0)
        yield archive
