"""Query parameters of list endpoints: an allow-list, and ordering by allow-listed names only.

DRF's own OrderingFilter silently drops names it does not know and, without `ordering_fields`, allows
every serializer field; here an unknown name is a 400 and a view without `ordering_fields` has no
ordering at all. Names map to ORM expressions, so `priority` can sort by urgency rather than spelling.
`IdFilter` takes a foreign key's id within the database's integer range (a bigger number is a 400);
`SafeIsoDateTimeFilter` a datetime the database can store (PostgreSQL refuses offsets Python accepts).
A parameter given the same value twice is a 400 (the schema's array parameters are `uniqueItems`).
"""

import datetime as dt

import django_filters
from django import forms
from django.db.models import F, OrderBy
from django.db.models.expressions import BaseExpression
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend, SearchFilter
from rest_framework.settings import api_settings

# Accepted by every list endpoint besides its filters: pagination and DRF's renderer switch.
LIST_PARAMETERS = frozenset({"page", "page_size", "count", "format"})
# Accepted by every other endpoint.
COMMON_PARAMETERS = frozenset({"format"})


def allowed_query_parameters(view, *, is_list: bool) -> frozenset[str]:
    """The query parameters `view` understands for this request; everything else is refused."""
    if not is_list:
        # A detail action may name its own parameters: `action_query_parameters = {"translation": {"lang"}}`.
        extra = getattr(view, "action_query_parameters", {}).get(getattr(view, "action", None), ())
        return COMMON_PARAMETERS | frozenset(extra)
    allowed = set(LIST_PARAMETERS)
    if getattr(view, "search_fields", None):
        allowed.add(api_settings.SEARCH_PARAM)
    if getattr(view, "ordering_fields", None):
        allowed.add(api_settings.ORDERING_PARAM)
    if getattr(view, "cursor_field", None):
        allowed.add("cursor")
    filterset_class = getattr(view, "filterset_class", None)
    if filterset_class is not None:
        allowed.update(filterset_class.base_filters)
    return frozenset(allowed)


def check_query_parameters(request, view, *, is_list: bool) -> None:
    """400 for parameters the view does not know, for values no database accepts (NUL bytes), and for a value
    given twice to the same parameter (`?status=new&status=new`: the schema's array parameters say uniqueItems)."""
    allowed = allowed_query_parameters(view, is_list=is_list)
    errors = {}
    for name in request.query_params:
        if name not in allowed:
            errors[name] = [
                _("Unknown query parameter. Allowed here: %(allowed)s.")
                % {"allowed": ", ".join(sorted(allowed)) or "-"}
            ]
        elif any("\x00" in value for value in request.query_params.getlist(name)):
            errors[name] = [_("Null characters are not allowed.")]
        elif len(values := request.query_params.getlist(name)) != len(set(values)):
            errors[name] = [_("The same value is given more than once.")]
    if errors:
        raise ValidationError(errors)


class GivenFiltersBackend(DjangoFilterBackend):
    """django-filter's backend, skipped when the request names none of the FilterSet's parameters.

    Building and validating a FilterSet costs more than the rest of an unfiltered list page, and with no
    data it changes nothing: every filter of the project passes over an empty value (django-filter's
    default), so a FilterSet may not define one that acts when its parameter is absent.
    """

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None or request.query_params.keys().isdisjoint(filterset_class.base_filters):
            return queryset
        check_filter_values(request, filterset_class)
        return super().filter_queryset(request, queryset, view)


BOOLEAN_VALUES = frozenset({"true", "false", "1", "0"})


def check_filter_values(request, filterset_class) -> None:
    """400 for a filter given with no value, or a yes/no filter given something else than true/false/1/0.

    django-filter passes over both silently (an empty value means "no filter"; NullBooleanField reads
    unknown words as "unknown"), so a typo would answer every row instead of an error."""
    errors = {}
    for name, filter_ in filterset_class.base_filters.items():
        values = request.query_params.getlist(name)
        if any(value == "" for value in values):
            errors[name] = [_("Give a value, or leave the parameter out.")]
        elif isinstance(filter_, django_filters.BooleanFilter) and any(
            value.lower() not in BOOLEAN_VALUES for value in values
        ):
            errors[name] = [_("Give true or false.")]
    if errors:
        raise ValidationError(errors)


class AllowListOrderingFilter(BaseFilterBackend):
    """`?ordering=-created_at,reference`: names from the view's `ordering_fields` mapping only.

    `ordering_fields` maps each public name to a field name or an expression. The primary key is added
    as the last key so that pages are stable.
    """

    param = api_settings.ORDERING_PARAM

    @staticmethod
    def fields(view) -> dict[str, str | BaseExpression]:
        return dict(getattr(view, "ordering_fields", None) or {})

    @classmethod
    def requested_terms(cls, request) -> list[str]:
        """The sort keys the request asks for, as sent (`-` prefixes included); [] for the default order."""
        raw = ",".join(request.query_params.getlist(cls.param))
        return [term.strip() for term in raw.split(",")] if raw else []

    def filter_queryset(self, request, queryset, view):
        terms = self.requested_terms(request)
        if not terms:
            return queryset
        raw = ",".join(terms)
        fields = self.fields(view)
        names = [term.removeprefix("-") for term in terms]
        bad = [term for term, name in zip(terms, names, strict=True) if name not in fields]
        if bad or len(set(names)) != len(names):
            raise ValidationError(
                {
                    self.param: [
                        _("Unknown or repeated ordering “%(terms)s”. Allowed: %(allowed)s (prefix - to reverse).")
                        % {"terms": ", ".join(bad) or raw, "allowed": ", ".join(fields)}
                    ]
                }
            )
        order = []
        for term, name in zip(terms, names, strict=True):
            target = fields[name]
            expression = F(target) if isinstance(target, str) else target
            descending = term.startswith("-")
            order.append(OrderBy(expression, descending=descending))
        if "id" not in names:
            order.append(OrderBy(F("pk"), descending=terms[-1].startswith("-")))
        return queryset.order_by(*order)

    def get_schema_operation_parameters(self, view):
        fields = self.fields(view)
        if not fields:
            return []
        choices = [name for field in fields for name in (field, f"-{field}")]
        return [
            {
                "name": self.param,
                "required": False,
                "in": "query",
                "description": str(
                    _("Comma-separated sort keys; prefix - for descending. Allowed: %(allowed)s.")
                    % {"allowed": ", ".join(fields)}
                ),
                "schema": {"type": "array", "items": {"type": "string", "enum": choices}},
                "style": "form",
                "explode": False,
            }
        ]


class TermSearchFilter(SearchFilter):
    """DRF's search over the view's `search_fields`, described with the fields it searches."""

    def get_schema_operation_parameters(self, view):
        fields = [f.lstrip("^=@$") for f in getattr(view, "search_fields", ())]
        if not fields:
            return []
        return [
            {
                "name": self.search_param,
                "required": False,
                "in": "query",
                "description": str(
                    _("Words to look for (case-insensitive, all must match) in: %(fields)s.")
                    % {"fields": ", ".join(fields)}
                ),
                "schema": {"type": "string"},
            }
        ]


# Ids in query parameters: bounded to the database's integer range, so a huge number is a 400, not a 500.
MAX_ID = 2**63 - 1


class IdField(forms.IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    """Exact match on a foreign key's id."""

    field_class = IdField


class SafeIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 datetime (naive values are in the site's time zone) that the database can store."""

    def clean(self, value):
        cleaned = super().clean(value)
        if cleaned is None:
            return None
        try:
            # In UTC: PostgreSQL refuses offsets beyond ±15:59 that Python accepts.
            return cleaned.astimezone(dt.UTC)
        except (OverflowError, ValueError):
            raise forms.ValidationError(_("This date is out of range."), code="invalid") from None


class SafeIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = SafeIsoDateTimeField
