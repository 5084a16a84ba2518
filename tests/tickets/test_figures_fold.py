"""Folding the figures' past days into one row per bucket (stats_fold_days): the figures stay the same, today and
yesterday keep their shards, a late change to a folded day still counts, and a second fold changes nothing."""

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_q.models import Schedule

from apps.reports.selectors import ReportQuery, report_build
from apps.tickets import services
from apps.tickets.aggregates import stats_differences, stats_fold_days, stats_rebuild
from apps.tickets.models import STATS_SHARDS, Ticket, TicketDayStat
from apps.tickets.stats import ticket_stats
from apps.tickets.tasks import stats_fold_task
from tests.tickets.factories import TicketFactory


def _tickets_on_days(department, requester, days_ago: list[int]) -> list[Ticket]:
    """One ticket created on each of `days_ago` (days before now), counted by a recount: consecutive ids, so the
    tickets of a day fall in different shards."""
    now = timezone.now()
    tickets = [TicketFactory(department=department, requester=requester) for _ in days_ago]
    for ticket, age in zip(tickets, days_ago, strict=True):
        Ticket.objects.filter(pk=ticket.pk).update(created_at=now - timedelta(days=age))
    with transaction.atomic():  # the recount's table lock needs a transaction (tests with transaction=True)
        stats_rebuild()
    return list(Ticket.objects.filter(pk__in=[t.pk for t in tickets]).order_by("pk"))


def _rows_per_day() -> dict:
    """The shards of each day's rows by age in days; a folded day's are [0]. Ids run on across tests (PostgreSQL's
    sequences), so an unfolded day's shards are given as their number."""
    rows: dict = {}
    for day, shard in TicketDayStat.objects.values_list("day", "shard"):
        rows.setdefault((timezone.localdate() - day).days, []).append(shard)
    return {age: [0] if shards == [0] else len(shards) for age, shards in rows.items()}


def _figures(user) -> tuple:
    today = timezone.localdate()
    report = report_build(
        user=user, query=ReportQuery(kind="volume", first_day=today - timedelta(days=30), last_day=today)
    )
    return ticket_stats(user), report


def test_folding_keeps_the_figures_and_leaves_the_last_two_days_alone(it_dept, requester, admin_user, agent):
    _tickets_on_days(it_dept, requester, [0, 0, 0, 1, 1, 1, 2, 2, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5])
    before = _figures(admin_user), _figures(agent)

    removed = stats_fold_days()

    assert removed == 1 + 7  # day 2's two rows became one, day 5's eight (ten tickets) one
    assert _rows_per_day() == {0: 3, 1: 3, 2: [0], 5: [0]}
    assert (_figures(admin_user), _figures(agent)) == before
    assert TicketDayStat.objects.get(day=timezone.localdate() - timedelta(days=5)).created == 10
    assert stats_differences() == (0, [])


def test_folding_twice_changes_nothing(it_dept, requester):
    _tickets_on_days(it_dept, requester, [3, 3, 3, 4, 4, 9])
    stats_fold_days()
    folded = sorted(TicketDayStat.objects.values_list("day", "department_id", "agent", "shard", "created"))

    assert stats_fold_days() == 0
    assert sorted(TicketDayStat.objects.values_list("day", "department_id", "agent", "shard", "created")) == folded


def test_a_late_change_to_a_folded_day_counts_and_is_folded_again(it_dept, requester, admin_user):
    tickets = _tickets_on_days(it_dept, requester, [6, 6, 6, 6])
    stats_fold_days()
    six_days_ago = timezone.localdate() - timedelta(days=6)
    gone = next(t for t in tickets if t.pk % STATS_SHARDS)

    services.ticket_delete(ticket=gone, actor=admin_user)

    # The deletion took its ticket out of its own shard's row: a row of a folded day again, negative.
    assert sorted(TicketDayStat.objects.filter(day=six_days_ago).values_list("shard", "created")) == [
        (0, 4),
        (gone.pk % STATS_SHARDS, -1),
    ]
    assert stats_differences() == (0, [])
    assert ticket_stats(admin_user)["created_total"] == 3

    assert stats_fold_days() == 1
    assert list(TicketDayStat.objects.filter(day=six_days_ago).values_list("shard", "created")) == [(0, 3)]
    assert stats_differences() == (0, [])


def test_a_bucket_folded_to_nothing_is_removed(it_dept, requester, admin_user):
    tickets = _tickets_on_days(it_dept, requester, [8, 8])
    for ticket in tickets:
        services.ticket_delete(ticket=ticket, actor=admin_user)
    assert TicketDayStat.objects.count() == 2  # each shard's row, now all zeros

    assert stats_fold_days() == 2
    assert TicketDayStat.objects.count() == 0


def test_only_the_days_before_the_given_day_are_folded(it_dept, requester):
    _tickets_on_days(it_dept, requester, [0, 0, 1, 1])

    assert stats_fold_days(before=timezone.localdate()) == 1
    assert _rows_per_day() == {0: 2, 1: [0]}
    assert stats_fold_days(before=timezone.localdate() + timedelta(days=1)) == 1
    assert _rows_per_day() == {0: [0], 1: [0]}
    assert stats_differences() == (0, [])


@pytest.mark.parametrize("days", [2, 30])
def test_the_fold_is_a_fixed_number_of_statements(it_dept, requester, days):
    # Every ticket in its own day and shard pair and each day with several shards: rows to fold grow with `days`.
    _tickets_on_days(it_dept, requester, [3 + n // 3 for n in range(3 * days)])
    rows = TicketDayStat.objects.count()

    with CaptureQueriesContext(connection) as context:
        removed = stats_fold_days()

    assert removed == rows - days
    # A savepoint and its release around two counts, an INSERT … SELECT and a DELETE (and the lock on PostgreSQL).
    assert len(context.captured_queries) == (7 if connection.vendor == "postgresql" else 6)


def test_the_command_and_the_daily_task_fold(it_dept, requester, capsys):
    _tickets_on_days(it_dept, requester, [4, 4, 4])

    call_command("fold_stats", "--before", (timezone.localdate() - timedelta(days=4)).isoformat())
    assert capsys.readouterr().out.strip() == "Figures folded: 0 day rows removed."
    call_command("fold_stats")
    assert capsys.readouterr().out.strip() == "Figures folded: 2 day rows removed."
    _tickets_on_days(it_dept, requester, [5, 5])
    assert stats_fold_task() == {"removed": 2 + 1}  # the recount wrote day 4's three shards again, and day 5's two


def test_the_fold_is_scheduled_daily(db):
    schedule = Schedule.objects.get(name="Fold past ticket figures")
    assert (schedule.func, schedule.schedule_type, schedule.repeats) == (
        "apps.tickets.tasks.stats_fold_task",
        Schedule.DAILY,
        -1,
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_change_during_a_fold_waits_for_it_and_is_not_lost(it_dept, requester, admin_user):
    """PostgreSQL: the fold locks the table until its commit, so a concurrent change's upsert waits and then adds
    its delta to the rows that stay (without the lock it could add it to a row the fold deletes)."""
    if connection.vendor != "postgresql":
        pytest.skip("the table lock is PostgreSQL's")
    tickets = _tickets_on_days(it_dept, requester, [3, 3, 3, 3])
    gone = next(t for t in tickets if t.pk % STATS_SHARDS)
    folded, release, errors = threading.Event(), threading.Event(), []

    def fold():
        try:
            with transaction.atomic():
                errors.append(("removed", stats_fold_days()))
                folded.set()
                release.wait(timeout=30)
        except BaseException as exc:  # asserted below
            errors.append(exc)
        finally:
            connections["default"].close()

    def change():
        try:
            services.ticket_delete(ticket=Ticket.objects.get(pk=gone.pk), actor=admin_user)
        except BaseException as exc:  # asserted below
            errors.append(exc)
        finally:
            connections["default"].close()

    folder, changer = threading.Thread(target=fold), threading.Thread(target=change)
    folder.start()
    try:
        assert folded.wait(timeout=30)
        changer.start()
        # The change's upsert is queued behind the fold's lock (polled, bounded: the other thread's progress).
        with connection.cursor() as cursor:
            for _ in range(300):
                cursor.execute(
                    "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = %s::regclass",
                    [TicketDayStat._meta.db_table],
                )
                if cursor.fetchone()[0]:
                    break
                threading.Event().wait(0.1)
            else:
                pytest.fail("the change did not wait for the fold's lock")
    finally:
        release.set()
        folder.join(timeout=30)
        changer.join(timeout=30)
    assert errors == [("removed", 3)]
    assert Ticket.objects.count() == 3
    assert stats_differences() == (0, [])
    assert sorted(TicketDayStat.objects.values_list("shard", "created")) == [(0, 4), (gone.pk % STATS_SHARDS, -1)]
