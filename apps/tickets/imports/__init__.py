"""Bulk import of tickets from CSV: the service behind the back office's import page and `import_tickets`.

    csv_file = inspect_csv(opener, name="old-desk.csv", size=size)    # apps.common.csv.files: refuses bad files
    report = tickets_import(actor=user, csv_file=csv_file, dry_run=True)   # what would happen, row by row
    report = tickets_import(actor=user, csv_file=csv_file, dry_run=False)  # all rows, or none

Every run reads the file as a stream, in batches of TICKET_IMPORT_BATCH_SIZE rows, so memory does not grow
with the file. A run that writes does it in one transaction and only when every row is valid: a file with one
bad row imports nothing. References come from the non-locking sequence (apps/tickets/references.py on
PostgreSQL), so tickets opened meanwhile on the portal are not held up by the import.

Imported tickets go through the one creation path (apps/tickets/creation.py, like ticket_create): a
reference, routing (the department the row names, else the first matching routing rule, else the default
department, recorded in a "routed" event), the department's assignment policy for open tickets without an
assignee, SLA due dates, the grants of their department, requester and assignee, and a "created" event
(source "import", with the file and row) plus an "assigned" event when they have an assignee.

Re-runnable: a row's id in the other system (an `external_id` column, or a `reference` that is not one of
ours) is stored on the ticket with its `external_source` (the column, else "import"); importing the same
file again finds those tickets and updates them, or leaves them as they are, never duplicates them, and the
dry run says which. A row of our own export whose reference is free here creates the ticket under that
reference. The new tickets' figures (apps/tickets/aggregates.py) are added up over the batches and written at the
end of the run (`stats_held`). Notifications and AI triage: see ImportOptions; the event listeners that an
option turns off are silenced for the whole run (apps/tickets/events.py).
"""

import time
from collections.abc import Callable

from django.db import transaction

from apps.accounts.invitations import password_invitations_send
from apps.common.csv.columns import normalise_header
from apps.common.csv.files import CsvFile, CsvFileError, RowReader
from apps.common.csv.report import ImportReport
from apps.departments.models import Department
from apps.departments.services import department_create

from .. import events
from ..aggregates import stats_held
from ..choices import Category, Priority, Status
from .columns import TICKET_COLUMNS, ColumnPlan, resolve_columns
from .mapping import ImportMapping, MappingError
from .options import ImportOptions
from .planning import PlannedRow, TicketRowPlanner
from .presets import PRESETS
from .writing import ImportRefused, TicketWriter

__all__ = ["PRESETS", "TICKET_COLUMNS", "ImportMapping", "ImportOptions", "MappingError", "tickets_import"]

Progress = Callable[[str, int, int, int], None]  # (phase: "check" or "import", rows read, bytes read, file size)


class _RolledBack(Exception):
    """Leaves the import transaction without committing (a row had an error)."""


def tickets_import(
    *,
    actor,
    csv_file: CsvFile,
    dry_run: bool,
    options: ImportOptions | None = None,
    progress: Progress | None = None,
    on_plans: Callable[[list[PlannedRow]], None] | None = None,
) -> ImportReport:
    """Check every row of `csv_file`; unless `dry_run`, write them all in one transaction, or none if any is wrong.

    A run that writes reads the file twice: first it checks every row (writing and reserving nothing), and
    only when all are valid does it write, rechecking each row as it goes.
    `actor` is the importing user (whose rights decide which existing tickets a row may update), or None for
    the system (the management command). Raises CsvFileError when the columns are unusable.
    `on_plans` is handed each batch of planned rows of every pass (apps/tickets/imports/together.py reads the
    tickets a run will create from it, for the messages imported with them).
    """
    options = options or ImportOptions.from_settings()
    columns = resolve_columns(csv_file, options.mapping, value_keys=_value_keys(options.mapping))
    started = time.monotonic()
    report = _new_report(csv_file, columns, options, dry_run=dry_run)
    planner = _planner(actor, columns, options)
    passes = {"options": options, "progress": progress, "on_plans": on_plans}
    _pass(csv_file, planner, report, writer=None, phase="check", **passes)
    _finish_report(report, planner)
    if dry_run or not report.ok:
        report.new_requesters = len(planner.new_requesters)
        report.seconds = time.monotonic() - started
        return report

    checked = report
    report = _new_report(csv_file, columns, options, dry_run=False)
    writer = TicketWriter(actor=actor, file_name=csv_file.name, options=options)
    # Imported history must not e-mail everyone, nor triage every ticket, unless the import asks for it
    # (TICKET_IMPORT_NOTIFY / TICKET_IMPORT_TRIAGE, or the options); AI_TRIAGE_ENABLED still applies.
    switches = {events.NOTIFICATIONS: options.notify, events.TRIAGE: options.triage}
    quiet = [name for name, wanted in switches.items() if not wanted]
    quiet.append(events.SATISFACTION)  # nobody is asked to rate a ticket an import resolved
    try:
        # The figures of the new tickets are added up over the batches and written at the end (stats_held).
        with events.silenced(*quiet), transaction.atomic(), stats_held():
            for name in checked.new_departments:
                department_create(name=name)
            planner = _planner(actor, columns, options)  # after the new departments exist
            _pass(csv_file, planner, report, writer=writer, phase="import", **passes)
            _finish_report(report, planner)
            report.new_departments = list(checked.new_departments)  # created above, before this pass
            if not report.ok:  # the data changed since the check
                raise _RolledBack
            report.applied = True
    except _RolledBack:
        pass
    except ImportRefused as refused:
        report.add_errors([refused.error])
    report.new_requesters = writer.new_requesters if report.applied else len(planner.new_requesters)
    if report.applied and options.invite:
        invited = [person.user_id for person in planner.new_requesters.values() if person.user_id]
        report.invited = len(invited)
        transaction.on_commit(lambda: password_invitations_send(user_ids=invited))
    report.seconds = time.monotonic() - started
    return report


def _planner(actor, columns: ColumnPlan, options: ImportOptions) -> TicketRowPlanner:
    try:
        return TicketRowPlanner(actor=actor, columns=columns, options=options)
    except MappingError as exc:
        raise CsvFileError(exc.message, code="mapping") from None


def _value_keys(mapping: ImportMapping) -> dict[str, set[str]]:
    """The normalised values we understand per field, for the column rule "the column whose values match ours"."""
    keys = {}
    for name, choices in (("status", Status), ("priority", Priority), ("category", Category)):
        keys[name] = {normalise_header(value) for value in choices.values} | {
            normalise_header(str(label)) for label in choices.labels
        }
        keys[name] |= set(mapping.value_table(name))
    departments = Department.objects.values_list("name", "slug")
    keys["department"] = {normalise_header(key) for pair in departments for key in pair}
    keys["department"] |= set(mapping.value_table("department"))
    return keys


def _new_report(csv_file: CsvFile, columns: ColumnPlan, options: ImportOptions, *, dry_run: bool) -> ImportReport:
    report = ImportReport.for_file(
        csv_file, columns.columns, dry_run=dry_run, max_errors=options.max_errors, max_preview=options.max_preview
    )
    report.decisions = list(columns.decisions)
    return report


def _finish_report(report: ImportReport, planner: TicketRowPlanner) -> None:
    report.unknown_values = {
        column: dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
        for column, counts in planner.unknown.items()
    }
    report.new_departments = [department.name for department in planner.new_departments.values()]
    unknown = planner.unknown_errors()
    if unknown:  # listed first: one line per value, however many rows hold it
        report.error_count += len(unknown)
        order = {header: index for index, header in enumerate(planner.columns.headers)}
        merged = sorted(unknown + report.errors, key=lambda error: (error.row, order.get(error.column, -1)))
        report.errors = merged[: report.max_errors]


def _pass(csv_file, planner, report, *, writer, options, progress, on_plans, phase: str) -> None:
    """One read of the file: plan each batch of rows, count it, and write it while no row has failed."""
    with csv_file.reader() as rows:
        for batch in _batches(rows, options.batch_size):
            plans = planner.plan(batch)
            if on_plans is not None:
                on_plans(plans)
            for plan in plans:
                report.count(plan.action, plan.preview, plan.errors)
                if plan.action == "create":
                    report.default_requester_rows += plan.defaulted_requester
                    report.titles_from_description += plan.history.get("title_from") == "description"
                    report.kept_values += bool(plan.history.get("kept"))
            if writer is not None and report.ok:
                writer.write(plans)
            if progress is not None:
                progress(phase, report.rows, rows.position, csv_file.size)


def _batches(rows: RowReader, size: int):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
