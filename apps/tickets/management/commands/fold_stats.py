"""`manage.py fold_stats`: fold the ticket figures' past days into one row per bucket (the daily task's work)."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from apps.tickets.aggregates import stats_fold_days


class Command(BaseCommand):
    help = (
        "Fold the shards of the ticket figures' past days (before yesterday, or before --before) into one row per "
        "day, department and assignee, in one transaction: the reports then read fewer rows. The scheduled task "
        "'Fold past ticket figures' does it every day; the figures stay the same."
    )

    def add_arguments(self, parser):
        parser.add_argument("--before", help="Fold the days before this one (YYYY-MM-DD); default: yesterday.")

    def handle(self, *args, **options):
        before = None
        if options["before"]:
            try:
                before = date.fromisoformat(options["before"])
            except ValueError as error:
                raise CommandError(f"--before: {error}") from error
        removed = stats_fold_days(before=before)
        self.stdout.write(f"Figures folded: {removed} day rows removed.")
