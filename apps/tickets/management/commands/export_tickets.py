"""`manage.py export_tickets [-o FILE]`: tickets as CSV, the same columns as the back office's export."""

import sys
import time
from contextlib import ExitStack
from datetime import date
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from apps.departments.models import Department
from apps.tickets.choices import OPEN_STATUSES, Status
from apps.tickets.models import Ticket
from apps.tickets.resources import tickets_csv_stream
from apps.tickets.selectors import tickets_visible_to

from .import_tickets import ProgressBar


class Command(BaseCommand):
    help = (
        "Export tickets as CSV (UTF-8 with a byte order mark, one row per ticket, the columns import_tickets reads "
        "back), streamed from the database so that memory stays flat. Text cells that a spreadsheet would run as "
        "a formula are neutralised; comments and internal notes are never exported. Without --as, every ticket; "
        "with --as USERNAME, only the tickets that user can see."
    )

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", help="File to write (default: standard output).")
        parser.add_argument("--as", dest="username", help="Export only the tickets this user can see.")
        parser.add_argument(
            "--status",
            action="append",
            choices=[*Status.values, "open-statuses"],
            help="Only tickets with this status (repeatable); open-statuses = new, open, in_progress, waiting.",
        )
        parser.add_argument("--department", action="append", help="Only this department (slug or name; repeatable).")
        parser.add_argument(
            "--created-from", type=date.fromisoformat, help="Created on or after this day (YYYY-MM-DD)."
        )
        parser.add_argument("--created-to", type=date.fromisoformat, help="Created on or before (YYYY-MM-DD).")
        parser.add_argument(
            "--no-progress", action="store_true", help="No progress bar (it is off when not a terminal)."
        )

    def handle(self, *args, output: str | None, username: str | None, **options):
        queryset = self.tickets(username, options)
        total = queryset.count()
        progress = ProgressBar(
            sys.stderr,
            enabled=bool(output) and not options["no_progress"] and sys.stderr.isatty() and options["verbosity"] > 0,
        )
        started = time.monotonic()
        count = 0

        def on_row(rows: int) -> None:
            nonlocal count
            count = rows
            progress("export", rows, rows, total)

        with ExitStack() as stack:
            handle = stack.enter_context(Path(output).open("w", encoding="utf-8", newline="")) if output else None
            stack.callback(progress.finish)
            for chunk in tickets_csv_stream(queryset.order_by("pk"), on_row=on_row):
                if handle is not None:
                    handle.write(chunk)
                else:
                    self.stdout.write(chunk, ending="")
        seconds = time.monotonic() - started
        where = output or "standard output"
        self.stderr.write(f"Exported {count:,} tickets to {where} in {seconds:.1f} s.")

    def tickets(self, username: str | None, options):
        if username:
            user = get_user_model().objects.filter(username=username).first()
            if user is None:
                raise CommandError(f"No user named “{username}”.")
            queryset = tickets_visible_to(user)
        else:
            queryset = Ticket.objects.all()
        statuses = set()
        for status in options["status"] or ():
            statuses |= set(OPEN_STATUSES) if status == "open-statuses" else {status}
        if statuses:
            queryset = queryset.filter(status__in=statuses)
        if options["department"]:
            wanted = {value.lower() for value in options["department"]}
            departments = [d for d in Department.objects.all() if {d.slug.lower(), d.name.lower()} & wanted]
            if len(departments) < len(wanted):
                raise CommandError(f"Unknown department among: {', '.join(options['department'])}")
            queryset = queryset.filter(department__in=departments)
        if options["created_from"]:
            queryset = queryset.filter(created_at__date__gte=options["created_from"])
        if options["created_to"]:
            queryset = queryset.filter(created_at__date__lte=options["created_to"])
        return queryset
