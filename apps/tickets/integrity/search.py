"""Check of the stored search documents (apps/tickets/search.py): each ticket's must be what a rebuild computes."""

from apps.tickets.models import Ticket
from apps.tickets.search import search_documents_refresh, tickets_with_stale_documents

from .base import Check, Finding, examples, in_batches, plural


class StaleSearchDocuments(Check):
    code = "stale-search-documents"
    title = f"{plural(Ticket)} whose stored search documents differ from their text (PostgreSQL)"
    fixable = True

    def find(self, *, limit: int) -> Finding:
        stale = tickets_with_stale_documents().order_by("pk")
        return Finding(stale.count(), examples(stale.values_list("reference", flat=True), limit, str))

    def fix(self) -> list[str]:
        changes = []
        for batch in in_batches(tickets_with_stale_documents().order_by("pk").values_list("pk", flat=True)):
            search_documents_refresh(ticket_ids=batch)
            references = Ticket.objects.filter(pk__in=batch).order_by("pk").values_list("reference", flat=True)
            changes += [f"{reference}: search documents rebuilt" for reference in references]
        return changes
