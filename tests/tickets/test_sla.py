"""SLA due dates (with and without business hours, across a weekend, on a priority change), pauses while waiting,
the breach check (idempotent, notifying once) and the state the back office shows."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_q.models import Schedule

from apps.accounts.choices import Role
from apps.departments.models import SlaPolicy
from apps.departments.services import department_update, sla_policy_save
from apps.notifications.models import Notification
from apps.tickets import sla
from apps.tickets.choices import EventKind, Priority, SlaStage, SlaTarget, Status
from apps.tickets.history import history_lines
from apps.tickets.models import SlaAlert, Ticket
from apps.tickets.services import comment_add, ticket_create, ticket_transfer, ticket_transition, ticket_update
from apps.tickets.tasks import sla_check_task
from tests.accounts.factories import UserFactory

FRIDAY_3PM = datetime(2025, 3, 7, 15, 0, tzinfo=UTC)  # 16:00 in Berlin (UTC+1 until the end of March)


class Clock:
    """A settable "now" for the services, the SLA code and the tickets' created_at."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, **delta) -> None:
        self.now = FRIDAY_3PM + timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    now = Clock(FRIDAY_3PM)
    monkeypatch.setattr(timezone, "now", now)
    for name in ("created_at", "updated_at"):
        monkeypatch.setattr(Ticket._meta.get_field(name), "_get_default", now)
    return now


@pytest.fixture
def berlin(it_dept):
    """IT Support works Monday to Friday, 09:00 to 17:00 Berlin time."""
    return department_update(department=it_dept, time_zone="Europe/Berlin", work_days="12345")


def policy(department, priority=Priority.NORMAL, *, first=120, resolution=480, business_hours=False) -> SlaPolicy:
    return sla_policy_save(
        policy=SlaPolicy(
            department=department,
            priority=priority,
            first_response_minutes=first,
            resolution_minutes=resolution,
            business_hours=business_hours,
        )
    )


def open_ticket(requester, department, **options) -> Ticket:
    return ticket_create(
        actor=requester, requester=requester, title="VPN drops", description="x", department=department, **options
    )


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 3, day, hour, minute, tzinfo=UTC)


def dues(ticket) -> tuple:
    ticket.refresh_from_db()
    return ticket.first_response_due_at, ticket.resolution_due_at


# Due dates ---------------------------------------------------------------------------------------------------


def test_without_a_policy_there_are_no_due_dates(clock, requester, it_dept):
    assert dues(open_ticket(requester, it_dept)) == (None, None)


def test_straight_time_runs_through_the_evening_and_the_weekend(clock, requester, it_dept):
    policy(it_dept, first=120, resolution=24 * 60)

    ticket = open_ticket(requester, it_dept)

    assert dues(ticket) == (utc(7, 17), utc(8, 15))


def test_business_hours_skip_the_night_and_the_weekend(clock, requester, berlin):
    policy(berlin, first=120, resolution=480, business_hours=True)

    ticket = open_ticket(requester, berlin)

    # Friday 16:00-17:00 in Berlin counts one hour; the rest runs from Monday 09:00 (08:00 UTC).
    assert dues(ticket) == (utc(10, 9), utc(10, 15))


def test_a_ticket_opened_on_saturday_starts_its_clock_on_monday_morning(clock, requester, berlin):
    policy(berlin, first=30, resolution=60, business_hours=True)
    clock.set(days=1, hours=-5)  # Saturday 10:00 UTC

    ticket = open_ticket(requester, berlin)

    assert dues(ticket) == (utc(10, 8, 30), utc(10, 9))


def test_business_hours_keep_their_length_across_a_daylight_saving_change(requester, berlin):
    hours = berlin
    # Berlin moves to summer time on Sunday 30 March 2025: Friday's day is 08:00-16:00 UTC, Monday's 07:00-15:00.
    start = datetime(2025, 3, 28, 15, 0, tzinfo=UTC)
    assert sla.add_working_time(start, timedelta(hours=2), hours) == datetime(2025, 3, 31, 8, 0, tzinfo=UTC)
    assert sla.working_time_between(start, datetime(2025, 3, 31, 8, 0, tzinfo=UTC), hours) == timedelta(hours=2)


def test_business_hours_skip_the_departments_holidays(requester, berlin):
    # Friday 28 March 2025, 15:00 UTC (16:00 in Berlin): one working hour on Friday, then Monday 31 March is a
    # holiday, so the second hour is on Tuesday 1 April from 09:00 in Berlin (07:00 UTC, summer time).
    hours = department_update(department=berlin, holidays="2025-03-31\n2025-12-25, 2025-12-26")
    start = datetime(2025, 3, 28, 15, 0, tzinfo=UTC)

    assert hours.holiday_dates == {date(2025, 3, 31), date(2025, 12, 25), date(2025, 12, 26)}
    assert sla.add_working_time(start, timedelta(hours=2), hours) == datetime(2025, 4, 1, 8, 0, tzinfo=UTC)
    assert sla.working_time_between(start, datetime(2025, 4, 1, 8, 0, tzinfo=UTC), hours) == timedelta(hours=2)


def test_a_holiday_list_that_is_not_dates_is_refused(berlin):
    with pytest.raises(ValidationError) as refused:
        department_update(department=berlin, holidays="2025-12-25\nChristmas")

    assert refused.value.message_dict == {
        "holidays": ["“Christmas” is not a date: write holidays as 2026-12-25, one per line."]
    }
    berlin.refresh_from_db()
    assert berlin.holidays == ""


def test_a_priority_change_recomputes_the_due_dates(clock, requester, agent, berlin):
    policy(berlin, Priority.NORMAL, first=120, resolution=480, business_hours=True)
    policy(berlin, Priority.URGENT, first=30, resolution=240, business_hours=True)
    ticket = open_ticket(requester, berlin)
    clock.set(minutes=20)

    ticket = ticket_update(ticket=ticket, actor=agent, priority=Priority.URGENT)

    # From the ticket's creation: 30 minutes on Friday; four hours = one on Friday and three on Monday.
    assert dues(ticket) == (utc(7, 15, 30), utc(10, 11))
    ticket = ticket_update(ticket=ticket, actor=agent, priority=Priority.LOW)  # no policy for low
    assert dues(ticket) == (None, None)


def test_a_met_target_keeps_its_due_date(clock, requester, agent, it_dept):
    policy(it_dept, Priority.NORMAL, first=60, resolution=240)
    policy(it_dept, Priority.HIGH, first=15, resolution=120)
    ticket = open_ticket(requester, it_dept)
    clock.set(minutes=10)
    comment_add(ticket=ticket, actor=agent, body="Looking into it.")

    ticket = ticket_update(ticket=Ticket.objects.get(pk=ticket.pk), actor=agent, priority=Priority.HIGH)

    assert dues(ticket) == (utc(7, 16), utc(7, 17))


def test_a_transfer_takes_the_new_departments_targets(clock, requester, agent, it_dept, billing_dept):
    policy(it_dept, first=60, resolution=240)
    policy(billing_dept, first=30, resolution=90)
    ticket = open_ticket(requester, it_dept)

    ticket = ticket_transfer(ticket=ticket, actor=agent, department=billing_dept)

    assert dues(ticket) == (utc(7, 15, 30), utc(7, 16, 30))


# Pauses ------------------------------------------------------------------------------------------------------


def to_waiting(ticket, agent):
    for status in (Status.OPEN, Status.IN_PROGRESS, Status.WAITING):
        ticket = ticket_transition(ticket=ticket, actor=agent, to_status=status)
    return ticket


def test_time_waiting_for_the_requester_does_not_count(clock, requester, agent, it_dept):
    policy(it_dept, first=60, resolution=240)
    ticket = open_ticket(requester, it_dept)
    clock.set(hours=1)
    ticket = to_waiting(ticket, agent)
    assert (ticket.sla_paused_at, sla.sla_state(ticket)) == (utc(7, 16), sla.SlaState.PAUSED)
    clock.set(hours=3)

    ticket = ticket_transition(ticket=ticket, actor=agent, to_status=Status.IN_PROGRESS)

    assert (ticket.sla_paused_at, ticket.sla_paused) == (None, timedelta(hours=2))
    assert dues(ticket) == (utc(7, 18), utc(7, 21))


def test_a_pause_over_the_weekend_counts_only_the_working_time_it_took(clock, requester, agent, berlin):
    policy(berlin, first=120, resolution=480, business_hours=True)
    ticket = open_ticket(requester, berlin)
    clock.set(minutes=30)  # Friday 16:30 Berlin
    ticket = to_waiting(ticket, agent)
    clock.set(days=2, hours=17, minutes=30)  # Monday 09:30 Berlin

    ticket = ticket_transition(ticket=ticket, actor=agent, to_status=Status.IN_PROGRESS)

    # Half an hour on Friday and half an hour on Monday were paused: both targets move by one working hour.
    assert ticket.sla_paused == timedelta(hours=1)
    assert dues(ticket) == (utc(10, 10), utc(10, 16))


def test_a_reopened_ticket_gets_its_resolution_clock_back_without_the_time_it_was_resolved(
    clock, requester, agent, it_dept
):
    policy(it_dept, first=60, resolution=240)
    ticket = open_ticket(requester, it_dept)
    ticket = ticket_transition(ticket=ticket, actor=agent, to_status=Status.OPEN)
    ticket = ticket_transition(ticket=ticket, actor=agent, to_status=Status.IN_PROGRESS)
    clock.set(hours=1)
    ticket = ticket_transition(ticket=ticket, actor=agent, to_status=Status.RESOLVED)
    clock.set(days=1, hours=1)

    ticket = ticket_transition(ticket=ticket, actor=requester, to_status=Status.OPEN)

    assert ticket.sla_paused == timedelta(days=1)
    assert dues(ticket)[1] == utc(8, 19)


# The check ---------------------------------------------------------------------------------------------------


@pytest.fixture
def frank(it_dept):
    return UserFactory(username="frank", role=Role.AGENT, departments=[it_dept])


@pytest.fixture
def managed(it_dept, agent):
    """IT Support, managed by alice."""
    return department_update(department=it_dept, manager=agent)


def test_the_check_records_a_breach_once_and_tells_assignee_and_manager_once(
    clock, after_commit, requester, frank, managed
):
    policy(managed, first=60, resolution=120)
    ticket = open_ticket(requester, managed, assignee=frank)
    clock.set(hours=2, minutes=1)

    with after_commit():
        first = sla.sla_check()
    with after_commit():
        second = sla.sla_check()

    assert (len(first.breaches), first.warnings, second.breaches, second.warnings) == (2, [], [], [])
    assert list(SlaAlert.objects.order_by("target").values_list("target", "stage", "due_at")) == [
        (SlaTarget.FIRST_RESPONSE, SlaStage.BREACHED, utc(7, 16)),
        (SlaTarget.RESOLUTION, SlaStage.BREACHED, utc(7, 17)),
    ]
    events = ticket.events.filter(kind=EventKind.SLA_BREACHED).order_by("pk")
    assert [(e.actor, e.is_internal, e.data["target"]) for e in events] == [
        (None, True, "first_response"),
        (None, True, "resolution"),
    ]
    assert sorted(Notification.objects.values_list("recipient__username", "kind")) == [
        ("alice", "sla_breached"),
        ("alice", "sla_breached"),
        ("frank", "sla_breached"),
        ("frank", "sla_breached"),
    ]
    assert len(mail.outbox) == 4
    assert Notification.objects.filter(recipient=frank).order_by("pk").first().text == (
        f"{ticket.reference} missed its first response target (due 03/07/2025 4 p.m.): VPN drops"
    )
    assert history_lines(events)[0].text == "The first response target was missed (due 03/07/2025 4 p.m.)"


def test_the_check_warns_before_the_breach_then_records_the_breach(clock, after_commit, requester, frank, managed):
    policy(managed, first=60, resolution=240)
    open_ticket(requester, managed, assignee=frank)
    clock.set(minutes=40)  # first response due in 20 minutes: within the 30-minute window

    with after_commit():
        warned = sla.sla_check()
    clock.set(minutes=61)
    with after_commit():
        breached = sla.sla_check()

    assert (len(warned.warnings), warned.breaches, breached.warnings, len(breached.breaches)) == (1, [], [], 1)
    assert list(Notification.objects.filter(recipient=frank).order_by("pk").values_list("kind", flat=True)) == [
        "sla_warning",
        "sla_breached",
    ]


def test_a_paused_met_or_closed_ticket_is_never_alerted(clock, after_commit, requester, agent, frank, managed):
    policy(managed, first=60, resolution=120)
    paused = to_waiting(open_ticket(requester, managed, assignee=frank), agent)
    answered = open_ticket(requester, managed, assignee=frank)
    comment_add(ticket=answered, actor=frank, body="On it.")
    closed = ticket_transition(ticket=open_ticket(requester, managed), actor=requester, to_status=Status.CLOSED)
    clock.set(minutes=121)

    result = sla.sla_check()

    assert result.warnings == []
    assert [SlaAlert.objects.get(pk=pk).ticket_id for pk in result.breaches] == [answered.pk]  # resolution only
    assert {sla.sla_state(Ticket.objects.get(pk=t.pk)) for t in (paused, closed)} == {"paused", "none"}


def test_a_new_due_date_can_breach_again(clock, after_commit, requester, agent, frank, managed):
    policy(managed, Priority.NORMAL, first=60, resolution=120)
    policy(managed, Priority.HIGH, first=60, resolution=180)
    ticket = open_ticket(requester, managed, assignee=frank)
    comment_add(ticket=ticket, actor=frank, body="On it.")
    clock.set(hours=2, minutes=1)
    sla.sla_check()
    ticket = ticket_update(ticket=Ticket.objects.get(pk=ticket.pk), actor=agent, priority=Priority.HIGH)
    clock.set(hours=3, minutes=1)

    result = sla.sla_check()

    assert len(result.breaches) == 1
    assert list(SlaAlert.objects.filter(stage="breached").values_list("due_at", flat=True).order_by("due_at")) == [
        utc(7, 17),
        utc(7, 18),
    ]


def test_the_requester_hears_nothing_about_slas(clock, after_commit, requester, frank, managed):
    policy(managed, first=60, resolution=120)
    open_ticket(requester, managed, assignee=frank)
    clock.set(hours=3)

    with after_commit():
        sla.sla_check()

    assert not Notification.objects.filter(recipient=requester).exists()


def test_the_state_the_back_office_shows(clock, requester, it_dept):
    policy(it_dept, first=60, resolution=240)
    ticket = open_ticket(requester, it_dept)
    states = []
    for minutes in (0, 31, 61):
        clock.set(minutes=minutes)
        states.append(sla.sla_state(ticket))
    assert states == ["on_track", "at_risk", "breached"]
    assert sla.sla_state(open_ticket(requester, it_dept, priority=Priority.LOW)) == "none"


def test_the_check_runs_every_minute_as_a_task(clock, requester, frank, managed):
    policy(managed, first=60, resolution=120)
    open_ticket(requester, managed, assignee=frank)
    clock.set(hours=3)

    assert sla_check_task() == {"warnings": 0, "breaches": 2}
    assert sla_check_task() == {"warnings": 0, "breaches": 0}
    schedule = Schedule.objects.get(name="SLA check")
    assert (schedule.func, schedule.schedule_type, schedule.minutes, schedule.repeats) == (
        "apps.tickets.tasks.sla_check_task",
        Schedule.MINUTES,
        1,
        -1,
    )
