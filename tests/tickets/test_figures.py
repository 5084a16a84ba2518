"""The ticket figures kept as aggregates (apps/tickets/aggregates.py): always equal to a recount of the tickets,
whatever the services, imports and deletions did; an agent's never include another department's tickets."""

import contextlib
import csv
import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.common.csv.files import inspect_csv
from apps.departments.models import SlaPolicy
from apps.departments.services import sla_policy_save
from apps.tickets import services
from apps.tickets.aggregates import (
    _expected_in_python,
    histogram_percentile,
    stats_differences,
    stats_expected,
    stats_fold_days,
    stats_rebuild,
)
from apps.tickets.choices import TRANSITIONS, Priority, Status
from apps.tickets.imports import ImportOptions, tickets_import
from apps.tickets.models import DURATION_BUCKETS, STATS_SHARDS, Ticket, TicketDayStat, TicketOpenCount
from apps.tickets.stats import ticket_stats
from tests.tickets.factories import TicketFactory

PRIORITIES = [Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT]

create = st.tuples(st.just("create"), st.integers(0, 1), st.integers(0, 2), st.sampled_from(PRIORITIES))
transition = st.tuples(st.just("transition"), st.integers(0, 50), st.integers(0, 5))
transfer = st.tuples(st.just("transfer"), st.integers(0, 50), st.integers(0, 1))
assign = st.tuples(st.just("assign"), st.integers(0, 50), st.integers(0, 2))
reply = st.tuples(st.just("reply"), st.integers(0, 50), st.booleans())
priority = st.tuples(st.just("priority"), st.integers(0, 50), st.sampled_from(PRIORITIES))
delete = st.tuples(st.just("delete"), st.integers(0, 50))
import_rows = st.tuples(
    st.just("import"),
    st.lists(
        st.tuples(
            st.integers(0, 1),  # department
            st.sampled_from([Status.NEW, Status.OPEN, Status.RESOLVED, Status.CLOSED]),
            st.integers(1, 800),  # created, days ago
            st.one_of(st.none(), st.integers(0, 400_000)),  # first response, seconds after creation
            st.integers(0, 3_000_000),  # resolution or closing, seconds after creation
        ),
        min_size=1,
        max_size=4,
    ),
)
fold = st.tuples(st.just("fold"), st.integers(-1, 3))  # fold the days before today minus this many days
operations = st.lists(
    st.one_of(create, transition, transfer, assign, reply, priority, delete, import_rows, fold), min_size=1, max_size=12
)


def _csv(rows, departments, requester) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["title", "description", "requester", "department", "status", "created_at", "first_responded_at",
                     "resolved_at", "closed_at"])  # fmt: skip
    now = timezone.now()
    for number, (department, status, age, response, end) in enumerate(rows):
        created = now - timedelta(days=age)

        def stamp(seconds, created=created):
            return (created + timedelta(seconds=seconds)).isoformat() if seconds is not None else ""

        end_at = min(end, age * 86400 - 60)
        writer.writerow(
            [
                f"Imported {number}",
                "From the old system.",
                requester.email,
                departments[department].name,
                status,
                created.isoformat(),
                stamp(min(response, age * 86400 - 60) if response is not None else None),
                stamp(end_at) if status == Status.RESOLVED else "",
                stamp(end_at) if status == Status.CLOSED else "",
            ]
        )
    data = buffer.getvalue().encode()
    return data


def _apply(step, *, departments, agents, requester, admin):
    kind = step[0]
    tickets = list(Ticket.objects.order_by("pk"))
    if kind == "create":
        _, department, who, prio = step
        TicketFactory(department=departments[department], requester=requester, assignee=agents[who], priority=prio)
        return
    if kind == "import":
        data = _csv(step[1], departments, requester)
        report = tickets_import(
            actor=admin,
            csv_file=inspect_csv(lambda: io.BytesIO(data), name="old.csv", size=len(data)),
            dry_run=False,
            options=ImportOptions.from_settings(),
        )
        assert not report.errors, report.errors
        return
    if kind == "fold":
        stats_fold_days(before=timezone.localdate() - timedelta(days=step[1]))
        return
    if not tickets:
        return
    ticket = tickets[step[1] % len(tickets)]
    if kind == "transition":
        moves = sorted(TRANSITIONS[ticket.status])
        services.ticket_transition(ticket=ticket, actor=admin, to_status=moves[step[2] % len(moves)])
    elif kind == "transfer":
        services.ticket_transfer(ticket=ticket, actor=admin, department=departments[step[2]])
    elif kind == "assign":
        services.ticket_assign(ticket=ticket, actor=admin, assignee=agents[step[2]])
    elif kind == "reply":
        author = admin if step[2] else requester
        services.comment_add(ticket=ticket, actor=author, body="Looking into it.")
    elif kind == "priority":
        services.ticket_update(ticket=ticket, actor=admin, priority=step[2])
    elif kind == "delete":
        services.ticket_delete(ticket=ticket, actor=admin)


@pytest.fixture
def world(it_dept, billing_dept, agent, other_agent, requester, admin_user):
    # Due dates on IT's normal and urgent tickets, so that targets are met and breached too.
    for prio, minutes in ((Priority.NORMAL, 1), (Priority.URGENT, 600)):
        sla_policy_save(
            policy=SlaPolicy(
                department=it_dept, priority=prio, first_response_minutes=minutes, resolution_minutes=minutes
            )
        )
    return {
        "departments": [it_dept, billing_dept],
        "agents": [None, agent, other_agent],
        "requester": requester,
        "admin": admin_user,
    }


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=operations)
def test_figures_equal_a_recount_after_any_sequence_of_changes(world, steps):
    with transaction.atomic():  # each example starts from the same data: rolled back at its end
        for step in steps:
            # A refused change changes nothing, the figures neither.
            with contextlib.suppress(ValidationError, PermissionDenied):
                _apply(step, **world)
        assert stats_differences() == (0, []), (steps, stats_differences())
        transaction.set_rollback(True)


def test_a_change_behind_the_services_back_is_found_and_recounted(it_ticket, capsys):
    Ticket.objects.filter(pk=it_ticket.pk).update(priority=Priority.URGENT)

    count, problems = stats_differences()
    assert (count, problems) == (
        2,
        [
            f"open {it_ticket.department_id}/0/new/normal/{it_ticket.pk % STATS_SHARDS}: stored 1, tickets say 0",
            f"open {it_ticket.department_id}/0/new/urgent/{it_ticket.pk % STATS_SHARDS}: stored 0, tickets say 1",
        ],
    )
    with pytest.raises(CommandError):
        call_command("check_data")
    call_command("check_data", "--fix")

    assert stats_differences() == (0, [])
    assert "[figures] figures: 2 buckets disagreed; recounted (1 day rows, 1 open counts)" in capsys.readouterr().out


def test_rebuild_stats_recounts_everything(it_ticket, billing_ticket, capsys):
    TicketDayStat.objects.all().delete()
    TicketOpenCount.objects.all().delete()

    call_command("rebuild_stats")

    assert capsys.readouterr().out.strip() == "Figures recounted: 2 day rows, 2 open counts."
    assert stats_differences() == (0, [])
    assert sorted(TicketOpenCount.objects.values_list("status", "count")) == [("new", 1), ("new", 1)]


def test_agents_figures_never_include_another_departments_tickets(
    it_dept, billing_dept, agent, other_agent, requester, admin_user
):
    it = TicketFactory(department=it_dept, requester=requester)
    services.comment_add(ticket=it, actor=agent, body="On it.")
    billing = [TicketFactory(department=billing_dept, requester=requester) for _ in range(3)]
    # alice may see a Billing ticket assigned to her: its figures are Billing's, never hers.
    services.ticket_assign(ticket=billing[0], actor=admin_user, assignee=agent)
    services.comment_add(ticket=billing[0], actor=agent, body="Answered from IT.")
    services.ticket_transition(ticket=billing[1], actor=admin_user, to_status=Status.CLOSED)

    alice, bob, admin = ticket_stats(agent), ticket_stats(other_agent), ticket_stats(admin_user)

    assert (alice["open"]["total"], alice["created_total"], alice["first_response"]["tickets"]) == (1, 1, 1)
    assert [(row["name"], row["count"]) for row in alice["open"]["by_department"]] == [("IT Support", 1)]
    assert [(row["username"], row["open"]) for row in alice["workload"]] == [("alice", 0)]
    assert [row["id"] for row in alice["oldest_open"]] == [it.pk]
    assert (bob["open"]["total"], bob["created_total"], bob["first_response"]["tickets"]) == (2, 3, 1)
    assert (admin["open"]["total"], admin["created_total"], admin["first_response"]["tickets"]) == (3, 4, 2)


def test_each_change_writes_its_buckets_in_at_most_two_statements(it_dept, agent, requester):
    def figure_statements(context) -> int:
        return sum("ticketdaystat" in q["sql"] or "ticketopencount" in q["sql"] for q in context.captured_queries)

    with CaptureQueriesContext(connection) as created:
        ticket = TicketFactory(department=it_dept, requester=requester, assignee=agent)
    with CaptureQueriesContext(connection) as moved:
        ticket = services.ticket_transition(ticket=ticket, actor=agent, to_status=Status.OPEN)
    with CaptureQueriesContext(connection) as edited:
        services.ticket_update(ticket=ticket, actor=agent, title="A better title")
    with CaptureQueriesContext(connection) as answered:
        services.comment_add(ticket=ticket, actor=agent, body="Hello")
    with CaptureQueriesContext(connection) as answered_again:
        services.comment_add(ticket=ticket, actor=agent, body="Hello again")

    assert [figure_statements(c) for c in (created, moved, edited, answered, answered_again)] == [2, 1, 0, 1, 0]


def test_percentiles_from_the_histogram():
    counts = [0] * (len(DURATION_BUCKETS) + 1)
    assert histogram_percentile(counts, 0.5) is None
    counts[4] = 2  # two durations in [1 h, 2 h)
    assert histogram_percentile(counts, 0.5) == 5400.0
    assert histogram_percentile(counts, 1.0) == 7200.0
    counts[-1] = 2  # and two of 90 days or more: the open bucket answers its lower edge
    assert histogram_percentile(counts, 0.9) == 7_776_000.0


def test_rebuild_is_what_the_services_kept(it_dept, billing_dept, agent, requester, admin_user):
    ticket = TicketFactory(department=it_dept, requester=requester)
    services.ticket_transition(ticket=ticket, actor=admin_user, to_status=Status.OPEN)
    services.ticket_transfer(ticket=ticket, actor=admin_user, department=billing_dept)
    kept = {k: dict(v) for k, v in stats_expected()[0].items()}

    stats_rebuild()

    assert {(r.day, r.department_id, r.agent, r.shard): r.created for r in TicketDayStat.objects.all()} == {
        key: counts["created"] for key, counts in kept.items()
    }


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the recount in SQL is PostgreSQL's")
def test_the_recount_in_sql_counts_as_the_changes_do(it_dept, billing_dept, agent, requester, settings):
    # A day that starts at 23:00 UTC, durations exactly on and just under a histogram edge, a target met to the
    # microsecond, a negative duration (clock skew in an import), closed without being resolved, and still open.
    settings.TIME_ZONE = "Europe/Berlin"
    start = timezone.now().replace(microsecond=0) - timedelta(days=30)
    late = start.replace(hour=22, minute=59, second=59, microsecond=999_999)
    cases = [
        {
            "status": Status.RESOLVED,
            "created_at": late,
            "first_responded_at": late + timedelta(seconds=300),
            "first_response_due_at": late + timedelta(seconds=300),
            "resolved_at": late + timedelta(seconds=899.999),
            "resolution_due_at": late + timedelta(seconds=899),
        },
        {
            "status": Status.CLOSED,
            "created_at": start,
            "first_responded_at": start - timedelta(seconds=5),
            "closed_at": start + timedelta(days=91),
        },
        {"status": Status.OPEN, "created_at": start, "first_responded_at": start + timedelta(seconds=7_776_000)},
        {"status": Status.NEW, "created_at": late + timedelta(microseconds=1)},
    ]
    for department, values in zip([it_dept, billing_dept, it_dept, billing_dept], cases, strict=True):
        ticket = TicketFactory(department=department, requester=requester, assignee=agent)
        Ticket.objects.filter(pk=ticket.pk).update(**values)

    def nonzero(deltas):
        days, opens = deltas
        return {k: {n: v for n, v in row.items() if v} for k, row in days.items()}, {
            k: v for k, v in opens.items() if v
        }

    in_sql = nonzero(stats_expected())

    assert in_sql == nonzero(_expected_in_python())
    assert len(in_sql[0]) == 7
    assert sum(row.get("response_h01", 0) for row in in_sql[0].values()) == 1
    assert sum(row.get("response_met", 0) + row.get("resolution_breached", 0) for row in in_sql[0].values()) == 2
