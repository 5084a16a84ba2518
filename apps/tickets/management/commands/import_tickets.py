"""`manage.py import_tickets FILE.csv [--messages MESSAGES.csv [--attachments FILES.zip]] [--dry-run]`.

Imports a CSV file of tickets of any size; with --messages, the file of their messages too, in the same run
and the same transaction (apps/tickets/imports/together.py): both files are imported, or nothing is.
"""

import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from apps.common.csv.files import CsvFileError, inspect_csv
from apps.common.csv.report import ImportReport
from apps.tickets.imports import PRESETS, ImportMapping, ImportOptions, MappingError, tickets_import
from apps.tickets.imports.options import command_actor, command_time_zone
from apps.tickets.imports.together import tickets_and_messages_import


class ProgressBar:
    """A one-line progress bar on a terminal (stderr), redrawn at most a few times a second."""

    WIDTH = 30

    def __init__(self, stream, *, enabled: bool):
        self.stream = stream
        self.enabled = enabled
        self.started = time.monotonic()
        self.last = 0.0
        self.phase = ""

    def __call__(self, phase: str, rows: int, position: int, size: int) -> None:
        now = time.monotonic()
        if phase != self.phase:
            self.finish()
            self.phase, self.started, self.last = phase, now, 0.0
        if not self.enabled or (now - self.last < 0.2 and position < size):
            return
        self.last = now
        share = min(position / size, 1.0) if size else 1.0
        done = int(share * self.WIDTH)
        rate = rows / (now - self.started) if now > self.started else 0
        label = {"check": "checking ", "import": "importing", "export": "exporting"}.get(phase, phase)
        bar = "#" * done + "-" * (self.WIDTH - done)
        self.stream.write(f"\r{label} [{bar}] {share:4.0%}  {rows:,} rows  {rate:,.0f} rows/s ")
        self.stream.flush()

    def finish(self) -> None:
        if self.enabled and self.last:
            self.stream.write("\n")
            self.stream.flush()


class Command(BaseCommand):
    help = (
        "Import tickets from a CSV file, streamed in batches (memory stays flat whatever the file's size). Every row "
        "is checked first; the import then writes all rows in one transaction, or nothing when any row has an error "
        "(each is listed with its row number and column). The first row names the columns: title, description and "
        "requester are required; department, priority, status, category, assignee, language, created_at, "
        "resolved_at, closed_at, first_responded_at and reference are read too, and so are the names other help desks "
        "use (subject, body, queue, type, created, ...). A reference like TCK-000123 updates that ticket; other "
        "references are kept in the history. Requester e-mails without an account create requester accounts "
        "(TICKET_IMPORT_CREATE_REQUESTERS). Imported tickets get references, grants and a 'created' event with the "
        "source 'import'; no notification or AI triage is queued for them (TICKET_IMPORT_NOTIFY / _TRIAGE). "
        "--from reads the export of another help desk (its columns and values); --map, --value and --ignore "
        "override any column or value, with or without a preset. "
        "--messages imports the file of the tickets' messages in the same run (as import_messages does, with the "
        "same --from, --date-format and --time-zone): the dry run checks both, and either both files are imported "
        "or nothing is. "
        "Exit status 0 when the file was imported (or, with --dry-run, would be), 1 otherwise."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The CSV file (UTF-8 or Windows-1252; comma, semicolon or tab separated).")
        parser.add_argument("--dry-run", action="store_true", help="Check every row and report; write nothing.")
        parser.add_argument(
            "--messages",
            metavar="MESSAGES.csv",
            help="The CSV file of the tickets' messages, imported in the same transaction (see import_messages).",
        )
        parser.add_argument("--attachments", metavar="FILES.zip", help="With --messages: the ZIP of their files.")
        parser.add_argument(
            "--default-author",
            default="",
            metavar="USER",
            help="With --messages: username or e-mail of the author of messages whose author we cannot match.",
        )
        parser.add_argument(
            "--as",
            dest="username",
            help="Import as this user (their rights decide which tickets may be updated; the history names them). "
            "Default: the system.",
        )
        parser.add_argument(
            "--time-zone",
            help="Time zone of dates without an offset (default: the TIME_ZONE setting).",
        )
        requesters = parser.add_mutually_exclusive_group()
        requesters.add_argument(
            "--create-requesters", action="store_true", default=None, help="Create accounts for unknown requesters."
        )
        requesters.add_argument(
            "--no-create-requesters",
            dest="create_requesters",
            action="store_false",
            help="Treat unknown requester e-mails as errors.",
        )
        parser.add_argument("--notify", action="store_true", default=None, help="Mark imported tickets for notifying.")
        parser.add_argument("--triage", action="store_true", default=None, help="Mark imported tickets for AI triage.")
        parser.add_argument(
            "--from",
            dest="preset",
            choices=sorted(PRESETS),
            help="The help desk the file was exported from: its column names and values are understood.",
        )
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="COLUMN=FIELD",
            help="Read a column as a field (repeatable), e.g. --map \"Entidade=department\"; FIELD may be 'ignore'.",
        )
        parser.add_argument(
            "--value",
            action="append",
            default=[],
            metavar="FIELD:THEIRS=OURS",
            help='Map a value (repeatable), e.g. --value "status:Solucionado=resolved" or '
            "--value \"department:3=IT Support\"; OURS may be 'ignore' (read as empty).",
        )
        parser.add_argument("--ignore", action="append", default=[], metavar="COLUMN", help="Do not read a column.")
        parser.add_argument(
            "--date-format",
            default="",
            help="How ambiguous dates are read: dmy, mdy, ymd or a pattern like %%d/%%m/%%Y (default: detected "
            "per column; the site's locale when no day is over 12).",
        )
        parser.add_argument(
            "--default-requester",
            default="",
            metavar="USER",
            help="Username or e-mail of the requester of rows whose requester cell is empty or names nobody we "
            "can match (a display name without an e-mail).",
        )
        parser.add_argument(
            "--create-departments",
            action="store_true",
            help="Create the departments the file names that do not exist (with their groups).",
        )
        parser.add_argument(
            "--invite",
            action="store_true",
            help="Send each requester account the import creates an e-mail to set their password.",
        )
        parser.add_argument("--batch-size", type=int, help="Rows per batch (default: TICKET_IMPORT_BATCH_SIZE).")
        parser.add_argument("--max-errors", type=int, help="Errors listed (default: TICKET_IMPORT_MAX_ERRORS).")
        parser.add_argument(
            "--no-progress", action="store_true", help="No progress bar (it is off when not a terminal)."
        )

    def handle(self, *args, file: str, dry_run: bool, username: str | None, time_zone: str | None, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        messages_path = Path(options["messages"]) if options["messages"] else None
        if messages_path is not None and not messages_path.is_file():
            raise CommandError(f"No such file: {messages_path}")
        if messages_path is None and (options["attachments"] or options["default_author"]):
            raise CommandError("--attachments and --default-author go with --messages.")
        if options["attachments"] and not Path(options["attachments"]).is_file():
            raise CommandError(f"No such file: {options['attachments']}")
        actor = command_actor(username)
        tz = command_time_zone(time_zone)
        try:
            mapping = ImportMapping.parse(
                preset=options["preset"] or "",
                columns=options["map"],
                values=options["value"],
                ignore=options["ignore"],
                date_format=options["date_format"],
                default_requester=options["default_requester"],
                create_departments=options["create_departments"],
            )
        except MappingError as exc:
            raise CommandError(f"Nothing was imported: {exc.message}") from None
        try:
            import_options = ImportOptions.from_settings(
                create_requesters=options["create_requesters"],
                notify=options["notify"],
                triage=options["triage"],
                batch_size=options["batch_size"],
                max_errors=options["max_errors"],
                mapping=mapping,
                invite=options["invite"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        progress = ProgressBar(
            sys.stderr, enabled=not options["no_progress"] and sys.stderr.isatty() and options["verbosity"] > 0
        )
        try:
            csv_file = inspect_csv(lambda: path.open("rb"), name=path.name, size=path.stat().st_size)
            self.stdout.write(
                f"{path.name}: {filesizeformat(csv_file.size)}, {csv_file.encoding.label}, "
                f"{csv_file.delimiter_label}-separated"
            )
            messages_file = None
            if messages_path is not None:
                messages_file = inspect_csv(
                    lambda: messages_path.open("rb"), name=messages_path.name, size=messages_path.stat().st_size
                )
            with timezone.override(tz):
                if messages_file is None:
                    report = tickets_import(
                        actor=actor, csv_file=csv_file, dry_run=dry_run, options=import_options, progress=progress
                    )
                    messages_report = None
                else:
                    both = tickets_and_messages_import(
                        actor=actor,
                        tickets_file=csv_file,
                        messages_file=messages_file,
                        dry_run=dry_run,
                        options=import_options,
                        messages={
                            "preset": options["preset"] or "",
                            "attachments": options["attachments"],
                            "default_author": options["default_author"],
                            "date_format": options["date_format"],
                            "max_errors": import_options.max_errors,
                        },
                        progress=progress,
                    )
                    report, messages_report = both.tickets, both.messages
        except CsvFileError as exc:
            raise CommandError(f"Nothing was imported: {exc.message}") from None
        finally:
            progress.finish()
        self.summary(report, final=messages_report is None)
        if messages_report is not None:
            self.messages_summary(messages_file.name, messages_report, tickets_ok=report.ok)
        if messages_report is None and not report.ok:
            raise CommandError(
                f"Nothing was imported: {report.invalid_rows:,} of {report.rows:,} rows have errors.", returncode=1
            )
        refused = [r for r in (report, messages_report) if r is not None and not r.ok]
        if refused:  # two files: say which
            listed = "; ".join(f"{r.invalid_rows:,} of {r.rows:,} rows of {r.file_name} have errors" for r in refused)
            raise CommandError(f"Nothing was imported: {listed}.", returncode=1)

    def summary(self, report: ImportReport, *, final: bool = True) -> None:
        columns = ", ".join(header if header == field else f"{header} → {field}" for header, field in report.columns)
        self.stdout.write(f"Columns: {columns}")
        if report.ignored_columns:
            self.stdout.write(f"Ignored columns: {', '.join(report.ignored_columns)}")
        for decision in report.decisions:
            self.stdout.write(f"  {decision}")
        for column, counts in report.unknown_values.items():
            listed = ", ".join(f"“{value}” ({count:,})" for value, count in counts.items())
            self.stdout.write(self.style.WARNING(f"Unknown values in “{column}”: {listed}"))
        if report.unknown_values:
            self.stdout.write(
                '  Map them with --value "field:their value=ours" (or =ignore), --create-departments for '
                "departments, --default-requester for people we cannot match."
            )
        for error in report.errors:
            self.stdout.write(self.style.ERROR(f"  {error}"))
        if report.hidden_errors:
            self.stdout.write(self.style.ERROR(f"  … and {report.hidden_errors:,} more errors"))
        counts = (
            f"{report.created:,} created, {report.updated:,} updated, {report.skipped:,} unchanged, "
            f"{report.new_requesters:,} new requester accounts"
        )
        extras = [
            (report.default_requester_rows, "rows took the default requester"),
            (report.titles_from_description, "titles taken from the description"),
            (report.kept_values, "tickets keep a value with no counterpart here in their history"),
            (len(report.new_departments), "new departments: " + ", ".join(report.new_departments)),
            (report.invited, "invitations to set a password"),
        ]
        counts += "".join(f", {count:,} {label}" for count, label in extras if count)
        speed = f"{report.rows:,} rows in {report.seconds:.1f} s ({report.rows_per_second:,.0f} rows/s)"
        if not report.ok:
            return
        if not report.applied:  # a dry run, or tickets rolled back with the messages refused after them
            counts = counts.replace("created", "to create").replace("updated", "to update")
        if not final:  # the messages come next; whether anything was written is said after them
            self.stdout.write(f"Tickets: {counts}; {speed}.")
        elif report.dry_run:
            self.stdout.write(self.style.SUCCESS(f"Dry run, nothing written: {counts}; {speed}."))
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported: {counts}; {speed}."))

    def messages_summary(self, name: str, report: ImportReport, *, tickets_ok: bool) -> None:
        """The messages file of the same run, and whether both files were imported."""
        self.stdout.write(f"{name}:")
        columns = ", ".join(header if header == field else f"{header} → {field}" for header, field in report.columns)
        self.stdout.write(f"Columns: {columns}")
        for error in report.errors:
            self.stdout.write(self.style.ERROR(f"  {error}"))
        if report.hidden_errors:
            self.stdout.write(self.style.ERROR(f"  … and {report.hidden_errors:,} more errors"))
        if not (report.ok and tickets_ok):
            return
        counts = f"{report.created:,} messages {{}}, {report.skipped:,} already there"
        if report.dry_run:
            self.stdout.write(self.style.SUCCESS("Dry run, nothing written: " + counts.format("to add") + "."))
        else:
            self.stdout.write(self.style.SUCCESS("Imported tickets and messages: " + counts.format("added") + "."))
