"""Ticket figures for one user's scope: the back office's dashboard and `GET /api/stats/`.

Plain data (numbers, dates, dicts and lists) so that any entry point can render or serialise it. Every figure
counts tickets of `tickets_visible_to(user)`: an agent's departments (and the tickets shared with or assigned
to them), everything for an admin. Days are calendar days in the active time zone, the same days the ticket
changelist's date filters use, so that each figure equals the list it links to.

The number of queries is fixed (eight; nine once SLA policies exist) whatever the number of tickets, and only
four (five) of them read tickets in bulk: the open tickets grouped by status, priority, department and assignee;
the period's tickets grouped by day; the SLA figures; and the two medians, computed in the database portably
(ORDER BY duration with OFFSET at the middle, the count coming from the period's query), never by loading the
tickets. SLA figures: the period's resolved tickets with a resolution target, met (resolved by the due time) or
breached (resolved after it).
"""

from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from apps.accounts.choices import STAFF_ROLES
from apps.accounts.permissions import is_admin
from apps.departments.models import Department, SlaPolicy

from .choices import OPEN_STATUSES, Priority, Status
from .models import Ticket
from .selectors import tickets_visible_to

PERIOD_DAYS = 30
OLDEST_OPEN = 10
OPEN_ORDER = [status for status in Status.values if status in OPEN_STATUSES]


def ticket_stats(user, *, days: int = PERIOD_DAYS, today: date | None = None, oldest: int = OLDEST_OPEN) -> dict:
    """The dashboard's figures for `user`'s tickets; the period is the last `days` days up to `today` (local)."""
    tz = timezone.get_current_timezone()
    today = today or timezone.localdate()
    first_day = today - timedelta(days=days - 1)
    start = timezone.make_aware(datetime.combine(first_day, time.min), tz)
    end = timezone.make_aware(datetime.combine(today + timedelta(days=1), time.min), tz)
    scope = tickets_visible_to(user)
    open_tickets = scope.filter(status__in=OPEN_STATUSES)
    departments = _departments(user)
    open_rows = list(
        open_tickets.order_by().values("status", "priority", "department_id", "assignee_id").annotate(count=Count("pk"))
    )
    period = _period(scope, start, end, tz, first_day, days)
    responded = scope.filter(first_responded_at__gte=start, first_responded_at__lt=end)
    resolved = scope.filter(resolved_at__gte=start, resolved_at__lt=end)
    return {
        "scope": "all" if is_admin(user) else "own",
        "period": {"first_day": first_day, "last_day": today, "days": days},
        "open": _open_figures(open_rows, departments),
        "per_day": period["per_day"],
        "created_total": sum(day["created"] for day in period["per_day"]),
        "resolved_total": period["resolved"],
        "first_response": {
            "median_seconds": _median_seconds(responded, "first_responded_at", period["responded"]),
            "tickets": period["responded"],
        },
        "resolution": {
            "median_seconds": _median_seconds(resolved, "resolved_at", period["resolved"]),
            "tickets": period["resolved"],
        },
        "sla": _sla_figures(resolved),
        "workload": _workload(open_rows, departments),
        "oldest_open": _oldest(open_tickets, oldest),
    }


def _sla_figures(resolved: QuerySet[Ticket]) -> dict:
    """Of the period's resolved tickets that had a resolution target: how many met it and how many missed it.

    Nothing is counted before the first SLA policy exists (one query; a second one once it does).
    """
    if not SlaPolicy.objects.exists():
        return {"configured": False, "met": None, "breached": None}
    due = F("resolution_due_at")
    figures = resolved.aggregate(
        met=Count("pk", filter=Q(resolution_due_at__isnull=False, resolved_at__lte=due)),
        breached=Count("pk", filter=Q(resolution_due_at__isnull=False, resolved_at__gt=due)),
    )
    return {"configured": True, **figures}


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


def _period(scope: QuerySet[Ticket], start, end, tz, first_day: date, days: int) -> dict:
    """Created and resolved per day, and how many tickets were first answered, in one pass over the period.

    Grouped by (day created, day resolved, first answered in the period), each None/False outside it: at most
    31 x 31 x 2 groups, whatever the number of tickets.
    """

    def within(field: str) -> Q:
        return Q(**{f"{field}__gte": start, f"{field}__lt": end})

    def day_of(field: str):
        return Case(When(within(field), then=TruncDate(field, tzinfo=tz)), default=None, output_field=DateField())

    rows = (
        scope.filter(within("created_at") | within("resolved_at") | within("first_responded_at"))
        .annotate(
            created_day=day_of("created_at"),
            resolved_day=day_of("resolved_at"),
            answered=Case(When(within("first_responded_at"), then=Value(True)), default=Value(False)),
        )
        .order_by()
        .values("created_day", "resolved_day", "answered")
        .annotate(count=Count("pk"))
    )
    created: dict[date, int] = {}
    resolved: dict[date, int] = {}
    responded = 0
    for row in rows:
        if row["created_day"] is not None:
            created[row["created_day"]] = created.get(row["created_day"], 0) + row["count"]
        if row["resolved_day"] is not None:
            resolved[row["resolved_day"]] = resolved.get(row["resolved_day"], 0) + row["count"]
        if row["answered"]:
            responded += row["count"]
    per_day = [
        {"day": day, "created": created.get(day, 0), "resolved": resolved.get(day, 0)}
        for day in (first_day + timedelta(days=n) for n in range(days))
    ]
    return {"per_day": per_day, "resolved": sum(resolved.values()), "responded": responded}


def _median_seconds(tickets: QuerySet[Ticket], end_field: str, count: int) -> float | None:
    """Median of (end_field - created_at) over `count` tickets, read from the middle of the sorted durations."""
    duration = ExpressionWrapper(F(end_field) - F("created_at"), output_field=DurationField())
    low, high = ((count - 1) // 2, count // 2 + 1) if count else (0, 1)
    # Always run the query, also for no tickets: the dashboard's query count stays the same.
    middle = list(tickets.annotate(duration=duration).order_by("duration").values_list("duration", flat=True)[low:high])
    if not count or not middle:
        return None
    return sum(value.total_seconds() for value in middle) / len(middle)


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


def _oldest(open_tickets: QuerySet[Ticket], limit: int) -> list[dict]:
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
