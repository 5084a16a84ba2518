"""Service-level targets of tickets: due dates, pauses and the periodic breach check.

Due dates come from the SlaPolicy of the ticket's department and priority: `created_at` plus the target, counted
in the department's business hours when the policy says so, plus the SLA time the ticket spent paused.

Pause accounting: a ticket's clocks stand still while it waits for the requester (or is resolved or closed,
until it is reopened). Entering such a status stores `sla_paused_at`; leaving it adds the SLA time that passed
(working time for a business-hours policy, every minute otherwise) to `sla_paused` and recomputes the due
dates. While paused, the due dates shown are those from before the pause and the check ignores the ticket.

These functions change the ticket object and return the names of the fields they changed; the ticket services
save them, in their transaction, with the rest of the change. `sla_check` is the job of the every-minute
django-q2 schedule (apps/tickets/tasks.py).
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, router, transaction
from django.db.models import Case, Exists, F, OrderBy, OuterRef, Q, QuerySet, When
from django.utils import timezone

from apps.departments.models import Department, SlaPolicy
from apps.departments.snapshot import Setup, setup_current

from . import events
from .choices import OPEN_STATUSES, SLA_PAUSED_STATUSES, SlaStage, SlaTarget
from .models import SlaAlert, Ticket

# A business-hours calendar is walked day by day; this bounds the walk (about 20 years) for odd calendars.
MAX_DAYS = 7400
# Due date field and "met" field of each target.
TARGET_FIELDS = {
    SlaTarget.FIRST_RESPONSE: ("first_response_due_at", "first_responded_at"),
    SlaTarget.RESOLUTION: ("resolution_due_at", "resolved_at"),
}


# Business hours ---------------------------------------------------------------------------------------------


def _working_periods(department: Department, start: datetime) -> Iterator[tuple[datetime, datetime]]:
    """(opening, closing) in UTC of each working day of the department, from the day of `start` on; the
    department's holidays are not working days."""
    days = department.working_weekdays
    holidays = department.holiday_dates
    if not days or department.work_end <= department.work_start:
        return
    zone = ZoneInfo(department.time_zone)
    day = start.astimezone(zone).date()
    for _ in range(MAX_DAYS):
        if day.isoweekday() in days and day not in holidays:
            # Aware datetimes of one zone subtract as wall-clock times; in UTC a DST day has its real length.
            opening = datetime.combine(day, department.work_start, tzinfo=zone).astimezone(UTC)
            closing = datetime.combine(day, department.work_end, tzinfo=zone).astimezone(UTC)
            yield opening, closing
        day += timedelta(days=1)


def add_working_time(start: datetime, amount: timedelta, hours: Department | None = None) -> datetime:
    """The moment `amount` of SLA time after `start`: in the department's business hours, or straight time."""
    if hours is None or amount <= timedelta(0):
        return start + amount
    remaining = amount
    for opening, closing in _working_periods(hours, start):
        begin = max(opening, start)
        if begin >= closing:
            continue
        if remaining <= closing - begin:
            return begin + remaining
        remaining -= closing - begin
    return start + amount  # no working time at all: count straight time rather than never


def working_time_between(start: datetime, end: datetime, hours: Department | None = None) -> timedelta:
    """The SLA time between two moments: working time in the department's business hours, or straight time."""
    if end <= start:
        return timedelta(0)
    if hours is None:
        return end - start
    total = timedelta(0)
    for opening, closing in _working_periods(hours, start):
        if opening >= end:
            break
        overlap = min(closing, end) - max(opening, start)
        if overlap > timedelta(0):
            total += overlap
    return total


# Due dates --------------------------------------------------------------------------------------------------


def policies_for(department_ids, *, setup: Setup | None = None) -> dict[tuple[int, str], SlaPolicy]:
    """The SLA policies of these departments by (department id, priority), for a batch of tickets: from the
    departments' setup (apps/departments/snapshot.py, read again only when it changes; `setup`: the one the
    caller's routing read already). Read them, never change them: they are shared."""
    wanted = set(department_ids)
    policies = (setup or setup_current(router.db_for_read(SlaPolicy))).policies
    return {key: policy for key, policy in policies.items() if key[0] in wanted}


def policy_for(ticket: Ticket) -> SlaPolicy | None:
    """The SLA policy of the ticket's department and priority, if there is one."""
    return (
        SlaPolicy.objects.filter(department_id=ticket.department_id, priority=ticket.priority)
        .select_related("department")
        .first()
    )


def _hours(policy: SlaPolicy | None) -> Department | None:
    return policy.department if policy is not None and policy.business_hours else None


def sla_apply(ticket: Ticket, policy: SlaPolicy | None = None, *, looked_up: bool = False) -> list[str]:
    """Set the due dates of the targets not met yet from the policy (none: no due dates). Returns changed fields.

    Used when a ticket is created, when its priority or department changes and when a pause ends. Without a
    `policy` the ticket's is read, unless `looked_up` says the caller already found that it has none.
    """
    policy = policy if policy is not None or looked_up else policy_for(ticket)
    targets = {
        SlaTarget.FIRST_RESPONSE: policy.first_response_minutes if policy else None,
        SlaTarget.RESOLUTION: policy.resolution_minutes if policy else None,
    }
    start = ticket.created_at or timezone.now()
    changed = []
    for target, minutes in targets.items():
        due_field, met_field = TARGET_FIELDS[target]
        if getattr(ticket, met_field) is not None:
            continue  # met: its due date is history now
        due = None
        if minutes is not None:
            due = add_working_time(start, timedelta(minutes=minutes) + ticket.sla_paused, _hours(policy))
        if getattr(ticket, due_field) != due:
            setattr(ticket, due_field, due)
            changed.append(due_field)
    return changed


def sla_status_changed(ticket: Ticket, *, old_status: str, now: datetime) -> list[str]:
    """Start or end a pause when the status crosses into or out of a paused status. Returns changed fields."""
    was_paused, is_paused = old_status in SLA_PAUSED_STATUSES, ticket.status in SLA_PAUSED_STATUSES
    if is_paused and not was_paused and ticket.sla_paused_at is None:
        ticket.sla_paused_at = now
        return ["sla_paused_at"]
    if was_paused and not is_paused and ticket.sla_paused_at is not None:
        policy = policy_for(ticket)
        ticket.sla_paused += working_time_between(ticket.sla_paused_at, now, _hours(policy))
        ticket.sla_paused_at = None
        return ["sla_paused_at", "sla_paused", *sla_apply(ticket, policy)]
    return []


# State, for the back office -------------------------------------------------------------------------------


class SlaState:
    NONE = "none"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    PAUSED = "paused"


def warning_window() -> timedelta:
    return timedelta(minutes=settings.SLA_WARNING_MINUTES)


def running_due_dates(ticket: Ticket) -> list[datetime]:
    """Due dates of the targets still running (not met, not paused, ticket open)."""
    if ticket.status not in OPEN_STATUSES or ticket.sla_paused_at is not None:
        return []
    dues = []
    for due_field, met_field in TARGET_FIELDS.values():
        due = getattr(ticket, due_field)
        if due is not None and getattr(ticket, met_field) is None:
            dues.append(due)
    return dues


def sla_state(ticket: Ticket, *, now: datetime | None = None) -> str:
    """One word for the changelist badge: breached, at risk (within the warning window), on track, paused."""
    now = now or timezone.now()
    if ticket.status in OPEN_STATUSES and ticket.sla_paused_at is not None:
        has_due = any(getattr(ticket, due) and not getattr(ticket, met) for due, met in TARGET_FIELDS.values())
        return SlaState.PAUSED if has_due else SlaState.NONE
    dues = running_due_dates(ticket)
    if not dues:
        return SlaState.NONE
    first = min(dues)
    if first <= now:
        return SlaState.BREACHED
    if first <= now + warning_window():
        return SlaState.AT_RISK
    return SlaState.ON_TRACK


def _running(target: str) -> Q:
    due_field, met_field = TARGET_FIELDS[target]
    return Q(
        status__in=OPEN_STATUSES,
        sla_paused_at__isnull=True,
        **{f"{met_field}__isnull": True, f"{due_field}__isnull": False},
    )


def next_due_ordering() -> OrderBy:
    """The changelist's "SLA" column order: the earliest running due date first (first response, then resolution,
    the order in which they fall due); tickets without a running target come last."""
    next_due = Case(
        *(When(_running(target), then=F(due_field)) for target, (due_field, _met) in TARGET_FIELDS.items()),
    )
    return next_due.asc(nulls_last=True)


def tickets_due_before(queryset: QuerySet[Ticket], moment: datetime, *, after: datetime | None = None) -> QuerySet:
    """Tickets with a running target due at or before `moment` (and after `after`, when given)."""
    condition = Q()
    for target, (due_field, _met) in TARGET_FIELDS.items():
        window = Q(**{f"{due_field}__lte": moment})
        if after is not None:
            window &= Q(**{f"{due_field}__gt": after})
        condition |= _running(target) & window
    return queryset.filter(condition)


# The check ----------------------------------------------------------------------------------------------------


@dataclass
class SlaCheckResult:
    warnings: list[int] = field(default_factory=list)  # SlaAlert ids recorded by this run
    breaches: list[int] = field(default_factory=list)


def _candidates(target: str, stage: str, now: datetime, limit: int) -> list[Ticket]:
    due_field, _met = TARGET_FIELDS[target]
    window = Q(**{f"{due_field}__lte": now})
    if stage == SlaStage.WARNING:
        window = Q(**{f"{due_field}__gt": now, f"{due_field}__lte": now + warning_window()})
    alerted = SlaAlert.objects.filter(ticket=OuterRef("pk"), target=target, stage=stage, due_at=OuterRef(due_field))
    return list(
        Ticket.objects.filter(_running(target) & window)
        .exclude(Exists(alerted))
        .order_by(due_field, "pk")
        .only("pk", due_field)[:limit]
    )


def _alert(ticket_id: int, target: str, stage: str, now: datetime) -> SlaAlert | None:
    """Record one alert and its event (whose listeners queue the notifications); None when it was already
    recorded or the ticket moved on (the row lock makes the re-check and the write one step)."""
    due_field, _met = TARGET_FIELDS[target]
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().filter(_running(target), pk=ticket_id).first()
        if ticket is None:
            return None
        due = getattr(ticket, due_field)
        if (stage == SlaStage.BREACHED) != (due <= now):
            return None
        try:
            with transaction.atomic():
                alert = SlaAlert.objects.create(ticket=ticket, target=target, stage=stage, due_at=due)
        except IntegrityError:  # another run recorded it first
            return None
        events.sla_alert_event(ticket=ticket, alert=alert)
    return alert


def sla_check(*, now: datetime | None = None, limit: int = 500) -> SlaCheckResult:
    """Record (once per target, stage and due date) the tickets about to breach and those that breached, with a
    history event and notifications for the assignee and the department manager. Safe to run twice or in
    parallel: the SlaAlert unique constraint lets only one run record each alert."""
    now = now or timezone.now()
    result = SlaCheckResult()
    for stage, found in ((SlaStage.BREACHED, result.breaches), (SlaStage.WARNING, result.warnings)):
        for target in TARGET_FIELDS:
            for ticket in _candidates(target, stage, now, limit):
                alert = _alert(ticket.pk, target, stage, now)
                if alert is not None:
                    found.append(alert.pk)
    return result
