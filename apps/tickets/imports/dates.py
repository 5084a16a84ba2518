"""Dates as other systems write them: the order of day and month detected per column, then parsed cell by cell.

ISO 8601 (2025-03-01, 2025-03-01 14:30, with or without an offset) is always understood. Numeric dates with
slashes, dashes or dots (01/03/2025, 1-3-25, 01.03.2025 14:30, 3/1/2025 2:30 PM) are read day-first or
month-first as the column says: any day over 12 in the sampled values settles it. A column that never settles
it (every day 12 or under) uses `--date-format` (dmy, mdy, ymd or a strptime pattern), else the site's locale
(month-first when its date input formats put the month first, as English does; dotted dates are always
day-first), and the report says so. Month names (13/Jan/24 10:15 AM, as Jira writes) need no detection.
"""

import re
from dataclasses import dataclass
from datetime import datetime

from django.utils import formats, timezone
from django.utils.translation import gettext as _

NUMERIC = re.compile(
    r"^(?P<a>\d{1,4})(?P<sep>[/.-])(?P<b>\d{1,2})(?P=sep)(?P<c>\d{2}|\d{4})"
    r"(?:[ T,]+(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?)?$"
)
NAMED = re.compile(
    r"^(?P<d>\d{1,2})[/ -](?P<mon>[A-Za-z]{3})[a-z]*[/ -](?P<y>\d{2}|\d{4})"
    r"(?:[ T,]+(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?)?$"
)
MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
ORDERS = ("dmy", "mdy", "ymd")


@dataclass(frozen=True)
class DateFormat:
    """How one column's dates are read: `order` (dmy / mdy / ymd) for numeric dates, or a strptime pattern."""

    order: str = "dmy"
    pattern: str = ""

    def parse(self, raw: str, tz) -> datetime | None:
        value = raw.strip()
        parsed = _iso(value)
        if parsed is None and self.pattern:
            try:
                parsed = datetime.strptime(value, self.pattern)
            except ValueError:
                parsed = None
        if parsed is None:
            parsed = self._numeric(value) or _named(value)
        if parsed is None:
            return None
        return timezone.make_aware(parsed, tz) if timezone.is_naive(parsed) else parsed

    def _numeric(self, value: str) -> datetime | None:
        match = NUMERIC.match(value)
        if match is None:
            return None
        a, b, c = int(match["a"]), int(match["b"]), match["c"]
        if len(match["a"]) == 4:
            year, month, day = a, b, int(c)
        elif match["sep"] == "." and self.order != "mdy":
            day, month, year = a, b, _year(c)
        elif self.order == "mdy":
            month, day, year = a, b, _year(c)
        else:
            day, month, year = a, b, _year(c)
        return _build(year, month, day, match)


def _year(text: str) -> int:
    return int(text) + 2000 if len(text) == 2 else int(text)


def _build(year: int, month: int, day: int, match) -> datetime | None:
    hour = int(match["h"] or 0)
    ampm = (match["ampm"] or "").lower().replace(".", "")
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    try:
        return datetime(year, month, day, hour, int(match["mi"] or 0), int(match["s"] or 0))
    except ValueError:
        return None


def _named(value: str) -> datetime | None:
    match = NAMED.match(value)
    if match is None or match["mon"].lower() not in MONTHS:
        return None
    return _build(_year(match["y"]), MONTHS[match["mon"].lower()], int(match["d"]), match)


def _iso(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def locale_order() -> str:
    """mdy when the site's date input formats read 03/01/2025 month-first (English), else dmy."""
    for pattern in formats.get_format("DATE_INPUT_FORMATS"):
        if pattern.startswith("%m/%d") or pattern.startswith("%m-%d"):
            return "mdy"
        if pattern.startswith("%d/%m") or pattern.startswith("%d-%m") or pattern.startswith("%d.%m"):
            return "dmy"
    return "dmy"


def detect_date_format(values, *, preferred: str = "") -> tuple[DateFormat, str]:
    """The format of a column from its (sampled) values, and a note for the report when a choice was made."""
    if preferred and preferred not in ORDERS:
        return DateFormat(pattern=preferred), _("dates read as %(pattern)s (--date-format).") % {"pattern": preferred}
    day_first = month_first = ambiguous = False
    for raw in values:
        match = NUMERIC.match(raw.strip())
        if match is None or len(match["a"]) == 4:
            continue
        a, b = int(match["a"]), int(match["b"])
        if a > 12 and b <= 12:
            day_first = True
        elif b > 12 and a <= 12:
            month_first = True
        elif match["sep"] != ".":
            ambiguous = True
    if day_first and not month_first:
        return DateFormat(order="dmy"), _("dates read day first (a day over 12 settles it).")
    if month_first and not day_first:
        return DateFormat(order="mdy"), _("dates read month first (a day over 12 settles it).")
    if not (ambiguous or day_first):
        return DateFormat(order=preferred or locale_order()), ""
    order = preferred or locale_order()
    how = _("--date-format") if preferred else _("the site's locale")
    word = {"dmy": _("day first"), "mdy": _("month first"), "ymd": _("year first")}[order]
    if day_first and month_first:
        note = _("dates mix day-first and month-first values; read %(word)s (%(how)s).")
    else:
        note = _("no day over 12, so the order is ambiguous; read %(word)s (%(how)s).")
    return DateFormat(order=order), note % {"word": word, "how": how}
