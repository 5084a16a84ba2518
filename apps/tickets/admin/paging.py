"""The changelist's total and page numbers, at a bounded cost whatever the size of the table.

The list counts at most LIST_COUNT_CAP + 1 of the matching rows (`SELECT COUNT(*) FROM (SELECT ... LIMIT
10001)`, selectors.tickets_count_capped): up to the cap the total is exact and every page has its number;
above it the list says "10,000+" and pages on past the last numbered page with "Next". A staff member's search
that PostgreSQL's statistics expect to pass the cap with its last word whole is counted that way first (a subset of
its rows, cheaper to count: search.tickets_search_whole_words); only if that subset does not pass the cap is the
search itself counted. The statistics choose the order of the counts, never the total. An agent's list without a
search, filtered by nothing or only by filters whose rows depend on their parameters alone (KEPT_COUNT_FILTERS: not
the SLA's, which depend on the moment), is counted by a statement kept per agent, reach, parameters and time zone
(selectors.tickets_in_reach_count_capped): the same count, compiled once.
"""

import hashlib

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.timezone import get_current_timezone_name
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from unfold.contrib.filters.admin import ChoicesCheckboxFilter

from apps.common.admin.filters import DayRangeFilter

from ..search import tickets_search_whole_words
from ..selectors import LIST_COUNT_CAP, tickets_count_capped, tickets_in_reach_count_capped
from .filters import CHOICES_CACHE_SECONDS as FILTER_CACHE_SECONDS
from .filters import AssigneeFilter, DepartmentFilter, LanguageFilter, StatusFilter
from .search import SearchChangeList

# Filters whose rows depend on nothing but their parameters, the user and the time zone: a list filtered by these
# alone is counted by a kept statement (TicketChangeList.count_all). Not the SLA filter, whose rows depend on the
# moment ("breaching soon": due within the next hour).
KEPT_COUNT_FILTERS = (
    StatusFilter,
    ChoicesCheckboxFilter,
    DepartmentFilter,
    AssigneeFilter,
    LanguageFilter,
    DayRangeFilter,
)

# A search's total is counted first with its last word whole when the statistics expect that alone to find more than
# this many times the cap within the staff member's reach (words counted as independent, which common words of one
# ticket are not: the estimate is low rather than high). A wrong guess costs one more count, of at most cap + 1 rows.
WHOLE_WORDS_FIRST = 1


def total_display(count: int, *, cap: int = LIST_COUNT_CAP) -> str:
    """ "1 ticket", "2,345 tickets", or "10,000+ tickets" once the count passed the cap."""
    if count > cap:
        return _("%(count)s+ tickets") % {"count": number_format(cap, force_grouping=True)}
    return ngettext("%(count)s ticket", "%(count)s tickets", count) % {
        "count": number_format(count, force_grouping=True)
    }


def count_display(count: int, *, cap: int = LIST_COUNT_CAP) -> str:
    """The bare figure of a sidebar badge: "7", "2,345", "10,000+"."""
    if count > cap:
        return f"{number_format(cap, force_grouping=True)}+"
    return number_format(count, force_grouping=True)


class CappedPage(Page):
    def has_next(self) -> bool:
        if self.paginator.capped:
            return len(self.object_list) == self.paginator.per_page
        return super().has_next()


class CappedPaginator(Paginator):
    """A paginator whose count stops at `cap` + 1; past the cap, pages go on as long as they are full.

    `count_queryset` is what to count when it is not `object_list` itself (the same rows, read another way);
    `count_reach`, an agent's reach, counts them by department (selectors.tickets_count_capped). `count_first`, a
    subset of those rows (a search's with its last word whole: search.tickets_search_whole_words), is counted
    first: past the cap, so are the rows, and that is the count; otherwise the rows themselves are counted.
    `count_all(cap)`, when given, counts them instead (TicketChangeList.count_all: a kept statement).
    """

    template_name = "admin/tickets/ticket/pagination.html"
    cap = LIST_COUNT_CAP

    def __init__(
        self,
        object_list,
        per_page,
        *args,
        count_queryset=None,
        count_reach=None,
        count_first=None,
        count_all=None,
        **kwargs,
    ):
        super().__init__(object_list, per_page, *args, **kwargs)
        self.count_queryset = count_queryset
        self.count_reach = count_reach
        self.count_first = count_first
        self.count_all = count_all

    @cached_property
    def count(self) -> int:
        if self.count_all is not None:
            return self.count_all(self.cap)
        if self.count_first is not None:
            subset = tickets_count_capped(self.count_first, cap=self.cap, reach=self.count_reach)
            if subset > self.cap:
                return subset
        counted = self.object_list if self.count_queryset is None else self.count_queryset
        return tickets_count_capped(counted, cap=self.cap, reach=self.count_reach)

    @property
    def capped(self) -> bool:
        return self.count > self.cap

    def validate_number(self, number):
        if not self.capped:
            return super().validate_number(number)
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(_("That page number is not an integer")) from None
        if number < 1:
            raise EmptyPage(_("That page number is less than 1"))
        return number

    def page(self, number):
        number = self.validate_number(number)
        if not self.capped:
            return super().page(number)
        bottom = (number - 1) * self.per_page
        return self._get_page(self.object_list[bottom : bottom + self.per_page], number, self)

    def _get_page(self, *args, **kwargs):
        return CappedPage(*args, **kwargs)

    @cached_property
    def num_pages(self) -> int:
        # Past the cap, the numbered pages are those the cap covers; "Next" goes further.
        return max(1, self.cap // self.per_page) if self.capped else super().num_pages

    def get_elided_page_range(self, number=1, *, on_each_side=2, on_ends=1):
        number = min(self.validate_number(number), self.num_pages)
        return super().get_elided_page_range(number, on_each_side=on_each_side, on_ends=on_ends)


class TicketChangeList(SearchChangeList):
    """unfold's changelist (ordered by relevance for a search: admin/search.py) with the capped total:
    `total_display` for the footer, no "N results (Show all)" note in the header (it would show the capped
    figure as if it were the total).

    The filter panel is cached FILTER_CACHE_SECONDS per address and language (change_list.html): it shows the
    same to everyone (the choices are all staff and all departments), and it is most of the page's rendering.
    A new agent or department shows up in its choices within that time.
    """

    filter_cache_seconds = FILTER_CACHE_SECONDS

    def __init__(self, request, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.filter_cache_key = hashlib.sha256(request.GET.urlencode().encode()).hexdigest()

    def count_queryset(self, request):
        """What the total counts: the list's own rows, or, when the list reads them in a form that would count
        them slowly, the same filters and search over the root `count_root` gives (the same rows).

        An agent's total is counted over tickets_visible_to's department form, by department (the agent's
        departments' tickets from the department index, each row's grants looked up until the cap, then the few
        others: selectors.tickets_count_capped), which stops at the cap whatever the size of the table; the set
        form hashed all of the agent's grants first (docs/benchmarks.md, "constant in N?").
        """
        root = self.model_admin.count_root(request)
        if root is None:
            return self.queryset
        # ChangeList.get_queryset's own steps over the other root, with the filters it already built (building
        # them again costs as much as the count saves on a small table). Parameters no filter took (none of the
        # ticket list's own) are left to get_queryset itself.
        if self.get_filters_params() and self._unclaimed_parameters(request):
            kept = self.root_queryset, self.filter_specs, self.has_filters, self.has_active_filters
            self.root_queryset = root
            try:
                return self.get_queryset(request)
            finally:
                self.root_queryset, self.filter_specs, self.has_filters, self.has_active_filters = kept
        filtered = self._filtered(request, root)
        qs, may_have_duplicates = self.model_admin.get_search_results(request, filtered, self.query)
        return qs.distinct() if may_have_duplicates else qs

    def count_first_queryset(self, request):
        """A subset of the total's rows to count first, for a staff member's search that the statistics expect to
        pass the cap with its last word whole (search.tickets_search_whole_words); None otherwise."""
        if not self.query or (self.get_filters_params() and self._unclaimed_parameters(request)):
            return None
        root = self.model_admin.count_root(request)
        return tickets_search_whole_words(
            self._filtered(request, self.root_queryset if root is None else root),
            user=request.user,
            text=self.query,
            reach=self.model_admin.list_reach(request),
            more_than=WHOLE_WORDS_FIRST * CappedPaginator.cap,
        )

    def _filtered(self, request, root):
        """`root` through the filters the changelist built (ChangeList.get_queryset's first step)."""
        qs = root
        for spec in self.filter_specs:
            filtered = spec.queryset(request, qs)
            if filtered is not None:
                qs = filtered
        return qs

    def _unclaimed_parameters(self, request) -> bool:
        claimed = {name for spec in self.filter_specs for name in spec.expected_parameters()}
        return any(name not in claimed for name in self.get_filters_params())

    def count_all(self, request):
        """How to count an agent's list without a search whose filters (if any) are all KEPT_COUNT_FILTERS: by
        the statement kept for their reach and those filters' parameters and time zone
        (selectors.tickets_in_reach_count_capped); None otherwise."""
        reach = self.model_admin.list_reach(request)
        params = self.get_filters_params()
        if reach is None or self.query:
            return None
        if not params:
            return lambda cap: tickets_in_reach_count_capped(request.user, reach, cap=cap)
        used = [spec for spec in self.filter_specs if any(name in params for name in spec.expected_parameters())]
        if self._unclaimed_parameters(request) or not all(isinstance(spec, KEPT_COUNT_FILTERS) for spec in used):
            return None
        key = (tuple(sorted((name, tuple(values)) for name, values in params.items())), get_current_timezone_name())
        narrowed = (key, lambda: self.count_queryset(request))
        return lambda cap: tickets_in_reach_count_capped(request.user, reach, cap=cap, narrowed=narrowed)

    def get_results(self, request):
        # What the paginator counts (TicketAdmin.get_paginator): the kept statement, else the rows to count.
        count_all = request.ticket_list_count_all = self.count_all(request)
        request.ticket_list_count_queryset = None if count_all else self.count_queryset(request)
        request.ticket_list_count_first = None if count_all else self.count_first_queryset(request)
        super().get_results(request)
        self.full_result_count = self.result_count
        self.total_display = total_display(self.result_count, cap=self.paginator.cap)
        self.count_capped = self.paginator.capped
