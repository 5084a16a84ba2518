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
reference. Notifications and AI triage: see ImportOptions; the event listeners that an option turns off
are silenced for the whole run (apps/tickets/events.py).
"""

import time
from collections.abc import Callable

from django.db import transaction

from apps.common.csv.columns import ColumnMap
from apps.common.csv.files import CsvFile, RowReader
from apps.common.csv.report import ImportReport

from .. import events
from .columns import TICKET_COLUMNS, ticket_columns
from .options import ImportOptions
from .planning import TicketRowPlanner
from .writing import ImportRefused, TicketWriter

__all__ = ["TICKET_COLUMNS", "ImportOptions", "tickets_import"]

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
) -> ImportReport:
    """Check every row of `csv_file`; unless `dry_run`, write them all in one transaction, or none if any is wrong.

    A run that writes reads the file twice: first it checks every row (writing and reserving nothing), and
    only when all are valid does it write, rechecking each row as it goes.
    `actor` is the importing user (whose rights decide which existing tickets a row may update), or None for
    the system (the management command). Raises CsvFileError when the columns are unusable.
    """
    options = options or ImportOptions.from_settings()
    columns = ticket_columns(csv_file.header)
    started = time.monotonic()
    report = _new_report(csv_file, columns, options, dry_run=dry_run)
    planner = TicketRowPlanner(actor=actor, columns=columns, options=options)
    _pass(csv_file, planner, report, writer=None, options=options, progress=progress, phase="check")
    if dry_run or not report.ok:
        report.new_requesters = len(planner.new_requesters)
        report.seconds = time.monotonic() - started
        return report

    report = _new_report(csv_file, columns, options, dry_run=False)
    writer = TicketWriter(actor=actor, file_name=csv_file.name, options=options)
    planner = TicketRowPlanner(actor=actor, columns=columns, options=options)
    # Imported history must not e-mail everyone, nor triage every ticket, unless the import asks for it
    # (TICKET_IMPORT_NOTIFY / TICKET_IMPORT_TRIAGE, or the options); AI_TRIAGE_ENABLED still applies.
    switches = {events.NOTIFICATIONS: options.notify, events.TRIAGE: options.triage}
    quiet = [name for name, wanted in switches.items() if not wanted]
    quiet.append(events.SATISFACTION)  # nobody is asked to rate a ticket an import resolved
    try:
        with events.silenced(*quiet), transaction.atomic():
            _pass(csv_file, planner, report, writer=writer, options=options, progress=progress, phase="import")
            if not report.ok:  # the data changed since the check
                raise _RolledBack
            report.applied = True
    except _RolledBack:
        pass
    except ImportRefused as refused:
        report.add_errors([refused.error])
    report.new_requesters = writer.new_requesters if report.applied else len(planner.new_requesters)
    report.seconds = time.monotonic() - started
    return report


def _new_report(csv_file: CsvFile, columns: ColumnMap, options: ImportOptions, *, dry_run: bool) -> ImportReport:
    return ImportReport.for_file(
        csv_file, columns, dry_run=dry_run, max_errors=options.max_errors, max_preview=options.max_preview
    )


def _pass(csv_file, planner, report, *, writer, options, progress, phase: str) -> None:
    """One read of the file: plan each batch of rows, count it, and write it while no row has failed."""
    with csv_file.reader() as rows:
        for batch in _batches(rows, options.batch_size):
            plans = planner.plan(batch)
            for plan in plans:
                report.count(plan.action, plan.preview, plan.errors)
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
