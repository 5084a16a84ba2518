"""`manage.py import_messages FILE.csv [--attachments FILES.zip] [--from SYSTEM] [--dry-run]`: the conversations."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from apps.common.csv.files import CsvFileError, inspect_csv
from apps.tickets.imports.messages import MESSAGE_PRESETS, messages_import
from apps.tickets.imports.options import command_actor, command_time_zone


class Command(BaseCommand):
    help = (
        "Import the messages (replies and internal notes) of tickets imported before, from a CSV file with one "
        "message a row: ticket (TCK-000123 or the other system's id the ticket import kept), author (e-mail or "
        "username of an existing account), body, internal (yes/no) or public, created_at, and attachments (paths "
        "inside the --attachments ZIP, separated by ; or |). Every row is checked first; then all are written in "
        "one transaction, or none. A message already on its ticket (same author, time and text) is left "
        "unchanged, so the file can be imported again. Nobody is notified. Exit status 0 when the file was "
        "imported (or, with --dry-run, would be), 1 otherwise."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The CSV file of messages.")
        parser.add_argument("--attachments", help="A ZIP file holding the files the messages name.")
        parser.add_argument("--from", dest="preset", choices=sorted(MESSAGE_PRESETS), help="The exporting system.")
        parser.add_argument("--dry-run", action="store_true", help="Check every row and report; write nothing.")
        parser.add_argument(
            "--default-author",
            default="",
            metavar="USER",
            help="Username or e-mail of the author of messages whose author we cannot match.",
        )
        parser.add_argument("--date-format", default="", help="dmy, mdy, ymd or a pattern like %%d/%%m/%%Y.")
        parser.add_argument("--time-zone", help="Time zone of dates without an offset (default: TIME_ZONE).")
        parser.add_argument("--as", dest="username", help="The importing user (default: the system).")

    def handle(self, *args, file, attachments, preset, dry_run, default_author, date_format, time_zone, username,
               **options):  # fmt: skip
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        if attachments and not Path(attachments).is_file():
            raise CommandError(f"No such file: {attachments}")
        actor = command_actor(username)
        tz = command_time_zone(time_zone)
        try:
            csv_file = inspect_csv(lambda: path.open("rb"), name=path.name, size=path.stat().st_size)
            with timezone.override(tz):
                report = messages_import(
                    actor=actor,
                    csv_file=csv_file,
                    dry_run=dry_run,
                    preset=preset or "",
                    attachments=attachments,
                    default_author=default_author,
                    date_format=date_format,
                )
        except CsvFileError as exc:
            raise CommandError(f"Nothing was imported: {exc.message}") from None
        columns = ", ".join(header if header == name else f"{header} → {name}" for header, name in report.columns)
        self.stdout.write(f"Columns: {columns}")
        for error in report.errors:
            self.stdout.write(self.style.ERROR(f"  {error}"))
        if report.hidden_errors:
            self.stdout.write(self.style.ERROR(f"  … and {report.hidden_errors:,} more errors"))
        if not report.ok:
            raise CommandError(
                f"Nothing was imported: {report.invalid_rows:,} of {report.rows:,} rows have errors.", returncode=1
            )
        speed = f"{report.rows:,} rows in {report.seconds:.1f} s ({report.rows_per_second:,.0f} rows/s)"
        if dry_run:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Dry run, nothing written: {report.created:,} messages to add, "
                    f"{report.skipped:,} already there; {speed}."
                )
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Imported: {report.created:,} messages added, {report.skipped:,} already there; {speed}."
                )
            )
