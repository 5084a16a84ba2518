"""Tickets as CSV (django-import-export resources): the columns, written safely, streamed for big exports.

Exports hold one row per ticket with the columns below, in the order an import reads them back: an export
imports again without renaming anything (rows with a reference update that ticket, or are skipped when
nothing changed). Comments and internal notes are never exported. Every text cell that a spreadsheet would
run as a formula is neutralised. Times are ISO 8601 in the exporting user's time zone, to the second.

Imports never go through the generic row-by-row ModelResource save (it would skip references, grants and
history): TicketResource.import_data hands the rows to apps.tickets.imports.tickets_import.
"""

import csv
import io
from collections.abc import Callable, Iterable, Iterator

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from import_export import fields
from import_export.results import Result, RowResult

from apps.common.csv.files import CsvFileError, inspect_csv, neutralise_formula
from apps.common.csv.report import Action, ImportReport
from apps.common.csv.resources import FormulaSafeResource

from .imports import tickets_import
from .models import Ticket


def _when(value) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else ""


# (column, value of a ticket fetched with department, requester and assignee): the export's columns.
TICKET_EXPORT_COLUMNS: tuple[tuple[str, Callable[[Ticket], str]], ...] = (
    ("reference", lambda t: t.reference),
    ("title", lambda t: t.title),
    ("description", lambda t: t.description),
    ("status", lambda t: t.status),
    ("priority", lambda t: t.priority),
    ("category", lambda t: t.category),
    ("department", lambda t: t.department.name),
    ("requester", lambda t: t.requester.email),
    ("assignee", lambda t: t.assignee.email if t.assignee_id else ""),
    ("language", lambda t: t.language),
    ("source", lambda t: t.source),
    ("created_at", lambda t: _when(t.created_at)),
    ("updated_at", lambda t: _when(t.updated_at)),
    ("first_responded_at", lambda t: _when(t.first_responded_at)),
    ("resolved_at", lambda t: _when(t.resolved_at)),
    ("closed_at", lambda t: _when(t.closed_at)),
)
EXPORT_HEADERS = [name for name, _ in TICKET_EXPORT_COLUMNS]
# Only the columns the export reads: no password hashes or other account fields leave the database.
EXPORT_ONLY = (
    *(f for f in EXPORT_HEADERS if f not in ("department", "requester", "assignee")),
    "department__name",
    "requester__email",
    "assignee__email",
)
EXPORT_CHUNK = 2000
BOM = "\ufeff"  # Excel reads a CSV file as UTF-8 only when it starts with this mark


def ticket_export_row(ticket: Ticket) -> list[str]:
    return [neutralise_formula(value(ticket)) for _, value in TICKET_EXPORT_COLUMNS]


def tickets_for_export(queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """The export's query: the given (already scoped and filtered) tickets, with what the columns read."""
    return queryset.select_related("department", "requester", "assignee").only(*EXPORT_ONLY)


class _Line:
    """csv.writer target that hands each written line back instead of storing it."""

    def write(self, line: str) -> str:
        return line


def tickets_csv_stream(queryset: QuerySet[Ticket], *, on_row: Callable[[int], None] | None = None) -> Iterator[str]:
    """The export as text chunks (header first, with a byte order mark), reading the tickets with a cursor so
    that memory stays flat whatever the number of rows. `queryset` must already be scoped to the user."""
    writer = csv.writer(_Line())
    yield BOM + writer.writerow(EXPORT_HEADERS)
    chunk: list[str] = []
    count = 0
    for ticket in tickets_for_export(queryset).iterator(chunk_size=EXPORT_CHUNK):
        chunk.append(writer.writerow(ticket_export_row(ticket)))
        count += 1
        if len(chunk) >= 500:
            yield "".join(chunk)
            chunk = []
            if on_row is not None:
                on_row(count)
    if chunk:
        yield "".join(chunk)
    if on_row is not None:
        on_row(count)


class TicketResource(FormulaSafeResource):
    """Tickets: the export's columns; imports go through tickets_import (never a plain save)."""

    reference = fields.Field(attribute="reference", column_name="reference")
    department = fields.Field(attribute="department__name", column_name="department")
    requester = fields.Field(attribute="requester__email", column_name="requester")
    assignee = fields.Field(attribute="assignee__email", column_name="assignee")

    class Meta:
        model = Ticket
        fields = EXPORT_HEADERS
        export_order = EXPORT_HEADERS
        import_id_fields = ("reference",)

    def get_export_headers(self, selected_fields=None):
        return list(EXPORT_HEADERS)

    def export_resource(self, instance, selected_fields=None, **kwargs):
        return ticket_export_row(instance)

    def filter_export(self, queryset, **kwargs):
        return tickets_for_export(queryset)

    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None, **kwargs):
        """Import a tablib Dataset through tickets_import, as the user in `user=` (all rows or none)."""
        data = dataset.export("csv").encode("utf-8")
        try:
            csv_file = inspect_csv(
                lambda: io.BytesIO(data), name=kwargs.get("file_name") or "import.csv", size=len(data)
            )
            report = tickets_import(actor=kwargs.get("user"), csv_file=csv_file, dry_run=dry_run)
        except CsvFileError as exc:
            result = Result()
            result.append_base_error(self.get_error_result_class()(exc))
            return result
        return report_as_result(report, headers=list(dataset.headers or ()))


def report_as_result(report: ImportReport, *, headers: Iterable[str] = ()) -> Result:
    """An ImportReport in django-import-export's terms (Result, RowResult), for code written against it."""
    result = Result()
    result.diff_headers = list(headers)
    types = {Action.CREATE: RowResult.IMPORT_TYPE_NEW, Action.UPDATE: RowResult.IMPORT_TYPE_UPDATE}
    for action, total in ((Action.CREATE, report.created), (Action.UPDATE, report.updated)):
        result.totals[types[action]] = total
    result.totals[RowResult.IMPORT_TYPE_SKIP] = report.skipped
    result.totals[RowResult.IMPORT_TYPE_INVALID] = report.invalid_rows
    result.total_rows = report.rows
    by_row: dict[int, dict[str, list[str]]] = {}
    for error in report.errors:
        by_row.setdefault(error.row, {}).setdefault(error.column or "__all__", []).append(error.message)
    for number, errors in by_row.items():
        result.append_invalid_row(number, {}, ValidationError(errors))
    for row in report.preview:
        row_result = RowResult()
        row_result.import_type = types.get(row.action, RowResult.IMPORT_TYPE_SKIP)
        row_result.object_repr = row.reference or row.title
        result.append_row_result(row_result)
    return result
