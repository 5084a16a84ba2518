"""Page-number pagination whose pages cost the same however many rows there are.

`page` (from 1) and `page_size` (1 to 100) choose the rows; anything else is a 400. The answer carries
`next` and `previous` links and `results`. A page reads one row more than it shows, to know whether a next
page exists, so it costs the same whatever the number of rows the caller can see. The total (`count`) is
counted only when the client asks with `count=true`: counting visits every matching row.

Views that set `cursor_field` (a timestamp column, e.g. `updated_at`) also take `cursor=` instead of `page`:
rows then come in the order (cursor_field, id), oldest first, and each page starts right after the last row
of the one before (keyset pagination). A row written between two pages is never skipped and never repeated
in place: a row changed meanwhile moves to the end, where the sync finds it again. An empty `cursor=` starts
at the beginning; `next` carries the following page's cursor, and is null on the last page.
"""

import base64
import binascii
import datetime as dt

from django.db.models import Q
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


def cursor_encode(moment: dt.datetime, pk: int) -> str:
    """The opaque cursor of the position right after the row (moment, pk)."""
    raw = f"{moment.astimezone(dt.UTC).isoformat()}|{pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_decode(value: str) -> tuple[dt.datetime, int] | None:
    """(moment, pk) of a cursor; None for the empty cursor (the start); ValidationError when it is not ours."""
    if value == "":
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        moment_text, pk_text = raw.split("|")
        moment, pk = dt.datetime.fromisoformat(moment_text), int(pk_text)
        if moment.tzinfo is None or not 1 <= pk <= 2**63 - 1:
            raise ValueError(raw)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise ValidationError({"cursor": [_("This cursor is not one the API gave out.")]}) from None
    return moment, pk


class PagePagination(BasePagination):
    page_query_param = "page"
    page_size_query_param = "page_size"
    count_query_param = "count"
    cursor_query_param = "cursor"
    max_page_size = 100

    def __init__(self):
        self.page_size = api_settings.PAGE_SIZE
        self.count = None
        self.cursor_field = None
        self.next_cursor = None

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
        if self.cursor_query_param in request.query_params:
            return self.get_page_size(request)
        return self.get_page_number(request) * self.get_page_size(request)

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        field = getattr(view, "cursor_field", None)
        if field and self.cursor_query_param in request.query_params:
            return self.paginate_by_cursor(queryset, request, view, field)
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

    def paginate_by_cursor(self, queryset, request, view, field: str):
        """One page after the cursor's position, in the order (field, id)."""
        params = request.query_params
        if self.page_query_param in params or self.count_requested(request):
            raise ValidationError({self.cursor_query_param: [_("Give either cursor or page and count, not both.")]})
        ordering = ",".join(params.getlist(api_settings.ORDERING_PARAM))
        if ordering not in ("", field, f"{field},id"):
            raise ValidationError(
                {api_settings.ORDERING_PARAM: [_("With a cursor the order is %(order)s.") % {"order": f"{field},id"}]}
            )
        size = self.get_page_size(request)
        position = cursor_decode(params.get(self.cursor_query_param, ""))
        queryset = queryset.order_by(field, "pk")
        if position is not None:
            moment, pk = position
            queryset = queryset.filter(Q(**{f"{field}__gt": moment}) | Q(**{field: moment, "pk__gt": pk}))
        rows = list(queryset[: size + 1])
        self.cursor_field, self.number, self.has_next = field, 1, len(rows) > size
        rows = rows[:size]
        if self.has_next:
            last = rows[-1]
            self.next_cursor = cursor_encode(getattr(last, field), last.pk)
        return rows

    def get_next_link(self) -> str | None:
        if self.cursor_field is not None:
            if self.next_cursor is None:
                return None
            return replace_query_param(self.request.build_absolute_uri(), self.cursor_query_param, self.next_cursor)
        if not self.has_next:
            return None
        return replace_query_param(self.request.build_absolute_uri(), self.page_query_param, self.number + 1)

    def get_previous_link(self) -> str | None:
        if self.cursor_field is not None or self.number == 1:
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
                    "example": 1,
                },
                # The examples make drf-spectacular wrap a list operation's examples in a page.
                "next": {**link, "description": str(_("The next page, or null on the last one.")), "example": None},
                "previous": {
                    **link,
                    "description": str(_("The previous page, or null on the first one.")),
                    "example": None,
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        cursor = []
        if getattr(view, "cursor_field", None):
            cursor = [
                {
                    "name": self.cursor_query_param,
                    "required": False,
                    "in": "query",
                    "description": str(
                        _(
                            "Keyset pagination for sync, instead of page: rows in the order %(order)s; empty to "
                            "start, then the cursor from `next`. Writes between pages never skip or repeat a row."
                        )
                        % {"order": f"{view.cursor_field},id"}
                    ),
                    "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]*$"},
                }
            ]
        return [
            *cursor,
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
