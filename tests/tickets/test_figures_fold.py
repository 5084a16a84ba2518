"""Folding the figures' past days into one row per bucket (stats_fold_days): the figures stay the same, today and
yesterday keep their shards, a late change to a folded day still counts, and a second fold changes nothing."""

import csv
import io
import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_q.models import Schedule

from apps.common import bulk
from apps.common.csv.files import inspect_csv
from apps.reports.selectors import ReportQuery, report_build
from apps.tickets import aggregates, services
from apps.tickets.aggregates import stats_differences, stats_fold_days, stats_held, stats_rebuild
from apps.tickets.imports import ImportOptions, tickets_import
from apps.tickets.models import STATS_SHARDS, Ticket, TicketDayStat, TicketOpenCount
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


def _import(rows, department, requester, *, batch_size=1000) -> None:
    """Tickets created by an import, one per (title, created) row, in `department`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["title", "description", "requester", "department", "created_at"])
    for title, created in rows:
        writer.writerow([title, "From the old system.", requester.email, department.name, created.isoformat()])
    data = buffer.getvalue().encode()
    report = tickets_import(
        actor=None,
        csv_file=inspect_csv(lambda: io.BytesIO(data), name="old.csv", size=len(data)),
        dry_run=False,
        options=ImportOptions.from_settings(batch_size=batch_size),
    )
    assert report.applied, report.errors


@pytest.fixture(params=["values", "copy"])
def way(request, monkeypatch):
    """Both ways of writing many rows: multi-row VALUES, and (PostgreSQL) COPY, here from one row on."""
    if request.param == "copy":
        if connection.vendor != "postgresql":
            pytest.skip("COPY is PostgreSQL's")
        monkeypatch.setattr(bulk, "COPIED_ROWS", 1)
        monkeypatch.setattr(aggregates, "COPIED_ROWS", 1)
    return request.param


def test_a_bulk_creation_writes_the_days_before_yesterday_as_folded(it_dept, requester, admin_user, way):
    now = timezone.now()
    days_ago = [0, 0, 0, 1, 1, 1, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5]  # more tickets a day than shards

    _import([(f"Old {n}", now - timedelta(days=age)) for n, age in enumerate(days_ago)], it_dept, requester)

    # Day 5's ten tickets are one row in shard 0, as a fold leaves them; today and yesterday keep their shards.
    assert _rows_per_day() == {0: 3, 1: 3, 5: [0]}
    assert TicketDayStat.objects.get(day=timezone.localdate() - timedelta(days=5)).created == 10
    assert stats_differences() == (0, [])
    before = _figures(admin_user)
    assert stats_fold_days() == 0  # nothing left to fold
    assert _figures(admin_user) == before


def test_an_import_writes_its_figures_once_at_the_end_of_its_batches(it_dept, requester, way):
    now = timezone.now()
    rows = [(f"Old {n}", now - timedelta(days=5 + n % 2)) for n in range(6)]  # two days, three tickets each

    with CaptureQueriesContext(connection) as imported:
        _import(rows, it_dept, requester, batch_size=2)

    # Three batches of two tickets, one upsert of the two buckets of the two days and one of the open counts.
    def upserts(table: str) -> int:
        return sum(q["sql"].startswith(f'INSERT INTO "{table}"') for q in imported.captured_queries)

    assert (upserts("tickets_ticketdaystat"), upserts("tickets_ticketopencount")) == (1, 1)
    assert sorted(TicketDayStat.objects.values_list("created", "shard")) == [(3, 0), (3, 0)]
    assert stats_differences() == (0, [])


def test_held_figures_are_written_when_they_fill_the_bound(it_dept, requester):
    def rows() -> int:
        return TicketDayStat.objects.count() + TicketOpenCount.objects.count()

    with transaction.atomic(), stats_held(bound=3):
        TicketFactory(department=it_dept, requester=requester)  # today (its shard) and an open count: 2 buckets
        assert rows() == 0
        TicketFactory(department=it_dept, requester=requester)  # 4 buckets: written
        assert rows() == 4
        TicketFactory(department=it_dept, requester=requester)
        assert rows() == 4
    assert rows() == 6  # at the end of the block
    assert stats_differences() == (0, [])


@pytest.mark.django_db(transaction=True)
def test_held_figures_need_the_transaction_of_the_tickets():
    with pytest.raises(TransactionManagementError), stats_held():
        pass
