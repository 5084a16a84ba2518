"""The back office's search hook: the changelist's search box runs apps/tickets/search.py `tickets_search`
on the scoped queryset, and a search result comes in order of relevance unless a column is sorted."""

from django.contrib.admin.views.main import ORDER_VAR
from unfold.views import ChangeList

from ..search import RELEVANCE_ORDER, SEARCH_RANK, tickets_search


class SearchChangeList(ChangeList):
    """Unfold's changelist, ordered by relevance when the queryset carries it and no column is sorted (the ticket
    list's own changelist, admin/paging.py TicketChangeList, builds on it)."""

    def get_ordering(self, request, queryset):
        if ORDER_VAR not in self.params and SEARCH_RANK in queryset.query.annotations:
            return list(RELEVANCE_ORDER)
        return super().get_ordering(request, queryset)


class TicketSearchMixin:
    """For TicketAdmin: the one ticket search, for the user who asks (internal notes count for staff only)."""

    def get_search_results(self, request, queryset, search_term):
        return tickets_search(queryset, user=request.user, text=search_term), False
