"""Ticket figures for one user's scope: the back office's dashboard and `GET /api/stats/`.

Plain data (numbers, dates, dicts and lists) so that any entry point can render or serialise it. The figures
are read from the aggregates (apps/tickets/aggregates.py), never from the tickets, so the dashboard costs the
same at ten thousand and ten million tickets: five queries (departments, open counts, the period's day rows,
the people of the workload, and the oldest open tickets from the partial index `ticket_open_created`).

Scope: an agent's figures are its departments' tickets (never another department's, also not a ticket shared
with it); an admin's are all tickets. Days are calendar days in the site's time zone (settings.TIME_ZONE), the
days the aggregates are kept in; the links ask the ticket list for the same days (`days=site`).
Medians come from the duration histograms: exact to within their bucket (DURATION_BUCKETS), linearly
interpolated inside it; the means are exact.
"""

from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, Sum
from django.utils import timezone

from apps.accounts.choices import STAFF_ROLES
from apps.accounts.permissions import is_admin
from apps.departments.models import Department

from .aggregates import histogram_percentile, site_time_zone
from .choices import OPEN_STATUSES, Priority, Status
from .models import NO_AGENT, RESOLUTION_HISTOGRAM, RESPONSE_HISTOGRAM, Ticket, TicketDayStat, TicketOpenCount

PERIOD_DAYS = 30
OLDEST_OPEN = 10
OPEN_ORDER = [status for status in Status.values if status in OPEN_STATUSES]
PERIOD_SUMS = (
    "created",
    "resolved",
    "responded",
    "response_met",
    "response_breached",
    "resolution_met",
    "resolution_breached",
    *RESPONSE_HISTOGRAM,
    *RESOLUTION_HISTOGRAM,
)


def figure_departments(user, departments: dict[int, dict] | None = None) -> list[int] | None:
    """The departments whose figures `user` sees: None for all (admins), else the ids of its departments."""
    if is_admin(user):
        return None
    departments = departments if departments is not None else _departments(user)
    return [pk for pk, row in departments.items() if row["listed"]]


def in_scope(queryset, scope: list[int] | None, field: str = "department_id"):
    return queryset if scope is None else queryset.filter(**{f"{field}__in": scope})


def ticket_stats(user, *, days: int = PERIOD_DAYS, today: date | None = None, oldest: int = OLDEST_OPEN) -> dict:
    """The dashboard's figures for `user`'s departments; the period is the last `days` days up to `today`."""
    today = today or timezone.localdate(timezone=site_time_zone())
    first_day = today - timedelta(days=days - 1)
    departments = _departments(user)
    scope = figure_departments(user, departments)
    open_rows = list(
        in_scope(TicketOpenCount.objects.filter(count__gt=0), scope)
        .order_by()
        .values("status", "priority", "department_id", "agent")
        .annotate(count=Sum("count"))
    )
    for row in open_rows:
        agent = row.pop("agent")
        row["assignee_id"] = None if agent == NO_AGENT else agent
    period = _period(scope, first_day, today, days)
    return {
        "scope": "all" if scope is None else "own",
        "departments": scope,
        "period": {"first_day": first_day, "last_day": today, "days": days},
        "open": _open_figures(open_rows, departments),
        "per_day": period["per_day"],
        "created_total": sum(day["created"] for day in period["per_day"]),
        "resolved_total": period["totals"]["resolved"],
        "first_response": {
            "median_seconds": histogram_percentile([period["totals"][n] for n in RESPONSE_HISTOGRAM], 0.5),
            "tickets": period["totals"]["responded"],
        },
        "resolution": {
            "median_seconds": histogram_percentile([period["totals"][n] for n in RESOLUTION_HISTOGRAM], 0.5),
            "tickets": period["totals"]["resolved"],
        },
        "sla": _sla(period["totals"]),
        "workload": _workload(open_rows, departments),
        "oldest_open": _oldest(in_scope(Ticket.objects.filter(status__in=OPEN_STATUSES), scope), oldest),
    }


def _sla(totals: dict) -> dict:
    """Targets met and breached by the first responses and resolutions of the period (tickets with due dates)."""
    met = totals["response_met"] + totals["resolution_met"]
    breached = totals["response_breached"] + totals["resolution_breached"]
    return {
        "configured": bool(met or breached),
        "met": met if met or breached else None,
        "breached": breached if met or breached else None,
        "first_response": {"met": totals["response_met"], "breached": totals["response_breached"]},
        "resolution": {"met": totals["resolution_met"], "breached": totals["resolution_breached"]},
    }


def _departments(user) -> dict[int, dict]:
    """Every department by id (for names), marked `listed` when the user works in it (admins: all active ones)."""
    if is_admin(user):
        listed = Q(is_active=True)
    else:
        listed = Q(Exists(Group.objects.filter(pk=OuterRef("group_id"), user=user)))
    rows = Department.objects.annotate(listed=ExpressionWrapper(listed, output_field=BooleanField()))
    return {row["id"]: row for row in rows.order_by("name").values("id", "name", "listed")}


def _open_figures(open_rows: list[dict], departments: dict[int, dict]) -> dict:
    by_status = dict.fromkeys(OPEN_ORDER, 0)
    by_priority = dict.fromkeys(reversed(Priority.values), 0)
    by_department = {d["id"]: 0 for d in departments.values() if d["listed"]}
    unassigned = 0
    for row in open_rows:
        by_status[row["status"]] += row["count"]
        by_priority[row["priority"]] += row["count"]
        by_department[row["department_id"]] = by_department.get(row["department_id"], 0) + row["count"]
        if row["assignee_id"] is None:
            unassigned += row["count"]
    department_rows = [
        {"id": pk, "name": departments[pk]["name"] if pk in departments else str(pk), "count": count}
        for pk, count in by_department.items()
    ]
    return {
        "total": sum(by_status.values()),
        "unassigned": unassigned,
        "by_status": [{"value": s, "label": str(Status(s).label), "count": n} for s, n in by_status.items()],
        "by_priority": [{"value": p, "label": str(Priority(p).label), "count": n} for p, n in by_priority.items()],
        "by_department": sorted(department_rows, key=lambda d: (-d["count"], d["name"])),
    }


def _period(scope: list[int] | None, first_day: date, last_day: date, days: int) -> dict:
    """Created and resolved per day, and the period's sums, from the day rows (days x departments x agents)."""
    rows = (
        in_scope(TicketDayStat.objects.filter(day__gte=first_day, day__lte=last_day), scope)
        .order_by()
        .values("day")
        .annotate(**{name: Sum(name) for name in PERIOD_SUMS})
    )
    by_day = {row["day"]: row for row in rows}
    totals = dict.fromkeys(PERIOD_SUMS, 0)
    for row in by_day.values():
        for name in PERIOD_SUMS:
            totals[name] += row[name] or 0
    per_day = []
    for day in (first_day + timedelta(days=n) for n in range(days)):
        row = by_day.get(day, {})
        per_day.append({"day": day, "created": row.get("created") or 0, "resolved": row.get("resolved") or 0})
    return {"per_day": per_day, "totals": totals}


def _workload(open_rows: list[dict], departments: dict[int, dict]) -> list[dict]:
    """Open tickets per assignee; members of the user's departments are listed even with none."""
    loads: dict[int, int] = {}
    for row in open_rows:
        if row["assignee_id"] is not None:
            loads[row["assignee_id"]] = loads.get(row["assignee_id"], 0) + row["count"]
    listed = [pk for pk, d in departments.items() if d["listed"]]
    members = Q(is_active=True, role__in=STAFF_ROLES, groups__department__in=listed)
    people = (
        get_user_model()
        .objects.filter(members | Q(pk__in=list(loads)))
        .distinct()
        .values("id", "username", "first_name", "last_name")
    )
    rows = [
        {
            "id": person["id"],
            "name": f"{person['first_name']} {person['last_name']}".strip() or person["username"],
            "username": person["username"],
            "open": loads.get(person["id"], 0),
        }
        for person in people
    ]
    return sorted(rows, key=lambda row: (-row["open"], row["name"].lower()))


def _oldest(open_tickets, limit: int) -> list[dict]:
    rows = open_tickets.order_by("created_at", "pk").values(
        "id", "reference", "title", "status", "priority", "created_at", "department__name", "assignee__username"
    )[:limit]
    return [
        {
            "id": row["id"],
            "reference": row["reference"],
            "title": row["title"],
            "status": row["status"],
            "status_label": str(Status(row["status"]).label),
            "priority": row["priority"],
            "created_at": row["created_at"],
            "department": row["department__name"],
            "assignee": row["assignee__username"] or "",
        }
        for row in rows
    ]
