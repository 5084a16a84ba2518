"""`manage.py import_tickets FILE.csv [--dry-run]`: import a CSV file of tickets of any size."""

import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from apps.common.csv.files import CsvFileError, inspect_csv
from apps.common.csv.report import ImportReport
from apps.tickets.imports import ImportOptions, tickets_import


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
        "Exit status 0 when the file was imported (or, with --dry-run, would be), 1 otherwise."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The CSV file (UTF-8 or Windows-1252; comma, semicolon or tab separated).")
        parser.add_argument("--dry-run", action="store_true", help="Check every row and report; write nothing.")
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
        parser.add_argument("--batch-size", type=int, help="Rows per batch (default: TICKET_IMPORT_BATCH_SIZE).")
        parser.add_argument("--max-errors", type=int, help="Errors listed (default: TICKET_IMPORT_MAX_ERRORS).")
        parser.add_argument(
            "--no-progress", action="store_true", help="No progress bar (it is off when not a terminal)."
        )

    def handle(self, *args, file: str, dry_run: bool, username: str | None, time_zone: str | None, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        actor = None
        if username:
            actor = get_user_model().objects.filter(username=username, is_active=True).first()
            if actor is None:
                raise CommandError(f"No active user named “{username}”.")
        try:
            tz = ZoneInfo(time_zone) if time_zone else timezone.get_default_timezone()
        except (ZoneInfoNotFoundError, ValueError):
            raise CommandError(f"Unknown time zone “{time_zone}”.") from None
        try:
            import_options = ImportOptions.from_settings(
                create_requesters=options["create_requesters"],
                notify=options["notify"],
                triage=options["triage"],
                batch_size=options["batch_size"],
                max_errors=options["max_errors"],
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
            with timezone.override(tz):
                report = tickets_import(
                    actor=actor, csv_file=csv_file, dry_run=dry_run, options=import_options, progress=progress
                )
        except CsvFileError as exc:
            raise CommandError(f"Nothing was imported: {exc.message}") from None
        finally:
            progress.finish()
        self.summary(report)
        if not report.ok:
            raise CommandError(
                f"Nothing was imported: {report.invalid_rows:,} of {report.rows:,} rows have errors.", returncode=1
            )

    def summary(self, report: ImportReport) -> None:
        columns = ", ".join(header if header == field else f"{header} → {field}" for header, field in report.columns)
        self.stdout.write(f"Columns: {columns}")
        if report.ignored_columns:
            self.stdout.write(f"Ignored columns: {', '.join(report.ignored_columns)}")
        for error in report.errors:
            self.stdout.write(self.style.ERROR(f"  {error}"))
        if report.hidden_errors:
            self.stdout.write(self.style.ERROR(f"  … and {report.hidden_errors:,} more errors"))
        counts = (
            f"{report.created:,} created, {report.updated:,} updated, {report.skipped:,} unchanged, "
            f"{report.new_requesters:,} new requester accounts"
        )
        speed = f"{report.rows:,} rows in {report.seconds:.1f} s ({report.rows_per_second:,.0f} rows/s)"
        if not report.ok:
            return
        if report.dry_run:
            would = counts.replace("created", "to create").replace("updated", "to update")
            self.stdout.write(self.style.SUCCESS(f"Dry run, nothing written: {would}; {speed}."))
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported: {counts}; {speed}."))
