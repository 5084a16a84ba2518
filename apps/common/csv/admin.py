"""CSV import and export pages of the back office, on django-import-export and unfold's integration.

Every import works the same way, for tickets, users and departments:

1. upload: the file is refused from its size alone when it is over IMPORT_UPLOAD_MAX_BYTES (nothing is
   read), then stored (streamed to the default storage, never whole in memory) and checked: an empty file,
   a workbook renamed .csv, an unknown encoding or missing columns each get a message, never an error page;
2. dry run: what every row would do (create, update, skip) and every error by row and column; nothing is
   written;
3. confirm: the stored file is imported in one transaction, all rows or none.

The admins using the mixin say who may import and export, and how a checked file is imported (`run_import`).
"""

import uuid

import tablib
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV
from import_export.results import RowResult
from unfold.contrib.import_export.forms import ExportForm, ImportForm

from .columns import ColumnMap, map_columns
from .files import CsvFile, CsvFileError, check_size, inspect_csv, restore_formula
from .report import Action, ImportReport, PreviewRow, RowError

IMPORT_DIR = "imports"
SESSION_KEY = "csv_imports"
IMPORT_TYPES = {
    RowResult.IMPORT_TYPE_NEW: Action.CREATE,
    RowResult.IMPORT_TYPE_UPDATE: Action.UPDATE,
    RowResult.IMPORT_TYPE_SKIP: Action.SKIP,
}


class CsvImportExportMixin(ImportExportMixin):
    """Upload → dry run → confirm for CSV files, with the checks of apps.common.csv.files."""

    import_template_name = "admin/import_export/csv_import.html"
    import_form_class = ImportForm
    export_form_class = ExportForm
    formats = [CSV]
    to_encoding = "utf-8-sig"  # Excel reads a CSV file as UTF-8 only when it starts with a byte order mark
    # (column, other names for it, what it means) lines shown on the import page.
    import_columns_help: tuple[tuple[str, str, str], ...] = ()
    # "tickets": the preview shows reference, title, department and requester; "simple": the record's name.
    preview_style = "simple"

    def run_import(self, request, csv_file: CsvFile, *, dry_run: bool, options: dict | None = None) -> ImportReport:
        """Import `csv_file`; `options`: what `import_options(form)` read from the upload form (kept with the file)."""
        raise NotImplementedError

    def import_options(self, form) -> dict:
        """Options of the upload form beyond the file (a ticket import's preset), as JSON for the session."""
        return {}

    def keep_for_mapping(self, report: ImportReport) -> bool:
        """Keep an uploaded file that cannot be imported yet, for a mapping step (see the ticket import)."""
        return False

    # Pages --------------------------------------------------------------------------------------------------

    def import_action(self, request, **kwargs):
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = self.create_import_form(request)
        report = token = None
        if request.method == "POST" and form.is_valid():
            try:
                report, token = self._dry_run(request, form.cleaned_data["import_file"], self.import_options(form))
            except CsvFileError as exc:
                form.add_error("import_file", exc.message)
        return self._render_import(request, form, report=report, token=token)

    @method_decorator(require_POST)
    def process_import(self, request, **kwargs):
        if not self.has_import_permission(request):
            raise PermissionDenied
        import_url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import")
        pending = request.session.get(SESSION_KEY, {})
        entry = pending.pop(request.POST.get("token", ""), None)
        if entry is None or entry.get("model") != self.opts.label_lower:
            messages.error(request, _("This upload has expired or was imported already. Please upload the file again."))
            return HttpResponseRedirect(import_url)
        request.session[SESSION_KEY] = pending
        try:
            stored = self._stored_file(entry["path"], name=entry["name"])
            report = self.run_import(request, stored, dry_run=False, options=entry.get("options") or {})
        except (CsvFileError, FileNotFoundError):
            messages.error(request, _("The uploaded file is no longer available. Please upload it again."))
            return HttpResponseRedirect(import_url)
        finally:
            default_storage.delete(entry["path"])
        if not report.applied:
            messages.error(
                request, _("Nothing was imported: the data changed since the dry run. See the errors below.")
            )
            form = self.get_import_form_class(request)(
                self.get_import_formats(), self.get_import_resource_classes(request)
            )
            return self._render_import(request, form, report=report, token=None)
        messages.success(
            request,
            _("Imported %(file)s: %(created)d created, %(updated)d updated, %(skipped)d unchanged.")
            % {"file": entry["name"], "created": report.created, "updated": report.updated, "skipped": report.skipped},
        )
        return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"))

    def mapping_rows(self, report: ImportReport) -> list[dict]:
        """The mapping step's rows for a report's unknown values (none: the step is not offered)."""
        return []

    def _render_import(self, request, form, *, report: ImportReport | None, token: str | None):
        mapping_token = None
        if token and report is not None and not report.ok:  # kept for the mapping step, not for confirming
            mapping_token, token = token, None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import %(name)s") % {"name": self.opts.verbose_name_plural},
            "opts": self.opts,
            "form": form,
            "report": report,
            "token": token,
            "media": self.media + form.media,
            "columns_help": self.import_columns_help,
            "preview_style": self.preview_style,
            "max_upload": settings.IMPORT_UPLOAD_MAX_BYTES,
            "changelist_url": reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"),
            "mapping_token": mapping_token,
            "mapping_rows": self.mapping_rows(report) if mapping_token else [],
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, [self.import_template_name], context)

    # The uploaded file --------------------------------------------------------------------------------------

    def _dry_run(self, request, upload, options: dict | None = None) -> tuple[ImportReport, str | None]:
        check_size(name=upload.name, size=upload.size, max_bytes=settings.IMPORT_UPLOAD_MAX_BYTES)
        self._discard_pending(request)
        stored = default_storage.save(f"{IMPORT_DIR}/{uuid.uuid4().hex}.csv", upload)
        keep = False
        try:
            csv_file = self._stored_file(stored, name=upload.name)
            report = self.run_import(request, csv_file, dry_run=True, options=options)
            keep = (report.ok and bool(report.created or report.updated)) or self.keep_for_mapping(report)
        finally:
            if not keep:
                default_storage.delete(stored)
        if not keep:
            return report, None
        token = uuid.uuid4().hex
        pending = request.session.get(SESSION_KEY, {})
        pending[token] = {"path": stored, "name": upload.name, "model": self.opts.label_lower, "options": options or {}}
        request.session[SESSION_KEY] = pending
        return report, token

    def _stored_file(self, path: str, *, name: str) -> CsvFile:
        return inspect_csv(lambda: default_storage.open(path, "rb"), name=name, size=default_storage.size(path))

    def _discard_pending(self, request) -> None:
        """One pending upload per model and session: a new upload replaces the previous one."""
        pending = request.session.get(SESSION_KEY, {})
        for token, entry in list(pending.items()):
            if entry.get("model") == self.opts.label_lower:
                default_storage.delete(entry["path"])
                del pending[token]
        request.session[SESSION_KEY] = pending


class ResourceImportMixin(CsvImportExportMixin):
    """Imports through a django-import-export resource (users, departments: small tables, saved by services).

    The resource class names its columns (`csv_columns`, `csv_required`); its import runs in one transaction
    that is rolled back on a dry run and on any invalid row.
    """

    @property
    def import_columns_help(self) -> tuple[tuple[str, str, str], ...]:
        """The import page's list of columns: each with up to five other names the import understands."""
        columns = self.resource_classes[0].csv_columns
        return tuple((field, ", ".join(aliases[1:6]), "") for field, aliases in columns.items())

    def run_import(self, request, csv_file: CsvFile, *, dry_run: bool, options: dict | None = None) -> ImportReport:
        resource_class = self.get_import_resource_classes(request)[0]
        columns = map_columns(csv_file.header, resource_class.csv_columns, required=resource_class.csv_required)
        dataset, numbers = mapped_dataset(csv_file, columns)
        resource_class.prepare_dataset(dataset)
        resource = resource_class(**self.get_import_resource_kwargs(request))
        result = resource.import_data(
            dataset,
            dry_run=dry_run,
            raise_errors=False,
            use_transactions=True,
            rollback_on_validation_errors=True,
            user=request.user,
            file_name=csv_file.name,
        )
        return result_as_report(result, csv_file=csv_file, columns=columns, numbers=numbers, dry_run=dry_run)


def mapped_dataset(csv_file: CsvFile, columns: ColumnMap) -> tuple[tablib.Dataset, list[int]]:
    """The file's non-blank rows as a Dataset whose headers are field names, and the rows' spreadsheet numbers."""
    dataset = tablib.Dataset(headers=list(columns.fields))
    numbers = []
    indexes = list(columns.fields.values())
    with csv_file.reader() as rows:
        for number, cells in rows:
            if not any(cell.strip() for cell in cells):
                continue
            dataset.append([restore_formula(cells[i]).strip() if i < len(cells) else "" for i in indexes])
            numbers.append(number)
    return dataset, numbers


def result_as_report(result, *, csv_file: CsvFile, columns: ColumnMap, numbers: list[int], dry_run: bool):
    """django-import-export's Result as an ImportReport, with spreadsheet row numbers and the file's headers."""
    report = ImportReport.for_file(csv_file, columns, dry_run=dry_run)

    def row_number(index: int) -> int:
        return numbers[index - 1] if 0 < index <= len(numbers) else index

    errors: list[RowError] = [RowError(1, "", str(error.error)) for error in result.base_errors]
    for invalid in result.invalid_rows:
        for field, field_messages in invalid.error_dict.items():
            column = columns.header_of(field) if field in columns.fields else ""
            errors += [RowError(row_number(invalid.number), column, str(m)) for m in field_messages]
    for error_row in result.error_rows:
        errors += [RowError(row_number(error_row.number), "", str(e.error)) for e in error_row.errors]
    for index, row in enumerate(result.rows, 1):
        action = IMPORT_TYPES.get(row.import_type)
        if action is not None:
            report.count(action, PreviewRow(row_number(index), action, "", row.object_repr or "", "", ""), [])
    order = {header: index for index, header in enumerate(columns.headers)}
    errors.sort(key=lambda error: (error.row, order.get(error.column, -1)))  # as the file reads
    report.rows += len({error.row for error in errors})
    report.invalid_rows = len({error.row for error in errors})
    report.add_errors(errors)
    report.applied = not dry_run and report.ok
    return report
