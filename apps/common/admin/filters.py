"""Changelist filters several back-office pages share."""

from django.core.validators import EMPTY_VALUES
from unfold.contrib.filters.admin import RangeDateFilter
from unfold.utils import parse_date_str


class DayRangeFilter(RangeDateFilter):
    """Between two dates, both inclusive, compared as calendar dates in the active time zone: for any date-time
    column (created, first response, resolved), as `<column>_from` / `<column>_to` in the address.

    unfold's RangeDateFilter compares a datetime column with naive dates (a RuntimeWarning under USE_TZ, and
    an exclusive upper day), so the comparison goes through the `__date` transform instead.
    """

    def queryset(self, request, queryset):
        filters = {}
        for suffix, lookup in (("_from", "gte"), ("_to", "lte")):
            raw = self.used_parameters.get(f"{self.parameter_name}{suffix}")
            if raw in EMPTY_VALUES or not isinstance(raw, str):
                continue
            value = parse_date_str(raw)
            if value is None:
                return queryset.none()
            filters[f"{self.parameter_name}__date__{lookup}"] = value
        return queryset.filter(**filters)
