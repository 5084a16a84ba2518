"""The reports page's table body, rendered lean: one string per row, the numbers formatted by one formatter per page.

A 12-month report by day is 366 rows of up to eight cells; through the template's loops that was some 4,000
variable lookups and escapes per page, half the page's CPU time (docs/benchmarks.md, bench/bench_reports.py).
Here the parts every row shares (each column's cell opening, the language's separators, the translated units of a
duration) are built once per page, and each row is one f-string.

Everything a user typed (an agent's or a department's name) goes through `escape`; the links are the report's own
(`links`, the ticket list's address with encoded parameters), escaped as the template did; the rest are our own
numbers and translated units, escaped once when the formatter is built.
"""

from django.utils.formats import get_format
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

ROW_OPEN = '<tr data-row="{key}" class="border-t border-base-200 dark:border-base-800">'
ROW_HEADER = '<th scope="row" class="text-left font-normal px-2 py-1">{label}</th>'
TOTAL_OPEN = '<tr data-row="total" class="border-t-2 border-base-300 font-semibold">'
TOTAL_HEADER = '<th scope="row" class="text-left px-2 py-1">{label}</th>'
LINK = '<a href="{link}" class="hover:text-primary-700 underline">{text}</a>'


class NumberFormatter:
    """Counts, percentages and durations as the current language writes them; built once per page."""

    def __init__(self):
        self.thousands = escape(get_format("THOUSAND_SEPARATOR"))
        self.decimal = escape(get_format("DECIMAL_SEPARATOR"))
        # The strings of apps/tickets/dashboard.py format_duration, translated once instead of once per cell.
        self.minutes = escape(_("%(m)d min"))
        self.hours_minutes = escape(_("%(h)d h %(m)d min"))
        self.hours = escape(_("%(h)d h"))
        self.days_hours = escape(_("%(d)d d %(h)d h"))
        self.days = escape(_("%(d)d d"))

    def count(self, value: int) -> str:
        text = f"{value:,}"
        return text if self.thousands == "," else text.replace(",", self.thousands)

    def percent(self, value: float) -> str:
        text = f"{value:.1f} %"
        return text if self.decimal == "." else text.replace(".", self.decimal)

    def duration(self, seconds: float) -> str:
        """45 min, 3 h 20 min, 2 d 4 h: as format_duration, rounded to the minute."""
        minutes = round(seconds / 60)
        if minutes < 60:
            return self.minutes % {"m": minutes}
        hours, minutes = divmod(minutes, 60)
        if hours < 24:
            return self.hours_minutes % {"h": hours, "m": minutes} if minutes else self.hours % {"h": hours}
        days, hours = divmod(hours, 24)
        return self.days_hours % {"d": days, "h": hours} if hours else self.days % {"d": days}

    def unit(self, unit: str):
        """The formatter of a column's unit ("count", "seconds", "percent")."""
        return {"count": self.count, "seconds": self.duration, "percent": self.percent}[unit]


def report_table(report: dict) -> dict:
    """The table's body and footer rows as safe HTML: `{"body": ..., "foot": ...}`.

    Each cell is a `<td data-column="key">`; a figure with a list of its own is a link to exactly its tickets,
    a missing figure (no tickets to take a percentile of) is a dash.
    """
    formatter = NumberFormatter()
    columns = [
        (c["key"], f'<td class="text-right px-2 py-1" data-column="{escape(c["key"])}">', formatter.unit(c["unit"]))
        for c in report["columns"]
    ]

    def cells(row: dict) -> str:
        values, links = row["values"], row["links"]
        parts = []
        for key, opening, fmt in columns:
            value = values[key]
            text = "—" if value is None else fmt(value)
            link = links.get(key)
            parts.append(f"{opening}{LINK.format(link=escape(link), text=text) if link else text}</td>")
        return "".join(parts)

    body = "\n".join(
        ROW_OPEN.format(key=escape(row["key"])) + ROW_HEADER.format(label=escape(row["label"])) + cells(row) + "</tr>"
        for row in report["rows"]
    )
    total = report["total"]
    foot = TOTAL_OPEN + TOTAL_HEADER.format(label=escape(total["label"])) + cells(total) + "</tr>"
    # Every part was escaped above.
    return {"body": mark_safe(body), "foot": mark_safe(foot)}  # noqa: S308
