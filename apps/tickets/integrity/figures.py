"""The ticket figures (apps/tickets/aggregates.py) against a recomputation from the tickets."""

from apps.tickets.aggregates import stats_differences, stats_rebuild
from apps.tickets.models import TicketDayStat

from .base import Check, Finding, plural


class FiguresDisagree(Check):
    """Last in the order: the repairs before it may change tickets, and its repair counts them as they end up."""

    code = "figures"
    title = f"{plural(TicketDayStat).capitalize()} or open ticket counts that disagree with the tickets"
    fixable = True

    def find(self, *, limit: int) -> Finding:
        count, problems = stats_differences(limit)
        return Finding(count, problems)

    def fix(self) -> list[str]:
        count, _problems = stats_differences(0)
        if not count:
            return []
        days, opens = stats_rebuild()
        return [f"figures: {count} buckets disagreed; recounted ({days} day rows, {opens} open counts)"]
