"""CSV import and export pages of the back office, on django-import-export and unfold's integration.

Every import works the same way, for tickets, users and departments:

1. upload: the file is refused from its size alone when it is over IMPORT_UPLOAD_MAX_BYTES (nothing is
   read), then stored (streamed to the default storage, never whole in memory) and checked: an empty file,
   a workbook renamed .csv, an unknown encoding or missing columns each get a message, never an error page;
2. dry run: what every row would do (create, update, skip) and every error by row and column; nothing is
   written;
3. confirm: the stored file is imported in one transaction, all rows or none.

An admin may take further files on the same form (`import_extra_files`, the ticket import's messages file and
attachments ZIP): each is size-checked and stored like the CSV file, and kept with it in the session under the
same import id, which only that session holds; the CSV file itself may then be optional. The admins using the
mixin say who may import and export, and how the stored files are imported (`run_import`).
"""

import uuid
from dataclasses import dataclass
from pathlib import PurePosixPath

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


@dataclass(frozen=True)
class StoredUpload:
    """An uploaded file kept in the default storage between the dry run and the confirm."""

    path: str
    name: str


class FileRefused(CsvFileError):
    """A file of the upload form is refused; `field` is the form field that holds it."""

    def __init__(self, error: CsvFileError, *, field: str):
        super().__init__(error.message, code=error.code)
        self.field = field


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
    # Further file fields of the upload form, stored and kept with the CSV file (see the module).
    import_extra_files: tuple[str, ...] = ()

    def run_import(
        self, request, csv_file: CsvFile | None, *, dry_run: bool, options: dict | None = None, extra=None
    ) -> ImportReport:
        """Import `csv_file` (None when the form's CSV file is optional and was not given); `options`: what
        `import_options(form)` read from the upload form; `extra`: field → StoredUpload of the further files.

        May return another report type with `ok` and `applied` (see import_has_changes, import_report_context).
        """
        raise NotImplementedError

    def import_has_changes(self, report) -> bool:
        """Whether a checked report has anything to write (else there is nothing to confirm)."""
        return bool(report.created or report.updated)

    def import_report_context(self, report) -> dict:
        """The page's context for a report (the ticket import shows two)."""
        return {"report": report}

    def import_success_message(self, report) -> str:
        return _("Imported %(file)s: %(created)d created, %(updated)d updated, %(skipped)d unchanged.") % {
            "file": report.file_name,
            "created": report.created,
            "updated": report.updated,
            "skipped": report.skipped,
        }

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
            uploads = {name: form.cleaned_data.get(name) for name in ("import_file", *self.import_extra_files)}
            try:
                report, token = self._dry_run(request, uploads, self.import_options(form))
            except FileRefused as exc:
                form.add_error(exc.field, exc.message)
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
        if entry is None or entry.get("model") != self.opts.label_lower or "files" not in entry:
            messages.error(request, _("This upload has expired or was imported already. Please upload the file again."))
            return HttpResponseRedirect(import_url)
        request.session[SESSION_KEY] = pending
        try:
            report = self._run_stored(request, entry, dry_run=False)
        except (CsvFileError, FileNotFoundError):
            messages.error(request, _("The uploaded file is no longer available. Please upload it again."))
            return HttpResponseRedirect(import_url)
        finally:
            delete_files(entry)
        if not report.applied:
            messages.error(
                request, _("Nothing was imported: the data changed since the dry run. See the errors below.")
            )
            form = self.get_import_form_class(request)(
                self.get_import_formats(), self.get_import_resource_classes(request)
            )
            return self._render_import(request, form, report=report, token=None)
        messages.success(request, self.import_success_message(report))
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
            **self.import_report_context(report),
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

    def _dry_run(self, request, uploads: dict, options: dict | None = None):
        """Check the sizes of all the uploads, store them, and dry-run them; keep them when there is something to
        confirm (or to map). Returns the report and the import id (None when nothing is kept)."""
        uploads = {name: upload for name, upload in uploads.items() if upload is not None}
        for name, upload in uploads.items():
            try:
                check_size(name=upload.name, size=upload.size, max_bytes=settings.IMPORT_UPLOAD_MAX_BYTES)
            except CsvFileError as exc:
                raise FileRefused(exc, field=name) from None
        self._discard_pending(request)
        files = {}
        entry = {"files": files, "model": self.opts.label_lower, "options": options or {}}
        keep = False
        try:
            for name, upload in uploads.items():
                suffix = PurePosixPath(upload.name).suffix.lower()
                suffix = suffix if suffix[1:].isalnum() and len(suffix) <= 8 else ".bin"  # a name from the client
                path = default_storage.save(f"{IMPORT_DIR}/{uuid.uuid4().hex}{suffix}", upload)
                files[name] = {"path": path, "name": upload.name}
            report = self._run_stored(request, entry, dry_run=True)
            keep = (report.ok and self.import_has_changes(report)) or self.keep_for_mapping(report)
        finally:
            if not keep:
                delete_files(entry)
        if not keep:
            return report, None
        token = uuid.uuid4().hex
        pending = request.session.get(SESSION_KEY, {})
        pending[token] = entry
        request.session[SESSION_KEY] = pending
        return report, token

    def _run_stored(self, request, entry: dict, *, dry_run: bool, options: dict | None = None):
        """Run the import on the files of a session entry (`options` replace the entry's: the mapping step)."""
        stored = {name: StoredUpload(**file) for name, file in entry["files"].items()}
        main = stored.pop("import_file", None)
        csv_file = None
        if main is not None:
            try:
                csv_file = self._stored_file(main.path, name=main.name)
            except CsvFileError as exc:
                raise FileRefused(exc, field="import_file") from None
        options = (entry.get("options") or {}) if options is None else options
        return self.run_import(request, csv_file, dry_run=dry_run, options=options, extra=stored)

    def _stored_file(self, path: str, *, name: str) -> CsvFile:
        return inspect_csv(lambda: default_storage.open(path, "rb"), name=name, size=default_storage.size(path))

    def _discard_pending(self, request) -> None:
        """One pending upload per model and session: a new upload replaces the previous one."""
        pending = request.session.get(SESSION_KEY, {})
        for token, entry in list(pending.items()):
            if entry.get("model") == self.opts.label_lower:
                delete_files(entry)
                del pending[token]
        request.session[SESSION_KEY] = pending


def delete_files(entry: dict) -> None:
    """Delete the stored files of a session entry of the import."""
    for file in entry.get("files", {}).values():
        default_storage.delete(file["path"])


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

    def run_import(
        self, request, csv_file: CsvFile, *, dry_run: bool, options: dict | None = None, extra=None
    ) -> ImportReport:
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
