"""`manage.py triage_tickets [--since DATE] [--department X] [--force]`: triage existing tickets in batches."""

import sys
from datetime import datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import timezone

from apps.ai.backfill import BATCH_SIZE, tickets_triage_backfill
from apps.departments.models import Department


class Progress:
    """A one-line progress bar on a terminal (stderr)."""

    WIDTH = 30

    def __init__(self, stream, *, enabled: bool):
        self.stream, self.enabled, self.started, self.drawn = stream, enabled, timezone.now(), False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        share = done / total if total else 1.0
        seconds = (timezone.now() - self.started).total_seconds()
        rate = done / seconds if seconds else 0
        bar = "#" * int(share * self.WIDTH) + "-" * (self.WIDTH - int(share * self.WIDTH))
        self.stream.write(f"\rtriaging [{bar}] {share:4.0%}  {done:,}/{total:,} tickets  {rate:,.0f}/s ")
        self.stream.flush()
        self.drawn = True

    def finish(self) -> None:
        if self.drawn:
            self.stream.write("\n")


class Command(BaseCommand):
    help = (
        "Triage existing tickets with the configured AI provider (AI_PROVIDER), in batches: language, sentiment, "
        "categories and the suggested department, category and priority, as for a new ticket. Suggestions are "
        "stored, not applied; nobody is notified. Tickets whose triage is done are skipped unless --force. "
        "A ticket without a language gets the detected one."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", help="Only tickets opened on or after this date (2024-01-31).")
        parser.add_argument("--department", help="Only the tickets of this department (name or slug).")
        parser.add_argument("--force", action="store_true", help="Triage again tickets whose triage is done.")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help=f"Tickets per batch ({BATCH_SIZE}).")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, since, department, force, batch_size, no_progress, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        since_at = None
        if since:
            try:
                since_at = timezone.make_aware(datetime.combine(datetime.strptime(since, "%Y-%m-%d").date(), time()))
            except ValueError:
                raise CommandError(f"--since “{since}”: write the date as 2024-01-31.") from None
        chosen = None
        if department:
            chosen = Department.objects.filter(Q(slug=department) | Q(name__iexact=department)).first()
            if chosen is None:
                raise CommandError(f"No department is named “{department}”.")
        progress = Progress(sys.stderr, enabled=not no_progress and sys.stderr.isatty() and options["verbosity"] > 0)
        try:
            result = tickets_triage_backfill(
                since=since_at, department=chosen, force=force, batch_size=batch_size, progress=progress
            )
        finally:
            progress.finish()
        self.stdout.write(
            f"{result.total:,} tickets: {result.triaged:,} triaged, {result.failed:,} failed, "
            f"{result.skipped:,} already done; {result.languages_filled:,} languages filled; "
            f"{result.seconds:.1f} s ({result.per_second:,.0f} tickets/s)."
        )
