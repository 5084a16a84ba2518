"""Page-number pagination whose pages cost the same however many rows there are.

`page` (from 1) and `page_size` (1 to 100) choose the rows; anything else is a 400. The answer carries
`next` and `previous` links and `results`. A page reads one row more than it shows, to know whether a next
page exists, so it costs the same whatever the number of rows the caller can see. The total (`count`) is
counted only when the client asks with `count=true`: counting visits every matching row.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.urls import remove_query_param, replace_query_param

TRUE_VALUES = frozenset({"true", "1"})
FALSE_VALUES = frozenset({"false", "0"})
# No list is this long: a page that starts further is past the last one (and its offset fits every database).
MAX_OFFSET = 10**12


class PagePagination(BasePagination):
    page_query_param = "page"
    page_size_query_param = "page_size"
    count_query_param = "count"
    max_page_size = 100

    def __init__(self):
        self.page_size = api_settings.PAGE_SIZE
        self.count = None

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        _("Give a whole number from 1 to %(max)d.") % {"max": self.max_page_size}
                    ]
                }
            )
        return size

    def get_page_number(self, request) -> int:
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return 1
        try:
            number = int(raw)
        except ValueError:
            number = 0
        if number < 1:
            raise ValidationError({self.page_query_param: [_("Give a page number (1 or more).")]})
        return number

    def count_requested(self, request) -> bool:
        """Whether the client asked for the total (`count=true`); a value other than true/false/1/0 is a 400."""
        raw = request.query_params.get(self.count_query_param)
        if raw is None or raw.lower() in FALSE_VALUES:
            return False
        if raw.lower() in TRUE_VALUES:
            return True
        raise ValidationError({self.count_query_param: [_("Give true or false.")]})

    def rows_through_page(self, request) -> int:
        """How many rows the database must find to answer this page (the ones before it and its own)."""
        return self.get_page_number(request) * self.get_page_size(request)

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        size = self.get_page_size(request)
        self.number = self.get_page_number(request)
        wants_count = self.count_requested(request)
        offset = (self.number - 1) * size
        rows = list(queryset[offset : offset + size + 1]) if offset <= MAX_OFFSET else []
        if self.number > 1 and not rows:
            raise NotFound(_("Invalid page."))
        self.has_next = len(rows) > size
        self.count = queryset.count() if wants_count else None
        return rows[:size]

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        return replace_query_param(self.request.build_absolute_uri(), self.page_query_param, self.number + 1)

    def get_previous_link(self) -> str | None:
        if self.number == 1:
            return None
        url = self.request.build_absolute_uri()
        if self.number == 2:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, self.number - 1)

    def get_paginated_response(self, data):
        body = {} if self.count is None else {"count": self.count}
        body.update(next=self.get_next_link(), previous=self.get_previous_link(), results=data)
        return Response(body)

    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "count": {
                    "type": "integer",
                    "minimum": 0,
                    "description": str(_("The number of matching rows; present only when asked with count=true.")),
                },
                "next": {**link, "description": str(_("The next page, or null on the last one."))},
                "previous": {**link, "description": str(_("The previous page, or null on the first one."))},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": str(_("A page number, from 1. A page past the last one is a 404.")),
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": str(
                    _("Results per page, from 1 to %(max)d (default %(default)d).")
                    % {"max": self.max_page_size, "default": self.page_size}
                ),
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
            {
                "name": self.count_query_param,
                "required": False,
                "in": "query",
                "description": str(
                    _("true: also count the matching rows (`count`). Counting visits every matching row.")
                ),
                "schema": {"type": "boolean", "default": False},
            },
        ]
