"""Moving in with one run: a file of tickets and the file of their messages (and its ZIP), all or nothing.

    result = tickets_and_messages_import(actor=None, tickets_file=t, messages_file=m, dry_run=True, options=o,
                                         messages={"preset": "zammad", "attachments": zip_path})

The two imports are the ones of this package, unchanged (tickets_import, then messages_import): the same rules,
the same reports. The messages file's columns (and preset) are checked before any ticket row is read. Together
they add two things:
- A dry run checks the messages as if the tickets were written: a message to a ticket the tickets file would
  create (its kept reference, or the other system's id in its `reference` column) is checked like a message to
  an existing ticket, and a message by a requester whose account the tickets file would create like one by an
  existing requester. Nothing is written or reserved.
- A run that writes does both in one transaction: when the tickets are refused, the messages are still checked
  (against the tickets the file would create) so that the report lists every error of both files; when the
  messages are refused, the tickets written before them are rolled back too. Either both files are imported,
  or nothing is.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import transaction

from apps.common.csv.files import CsvFile, CsvFileError
from apps.common.csv.report import Action, ImportReport

from . import tickets_import
from .messages import messages_check_columns, messages_import, pending_key
from .options import ImportOptions
from .planning import PlannedRow


@dataclass
class MoveInReport:
    """What a run of both files did: each file's own report; `applied` when both were written."""

    tickets: ImportReport
    messages: ImportReport

    @property
    def ok(self) -> bool:
        return self.tickets.ok and self.messages.ok

    @property
    def applied(self) -> bool:
        return self.ok and self.tickets.applied


class _RolledBack(Exception):
    """Leaves the transaction of both files (the messages were refused after the tickets were written)."""


class _PendingTickets:
    """The tickets (and requester accounts) a run's tickets file creates, as messages name them: for their dry run."""

    def __init__(self):
        self.keys: set[int] = set()
        self.people: set[str] = set()

    def __call__(self, plans: list[PlannedRow]) -> None:
        for plan in plans:
            if plan.action != Action.CREATE:
                continue
            if plan.new_requester is not None:
                self.people.add(plan.new_requester.email.lower())
            if plan.keep_reference:
                self.keys.add(pending_key(plan.keep_reference.upper()))
            if plan.external_reference:
                self.keys.add(pending_key(plan.external_reference))


def tickets_and_messages_import(
    *,
    actor,
    tickets_file: CsvFile,
    messages_file: CsvFile,
    dry_run: bool,
    options: ImportOptions | None = None,
    messages: dict | None = None,
    progress=None,
) -> MoveInReport:
    """Import a tickets file and the messages file of the same tickets: both, or neither (see the module).

    `options` are the tickets import's; `messages` the keyword arguments of messages_import (preset,
    attachments, default_author, date_format). Raises CsvFileError when either file's columns are unusable,
    before any row is written.
    """
    messages = {"batch_size": options.batch_size if options else None, **(messages or {})}
    pending = _PendingTickets()

    def run_tickets(*, dry_run: bool) -> ImportReport:
        with _named(tickets_file):
            return tickets_import(
                actor=actor,
                csv_file=tickets_file,
                dry_run=dry_run,
                options=options,
                progress=progress,
                on_plans=pending,
            )

    def run_messages(*, dry_run: bool) -> ImportReport:
        with _named(messages_file):
            return messages_import(
                actor=actor,
                csv_file=messages_file,
                dry_run=dry_run,
                pending_tickets=pending.keys,
                pending_people=pending.people,
                **messages,
            )

    with _named(messages_file):  # an unusable messages file is refused before the tickets are read
        messages_check_columns(messages_file, preset=messages.get("preset", ""))
    if dry_run:
        return MoveInReport(tickets=run_tickets(dry_run=True), messages=run_messages(dry_run=True))
    written = None
    try:
        with transaction.atomic():
            tickets = run_tickets(dry_run=False)
            if not tickets.applied:
                raise _RolledBack
            written = run_messages(dry_run=False)  # checked against the tickets just written
            if not written.ok:
                raise _RolledBack
    except _RolledBack:
        tickets.applied = False
        if written is None:  # the tickets were refused: their messages are still checked, for the report
            written = run_messages(dry_run=True)
    return MoveInReport(tickets=tickets, messages=written)


@contextmanager
def _named(csv_file: CsvFile) -> Iterator[None]:
    """A refused file's message names the file: two files are read."""
    try:
        yield
    except CsvFileError as exc:
        raise CsvFileError(f"{csv_file.name}: {exc.message}", code=exc.code) from None
