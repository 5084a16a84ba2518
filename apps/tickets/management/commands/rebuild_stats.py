"""`manage.py rebuild_stats`: recount the ticket figures (apps/tickets/aggregates.py) from the tickets."""

from django.core.management.base import BaseCommand
from django.db import transaction

from apps.tickets.aggregates import stats_rebuild


class Command(BaseCommand):
    help = (
        "Recount the ticket figures that the dashboard, the reports and /api/stats/ read (per day, department "
        "and assignee; open tickets now) from the tickets, in one transaction. The services keep them up to "
        "date; run this after changing tickets behind their back (SQL, restores) or changing TIME_ZONE. "
        "`check_data` reports whether they agree."
    )

    def handle(self, *args, **options):
        with transaction.atomic():
            days, opens = stats_rebuild()
        self.stdout.write(f"Figures recounted: {days} day rows, {opens} open counts.")
