"""The reports: tables of ticket figures over any date range, read from the aggregates only (tickets/aggregates.py).

Two or three queries whatever the number of tickets: the day rows of the range (grouped by day, agent or
department), the open counts (backlog and open work), and for the backlog the sums after the range. A 12-month
report by day reads 365 grouped rows. Days, weeks (from Monday) and months are those of the site's time zone.

Kinds (an allow-list, REPORT_KINDS):
- `volume`: created, resolved, left the backlog, and the backlog at the end of each period
  (open now, minus what was created after, plus what left after);
- `response`: first responses and resolutions with their 50th and 90th percentiles (from the histograms, exact
  to within their bucket) and exact means;
- `sla`: targets met and breached by the first responses and resolutions of each period, and the share met;
- `agents`, `departments`: the same figures per assignee or per department over the whole range, with open now.

An agent's reports count its departments' tickets, an admin's all; `departments` narrows that further.
Each count links to the ticket list showing exactly its tickets (`links`), and each percentile to the tickets it
was computed over; backlog, "left the backlog" and the SLA split have no list of their own and no link.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.db.models import Sum
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from apps.common.admin.filters import SITE_DAYS, SITE_DAYS_PARAM
from apps.departments.models import Department
from apps.tickets.aggregates import DAY_COUNTERS, histogram_percentile
from apps.tickets.choices import OPEN_STATUSES, Status
from apps.tickets.models import NO_AGENT, RESOLUTION_HISTOGRAM, RESPONSE_HISTOGRAM, TicketDayStat, TicketOpenCount
from apps.tickets.stats import figure_departments, in_scope

REPORT_KINDS = ("volume", "response", "sla", "agents", "departments")
GROUPS = ("day", "week", "month")
# The longest range per grouping: at most ~366 rows in a table or chart.
MAX_DAYS = {"day": 366, "week": 7 * 366, "month": 31 * 366}
OPEN_PARAM = ",".join(status for status in Status.values if status in OPEN_STATUSES)

KIND_LABELS = {
    "volume": _("Created, resolved and backlog"),
    "response": _("Response and resolution times"),
    "sla": _("SLA compliance"),
    "agents": _("Per agent"),
    "departments": _("Per department"),
}
GROUP_LABELS = {"day": _("Day"), "week": _("Week"), "month": _("Month")}

# Columns: key, label, unit ("count", "seconds", "percent"), the list a cell links to (date field of the range).
COLUMNS = {
    "created": (_("Created"), "count", "created_at"),
    "resolved": (_("Resolved"), "count", "resolved_at"),
    "done": (_("Left the backlog"), "count", None),
    "backlog": (_("Backlog at the end"), "count", None),
    "responded": (_("First responses"), "count", "first_responded_at"),
    "response_p50": (_("First response, median"), "seconds", "first_responded_at"),
    "response_p90": (_("First response, 90th percentile"), "seconds", "first_responded_at"),
    "response_mean": (_("First response, mean"), "seconds", "first_responded_at"),
    "resolution_p50": (_("Resolution, median"), "seconds", "resolved_at"),
    "resolution_p90": (_("Resolution, 90th percentile"), "seconds", "resolved_at"),
    "resolution_mean": (_("Resolution, mean"), "seconds", "resolved_at"),
    "response_met": (_("First response met"), "count", None),
    "response_breached": (_("First response breached"), "count", None),
    "response_met_share": (_("First response met (%)"), "percent", None),
    "resolution_met": (_("Resolution met"), "count", None),
    "resolution_breached": (_("Resolution breached"), "count", None),
    "resolution_met_share": (_("Resolution met (%)"), "percent", None),
    "open": (_("Open now"), "count", "open"),
}
KIND_COLUMNS = {
    "volume": ("created", "resolved", "done", "backlog"),
    "response": (
        "responded",
        "response_p50",
        "response_p90",
        "response_mean",
        "resolved",
        "resolution_p50",
        "resolution_p90",
        "resolution_mean",
    ),
    "sla": (
        "response_met",
        "response_breached",
        "response_met_share",
        "resolution_met",
        "resolution_breached",
        "resolution_met_share",
    ),
    "agents": ("open", "created", "resolved", "responded", "response_p50", "resolution_p50", "resolution_met_share"),
    "departments": (
        "open",
        "created",
        "resolved",
        "responded",
        "response_p50",
        "resolution_p50",
        "resolution_met_share",
    ),
}


# The day counters each report sums (no more: a 12-month report reads what it shows).
_TIMES = ("responded", "resolved", *RESPONSE_HISTOGRAM, *RESOLUTION_HISTOGRAM)
KIND_SUMS = {
    "volume": ("created", "resolved", "done"),
    "response": (*_TIMES, "response_seconds", "resolution_seconds"),
    "sla": ("response_met", "response_breached", "resolution_met", "resolution_breached"),
    "agents": ("created", *_TIMES, "resolution_met", "resolution_breached"),
    "departments": ("created", *_TIMES, "resolution_met", "resolution_breached"),
}


@dataclass(frozen=True)
class ReportQuery:
    """What a report shows: checked by apps/reports/forms.py ReportForm before it gets here."""

    kind: str
    first_day: date
    last_day: date
    group: str = "day"
    departments: tuple[int, ...] = ()  # narrows the user's scope; empty: the whole scope


def period_start(day: date, group: str) -> date:
    if group == "week":
        return day - timedelta(days=day.weekday())
    if group == "month":
        return day.replace(day=1)
    return day


def _period_end(start: date, group: str, last_day: date) -> date:
    if group == "week":
        end = start + timedelta(days=6)
    elif group == "month":
        end = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    else:
        end = start
    return min(end, last_day)


def _periods(first_day: date, last_day: date, group: str) -> list[tuple[date, date, date]]:
    """(key, first day, last day) of each period of the range, cut at its ends."""
    periods, day = [], first_day
    while day <= last_day:
        start = period_start(day, group)
        end = _period_end(start, group, last_day)
        periods.append((start, day, end))
        day = end + timedelta(days=1)
    return periods


def _figures(sums: dict) -> dict:
    """The derived figures of one row of summed day counters."""
    response_hist = [sums.get(name) or 0 for name in RESPONSE_HISTOGRAM]
    resolution_hist = [sums.get(name) or 0 for name in RESOLUTION_HISTOGRAM]
    value = {name: sums.get(name) or 0 for name in ("created", "resolved", "done", "responded")}
    for prefix, count_key, hist in (
        ("response", "responded", response_hist),
        ("resolution", "resolved", resolution_hist),
    ):
        count = value[count_key]
        value[f"{prefix}_p50"] = histogram_percentile(hist, 0.5)
        value[f"{prefix}_p90"] = histogram_percentile(hist, 0.9)
        value[f"{prefix}_mean"] = (sums.get(f"{prefix}_seconds") or 0) / count if count else None
        met, breached = sums.get(f"{prefix}_met") or 0, sums.get(f"{prefix}_breached") or 0
        value[f"{prefix}_met"], value[f"{prefix}_breached"] = met, breached
        value[f"{prefix}_met_share"] = round(100 * met / (met + breached), 1) if met + breached else None
    return value


def _add(into: dict, row: dict, names: Iterable[str] = DAY_COUNTERS) -> None:
    for name in names:
        into[name] = into.get(name, 0) + (row.get(name) or 0)


def report_build(*, user, query: ReportQuery) -> dict:
    """The report `query.kind` for `user`'s scope: columns, one row per period (or agent, or department), totals."""
    scope = figure_departments(user)
    if query.departments:
        scope = [pk for pk in query.departments if scope is None or pk in scope]
    days = in_scope(TicketDayStat.objects.filter(day__gte=query.first_day, day__lte=query.last_day), scope)
    counters = KIND_SUMS[query.kind]  # the only counters the rows hold: adding the others would add zeros
    sums = {name: Sum(name) for name in counters}
    columns = KIND_COLUMNS[query.kind]
    link = _Links(scope, query.first_day, query.last_day)
    total: dict = {}
    rows: list[dict] = []
    if query.kind in ("agents", "departments"):
        key = "agent" if query.kind == "agents" else "department_id"
        grouped = {row.pop(key): row for row in days.order_by().values(key).annotate(**sums)}
        opens = dict(
            in_scope(TicketOpenCount.objects.filter(count__gt=0), scope)
            .order_by()
            .values_list(key)
            .annotate(open=Sum("count"))
        )
        names = _names(query.kind, set(grouped) | set(opens))
        for pk, name in sorted(names.items(), key=lambda item: str(item[1]).lower()):
            row_sums = grouped.get(pk, {})
            _add(total, row_sums, counters)
            values = {**_figures(row_sums), "open": opens.get(pk, 0)}
            extra = {"assignee": pk or "none"} if query.kind == "agents" else {"department__id__exact": pk}
            rows.append(_row(str(pk), name, values, columns, lambda field, extra=extra: link(field, **extra)))
        total_values = {**_figures(total), "open": sum(opens.values())}
    else:
        by_day = {row.pop("day"): row for row in days.order_by().values("day").annotate(**sums)}
        backlog_after = _backlog_after(scope, query.last_day) if query.kind == "volume" else None
        periods = _periods(query.first_day, query.last_day, query.group)
        period_sums = []
        for _key, first, last in periods:
            row_sums: dict = {}
            for offset in range((last - first).days + 1):
                _add(row_sums, by_day.get(first + timedelta(days=offset), {}), counters)
            _add(total, row_sums, counters)
            period_sums.append(row_sums)
        # Backlog at the end of each period, walking back from the end of the range.
        backlog = backlog_after
        ends = []
        for row_sums in reversed(period_sums):
            ends.append(backlog)
            if backlog is not None:
                backlog -= (row_sums.get("created") or 0) - (row_sums.get("done") or 0)
        ends.reverse()
        for (key, first, last), row_sums, end in zip(periods, period_sums, ends, strict=True):
            values = {**_figures(row_sums), "backlog": end}
            label = _period_label(key, first, last, query.group)
            rows.append(_row(key.isoformat(), label, values, columns, lambda field, f=first, t=last: link(field, f, t)))
        total_values = {**_figures(total), "backlog": backlog_after}
    return {
        "kind": query.kind,
        "title": str(KIND_LABELS[query.kind]),
        "group": query.group,
        "first_day": query.first_day,
        "last_day": query.last_day,
        "scope": "all" if scope is None else list(scope),
        "columns": [{"key": c, "label": str(COLUMNS[c][0]), "unit": COLUMNS[c][1]} for c in columns],
        "rows": rows,
        "total": _row("total", str(_("Total")), total_values, columns, lambda field: link(field)),
    }


def _row(key: str, label: str, values: dict, columns: Iterable[str], link_for) -> dict:
    values = {c: values.get(c) for c in columns}
    links = {}
    for column in columns:
        field = COLUMNS[column][2]
        if field is not None and values[column] is not None:
            links[column] = link_for(field)
    return {"key": key, "label": label, "values": values, "links": links}


def _period_label(key: date, first: date, last: date, group: str) -> str:
    if group == "day":
        return first.isoformat()
    if group == "month":
        return key.strftime("%Y-%m")
    return f"{first.isoformat()} – {last.isoformat()}"


def _backlog_after(scope, last_day: date) -> int:
    """The backlog at the end of `last_day`: open now, minus created after it, plus left the backlog after it."""
    open_now = in_scope(TicketOpenCount.objects.all(), scope).aggregate(n=Sum("count"))["n"] or 0
    after = in_scope(TicketDayStat.objects.filter(day__gt=last_day), scope).aggregate(
        created=Sum("created"), done=Sum("done")
    )
    return open_now - (after["created"] or 0) + (after["done"] or 0)


def _names(kind: str, keys: set) -> dict:
    if kind == "departments":
        return dict(Department.objects.filter(pk__in=keys).values_list("pk", "name"))
    people = get_user_model().objects.filter(pk__in=keys - {NO_AGENT})
    names = {
        person["id"]: f"{person['first_name']} {person['last_name']}".strip() or person["username"]
        for person in people.values("id", "username", "first_name", "last_name")
    }
    if NO_AGENT in keys:
        names[NO_AGENT] = str(_("Unassigned"))
    return names


class _Links:
    """The ticket list's address for a cell: its date field over its days (the site's), in the report's scope.

    Built once per report: the list's path and the parameters every cell shares are encoded here, so a cell only
    adds its own days (ISO dates and field names need no quoting) and, per agent or department, its row's filter.
    """

    def __init__(self, scope, first_day: date, last_day: date):
        self.first_day, self.last_day = first_day, last_day
        self.url = reverse("admin:tickets_ticket_changelist") + "?"
        self.scope = ""
        if scope is not None:
            self.scope = urlencode({"department__id__in": ",".join(str(pk) for pk in sorted(scope)) or "0"}) + "&"
        self.open = urlencode({"status__in": OPEN_PARAM})
        self.site_days = urlencode({SITE_DAYS_PARAM: SITE_DAYS})

    def __call__(self, field: str, first: date | None = None, last: date | None = None, **extra) -> str:
        start = f"{self.url}{urlencode(extra)}&{self.scope}" if extra else f"{self.url}{self.scope}"
        if field == "open":
            return f"{start}{self.open}"
        first_day, last_day = (first or self.first_day).isoformat(), (last or self.last_day).isoformat()
        return f"{start}{field}_from={first_day}&{field}_to={last_day}&{self.site_days}"
