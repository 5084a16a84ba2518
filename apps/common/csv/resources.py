"""django-import-export resources that are safe with spreadsheets, and our import reports in its terms."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from import_export import resources
from import_export.results import Result, RowResult

from .files import neutralise_formula
from .report import Action, ImportReport


class FormulaSafeResource(resources.ModelResource):
    """A ModelResource whose exported text cannot run as a spreadsheet formula (see neutralise_formula)."""

    def export_field(self, field, instance, **kwargs):
        value = super().export_field(field, instance, **kwargs)
        return neutralise_formula(value) if isinstance(value, str) else value


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
