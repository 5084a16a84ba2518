"""Changelist filters several back-office pages share."""

import zoneinfo
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.validators import EMPTY_VALUES
from django.utils import timezone
from unfold.contrib.filters.admin import RangeDateFilter
from unfold.utils import parse_date_str

# `?days=site`: the dates of every DayRangeFilter are days of the site's time zone (settings.TIME_ZONE), the days
# the ticket figures are kept in, instead of the user's; links from the dashboard and the reports carry it.
SITE_DAYS_PARAM = "days"
SITE_DAYS = "site"


class DayRangeFilter(RangeDateFilter):
    """Between two dates, both inclusive, compared as calendar dates in the active time zone: for any date-time
    column (created, first response, resolved), as `<column>_from` / `<column>_to` in the address.

    unfold's RangeDateFilter compares a datetime column with naive dates (a RuntimeWarning under USE_TZ, and
    an exclusive upper day), so each date becomes the moment its day starts in the time zone instead: from the
    start of the first day, up to (not including) the start of the day after the last. With `days=site` in the
    address the days are the site's (SITE_DAYS_PARAM).
    """

    def expected_parameters(self):
        return [*super().expected_parameters(), SITE_DAYS_PARAM]

    def queryset(self, request, queryset):
        if request.GET.get(SITE_DAYS_PARAM) == SITE_DAYS:
            tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        else:
            tz = timezone.get_current_timezone()
        filters = {}
        for suffix, lookup, shift in (("_from", "gte", 0), ("_to", "lt", 1)):
            raw = self.used_parameters.get(f"{self.parameter_name}{suffix}")
            if raw in EMPTY_VALUES or not isinstance(raw, str):
                continue
            value = parse_date_str(raw)
            if value is None:
                return queryset.none()
            start = datetime.combine(value + timedelta(days=shift), time.min)
            filters[f"{self.parameter_name}__{lookup}"] = timezone.make_aware(start, tz)
        return queryset.filter(**filters)
